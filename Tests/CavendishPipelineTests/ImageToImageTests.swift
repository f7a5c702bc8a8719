import CavendishCPU
import CavendishCore
import CavendishIO
import CavendishModels
@testable import CavendishPipeline
import Foundation
import Testing

/// img2img's start rule (`NBMiniPipeline.imageToImageStart`), checked against values computed here from
/// cos and sin rather than through NoiseSchedule.
struct ImageToImageTests {
    static let z: [Float] = (0..<64).map { Float($0 % 7) * 0.3 - 0.9 }
    static let eps: [Float] = (0..<64).map { Float(($0 * 5) % 11) * 0.2 - 1.0 }

    @Test(arguments: [1, 8, 50])
    func strengthOneIsTheNoiseItself(steps: Int) {
        let (x, first) = NBMiniPipeline.imageToImageStart(latent: Self.z, noise: Self.eps, strength: 1, steps: steps)
        #expect(first == 0)
        #expect(x == Self.eps)   // bit for bit: text-to-image starts from exactly this
    }

    @Test(arguments: [1, 8, 50])
    func strengthZeroIsTheLatentItself(steps: Int) {
        let (x, first) = NBMiniPipeline.imageToImageStart(latent: Self.z, noise: Self.eps, strength: 0, steps: steps)
        #expect(first == steps)
        #expect(x == Self.z)
    }

    @Test func intermediateStrengthMixesAtTheStartTime() {
        // N = 8, strength 0.5: k = 8 - 4 = 4, t_4 = 4/8.
        let (x, first) = NBMiniPipeline.imageToImageStart(latent: Self.z, noise: Self.eps, strength: 0.5, steps: 8)
        #expect(first == 4)
        let a = cos(Double.pi / 4), s = sin(Double.pi / 4)
        for i in 0..<Self.z.count {
            let expected = a * Double(Self.z[i]) + s * Double(Self.eps[i])
            #expect(abs(Double(x[i]) - expected) <= 1e-6, "element \(i): \(x[i]) vs \(expected)")
        }
        // N = 50, strength 0.3: k = 50 - 15 = 35, t = 15/50.
        let (y, k) = NBMiniPipeline.imageToImageStart(latent: Self.z, noise: Self.eps, strength: 0.3, steps: 50)
        #expect(k == 35)
        let t = 15.0 / 50
        #expect(abs(Double(y[3]) - (cos(.pi * t / 2) * Double(Self.z[3]) + sin(.pi * t / 2) * Double(Self.eps[3]))) <= 1e-6)
    }

    /// N * strength exactly halfway between two step counts rounds to even, as the recipe's Python
    /// `round` does, so both pipelines start at the same step.
    @Test func halfwayRoundsToEvenLikePython() {
        // 8 * 0.3125 = 2.5 -> 2 denoising steps; 8 * 0.4375 = 3.5 -> 4.
        #expect(NBMiniPipeline.imageToImageStart(latent: Self.z, noise: Self.eps, strength: 0.3125, steps: 8).firstStep == 6)
        #expect(NBMiniPipeline.imageToImageStart(latent: Self.z, noise: Self.eps, strength: 0.4375, steps: 8).firstStep == 4)
    }

    @Test func initImageCropsAndResizesLikeReferencePhotos() throws {
        // A 300 x 200 image: centre-cropped to 200 x 200, then resized to 128 exactly as a reference photo would be.
        let pixels = (0..<(300 * 200 * 3)).map { (i: Int) -> UInt8 in UInt8((i * 13 + i / 900) % 256) }
        let image = try InitImage(width: 300, height: 200, channels: 3, pixels: pixels, source: "pattern")
        let photo = try ReferencePhoto(width: 300, height: 200, channels: 3, pixels: pixels, source: "pattern", size: 128)
        #expect(image.tensor.shape == [3, 128, 128])
        #expect(image.tensor.floats() == photo.tensor.floats())
        // And equal to the recipe's prepare_photo(img, 128) (PIL): at pixels (y, x) = (0, 0), (5, 77), (64, 64),
        // (127, 127), and in the sum of all 49,152 values, which PIL makes 6,267,093.
        let v = image.tensor.floats(), n = 128 * 128
        #expect(v.reduce(0) { $0 + Int((($1 + 1) * 127.5).rounded()) } == 6_267_093)
        var probes: [Int] = []
        for (y, x) in [(0, 0), (5, 77), (64, 64), (127, 127)] { for c in 0..<3 {
            let value: Float = (v[c * n + y * 128 + x] + 1) * 127.5
            probes.append(Int(value.rounded()))
        } }
        #expect(probes == [143, 156, 169, 135, 148, 161, 123, 136, 149, 177, 190, 141])
        #expect(throws: (any Error).self) { try InitImage(width: 2, height: 2, channels: 3, pixels: [0], source: "short") }
    }
}

