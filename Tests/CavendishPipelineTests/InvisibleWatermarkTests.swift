@testable import CavendishPipeline
import Foundation
import Testing

/// The watermark's own contract on seeded images; `scripts/watermark_eval.py` measures it on generated
/// images under JPEG, resizing and crops, and its false positives on 1,000 world renders.
struct InvisibleWatermarkTests {
    /// A seeded 128 x 128 scene-like image: smooth gradients, a few flat shapes with edges, mild noise.
    static func image(seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> Double { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return Double(state % 10_000) / 10_000 }
        let shapes = (0..<6).map { _ in (next() * 128, next() * 128, 10 + next() * 30, next() * 255, next() * 255, next() * 255) }
        var px = [UInt8](repeating: 0, count: 128 * 128 * 3)
        for y in 0..<128 { for x in 0..<128 {
            var rgb = [Double(x) * 1.5, Double(y) * 1.2 + 40, 200 - Double(x + y) * 0.5]
            for s in shapes where (Double(x) - s.0) * (Double(x) - s.0) + (Double(y) - s.1) * (Double(y) - s.1) < s.2 * s.2 { rgb = [s.3, s.4, s.5] }
            for c in 0..<3 { px[(y * 128 + x) * 3 + c] = UInt8(max(0, min(255, rgb[c] + (next() - 0.5) * 6))) }
        } }
        return px
    }

    /// The top-left-anchored crop that removes `left` and `top` pixels (and as many from the far sides).
    static func crop(_ px: [UInt8], left: Int, top: Int, keep: Int) -> [UInt8] {
        var out: [UInt8] = []
        for y in top..<(top + keep) { out += px[((y * 128 + left) * 3)..<((y * 128 + left + keep) * 3)] }
        return out
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func roundTripsItsPayloadInvisiblyAndThroughCrops(seed: UInt64) {
        let host = Self.image(seed: seed)
        let payload = InvisibleWatermark.Payload(generator: 1, modelVersion: 2, imageId: Int(seed * 4099 % 65536))
        let marked = InvisibleWatermark.embed(host, width: 128, height: 128, payload: payload)
        #expect(PipelineBenchmark.psnr(host, marked) >= 35)
        let found = InvisibleWatermark.detect(marked, width: 128, height: 128)
        #expect(found.watermarkDetected && found.payload == payload && found.offset == [0, 0], "\(found)")
        #expect(found.confidence > 0.999)
        for (left, top) in [(0, 0), (12, 12), (6, 6), (13, 0)] {
            let cropped = Self.crop(marked, left: left, top: top, keep: 115)
            let d = InvisibleWatermark.detect(cropped, width: 115, height: 115)
            #expect(d.watermarkDetected && d.payload == payload && d.offset == [left, top], "crop \(left),\(top): \(d)")
        }
        #expect(!InvisibleWatermark.detect(host, width: 128, height: 128).watermarkDetected)
    }

    /// The payload's CRC catches a flipped bit, and field widths wrap instead of spilling into each other.
    @Test func payloadBitsCarryACRC() {
        let p = InvisibleWatermark.Payload(generator: 1, modelVersion: 2, imageId: 0xBEEF)
        #expect(InvisibleWatermark.Payload(bits: p.bits) == p)
        for i in 0..<32 {
            var bits = p.bits
            bits[i].toggle()
            #expect(InvisibleWatermark.Payload(bits: bits) == nil, "bit \(i)")
        }
        #expect(InvisibleWatermark.Payload(generator: 17, modelVersion: 18, imageId: 0x1_0001) == .init(generator: 1, modelVersion: 2, imageId: 1))
    }

    /// Images too small to carry it, or of the wrong size, are left alone and read as unmarked.
    @Test func smallOrMalformedImagesAreLeftAlone() {
        let tiny = [UInt8](repeating: 128, count: 16 * 16 * 3)
        #expect(InvisibleWatermark.embed(tiny, width: 16, height: 16, payload: .init(generator: 1, modelVersion: 1, imageId: 1)) == tiny)
        #expect(!InvisibleWatermark.detect(tiny, width: 16, height: 16).watermarkDetected)
        #expect(!InvisibleWatermark.detect([1, 2, 3], width: 128, height: 128).watermarkDetected)
    }
}
