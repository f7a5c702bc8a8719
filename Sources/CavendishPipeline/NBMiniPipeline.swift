import CavendishCore
import CavendishGraph
import CavendishIO
import CavendishModels
import Foundation

/// NB-mini image generation with every component loaded once and kept resident: many images can be
/// generated without reloading (the recipe's `pipeline.py`, in Swift on the runtime).
///
/// v1 (Nano Banana baseline): DDIM, 50 steps by default, classifier-free guidance with two denoiser
/// evaluations per step (the unconditional one with the empty caption and no references).
/// v2 (Nano Banana 2): 8 steps by default, one evaluation per step, the guidance scale as an input,
/// and the glyph map of the prompt's quoted text.
public final class NBMiniPipeline: @unchecked Sendable {
    /// Model variant.
    public enum Preset: String, Sendable, CaseIterable {
        case v1, v2
        /// Default steps, guidance and reference scale. v2's reference scale 2 was chosen on the recipe's
        /// validation prompts (identity about doubled, text within its interval); v1 keeps the 1 it was
        /// trained at.
        public var defaults: (steps: Int, guidance: Double, referenceScale: Double) {
            self == .v1 ? (50, 4.0, 1.0) : (8, 3.0, 2.0)
        }
    }

    /// What to generate.
    public struct Request: Sendable {
        public var prompt: String
        public var preset: Preset = .v2
        public var seed: UInt64 = 0
        public var steps: Int?
        public var guidance: Double?
        /// Reference photos by placeholder number (`<p1>` is 1).
        public var references: [Int: [ReferencePhoto]] = [:]
        /// Strength of the reference paths (cross-attention, and v2's appearance and canvas inputs); nil:
        /// the preset's default.
        public var referenceScale: Double?
        /// What v1's unconditional branch is given instead of the empty caption ("" is the recipe's
        /// unconditional text). v2 has no unconditional branch, so it must stay empty there.
        public var negativePrompt = ""
        /// img2img: the image to start from (nil for text-to-image) and how much of the schedule re-draws
        /// it (1 starts from pure noise, as text-to-image does; 0 returns the image through the VAE).
        public var initImage: InitImage?
        public var strength = 1.0
        /// The solver and the spacing of its time grid (DDIM on the uniform grid is what both presets were
        /// trained and distilled for).
        public var sampler = SamplerKind.ddim
        public var spacing = TimeSpacing.uniform
        /// Compute the text and reference keys and values once per image instead of at every step
        /// (a switch so that benchmarks can show what it buys; the result is the same).
        public var cacheConditioning = true
        /// A request for `prompt`.
        public init(prompt: String) { self.prompt = prompt }
        /// The steps of the time grid: `steps`, or the preset's default.
        var stepCount: Int { steps ?? preset.defaults.steps }
    }

    /// A generated image.
    public struct Result: Sendable {
        /// RGB pixels, row-major, 8 bits.
        public var pixels: [UInt8]
        public var width: Int, height: Int
        /// The final latent.
        public var latent: Tensor
        public var steps: Int, guidance: Double, seed: UInt64, preset: Preset
        /// The reference scale used.
        public var referenceScale: Double
        /// Seconds per stage: text, references, denoise, decode.
        public var stageSeconds: [String: Double]
        /// The layout the denoiser was given: each subject's placeholder number and image box
        /// `[x0, y0, x1, y1]` (its strip, or for a canvas model the box its photo was pasted into); empty
        /// for a model without layout input or an image without references.
        public var layout: [(placeholder: Int, box: [Int])] = []
    }

