import Foundation

/// An invisible watermark in the pixels of every generated image, and its detector.
///
/// The method is additive spread spectrum with informed embedding (Cox et al., "Secure spread spectrum
/// watermarking for multimedia", 1997; Miller, Cox and Bloom, "Informed embedding", 2000): 33 seeded
/// pseudo-random patterns, band-limited by a difference of Gaussians (sigma 1 and 3 pixels) so that
/// JPEG and resampling keep them, are added to the luminance: one synchronisation pattern and one per
/// payload bit, its sign the bit. The detector high-passes the luminance, normalises it, correlates it
/// with the synchronisation pattern at every offset a crop can make (0-13 pixels each way), and reads
/// the bits as the signs of the other correlations at the best offset. Embedding is informed: it
/// measures what the image itself already correlates with each pattern and adds only what is needed to
/// reach a margin (`bitMargin`, `syncMargin`), which removes the host image's interference with the
/// payload. A watermark is reported when the synchronisation score, the payload bits' total correlation
/// against the same total at the other offsets (`bitEvidence`) and a CRC-8 over the payload all agree.
///
/// It survives JPEG at quality 75, resizing to 75% and back and crops of up to 10% (13 pixels) from any
/// side (`scripts/watermark_eval.py` measures this, and the false positives on images Cavendish did not
/// make). It does not survive rotation, scaling that is not undone, crops of more than 13 pixels from the
/// top or left, heavy blur or noise, or an adversary who knows the patterns (they derive from a public
/// seed): it marks honest outputs, it is not a security boundary.
public enum InvisibleWatermark {
    /// What the pixels carry: 4 bits of generator, 4 of model version, a 16-bit image id.
    public struct Payload: Codable, Sendable, Equatable {
        /// 1 = Cavendish.
        public var generator: Int
        /// 1 = NB-mini v1, 2 = NB-mini v2.
        public var modelVersion: Int
        /// A short id of the image (the first 16 bits of a digest the generator chooses).
        public var imageId: Int

        /// A payload; values are taken modulo their field widths.
        public init(generator: Int, modelVersion: Int, imageId: Int) {
            self.generator = generator & 0xF
            self.modelVersion = modelVersion & 0xF
            self.imageId = imageId & 0xFFFF
        }

        /// The 32 embedded bits: the 24 payload bits, then their CRC-8.
        var bits: [Bool] {
            let value = UInt32(generator) << 20 | UInt32(modelVersion) << 16 | UInt32(imageId)
            let crc = InvisibleWatermark.crc8(value)
            return (0..<24).map { value >> (23 - $0) & 1 == 1 } + (0..<8).map { crc >> (7 - $0) & 1 == 1 }
        }

        /// The payload in `bits`, or nil when their CRC does not match.
        init?(bits: [Bool]) {
            guard bits.count == 32 else { return nil }
            let value = bits[0..<24].reduce(UInt32(0)) { $0 << 1 | ($1 ? 1 : 0) }
            let crc = bits[24..<32].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
            guard InvisibleWatermark.crc8(value) == crc else { return nil }
            self.init(generator: Int(value >> 20), modelVersion: Int(value >> 16 & 0xF), imageId: Int(value & 0xFFFF))
        }
    }

    /// What `detect` found.
    public struct Detection: Codable, Sendable, Equatable {
        /// The synchronisation correlation was above `threshold` and the payload's CRC matched.
        public var watermarkDetected: Bool
        /// The payload, when detected.
        public var payload: Payload?
        /// The synchronisation correlation at the best offset (about 15 on an unattacked output).
        public var score: Double
        /// The score a watermark needs.
        public var threshold: Double
        /// How many standard deviations the payload bits' total correlation at the best offset stands
        /// above the same total at the other offsets (near 0 without a watermark).
        public var bitEvidence: Double
        /// The evidence a watermark needs.
        public var evidenceThreshold: Double
        /// 1 minus the chance that an image without the watermark passes (a Gaussian tail for the
        /// evidence, times the offsets searched, times the CRC's 1 in 256); 0 when not detected.
        public var confidence: Double
        /// The crop offset found, [x, y] pixels.
        public var offset: [Int]
    }

    static let payloadBits = 32
    static let fieldSize = 144
    static let maximumOffset = 13
    static let sigmaLow = 1.0, sigmaHigh = 3.0
    /// Correlation margins: 5 per bit (4 left 4 of 26 generated images below the evidence threshold
    /// after JPEG q75 or a top-left crop), 15 for synchronisation.
    static let bitMargin = 5.0, syncMargin = 15.0
    /// The synchronisation score a watermark needs. It only has to find the offset: on 1,026 images
    /// without the watermark (`scripts/watermark_eval.py`) the best score reached 9.9, so detection rests
    /// on the payload's evidence and its CRC too.
    public static let threshold = 6.0
    /// The payload evidence (standard deviations above the other offsets) a watermark needs.
    public static let evidenceThreshold = 5.0

