import CavendishCore
import CavendishGraph

/// A whole image-generation pipeline as graphs, with how many times each runs per batch.
public struct PipelineWorkload: Sendable {
    /// One graph and its run count.
    public struct Stage: Sendable {
        /// What it is (`unet`, `vae-decoder`).
        public var label: String
        /// The graph (built once per shape, however often it runs).
        public var graph: Graph
        /// Runs per batch of images.
        public var runs: Int
    }
    /// Model name.
    public var name: String
    /// Stages in order.
    public var stages: [Stage]
    /// Images per batch.
    public var imagesPerBatch: Int
}

/// The models `cavendish simulate model` knows.
public enum ModelCatalog {
    /// Names accepted by `pipeline`.
    public static let names = ["sdxl-unet", "sd15-unet", "nb-mini-v1", "nb-mini-v2"]

    /// Default output resolution of a model.
    public static func defaultResolution(_ name: String) -> Int {
        switch name {
        case "sd15-unet": return 512
        case "nb-mini-v1", "nb-mini-v2": return 128
        default: return 1024
        }
    }

    /// The pipeline of `name`: `steps` denoiser evaluations (each on a doubled batch with classifier-free
    /// guidance, as the published SDXL runs concatenate conditional and unconditional inputs), then one
    /// VAE decode.
    public static func pipeline(_ name: String, resolution: Int, steps: Int, guidance: Bool, batch: Int,
                                dtype: DType) throws -> PipelineWorkload {
        guard resolution % 64 == 0, resolution >= 64, resolution <= 4096 else {
            throw GraphError("resolution must be a multiple of 64 between 64 and 4096, got \(resolution)")
        }
        guard steps >= 1, steps <= 1000, batch >= 1, batch <= 64 else { throw GraphError("steps must be 1...1000 and batch 1...64") }
        if name.hasPrefix("nb-mini-") { return try nbMini(name, resolution: resolution, steps: steps, guidance: guidance, batch: batch, dtype: dtype) }
        let config: UNet2DCondition.Config
        switch name {
        case "sdxl-unet": config = .sdxlBase
        case "sd15-unet": config = .sd15
        default: throw GraphError("unknown model '\(name)'; known: \(names.joined(separator: ", "))")
        }
        let latent = resolution / 8
        let unet = try UNet2DCondition(config: config).graph(batch: batch * (guidance ? 2 : 1), latentSize: latent, dtype: dtype)
        let vae = try AutoencoderKLDecoder().graph(batch: batch, latentSize: latent, dtype: dtype)
        return PipelineWorkload(name: name, stages: [.init(label: "unet", graph: unet, runs: steps),
                                                     .init(label: "vae-decoder", graph: vae, runs: 1)], imagesPerBatch: batch)
    }

    /// NB-mini with the recipe's default shapes: v1 evaluates the DiT on a doubled batch when guided,
    /// v2 once per step with glyph and guidance inputs; one person's 8 reference tokens; one decode.
    static func nbMini(_ name: String, resolution: Int, steps: Int, guidance: Bool, batch: Int, dtype: DType) throws -> PipelineWorkload {
        guard resolution == 128 else { throw GraphError("NB-mini generates 128x128 images; --resolution must be 128") }
        let v2 = name == "nb-mini-v2"
        var config = DiTConfig()
        config.glyph = v2
        config.guidanceEmbed = v2
        config.layout = v2
        let evaluations = batch * (guidance && !v2 ? 2 : 1)
        let dit = try NBMiniDiT(config: config).graph(batch: evaluations, textTokens: 48, referenceTokens: 8, dtype: dtype)
        var vaeConfig = VAEConfig()
        vaeConfig.glyphConditioning = true   // the shipped decoder (shared by v1 and v2) takes the glyph map
        let vae = try NBMiniVAEDecoder(config: vaeConfig).graph(batch: batch, latentSize: 32, dtype: dtype)
        return PipelineWorkload(name: name, stages: [.init(label: "dit", graph: dit, runs: steps),
                                                     .init(label: "vae-decoder", graph: vae, runs: 1)], imagesPerBatch: batch)
    }
}
