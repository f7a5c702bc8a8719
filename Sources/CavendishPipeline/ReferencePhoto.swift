import CavendishCore
import CavendishIO

/// A reference photo prepared for the reference encoder: centre-cropped to a square, resized to
/// 64 x 64 with PIL's antialiased bilinear filter (as the recipe's `prepare_photo` does), and scaled to
/// [-1, 1] as [3, 64, 64].
public struct ReferencePhoto: Sendable {
    /// Pixels [3, size, size] in [-1, 1].
    public let tensor: Tensor
    /// Where it came from, for provenance and audit.
    public let source: String

    /// Prepares an 8-bit image (gray, gray+alpha, RGB or RGBA; alpha is dropped).
    public init(image: PNGImage, source: String, size: Int = 64) throws {
        try self.init(width: image.width, height: image.height, channels: image.channels, pixels: image.pixels, source: source, size: size)
    }

    /// Prepares interleaved 8-bit pixels.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], source: String, size: Int = 64) throws {
        tensor = try Self.planar(width: width, height: height, channels: channels, pixels: pixels, source: source, size: size)
        self.source = source
    }

    /// Interleaved 8-bit pixels (gray, gray+alpha, RGB or RGBA; alpha is dropped) centre-cropped to a
    /// square, resized to `size` with `resizeBilinear`, as [3, size, size] in [-1, 1]: the recipe's
    /// `prepare_photo`, which reference photos and img2img's init images (`InitImage`) both go through.
    static func planar(width: Int, height: Int, channels: Int, pixels: [UInt8], source: String, size: Int) throws -> Tensor {
        guard width > 0, height > 0, [1, 2, 3, 4].contains(channels), pixels.count == width * height * channels else {
            throw TensorError("\(source): not an image (\(width)x\(height), \(channels) channels, \(pixels.count) bytes)")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            for c in 0..<3 { rgb[i * 3 + c] = pixels[i * channels + (channels >= 3 ? c : 0)] }
        }
        let s = min(width, height), x0 = (width - s) / 2, y0 = (height - s) / 2
        var square = [UInt8](repeating: 0, count: s * s * 3)
        for y in 0..<s { for x in 0..<s { for c in 0..<3 { square[(y * s + x) * 3 + c] = rgb[((y0 + y) * width + x0 + x) * 3 + c] } } }
        let resized = s == size ? square : Self.resizeBilinear(square, from: s, to: size)
        var values = [Float](repeating: 0, count: 3 * size * size)
        for y in 0..<size { for x in 0..<size { for c in 0..<3 {
            values[(c * size + y) * size + x] = Float(resized[(y * size + x) * 3 + c]) / 127.5 - 1
        } } }
        return Tensor(shape: [3, size, size], floats: values)
    }

    /// PIL's `Image.resize(..., BILINEAR)` for a square RGB image: a triangle filter whose support
    /// widens with the downscale factor, applied horizontally then vertically with 8-bit rounding in
    /// between, as PIL does.
    static func resizeBilinear(_ src: [UInt8], from n: Int, to m: Int) -> [UInt8] {
        let scale = Double(n) / Double(m), support = max(scale, 1)
        var bounds: [(Int, [Double])] = []
        for i in 0..<m {
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int((center - support + 0.5).rounded(.down))), hi = min(n, Int((center + support + 0.5).rounded(.down)))
            var w = (lo..<hi).map { j -> Double in
                let d = abs((Double(j) - center + 0.5) / max(scale, 1))
                return d < 1 ? 1 - d : 0
            }
            let total = w.reduce(0, +)
            if total > 0 { w = w.map { $0 / total } }
            bounds.append((lo, w))
        }
        func clip(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded(.toNearestOrAwayFromZero)))) }
        var horizontal = [UInt8](repeating: 0, count: n * m * 3)
        for y in 0..<n { for x in 0..<m { for c in 0..<3 {
            let (lo, w) = bounds[x]
            var acc = 0.0
            for (k, wk) in w.enumerated() { acc += wk * Double(src[(y * n + lo + k) * 3 + c]) }
            horizontal[(y * m + x) * 3 + c] = clip(acc)
        } } }
        var out = [UInt8](repeating: 0, count: m * m * 3)
        for y in 0..<m { for x in 0..<m { for c in 0..<3 {
            let (lo, w) = bounds[y]
            var acc = 0.0
            for (k, wk) in w.enumerated() { acc += wk * Double(horizontal[((lo + k) * m + x) * 3 + c]) }
            out[(y * m + x) * 3 + c] = clip(acc)
        } } }
        return out
    }
}
