import CavendishCPU
import CavendishCore
import CavendishPipeline
import Foundation
import Testing

/// The pipeline options behind `generate`'s flags, each shown to have its effect (and only it) on the real
/// weights: previews, the negative prompt, the sampler choice. Two denoising steps keep them quick.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: pipelineWeightsFolder + "/manifest.json")))
struct GenerationOptionsTests {
    static let pipeline = Result {
        try NBMiniPipeline(weightsDirectory: pipelineWeightsFolder, textEncoderDirectory: pipelineWeightsFolder + "/text-encoder",
                           backend: CPUBackend())
    }

    func request(_ preset: NBMiniPipeline.Preset, steps: Int = 2) -> NBMiniPipeline.Request {
        var r = NBMiniPipeline.Request(prompt: "a dog in the snow holding a sign that says \"HI\"")
        r.preset = preset
        r.seed = 9
        r.steps = steps
        return r
    }

    /// One preview a step; with DDIM the last step lands on its own clean-latent estimate (alpha = 1,
    /// sigma = 0 at t = 0), so the last preview is the final latent, and previews change nothing.
    @Test func previewsComeEveryStepAndEndOnTheImage() throws {
        let pipeline = try Self.pipeline.get()
        var previews: [(Int, [Float])] = []
        let result = try pipeline.generate(request(.v2, steps: 3), preview: { step, latent in previews.append((step, try latent.floats())) })
        #expect(previews.map(\.0) == [1, 2, 3])
        #expect(previews.last?.1 == (try result.latent.floats()))
        #expect(try pipeline.generate(request(.v2, steps: 3)).pixels == result.pixels)
        let decoded = try pipeline.decodeImage(result.latent, prompt: request(.v2).prompt, preset: .v2)
        #expect(decoded == result.pixels)
    }

    @Test func negativePromptChangesV1AndIsRefusedByV2() throws {
        let pipeline = try Self.pipeline.get()
        var r = request(.v1)
        let plain = try pipeline.generate(r).pixels
        r.negativePrompt = ""
        #expect(try pipeline.generate(r).pixels == plain)
        r.negativePrompt = "a dog"
        #expect(try pipeline.generate(r).pixels != plain)
        var v2 = request(.v2)
        v2.negativePrompt = "a dog"
        #expect(throws: PipelineError.negativePromptWithoutUnconditionalBranch("v2")) { try pipeline.generate(v2) }
    }

    /// The default sampler is DDIM on the uniform grid (what the golden generations check); the others
    /// give other images from the same noise, and img2img at strength 1 is text-to-image.
    @Test func samplerChoiceReachesTheDenoisingLoop() throws {
        let pipeline = try Self.pipeline.get()
        var r = request(.v1, steps: 4)
        let ddim = try pipeline.generate(r).pixels
        r.sampler = .ddim
        r.spacing = .uniform
        #expect(try pipeline.generate(r).pixels == ddim)
        var seen = Set([ddim])
        for (kind, spacing) in [(SamplerKind.euler, TimeSpacing.uniform), (.dpmpp2m, .uniform), (.ddim, .karras)] {
            r.sampler = kind
            r.spacing = spacing
            #expect(seen.insert(try pipeline.generate(r).pixels).inserted, "\(kind) \(spacing) gave an image already seen")
        }
        var i2i = request(.v1, steps: 4)
        i2i.initImage = try InitImage(width: 128, height: 128, channels: 3, pixels: ddim, source: "ddim")
        i2i.strength = 1
        #expect(try pipeline.generate(i2i).pixels == ddim)
        i2i.strength = 0.5
        #expect(try pipeline.generate(i2i).pixels != ddim)
        i2i.sampler = .dpmpp2m
        i2i.spacing = .karras
        _ = try pipeline.generate(i2i)      // starts part-way down a Karras grid without tripping the sampler's order check
    }

    /// `bench generate` times the denoiser on its own inputs; they must be the graph's, layout included.
    @Test(arguments: ["v1", "v2"])
    func benchmarkInputsFitTheDenoiser(variant: String) throws {
        let preset = try #require(NBMiniPipeline.Preset(rawValue: variant))
        try PipelineBenchmark.denoiserStep(try Self.pipeline.get(), preset: preset)()
    }
}
