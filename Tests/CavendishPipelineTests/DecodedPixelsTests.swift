import CavendishPipeline
import Testing

/// Converting the decoder's output to bytes.
struct DecodedPixelsTests {
    @Test func nonFiniteValuesAreAnErrorNotATrap() {
        var image = [Float](repeating: 0, count: 3 * 4 * 4)
        image[5] = .nan
        #expect(throws: PipelineError.nonFiniteImage(count: 1)) { try NBMiniPipeline.pixels(planarImage: image, size: 4) }
        image[5] = .infinity
        image[6] = -.infinity
        #expect(throws: PipelineError.nonFiniteImage(count: 2)) { try NBMiniPipeline.pixels(planarImage: image, size: 4) }
    }

    /// [-1, 1] maps to 0...255 (rounded half to even), out-of-range values clamp, planes interleave.
    @Test func valuesMapToBytes() throws {
        let image: [Float] = [-1, 2, 0, -5] + [1, 1, 1, 1] + [0.5, 0.5, 0.5, 0.5]
        let px = try NBMiniPipeline.pixels(planarImage: image, size: 2)
        #expect(px == [0, 255, 191, 255, 255, 191, 128, 255, 191, 0, 255, 191])
    }
}