    /// SHA-256 of each weight file used, for provenance.
    public private(set) var weightDigests: [String: String] = [:]
    let backend: any KernelBackend
    let text: MiniLMTextEncoder
    let glyphs: GlyphRenderer
    /// The loaded components' shapes: every graph this pipeline runs is `architecture.graph(_:)` of a
    /// `RunPlan.Part`, the description `simulate model` costs too.
    public let architecture: NBMiniArchitecture
    var vaeConfig: VAEConfig { architecture.vae }
    var refConfig: ReferenceEncoderConfig { architecture.referenceEncoder }
    var ditConfigs: [Preset: DiTConfig] { architecture.dit }
    let decoder: GraphExecutor
    /// The VAE encoder, for img2img (ImageToImage.swift); built on first use.
    let encoder: LazyExecutor
    let refWeights: [String: Tensor]
    var ditWeights: [Preset: [String: Tensor]] = [:]
    /// Denoiser and reference-encoder executors, built on first use for each shape.
    private var executors: [RunPlan.Part: GraphExecutor] = [:]
    private let lock = NSLock()

    /// Whether graphs run from their memory plan (a switch for ablations).
    let memoryPlan: Bool
    /// How the denoiser, reference encoder and decoder hold their weights (a switch for ablations).
    let weightResidency: GraphExecutor.WeightResidency
    /// Bytes of model weights held resident (denoisers, reference encoder, decoder; not the text encoder).
    public var residentWeightBytes: Int {
        var seen = Set<ObjectIdentifier>()
        let held = ditWeights.values.flatMap(\.values) + Array(refWeights.values)
        return decoder.residentBytes + held.reduce(0) { sum, t in seen.insert(ObjectIdentifier(t.storage)).inserted ? sum + t.storage.byteCount : sum }
    }

    /// Loads the weights in `weightsDirectory` (checked against its manifest) and the text encoder in
    /// `textEncoderDirectory`. `memoryPlan: false` lets every kernel allocate its outputs, and
    /// `weightResidency: .stored` keeps the files' float16 weights as they are (both ablations; neither
    /// changes the images).
    public init(weightsDirectory: String, textEncoderDirectory: String, presets: [Preset] = Preset.allCases,
                backend: any KernelBackend, memoryPlan: Bool = true, weightResidency: GraphExecutor.WeightResidency = .widened) throws {
        self.backend = backend
        self.memoryPlan = memoryPlan
        self.weightResidency = weightResidency
        let resident = { (t: Tensor) in weightResidency == .stored ? t : t.converted(to: .float32) }
        let manifest = try WeightsManifest(directory: weightsDirectory)
        func load(_ name: String) throws -> NBMiniWeightFile {
            let file = try NBMiniWeightFile(path: try manifest.verified(name))
            return file
        }
        for name in ["nb-mini-vae.h5", "nb-mini-refenc.h5", "glyph_atlas.h5"] + presets.map({ "nb-mini-\($0.rawValue).h5" }) {
            weightDigests[name] = manifest.digests[name]
        }
        let vae = try load("nb-mini-vae.h5")
        let ref = try load("nb-mini-refenc.h5")
        var dit: [Preset: DiTConfig] = [:]
        for preset in presets {
            let file = try load("nb-mini-\(preset.rawValue).h5")
            dit[preset] = try file.config(DiTConfig.self)
            ditWeights[preset] = file.tensors.mapValues(resident)
        }
        architecture = NBMiniArchitecture(dit: dit, vae: try vae.config(VAEConfig.self), referenceEncoder: try ref.config(ReferenceEncoderConfig.self))
        decoder = try GraphExecutor(graph: try architecture.graph(.vaeDecoder), weights: vae.tensors, backend: backend,
                                    usesPlan: memoryPlan, residency: weightResidency)
        encoder = Self.lazyEncoder(architecture: architecture, weights: vae.tensors, backend: backend, memoryPlan: memoryPlan,
                                   residency: weightResidency)
        refWeights = ref.tensors.mapValues(resident)
        glyphs = try GlyphRenderer(atlasFile: try manifest.verified("glyph_atlas.h5"))
        try manifest.verifyTextEncoder(in: textEncoderDirectory)
        text = try MiniLMTextEncoder(directory: textEncoderDirectory, config: architecture.text, backend: backend)
    }