    /// The patterns (synchronisation first), each `fieldSize` squared, unit RMS; made once.
    static let patterns: [[Double]] = (0...payloadBits).map { pattern(seed: 0xCA7E_0000 &+ UInt64($0)) }

    /// `pixels` (RGB, 8 bits, row-major) with `payload` embedded; images larger than the pattern field
    /// (144 pixels) are marked in their top-left 144 x 144 only.
    public static func embed(_ pixels: [UInt8], width: Int, height: Int, payload: Payload) -> [UInt8] {
        let w = min(width, fieldSize), h = min(height, fieldSize)
        guard w >= 32, h >= 32, pixels.count == width * height * 3 else { return pixels }
        let signs = [1.0] + payload.bits.map { $0 ? 1.0 : -1.0 }
        let margins = [syncMargin] + Array(repeating: bitMargin, count: payloadBits)
        var delta = [Double](repeating: 0, count: w * h)
        // Each round measures the image as it will be written, rounded and clipped to 0...255: in bright
        // or dark areas clipping removes part of the delta, and only measuring it puts it back elsewhere.
        func marked() -> [UInt8] {
            var out = pixels
            for row in 0..<h { for col in 0..<w {
                let d = delta[row * w + col]
                for c in 0..<3 {
                    let i = (row * width + col) * 3 + c
                    out[i] = UInt8(max(0, min(255, (Double(pixels[i]) + d).rounded())))
                }
            } }
            return out
        }
        for _ in 0..<6 {
            let (y, spread) = normalizedHighPass(luminance(marked(), width: width, window: (w, h)), w, h)
            let scale = spread / Double(w * h).squareRoot()
            for j in 0...payloadBits {
                let p = correlation(y, w, h, pattern: j, dx: 0, dy: 0)
                let need = max(0, margins[j] - signs[j] * p) * signs[j]
                guard need != 0 else { continue }
                let pattern = patterns[j]
                for row in 0..<h { for col in 0..<w { delta[row * w + col] += need * scale * pattern[row * fieldSize + col] } }
            }
        }
        return marked()
    }

    /// Looks for the watermark in `pixels` (`channels` 3 or 4, 8 bits, row-major).
    public static func detect(_ pixels: [UInt8], width: Int, height: Int, channels: Int = 3) -> Detection {
        let w = min(width, fieldSize - maximumOffset), h = min(height, fieldSize - maximumOffset)
        var none = Detection(watermarkDetected: false, payload: nil, score: 0, threshold: threshold, bitEvidence: 0,
                             evidenceThreshold: evidenceThreshold, confidence: 0, offset: [0, 0])
        guard w >= 32, h >= 32, channels >= 3, pixels.count == width * height * channels else { return none }
        let (y, _) = normalizedHighPass(luminance(pixels, width: width, window: (w, h), channels: channels), w, h)
        var best = (score: -Double.infinity, dx: 0, dy: 0)
        for dy in 0...maximumOffset { for dx in 0...maximumOffset {
            let c = correlation(y, w, h, pattern: 0, dx: dx, dy: dy)
            if c > best.score { best = (c, dx, dy) }
        } }
        none.score = best.score
        none.offset = [best.dx, best.dy]
        // The payload's evidence: how far the bit correlations' total magnitude at the best offset stands
        // above its spread over the other offsets of this same image (so no null spread is assumed).
        // 196 offsets x 32 patterns x the window: about 0.1 s in a release build.
        var magnitude: [Double] = []
        for dy in 0...maximumOffset { for dx in 0...maximumOffset {
            magnitude.append((1...payloadBits).reduce(0) { $0 + abs(correlation(y, w, h, pattern: $1, dx: dx, dy: dy)) })
        } }
        let side = maximumOffset + 1
        let here = magnitude[best.dy * side + best.dx]
        // Offsets within 3 pixels of the best still see the band-limited patterns; they are not "other".
        let others = magnitude.enumerated().filter { abs($0.offset / side - best.dy) > 3 || abs($0.offset % side - best.dx) > 3 }.map(\.element)
        let mean = others.reduce(0, +) / Double(others.count)
        let spread = max((others.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(others.count)).squareRoot(), 1e-9)
        none.bitEvidence = (here - mean) / spread
        let bits = (1...payloadBits).map { correlation(y, w, h, pattern: $0, dx: best.dx, dy: best.dy) > 0 }
        guard best.score >= threshold, none.bitEvidence >= evidenceThreshold, let payload = Payload(bits: bits) else { return none }
        // Chance that an unmarked image passes: a Gaussian tail for the evidence, times the offsets
        // searched, times the CRC's 1 in 256.
        let tail = 0.5 * erfc(none.bitEvidence / 2.0.squareRoot()) * Double(magnitude.count) / 256
        return Detection(watermarkDetected: true, payload: payload, score: best.score, threshold: threshold,
                         bitEvidence: none.bitEvidence, evidenceThreshold: evidenceThreshold,
                         confidence: max(0, 1 - tail), offset: [best.dx, best.dy])
    }

