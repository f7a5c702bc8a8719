import CavendishCore
import CavendishGraph
import CavendishModels

/// NB-mini's component shapes, as the configs in its weight files give them: everything one of its
/// graphs is built from. `graph(_:)` is the only place those graphs are described, so the pipeline
/// runs and `cavendish simulate model` costs the same ones.
public struct NBMiniArchitecture: Sendable {
    /// The side of the images NB-mini generates (and of the glyph map).
    public static let imageSize = 128
    /// Each loaded preset's denoiser.
    public var dit: [NBMiniPipeline.Preset: DiTConfig]
    /// The VAE (its decoder and, for img2img, its encoder).
    public var vae: VAEConfig
    /// The reference encoder.
    public var referenceEncoder: ReferenceEncoderConfig
    /// The text encoder (its config is not in the weight files: it is all-MiniLM-L6-v2 at the recipe's length).
    public var text: MiniLMTextEncoder.Config

    /// An architecture from configs already read.
    public init(dit: [NBMiniPipeline.Preset: DiTConfig], vae: VAEConfig, referenceEncoder: ReferenceEncoderConfig,
                text: MiniLMTextEncoder.Config = .init()) {
        self.dit = dit
        self.vae = vae
        self.referenceEncoder = referenceEncoder
        self.text = text
    }

    /// Reads the configs of the VAE, the reference encoder and `presets`' denoisers from the weight files
    /// in `weightsDirectory` (their attributes only; no tensor is read), so that shapes are the trained ones.
    public init(weightsDirectory: String, presets: [NBMiniPipeline.Preset] = NBMiniPipeline.Preset.allCases) throws {
        func file(_ name: String) throws -> NBMiniWeightFile {
            try NBMiniWeightFile(path: weightsDirectory + "/" + name, loadingTensors: false)
        }
        var dit: [NBMiniPipeline.Preset: DiTConfig] = [:]
        for preset in presets { dit[preset] = try file("nb-mini-\(preset.rawValue).h5").config(DiTConfig.self) }
        self.init(dit: dit, vae: try file("nb-mini-vae.h5").config(VAEConfig.self),
                  referenceEncoder: try file("nb-mini-refenc.h5").config(ReferenceEncoderConfig.self))
    }

    /// The graph of `part`, at batch 1 (the pipeline makes one image at a time), in float32 (what the CPU
    /// backend runs; the simulator takes the element size it costs separately).
    public func graph(_ part: RunPlan.Part) throws -> Graph {
        switch part {
        case .textEncoder:
            return try MiniLMTextEncoder.graph(config: text, batch: 1)
        case let .referenceEncoder(photos, slot):
            return try NBMiniReferenceEncoder(config: referenceEncoder).graph(photos: photos, slot: slot)
        case .vaeEncoder:
            return try NBMiniVAEEncoder(config: vae).graph(batch: 1, imageSize: InitImage.size)
        case let .denoiser(preset, referenceTokens, half):
            guard let config = dit[preset] else { throw PipelineError.presetNotLoaded(preset.rawValue) }
            let model = NBMiniDiT(config: config), L = text.maxTokens
            switch half {
            case .whole: return try model.graph(batch: 1, textTokens: L, referenceTokens: referenceTokens)
            case .conditioning: return try model.conditioningGraph(batch: 1, textTokens: L, referenceTokens: referenceTokens)
            case .step: return try model.stepGraph(batch: 1, textTokens: L, referenceTokens: referenceTokens)
            }
        case .vaeDecoder:
            return try NBMiniVAEDecoder(config: vae).graph(batch: 1, latentSize: Self.imageSize / vae.downsampling)
        }
    }
}

/// How NB-mini makes one image: the graphs `NBMiniPipeline.generate` runs, in the order they first run,
/// each with how many times it runs. `cavendish simulate model nb-mini-v1|nb-mini-v2` costs exactly
/// these graphs, so what it reports is what `generate` executes (RunPlanTests records the pipeline's
/// runs and compares them node for node).
public struct RunPlan: Sendable {
    /// Which half of the denoiser a graph is.
    public enum DenoiserHalf: String, Sendable, Hashable {
        /// Conditioning and step in one graph (generation without conditioning caching).
        case whole
        /// The per-image half: text and reference keys and values.
        case conditioning
        /// The per-step half.
        case step
    }

    /// One graph of the pipeline, identified by what it is built from.
    public enum Part: Sendable, Hashable {
        /// The text encoder, once per prompt.
        case textEncoder
        /// The reference encoder for one person's `photos` photos in placeholder slot `slot` (0-based).
        case referenceEncoder(photos: Int, slot: Int)
        /// The VAE encoder (img2img's starting image).
        case vaeEncoder
        /// A denoiser graph of `preset` with `referenceTokens` reference tokens (0: none).
        case denoiser(NBMiniPipeline.Preset, referenceTokens: Int, DenoiserHalf)
        /// The VAE decoder.
        case vaeDecoder
    }