    /// The plan of `request`: the graphs `generate(request)` runs, in the order they first run, with how
    /// often each runs (what `simulate model` costs for the same shape).
    public func runPlan(_ request: Request) throws -> RunPlan {
        try RunPlan(preset: request.preset, shape: RunPlan.Shape(request), architecture: architecture)
    }

    /// The executor of a denoiser or reference-encoder `part`, built from `architecture.graph(part)` on
    /// first use and kept (the text encoder and the VAE have their own, built at load).
    func executor(_ part: RunPlan.Part) throws -> GraphExecutor {
        lock.lock(); defer { lock.unlock() }
        if let e = executors[part] { return e }
        let weights: [String: Tensor]
        switch part {
        case .denoiser(let preset, _, _):
            guard let w = ditWeights[preset] else { throw PipelineError.presetNotLoaded(preset.rawValue) }
            weights = w
        case .referenceEncoder: weights = refWeights
        case .textEncoder, .vaeEncoder, .vaeDecoder: throw GraphError("\(part) is not built on demand")
        }
        let e = try GraphExecutor(graph: try architecture.graph(part), weights: weights, backend: backend, usesPlan: memoryPlan,
                                  residency: weightResidency)
        executors[part] = e
        return e
    }

    /// A denoiser graph's executor.
    func denoiser(_ preset: Preset, referenceTokens: Int, part: RunPlan.DenoiserHalf = .whole) throws -> GraphExecutor {
        try executor(.denoiser(preset, referenceTokens: referenceTokens, part))
    }

    /// A function evaluating the denoiser at (x, t) for one text and reference set: with caching, the
    /// conditioning half runs now, once, and each call runs only the step half.
    func evaluator(_ preset: Preset, text: Tensor, textMask: Tensor, references: [Tensor], perStep: [Tensor],
                   cache: Bool) throws -> (Tensor, Tensor) throws -> Tensor {
        let referenceTokens = references.first?.shape[1] ?? 0
        if !cache {
            let whole = try denoiser(preset, referenceTokens: referenceTokens)
            return { x, t in try whole.run([x, t, text, textMask] + references + perStep)[0] }
        }
        let conditioning = try denoiser(preset, referenceTokens: referenceTokens, part: .conditioning).run([text, textMask] + references)
        let step = try denoiser(preset, referenceTokens: referenceTokens, part: .step)
        return { x, t in try step.run([x, t] + conditioning + perStep)[0] }
    }

    /// Tokens of the people with reference photos, in placeholder order: [1, n*K, dim] (nil when none).
    public func referenceTokens(_ references: [Int: [ReferencePhoto]]) throws -> Tensor? {
        var parts: [Tensor] = []
        for p in references.keys.sorted() {
            guard let photos = references[p], !photos.isEmpty else { continue }
            guard p >= 1, p <= refConfig.maxPeople else { throw PipelineError.placeholderOutOfRange(p, limit: refConfig.maxPeople) }
            guard photos.count <= refConfig.maxRefs else { throw PipelineError.tooManyPhotos(placeholder: p, count: photos.count, limit: refConfig.maxRefs) }
            let stacked = try Tensor.stack(photos.map(\.tensor)).reshaped([1, photos.count, 3, refConfig.imageSize, refConfig.imageSize])
            parts.append(try executor(.referenceEncoder(photos: photos.count, slot: p - 1)).run([stacked])[0])
        }
        guard !parts.isEmpty else { return nil }
        return try Tensor.concatenate(parts, axis: 1)
    }