    // MARK: Pieces

    /// CRC-8 (polynomial 0x07) of the 24-bit payload, most significant byte first.
    static func crc8(_ value: UInt32) -> UInt8 {
        var crc: UInt8 = 0
        for byte in [UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] {
            crc ^= byte
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? crc << 1 ^ 0x07 : crc << 1 }
        }
        return crc
    }

    /// One pattern: seeded uniform noise (splitmix64), band-passed by a difference of Gaussians, unit RMS.
    static func pattern(seed: UInt64) -> [Double] {
        let margin = 20, n = fieldSize + 2 * margin
        var state = seed
        var noise = [Double](repeating: 0, count: n * n)
        for i in noise.indices {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            noise[i] = Double(z >> 11) / Double(1 << 53) * 2 - 1
        }
        let low = blur(noise, n, n, sigma: sigmaLow), high = blur(noise, n, n, sigma: sigmaHigh)
        var out = [Double](repeating: 0, count: fieldSize * fieldSize)
        for row in 0..<fieldSize { for col in 0..<fieldSize {
            let i = (row + margin) * n + col + margin
            out[row * fieldSize + col] = low[i] - high[i]
        } }
        let mean = out.reduce(0, +) / Double(out.count)
        let rms = (out.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(out.count)).squareRoot()
        return out.map { ($0 - mean) / rms }
    }

    /// BT.601 luminance of the top-left `window` of an 8-bit image.
    static func luminance(_ pixels: [UInt8], width: Int, window: (Int, Int), channels: Int = 3) -> [Double] {
        var y = [Double](repeating: 0, count: window.0 * window.1)
        for row in 0..<window.1 { for col in 0..<window.0 {
            let i = (row * width + col) * channels
            y[row * window.0 + col] = 0.299 * Double(pixels[i]) + 0.587 * Double(pixels[i + 1]) + 0.114 * Double(pixels[i + 2])
        } }
        return y
    }

    /// The luminance minus its Gaussian blur (sigma `sigmaHigh`), shifted to mean 0 and scaled to unit
    /// variance, and the standard deviation it was divided by.
    static func normalizedHighPass(_ y: [Double], _ w: Int, _ h: Int) -> ([Double], Double) {
        let smooth = blur(y, w, h, sigma: sigmaHigh)
        var hp = zip(y, smooth).map { $0 - $1 }
        let mean = hp.reduce(0, +) / Double(hp.count)
        let spread = max((hp.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(hp.count)).squareRoot(), 1e-9)
        for i in hp.indices { hp[i] = (hp[i] - mean) / spread }
        return (hp, spread)
    }

    /// Normalised correlation of the high-passed window `y` with pattern `j` shifted by (dx, dy).
    static func correlation(_ y: [Double], _ w: Int, _ h: Int, pattern j: Int, dx: Int, dy: Int) -> Double {
        let p = patterns[j]
        var sum = 0.0
        for row in 0..<h {
            let base = (row + dy) * fieldSize + dx
            for col in 0..<w { sum += y[row * w + col] * p[base + col] }
        }
        return sum / Double(w * h).squareRoot()
    }

    /// A separable Gaussian blur (radius 3 sigma) with mirrored edges, as numpy's "reflect" padding.
    static func blur(_ a: [Double], _ w: Int, _ h: Int, sigma: Double) -> [Double] {
        let r = Int(3 * sigma)
        var k = (-r...r).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = k.reduce(0, +)
        k = k.map { $0 / total }
        func mirror(_ i: Int, _ n: Int) -> Int {
            var i = i
            while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
            return i
        }
        var tmp = [Double](repeating: 0, count: a.count), out = tmp
        for row in 0..<h { for col in 0..<w {
            var s = 0.0
            for t in -r...r { s += k[t + r] * a[mirror(row + t, h) * w + col] }
            tmp[row * w + col] = s
        } }
        for row in 0..<h { for col in 0..<w {
            var s = 0.0
            for t in -r...r { s += k[t + r] * tmp[row * w + mirror(col + t, w)] }
            out[row * w + col] = s
        } }
        return out
    }
}