    /// One graph and how often it runs per image.
    public struct Stage: Sendable {
        /// What it is (`text-encoder`, `dit-step`, `dit-step-unconditional`, `vae-decoder`).
        public var label: String
        /// What it is built from.
        public var part: Part
        /// The graph, built once however often it runs.
        public var graph: Graph
        /// Runs per image.
        public var runs: Int
    }

    /// The facts of a request that decide which graphs run and how often.
    public struct Shape: Sendable, Equatable {
        /// Steps of the time grid.
        public var steps: Int
        /// img2img: the grid step denoising starts at (0 for text-to-image).
        public var firstStep = 0
        /// img2img: whether a starting image is encoded.
        public var imageToImage = false
        /// Reference photos per person with any, by placeholder number (`<p1>` is 1).
        public var photos: [Int: Int] = [:]
        /// Whether the denoiser's conditioning half runs once per image (see `Request.cacheConditioning`).
        public var cacheConditioning = true

        /// `steps` steps for `people` people (placeholders 1...people) with `photosPerPerson` photos each,
        /// and with a `strength`, img2img from a starting image: what `simulate model` is asked for.
        public init(steps: Int, people: Int = 0, photosPerPerson: Int = 1, strength: Double? = nil) {
            self.steps = steps
            photos = people > 0 ? Dictionary(uniqueKeysWithValues: (1...people).map { ($0, photosPerPerson) }) : [:]
            if let strength {
                imageToImage = true
                firstStep = NBMiniPipeline.imageToImageFirstStep(steps: steps, strength: strength)
            }
        }

        /// The shape of `request`, as `generate` resolves it (default steps, img2img's first step, the
        /// people with photos).
        public init(_ request: NBMiniPipeline.Request) {
            self.init(steps: request.stepCount, strength: request.initImage == nil ? nil : request.strength)
            photos = request.references.filter { !$0.value.isEmpty }.mapValues(\.count)
            cacheConditioning = request.cacheConditioning
        }
    }

    /// The preset.
    public var preset: NBMiniPipeline.Preset
    /// The graphs, in the order they first run.
    public var stages: [Stage]

    /// The plan of `preset` for one image of `shape`.
    ///
    /// v1 runs the text encoder twice (the prompt, then the empty caption or negative prompt) and two
    /// denoiser branches per step, the unconditional one without references; v2 runs one branch.
    /// A graph both branches share (v1 without references) is one stage with both branches' runs.
    public init(preset: NBMiniPipeline.Preset, shape: Shape, architecture: NBMiniArchitecture) throws {
        self.preset = preset
        stages = []
        func add(_ label: String, _ part: Part, runs: Int) throws {
            guard runs > 0 else { return }
            if let i = stages.firstIndex(where: { $0.part == part }) { stages[i].runs += runs; return }
            stages.append(Stage(label: label, part: part, graph: try architecture.graph(part), runs: runs))
        }
        let guided = preset == .v1
        try add("text-encoder", .textEncoder, runs: guided ? 2 : 1)
        let people = shape.photos.keys.sorted()
        for p in people { try add("reference-encoder-p\(p)", .referenceEncoder(photos: shape.photos[p]!, slot: p - 1), runs: 1) }
        if shape.imageToImage { try add("vae-encoder", .vaeEncoder, runs: 1) }
        // The conditional branch sees every person's tokens; the unconditional one only the null reference.
        var branches = [(label: "", referenceTokens: people.count * architecture.referenceEncoder.tokens)]
        if guided { branches.append((label: "-unconditional", referenceTokens: 0)) }
        let denoising = shape.steps - shape.firstStep
        if shape.cacheConditioning {
            for b in branches { try add("dit-conditioning" + b.label, .denoiser(preset, referenceTokens: b.referenceTokens, .conditioning), runs: 1) }
            for b in branches { try add("dit-step" + b.label, .denoiser(preset, referenceTokens: b.referenceTokens, .step), runs: denoising) }
        } else {
            for b in branches { try add("dit" + b.label, .denoiser(preset, referenceTokens: b.referenceTokens, .whole), runs: denoising) }
        }
        try add("vae-decoder", .vaeDecoder, runs: 1)
    }

    /// The plan as the simulator's workload for `images` images made one after another (each stage runs
    /// `images` times as often), its graphs' float values declared as `dtype`, the precision they are
    /// costed at; `--trace` records one evaluation of the first per-step denoiser graph.
    public func workload(images: Int = 1, dtype: DType = .float32) -> PipelineWorkload {
        let traced = stages.firstIndex { if case .denoiser(_, _, let half) = $0.part { return half != .conditioning } else { return false } }
        return PipelineWorkload(name: "nb-mini-\(preset.rawValue)",
                                stages: stages.map { .init(label: $0.label, graph: $0.graph.storingFloats(as: dtype), runs: $0.runs * images) },
                                imagesPerBatch: images, tracedStage: traced ?? 0)
    }
}
