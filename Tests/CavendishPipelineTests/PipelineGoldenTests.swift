import CavendishCPU
import CavendishCore
import CavendishGraph
import CavendishIO
import CavendishModels
import CavendishPipeline
import Foundation
import Testing

/// The repository's Weights folder.
let pipelineWeightsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Weights").path

/// Whole seeded generations against the recipe's PyTorch pipeline (Weights/golden/sample_v1.h5 and
/// sample_v2.h5, written by the recipe's golden script from the same weights, noise seed and prompt):
/// PSNR >= 35 dB. Runs when the exported weights and golden tensors are present (issue 4).
@Suite(.enabled(if: FileManager.default.fileExists(atPath: pipelineWeightsFolder + "/golden/sample_v2.h5")))
struct PipelineGoldenTests {
    static let weights = pipelineWeightsFolder

    @Test(arguments: ["v1", "v2"])
    func seededGenerationMatchesPyTorch(variant: String) throws {
        let golden = try HDF5File(readingFrom: Self.weights + "/golden/sample_\(variant).h5")
        let call = try JSONSerialization.jsonObject(with: Data((try golden.attribute("call")?.stringValue ?? "{}").utf8)) as! [String: Any]
        let preset = try #require(NBMiniPipeline.Preset(rawValue: variant))
        let pipeline = try NBMiniPipeline(weightsDirectory: Self.weights, textEncoderDirectory: Self.weights + "/text-encoder",
                                          presets: [preset], backend: CPUBackend())
        var request = NBMiniPipeline.Request(prompt: try #require(try golden.strings(at: "inputs/prompt").first))
        request.preset = preset
        request.seed = UInt64(try golden.tensor(at: "inputs/seed").int64s()[0])
        request.steps = call["steps"] as? Int
        request.guidance = call["guidance"] as? Double
        request.referenceScale = call["ref_scale"] as? Double ?? 1
        for p in 1...5 {
            guard let photos = try? golden.tensor(at: "inputs/reference_photos_p\(p)") else { continue }   // [n, 64, 64, 3] uint8
            let n = photos.shape[0], bytes = photos.int64s().map { UInt8($0) }
            request.references[p] = try (0..<n).map { i in
                try ReferencePhoto(width: 64, height: 64, channels: 3, pixels: Array(bytes[(i * 64 * 64 * 3)..<((i + 1) * 64 * 64 * 3)]),
                                   source: "golden p\(p) \(i)")
            }
        }
        #expect(!request.references.isEmpty)
        // The noise must be PyTorch's for the seed.
        var source = TorchRandomSource(seed: request.seed)
        let noise = try golden.tensor(at: "inputs/noise").floats()
        #expect(zip(source.normal(count: noise.count), noise).allSatisfy { abs($0 - $1) <= 1e-5 })
        let result = try pipeline.generate(request)
        let expected = try golden.tensor(at: "outputs/image").int64s().map { UInt8($0) }
        let p = PipelineBenchmark.psnr(result.pixels, expected)
        #expect(p >= 35, "\(variant): PSNR \(p) dB")
    }

    /// Caching the per-image conditioning is an optimization only: the latents must not change.
    @Test(arguments: ["v1", "v2"])
    func cachedConditioningChangesNothing(variant: String) throws {
        let preset = try #require(NBMiniPipeline.Preset(rawValue: variant))
        let pipeline = try NBMiniPipeline(weightsDirectory: Self.weights, textEncoderDirectory: Self.weights + "/text-encoder",
                                          presets: [preset], backend: CPUBackend())
        var request = NBMiniPipeline.Request(prompt: "<p1> and <p2> with a sign that says \"HI\" in the park")
        request.preset = preset
        request.steps = 2
        request.seed = 5
        // Two people, so that v2's layout (per-token reference masks and the appearance map) goes through
        // the split graphs too.
        for p in 1...2 {
            request.references[p] = try (0..<2).map { i in
                try ReferencePhoto(width: 64, height: 64, channels: 3, pixels: (0..<(64 * 64 * 3)).map { UInt8(($0 * (7 + p) + i * 31) % 256) },
                                   source: "pattern \(p) \(i)")
            }
        }
        request.cacheConditioning = false
        let whole = try pipeline.generate(request).latent.floats()
        request.cacheConditioning = true
        let split = try pipeline.generate(request).latent.floats()
        let worst = zip(whole, split).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5, "\(variant): max difference \(worst)")
    }

    /// Keeping the files' float16 weights 16-bit halves the resident weight bytes and gives the same
    /// image bytes (widening float16 to float32 is exact).
    @Test func sixteenBitResidentWeightsChangeNothing() throws {
        let load = { (residency: GraphExecutor.WeightResidency) in
            try NBMiniPipeline(weightsDirectory: Self.weights, textEncoderDirectory: Self.weights + "/text-encoder",
                               presets: [.v2], backend: CPUBackend(), weightResidency: residency)
        }
        let widened = try load(.widened), stored = try load(.stored)
        var request = NBMiniPipeline.Request(prompt: "a sign that says \"HI\" in the park")
        request.steps = 2
        request.seed = 7
        #expect(try stored.generate(request).pixels == (try widened.generate(request).pixels))
        #expect(stored.residentWeightBytes < widened.residentWeightBytes * 6 / 10,
                "\(stored.residentWeightBytes) vs \(widened.residentWeightBytes) bytes")
    }
}