    /// Generates one image. `progress(step, total)` is called after each denoising step; `preview`, when
    /// given, gets the model's estimate of the clean latent [1, 4, 32, 32] at each step (decode it with
    /// `decodeImage` to watch the image form).
    public func generate(_ request: Request, progress: (Int, Int) -> Void = { _, _ in },
                         preview: ((Int, Tensor) throws -> Void)? = nil) throws -> Result {
        let preset = request.preset
        if preset == .v2 && !request.negativePrompt.isEmpty {
            throw PipelineError.negativePromptWithoutUnconditionalBranch(preset.rawValue)
        }
        let steps = request.stepCount
        let guidance = request.guidance ?? preset.defaults.guidance
        var seconds: [String: Double] = [:]
        var t0 = Date()
        let (textStates, _, textMask) = try text.encode(request.prompt)
        let maskTensor = Tensor(shape: [1, textMask.count], dtype: .bool, values: textMask.map(UInt8.init))
        seconds["text"] = Date().timeIntervalSince(t0)

        t0 = Date()
        let refs = try referenceTokens(request.references)
        seconds["references"] = Date().timeIntervalSince(t0)

        t0 = Date()
        let referenceScale = request.referenceScale ?? preset.defaults.referenceScale
        let refScale = Tensor(scalar: Float(referenceScale))
        var refInputs: [Tensor] = []
        var layout: [(placeholder: Int, box: [Int])] = []
        if let refs {
            refInputs = [refs, Tensor(shape: [1, refs.shape[1]], dtype: .bool, values: [UInt8](repeating: 1, count: refs.shape[1]))]
            if let config = ditConfigs[preset], config.layout {
                // The planner's strips for the prompt's subjects; columns for the people with photos, in the
                // order referenceTokens concatenates them.
                let people = request.references.keys.sorted().filter { !(request.references[$0] ?? []).isEmpty }
                let subjects = max(Placeholder.numbers(in: request.prompt).max() ?? 0, people.max() ?? 0)
                refInputs.append(LayoutPlanner.layout(people: people, subjects: subjects, grid: config.grid))
                layout = (1...subjects).map { ($0, LayoutPlanner.box(subject: $0 - 1, subjects: subjects, size: 128, grid: config.grid)) }
                if config.canvas {
                    // Each person's first photo in the planner's box for that person, which is also the box reported.
                    layout = (1...subjects).map { ($0, ReferenceCanvas.plannerBox(subject: $0 - 1, subjects: subjects)) }
                    refInputs.append(try ReferenceCanvas.canvas(people.compactMap { p in
                        request.references[p]?.first.map { ($0.tensor, layout[p - 1].box) }
                    }))
                }
            }
        }
        var source = TorchRandomSource(seed: request.seed)
        let latentSize = NBMiniArchitecture.imageSize / vaeConfig.downsampling
        let shape = [1, vaeConfig.latentChannels, latentSize, latentSize]
        var x = source.normal(count: Shape.count(shape))
        var sampler = Sampler(kind: request.sampler, spacing: request.spacing, steps: steps)
        let grid = sampler.grid
        var firstStep = 0
        if let initImage = request.initImage {
            guard (0...1).contains(request.strength) else { throw PipelineError.strengthOutOfRange(request.strength) }
            (x, firstStep) = Self.imageToImageStart(latent: try encodeLatent(initImage).floats(), noise: x, strength: request.strength,
                                                    steps: steps, grid: grid)
        }
        // One glyph map for v2's denoiser and decoder; v1, the no-glyph baseline, gets the all-zero map,
        // which adds nothing in the decoder.
        let glyphMap = try glyphMap(preset == .v1 ? "" : GlyphRenderer.quotedText(request.prompt))
        var perStep = [refScale]
        if preset == .v2 { perStep += [glyphMap, Tensor(shape: [1], floats: [Float(guidance)])] }
        let conditional = try evaluator(preset, text: textStates, textMask: maskTensor, references: refInputs, perStep: perStep,
                                        cache: request.cacheConditioning)
        var unconditional: ((Tensor, Tensor) throws -> Tensor)?
        if preset == .v1 {
            // The unconditional branch: empty caption (or the negative prompt), only the null reference, at
            // the reference scale the recipe leaves at its default of 1.
            let (empty, _, emptyMask) = try text.encode(request.negativePrompt)
            unconditional = try evaluator(.v1, text: empty, textMask: Tensor(shape: [1, emptyMask.count], dtype: .bool, values: emptyMask.map(UInt8.init)),
                                          references: [], perStep: [Tensor(scalar: 1)], cache: request.cacheConditioning)
        }
        for i in firstStep..<steps {
            let xt = Tensor(shape: shape, floats: x), t = Tensor(shape: [1], floats: [Float(grid[i])])
            var v = try conditional(xt, t).floats()
            if let unconditional {
                let vu = try unconditional(xt, t).floats()
                let w = Float(guidance)
                v = zip(v, vu).map { c, u in u + w * (c - u) }
            }
            if let preview {
                let a = Float(cos(0.5 * .pi * grid[i])), s = Float(sin(0.5 * .pi * grid[i]))
                try preview(i + 1, Tensor(shape: shape, floats: zip(x, v).map { a * $0 - s * $1 }))
            }
            x = sampler.step(x: x, v: v, index: i)
            progress(i + 1, steps)
        }
        seconds["denoise"] = Date().timeIntervalSince(t0)

        t0 = Date()
        let latent = Tensor(shape: shape, floats: x)
        let image = try decode(latent, glyphMap: glyphMap).floats()
        let size = 128
        let pixels = try Self.pixels(planarImage: image, size: size)
        seconds["decode"] = Date().timeIntervalSince(t0)
        return Result(pixels: pixels, width: size, height: size, latent: latent, steps: steps, guidance: guidance,
                      seed: request.seed, preset: preset, referenceScale: referenceScale, stageSeconds: seconds, layout: layout)
    }

