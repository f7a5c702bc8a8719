/// Pillow's `Image.resize` for 8-bit images, bilinear and bicubic, value for value: the recipe prepares
/// reference photos, crops for the identity judge and the text box for Tesseract with Pillow, so the Swift
/// side resamples the way Pillow does (`libImaging/Resample.c`): separable passes, horizontal first, each
/// with coefficients normalised in double precision, turned into 22-bit fixed point, summed from a
/// half-unit start and shifted back to 8 bits with clamping.
public enum PILResize {
    /// Pillow's resampling filters (`Image.BILINEAR`, `Image.BICUBIC` with a = -0.5).
    public enum Filter: Sendable {
        case bilinear, bicubic

        var support: Double { self == .bilinear ? 1 : 2 }

        func weight(_ v: Double) -> Double {
            let x = abs(v)
            switch self {
            case .bilinear: return x < 1 ? 1 - x : 0
            case .bicubic:
                let a = -0.5
                if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
                if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
                return 0
            }
        }
    }

    static let precisionBits = 32 - 8 - 2

    /// For each output index: the first input index and the fixed-point weights (`precompute_coeffs`
    /// and `normalize_coeffs_8bpc`).
    static func coefficients(from inSize: Int, to outSize: Int, filter: Filter) -> [(Int, [Int])] {
        let scale = Double(inSize) / Double(outSize), filterScale = max(scale, 1)
        let support = filter.support * filterScale, ss = 1 / filterScale
        return (0..<outSize).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5)), hi = min(inSize, Int(center + support + 0.5))
            var w = (lo..<max(lo, hi)).map { filter.weight((Double($0) - center + 0.5) * ss) }
            let total = w.reduce(0, +)
            if total != 0 { w = w.map { $0 / total } }
            let one = Double(1 << precisionBits)
            return (lo, w.map { $0 < 0 ? Int(-0.5 + $0 * one) : Int(0.5 + $0 * one) })
        }
    }

    /// `src` (interleaved, `channels` per pixel, `width` x `height`) resized to `toWidth` x `toHeight`.
    public static func resize(_ src: [UInt8], width: Int, height: Int, channels: Int = 3, toWidth: Int, toHeight: Int,
                              filter: Filter) -> [UInt8] {
        func pass(_ input: [UInt8], w: Int, h: Int, horizontal: Bool, size: Int) -> [UInt8] {
            let coeffs = coefficients(from: horizontal ? w : h, to: size, filter: filter)
            let ow = horizontal ? size : w, oh = horizontal ? h : size
            var out = [UInt8](repeating: 0, count: ow * oh * channels)
            for y in 0..<oh { for x in 0..<ow {
                let (lo, k) = coeffs[horizontal ? x : y]
                for c in 0..<channels {
                    var acc = 1 << (precisionBits - 1)
                    for (j, kj) in k.enumerated() {
                        let sx = horizontal ? lo + j : x, sy = horizontal ? y : lo + j
                        acc += Int(input[(sy * w + sx) * channels + c]) * kj
                    }
                    out[(y * ow + x) * channels + c] = UInt8(min(255, max(0, acc >> precisionBits)))
                }
            } }
            return out
        }
        var image = src, w = width
        if toWidth != width { image = pass(image, w: width, h: height, horizontal: true, size: toWidth); w = toWidth }
        if toHeight != height { image = pass(image, w: w, h: height, horizontal: false, size: toHeight) }
        return image
    }
}
