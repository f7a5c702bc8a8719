import Foundation

/// A small SVG chart: points and polylines on linear or log axes, with ticks, labels and a legend. The
/// simulator's roofline and latency-throughput plots are drawn with it, so they open in any browser and
/// need no plotting library.
public struct SVGPlot: Sendable {
    /// One series: points joined by a line, or drawn as dots.
    public struct Series: Sendable {
        /// Legend text.
        public var label: String
        /// Data coordinates.
        public var points: [(x: Double, y: Double)]
        /// CSS colour.
        public var color: String
        /// Join the points with a line (else dots).
        public var line: Bool
        /// A series.
        public init(label: String, points: [(x: Double, y: Double)], color: String, line: Bool) {
            (self.label, self.points, self.color, self.line) = (label, points, color, line)
        }
    }

    /// Title and axis labels.
    public var title: String, xLabel: String, yLabel: String
    /// Log-scale axes.
    public var logX: Bool, logY: Bool
    /// The series, drawn in order.
    public var series: [Series] = []
    /// Horizontal reference lines (a p99 bound), with labels.
    public var horizontalLines: [(y: Double, label: String)] = []

    /// A plot.
    public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false) {
        (self.title, self.xLabel, self.yLabel, self.logX, self.logY) = (title, xLabel, yLabel, logX, logY)
    }

    /// The SVG document.
    public func svg(width: Double = 720, height: Double = 480) -> String {
        let (left, right, top, bottom) = (80.0, 210.0, 40.0, 60.0)
        let all = series.flatMap(\.points).filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) && $0.x.isFinite && $0.y.isFinite }
        let ys = all.map(\.y) + horizontalLines.map(\.y)
        func range(_ v: [Double], log: Bool) -> (Double, Double) {
            guard var lo = v.min(), var hi = v.max() else { return (log ? 1 : 0, log ? 10 : 1) }
            if log { lo = pow(10, floor(log10(lo))); hi = pow(10, ceil(log10(hi))); if lo == hi { hi *= 10 } }
            else { if lo > 0 { lo = 0 }; if hi == lo { hi = lo + 1 }; hi *= 1.05 }
            return (lo, hi)
        }
        let (x0, x1) = range(all.map(\.x), log: logX), (y0, y1) = range(ys, log: logY)
        let pw = width - left - right, ph = height - top - bottom
        func sx(_ x: Double) -> Double { left + pw * (logX ? (log10(x) - log10(x0)) / (log10(x1) - log10(x0)) : (x - x0) / (x1 - x0)) }
        func sy(_ y: Double) -> Double { top + ph * (1 - (logY ? (log10(y) - log10(y0)) / (log10(y1) - log10(y0)) : (y - y0) / (y1 - y0))) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;") }
        func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
            if log { return stride(from: log10(lo), through: log10(hi), by: 1).map { pow(10, $0) } }
            let step = pow(10, floor(log10((hi - lo) / 5)))
            let n = ((hi - lo) / step) > 10 ? step * 2 : step
            return stride(from: (lo / n).rounded(.up) * n, through: hi, by: n).map { $0 }
        }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(left))\" y=\"24\" font-size=\"15\">\(esc(title))</text>\n"
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#444\"/>\n"
        for t in ticks(x0, x1, log: logX) {
            out += "<line x1=\"\(f(sx(t)))\" y1=\"\(f(top))\" x2=\"\(f(sx(t)))\" y2=\"\(f(top + ph))\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(f(sx(t)))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(String(format: "%g", t))</text>\n"
        }
        for t in ticks(y0, y1, log: logY) {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(sy(t)))\" x2=\"\(f(left + pw))\" y2=\"\(f(sy(t)))\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(sy(t) + 4))\" text-anchor=\"end\">\(String(format: "%g", t))</text>\n"
        }
        out += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 16))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        out += "<text transform=\"translate(18 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        for h in horizontalLines where (!logY || h.y > 0) {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(sy(h.y)))\" x2=\"\(f(left + pw))\" y2=\"\(f(sy(h.y)))\" stroke=\"#c00\" stroke-dasharray=\"6 4\"/>"
            out += "<text x=\"\(f(left + pw - 4))\" y=\"\(f(sy(h.y) - 4))\" text-anchor=\"end\" fill=\"#c00\">\(esc(h.label))</text>\n"
        }
        for (i, s) in series.enumerated() {
            let pts = s.points.filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) && $0.x.isFinite && $0.y.isFinite }
            if s.line, pts.count > 1 {
                out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" points=\""
                    + pts.map { "\(f(sx($0.x))),\(f(sy($0.y)))" }.joined(separator: " ") + "\"/>\n"
            }
            for p in pts { out += "<circle cx=\"\(f(sx(p.x)))\" cy=\"\(f(sy(p.y)))\" r=\"\(s.line ? 3 : 2.5)\" fill=\"\(s.color)\" fill-opacity=\"0.7\"/>" }
            out += "\n<rect x=\"\(f(left + pw + 12))\" y=\"\(f(top + 8 + Double(i) * 18))\" width=\"12\" height=\"12\" fill=\"\(s.color)\"/>"
            out += "<text x=\"\(f(left + pw + 30))\" y=\"\(f(top + 18 + Double(i) * 18))\">\(esc(s.label))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Writes the SVG to `path` through a temporary file, refusing to replace a file unless `overwrite`.
    public func write(to path: String, overwrite: Bool) throws {
        try publish(Data(svg().utf8), to: path, overwrite: overwrite)
    }

    /// The roofline of `report` on `chip`: every kernel's arithmetic intensity (FLOPs per HBM byte)
    /// against its achieved FLOP/s, under the matrix-unit peak for `peakFlops` and the HBM roof.
    public static func roofline(_ report: GraphReport, chip: ChipSpec, peakFlops: Double, title: String) -> SVGPlot {
        var plot = SVGPlot(title: title, xLabel: "arithmetic intensity (FLOP per HBM byte)", yLabel: "achieved FLOP/s", logX: true, logY: true)
        let kernels = report.ops.filter { $0.flops > 0 && $0.hbmBytes > 0 && $0.seconds > 0 }
        let ai = kernels.map(\.arithmeticIntensity)
        let lo = max((ai.min() ?? 1) / 2, 1e-2), hi = max((ai.max() ?? 1e3) * 2, peakFlops / chip.hbmBytesPerSecond * 4)
        let knee = peakFlops / chip.hbmBytesPerSecond
        plot.series.append(Series(label: "roof: HBM, then peak", points: [(lo, lo * chip.hbmBytesPerSecond), (knee, peakFlops), (hi, peakFlops)],
                                  color: "#444", line: true))
        for (bound, color) in [("compute", "#1f77b4"), ("bandwidth", "#d62728"), ("vector", "#2ca02c"), ("ici", "#9467bd")] {
            let pts = kernels.filter { $0.bound == bound }.map { (x: $0.arithmeticIntensity, y: $0.flops / $0.seconds) }
            if !pts.isEmpty { plot.series.append(Series(label: "\(bound)-bound kernels", points: pts, color: color, line: false)) }
        }
        return plot
    }
}
