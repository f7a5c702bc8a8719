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
        /// A stage.
        public init(label: String, graph: Graph, runs: Int) {
            self.label = label
            self.graph = graph
            self.runs = runs
        }
    }
    /// Model name.
    public var name: String
    /// Stages in order.
    public var stages: [Stage]
    /// Images per batch.
    public var imagesPerBatch: Int
    /// The stage `simulate model --trace` records one run of: a denoiser evaluation.
    public var tracedStage: Int

    /// A workload.
    public init(name: String, stages: [Stage], imagesPerBatch: Int, tracedStage: Int = 0) {
        self.name = name
        self.stages = stages
        self.imagesPerBatch = imagesPerBatch
        self.tracedStage = tracedStage
    }
}

/// The published models `cavendish simulate model` knows, described by shape alone. NB-mini is not here:
/// its workload is the run plan of its pipeline (CavendishPipeline's `RunPlan`), built from the configs
/// in its weight files, so that what is costed is what `generate` runs.
public enum ModelCatalog {
    /// Names accepted by `pipeline`.
    public static let names = ["sdxl-unet", "sd15-unet"]

    /// Default output resolution of a model.
    public static func defaultResolution(_ name: String) -> Int {
        name == "sd15-unet" ? 512 : 1024
    }

    /// The pipeline of `name`: the text encoders once per image (on the prompt and, with guidance, the
    /// negative prompt), `steps` denoiser evaluations (each on a doubled batch with classifier-free
    /// guidance, as the published SDXL runs concatenate conditional and unconditional inputs), the
    /// scheduler's update after each, then one VAE decode.
    public static func pipeline(_ name: String, resolution: Int, steps: Int, guidance: Bool, batch: Int,
                                dtype: DType) throws -> PipelineWorkload {
        guard resolution % 64 == 0, resolution >= 64, resolution <= 4096 else {
            throw GraphError("resolution must be a multiple of 64 between 64 and 4096, got \(resolution)")
        }
        guard steps >= 1, steps <= 1000, batch >= 1, batch <= 64 else { throw GraphError("steps must be 1...1000 and batch 1...64") }
        let config: UNet2DCondition.Config
        switch name {
        case "sdxl-unet": config = .sdxlBase
        case "sd15-unet": config = .sd15
        default: throw GraphError("unknown model '\(name)'; known: \(names.joined(separator: ", "))")
        }
        let latent = resolution / 8
        let unet = try UNet2DCondition(config: config).graph(batch: batch * (guidance ? 2 : 1), latentSize: latent, dtype: dtype)
        let vae = try AutoencoderKLDecoder().graph(batch: batch, latentSize: latent, dtype: dtype)
        let prompts = batch * (guidance ? 2 : 1)
        let encoders: [(String, CLIPTextEncoder.Config)] = name == "sdxl-unet"
            ? [("text-encoder-l", .vitL14), ("text-encoder-bigg", .vitBigG14)] : [("text-encoder-l", .vitL14)]
        var stages = try encoders.map { PipelineWorkload.Stage(label: $0.0, graph: try CLIPTextEncoder(config: $0.1).graph(batch: prompts, dtype: dtype), runs: 1) }
        stages += [.init(label: "unet", graph: unet, runs: steps),
                   .init(label: "scheduler", graph: try schedulerStep(batch: batch, latentSize: latent, guidance: guidance, dtype: dtype), runs: steps),
                   .init(label: "vae-decoder", graph: vae, runs: 1)]
        return PipelineWorkload(name: name, stages: stages, imagesPerBatch: batch, tracedStage: encoders.count)
    }

    /// One Euler step of the sampler on the latents: the guidance combination `u + w (c - u)` of the two
    /// halves of the UNet's output, then `x + (sigma_next - sigma) * eps`.
    static func schedulerStep(batch: Int, latentSize: Int, guidance: Bool, dtype: DType) throws -> Graph {
        var b = GraphBuilder(dtype: dtype)
        let shape = [batch, 4, latentSize, latentSize]
        let x = b.input("sample", shape)
        var eps = b.input("noise_pred", shape)
        if guidance {
            let uncond = b.input("noise_pred_uncond", shape)
            let w = b.input("guidance_scale", [1])
            eps = try b.apply("Add", [uncond, try b.apply("Mul", [w, try b.apply("Sub", [eps, uncond])])])
        }
        b.output(try b.apply("Add", [x, try b.apply("Mul", [b.input("dt", [1]), eps])]))
        return b.graph
    }
}