    /// RGB bytes (interleaved) of a decoded image, planar [3, size, size] in [-1, 1] (values outside are
    /// clamped). A non-finite value means broken weights or inputs: it is an error, not a silent pixel
    /// (and `UInt8(NaN)` would trap).
    public static func pixels(planarImage image: [Float], size: Int) throws -> [UInt8] {
        guard image.count == 3 * size * size else { throw PipelineError.imageSize(got: image.count, expected: 3 * size * size) }
        let bad = image.lazy.filter { !$0.isFinite }.count
        guard bad == 0 else {
            throw PipelineError.nonFiniteImage(count: bad)
        }
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for c in 0..<3 { for p in 0..<(size * size) {
            let v = (min(max(image[c * size * size + p], -1), 1) + 1) * 127.5
            pixels[p * 3 + c] = UInt8(v.rounded(.toNearestOrEven))
        } }
        return pixels
    }

    /// RGB bytes of a denoiser latent [1, 4, 32, 32] decoded with the glyph map of `prompt`'s quoted
    /// text (v1 decodes with none): what `generate` returns for its final latent.
    public func decodeImage(_ latent: Tensor, prompt: String, preset: Preset) throws -> [UInt8] {
        let map = try glyphMap(preset == .v1 ? "" : GlyphRenderer.quotedText(prompt))
        return try Self.pixels(planarImage: try decode(latent, glyphMap: map).floats(), size: 128)
    }

    /// The text-rendering module (its atlas also labels contact sheets).
    public var glyphRenderer: GlyphRenderer { glyphs }

    /// The glyph map [1, 1, 128, 128] of `text` ("" gives the all-zero map).
    func glyphMap(_ text: String) throws -> Tensor { try glyphs.glyphMap(text).reshaped([1, 1, 128, 128]) }

    /// The VAE decode of one denoiser latent [1, 4, 32, 32] to an image [1, 3, 128, 128] in [-1, 1]; a
    /// glyph-conditioned decoder also gets `glyphMap`.
    func decode(_ latent: Tensor, glyphMap: Tensor) throws -> Tensor {
        try decoder.run(decoderInputs(latent, glyphMap: glyphMap))[0]
    }

    /// The decoder graph's inputs: the latent, and the glyph map when the decoder is glyph-conditioned.
    func decoderInputs(_ latent: Tensor, glyphMap: Tensor) -> [Tensor] {
        vaeConfig.glyphConditioning ? [latent, glyphMap] : [latent]
    }
}