/// The VAE encoder inside the pipeline, on the committed weights (runs when they are present).
@Suite(.enabled(if: FileManager.default.fileExists(atPath: pipelineWeightsFolder + "/golden/vae.h5")))
struct ImageToImageGoldenTests {
    static let weights = pipelineWeightsFolder

    static func pipeline() throws -> NBMiniPipeline {
        try NBMiniPipeline(weightsDirectory: weights, textEncoderDirectory: weights + "/text-encoder", presets: [], backend: CPUBackend())
    }

    /// decode(encode(image)) as 8-bit pixels, with the all-zero glyph map (no quoted text).
    static func roundTrip(_ pipeline: NBMiniPipeline, _ image: InitImage) throws -> [UInt8] {
        let latent = try pipeline.encodeLatent(image)
        #expect(latent.shape == [1, 4, 32, 32])
        return try NBMiniPipeline.pixels(planarImage: try pipeline.decode(latent, glyphMap: try pipeline.glyphMap("")).floats(), size: 128)
    }

    /// The golden scene's image in 8 bits, interleaved (the golden holds it as x / 127.5 - 1, planar).
    static func goldenScene() throws -> [UInt8] {
        let planar = try HDF5File(readingFrom: weights + "/golden/vae.h5").tensor(at: "inputs/image").floats()
        let n = 128 * 128
        return (0..<(n * 3)).map { i in UInt8(((planar[(i % 3) * n + i / 3] + 1) * 127.5).rounded()) }
    }

    /// encodeLatent is the golden posterior mean, moved into denoiser space.
    @Test func encodeLatentIsTheGoldenMeanInDenoiserSpace() throws {
        let pipeline = try Self.pipeline()
        let golden = try HDF5File(readingFrom: Self.weights + "/golden/vae.h5")
        let latent = try pipeline.encodeLatent(try InitImage(width: 128, height: 128, channels: 3, pixels: try Self.goldenScene(), source: "golden"))
        let expected = pipeline.vaeConfig.denoiserLatent(mean: try golden.tensor(at: "outputs/mean").floats())
        let scale = expected.map { abs($0) }.max()!
        let err = zip(latent.floats(), expected).map { abs($0 - $1) }.max()! / scale
        #expect(err <= 1e-3, "relative error \(err)")
    }

    /// An image the decoder made (the golden v1 sample) survives encode then decode; and so, less well, does
    /// a rendered scene, which the VAE only approximates (the recipe's ~30 dB reconstruction PSNR).
    /// Measured: 34.5 dB and 27.7 dB; the bounds leave a margin for other backends' rounding.
    @Test func decodeOfEncodeRoundTrips() throws {
        let pipeline = try Self.pipeline()
        let sample = try HDF5File(readingFrom: Self.weights + "/golden/sample_v1.h5").tensor(at: "outputs/image").int64s().map { UInt8($0) }
        let decoded = try Self.roundTrip(pipeline, try InitImage(width: 128, height: 128, channels: 3, pixels: sample, source: "sample_v1"))
        let p = PipelineBenchmark.psnr(decoded, sample)
        print("round trip of the decoded v1 sample: PSNR \(p) dB")
        #expect(p > 32, "decoded sample round trip: PSNR \(p) dB")

        let scene = try Self.goldenScene()
        let q = PipelineBenchmark.psnr(try Self.roundTrip(pipeline, try InitImage(width: 128, height: 128, channels: 3, pixels: scene, source: "scene")), scene)
        print("round trip of the golden scene: PSNR \(q) dB")
        #expect(q > 25, "scene round trip: PSNR \(q) dB")
    }
}
