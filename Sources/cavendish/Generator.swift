import CavendishCPU
import CavendishCore
import CavendishGraph
import CavendishIO
import CavendishLibrary
import CavendishPipeline
import Foundation

/// The settings every image of a run shares (the command line's, or one `serve` request's).
struct GenerationSettings: Sendable {
    /// `v1` or `v2`.
    var preset = "v2"
    /// nil: the preset's default.
    var steps: Int?, guidance: Double?
    /// Weight of the references (0 keeps the binding and the layout, drops their effect); nil: the preset's.
    var refScale: Double?
    /// v1's unconditional text.
    var negativePrompt = ""
    /// Reference photos: NAME (a word of the prompt, or p1..p5) and 1-4 JPEG, PNG or HEIC files, in the
    /// order given (named people take the free placeholders in that order, and the layout places <p1> leftmost).
    var references: [(name: String, files: [String])] = []

    /// References from a JSON object, which has no order: names in alphabetical order (p1..p5 place people
    /// exactly).
    static func references(_ object: [String: [String]]) -> [(name: String, files: [String])] {
        object.keys.sorted().map { ($0, object[$0]!) }
    }
    /// A connected photo library to take the prompt's people from (instead of `references`).
    var library: String?
    /// img2img: the image to start from (JPEG, PNG or HEIC) and the share of the schedule that re-draws it.
    var initImage: String?
    var strength: Double?
    /// The solver and its time spacing (`ddim`, `euler`, `dpmpp-2m`; `uniform`, `karras`).
    var sampler = "ddim", schedule = "uniform"
    /// Compute the text and reference keys and values once per image (the default) or at every step.
    var cacheConditioning = true

    /// The sampler and spacing, checked.
    func checkedSampler() throws -> (SamplerKind, TimeSpacing) {
        guard let kind = SamplerKind(rawValue: sampler) else {
            throw CommandError("--sampler must be one of \(SamplerKind.allCases.map(\.rawValue).joined(separator: ", ")), got \(sampler)")
        }
        guard let spacing = TimeSpacing(rawValue: schedule) else {
            throw CommandError("--schedule must be one of \(TimeSpacing.allCases.map(\.rawValue).joined(separator: ", ")), got \(schedule)")
        }
        return (kind, spacing)
    }

    /// The preset, checked.
    func checkedPreset() throws -> NBMiniPipeline.Preset {
        guard let p = NBMiniPipeline.Preset(rawValue: preset) else { throw CommandError("preset must be v1 or v2, got \(preset)") }
        return p
    }

    /// Every range check of the settings, with the message that says what to change.
    func validate() throws {
        let preset = try checkedPreset()
        _ = try checkedSampler()
        if let steps, !(1...200).contains(steps) { throw CommandError("--steps must be between 1 and 200, got \(steps)") }
        if let guidance, !(0...30).contains(guidance) { throw CommandError("--guidance must be between 0 and 30, got \(guidance)") }
        if let refScale, !(0...4).contains(refScale) { throw CommandError("--ref-scale must be between 0 and 4, got \(refScale)") }
        if library != nil && !references.isEmpty { throw CommandError("use either --library or --reference, not both") }
        if let strength {
            guard initImage != nil else { throw CommandError("--strength needs --init-image (it says how much of that image to re-draw)") }
            guard (0...1).contains(strength) else { throw CommandError("--strength must be between 0 and 1, got \(strength)") }
        }
        if preset == .v2 && !negativePrompt.isEmpty {
            throw CommandError("--negative-prompt needs an unconditional branch, which only v1 has; add --preset v1")
        }
    }
}

/// NB-mini with its weights loaded once, making image after image: what `generate` and `serve` share.
final class Generator {
    /// The resident pipeline.
    let pipeline: NBMiniPipeline
    /// Seconds the weights took to load (reported with the first image only).
    private(set) var pendingLoadSeconds: Double
    private var libraries: [String: PhotoLibrary] = [:]
    /// Credentials that sign a C2PA manifest into every PNG written (nil: none is written).
    var signer: C2PASigner?
    /// `float32`, or `bfloat16` under `--bf16` (recorded with every image).
    let matmulPrecision: String

    /// Loads the weights for `presets` from the folder `weights` names (or the default one). The runtime
    /// switches (`fusedAttention`, `memoryPlan`, `residency`) change how the kernels run, not the images;
    /// `bfloat16MatMul` multiplies in bfloat16 (float32 accumulation), which changes the images slightly.
    init(weights: String?, presets: [NBMiniPipeline.Preset], fusedAttention: Bool = true, memoryPlan: Bool = true,
         residency: GraphExecutor.WeightResidency = .widened, bfloat16MatMul: Bool = false) throws {
        let folder = try Self.weightsFolder(weights)
        let started = Date()
        var options = CPUBackend.Options()
        options.fusedAttention = fusedAttention
        options.bfloat16MatMul = bfloat16MatMul
        matmulPrecision = bfloat16MatMul ? "bfloat16" : "float32"
        do {
            pipeline = try NBMiniPipeline(weightsDirectory: folder, textEncoderDirectory: folder + "/text-encoder", presets: presets,
                                          backend: CPUBackend(options: options), memoryPlan: memoryPlan, weightResidency: residency)
        } catch {
            throw CommandError("cannot load the NB-mini weights from \(folder): \(error)\n(run scripts/fetch-text-encoder.sh for the text encoder; restore Weights/ with git checkout if a file is corrupt)")
        }
        pendingLoadSeconds = Date().timeIntervalSince(started)
    }

    /// A prompt with its people bound to placeholders and their photos loaded.
    struct BoundPrompt {
        var text: String
        var photos: [Int: [ReferencePhoto]] = [:]
        var records: [ReferenceRecord] = []
        var libraryPhotosRead: [String] = []
    }

    /// Binds the people `prompt` names to the settings' references or library, and loads their photos.
    func bind(_ prompt: String, _ settings: GenerationSettings) throws -> BoundPrompt {
        let text = prompt.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw CommandError("the prompt is empty; describe the image, e.g. --prompt 'a dog in the snow'") }
        if let path = settings.library { return try bindLibrary(text, path) }
        let binding: PeopleBinding.Binding
        do { binding = try PeopleBinding.bind(prompt: text, named: settings.references) } catch { throw CommandError("\(error)") }
        var bound = BoundPrompt(text: binding.prompt)
        for slot in binding.people.keys.sorted() {
            let files = binding.people[slot]!
            var hashes: [String] = []
            bound.photos[slot] = try files.map { path in
                let (photo, digest) = try Self.referencePhoto(path)
                hashes.append(digest)
                return photo
            }
            bound.records.append(ReferenceRecord(placeholder: "p\(slot)", name: binding.names[slot] ?? "", kind: nil,
                                                 photos: files, sha256: hashes))
        }
        return bound
    }

    private func bindLibrary(_ text: String, _ path: String) throws -> BoundPrompt {
        do {
            let library = try libraries[path] ?? PhotoLibrary(path: path, dataFolder: CavendishDataFolder.resolve())
            libraries[path] = library
            let resolved = try library.resolve(prompt: text, purpose: "generate")
            var bound = BoundPrompt(text: resolved.text)
            for subject in resolved.subjects {
                guard let slot = Placeholder.number(subject.placeholder) else { continue }
                guard !subject.references.isEmpty else {
                    throw CommandError("\(subject.person.name) has no usable reference photo in \(path); add labelled photos or pin one")
                }
                let crops = Array(subject.references.prefix(4))
                var hashes: [String] = []
                bound.photos[slot] = try crops.map { crop in
                    let image = try library.image(of: crop, purpose: "generate")
                    hashes.append(SHA256.hex(Data(image.pixels)))
                    return try ReferencePhoto(width: image.width, height: image.height, channels: 3, pixels: image.pixels, source: crop.photo)
                }
                bound.records.append(ReferenceRecord(placeholder: subject.placeholder.trimmingCharacters(in: CharacterSet(charactersIn: "<>")),
                                                     name: subject.person.name, kind: subject.person.kind.rawValue,
                                                     photos: crops.map(\.photo), sha256: hashes))
                bound.libraryPhotosRead += crops.map(\.photo)
            }
            return bound
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)")
        }
    }

    /// A reference photo from a JPEG, PNG or HEIC file (EXIF orientation applied), and the file's SHA-256.
    static func referencePhoto(_ path: String) throws -> (ReferencePhoto, String) {
        let (image, digest) = try photo(path, role: "reference")
        return (try ReferencePhoto(width: image.width, height: image.height, channels: 3, pixels: image.pixels, source: path), digest)
    }

    /// The pixels of a JPEG, PNG or HEIC file as displayed (EXIF orientation applied), and the file's SHA-256;
    /// `role` names the option in messages.
    static func photo(_ path: String, role: String) throws -> (RGBImage, String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CommandError("\(role) \(path): no such file")
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular else {
            throw CommandError("\(role) \(path): not a regular file (photos must be JPEG, PNG or HEIC files)")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw CommandError("\(role) \(path): \(error.localizedDescription)") }
        switch PhotoDecoder.decode(data) {
        case .success(let image): return (image, SHA256.hex(data))
        case .failure(let failure): throw CommandError("\(role) \(path): \(failure) (photos must be readable JPEG, PNG or HEIC images)")
        }
    }

    /// One image: the pipeline's result and its record. `out` is the PNG the caller will write ("" for none).
    func generate(_ bound: BoundPrompt, prompt: String, seed: UInt64, settings: GenerationSettings, index: Int, promptIndex: Int, out: String,
                  progress: (Int, Int) -> Void = { _, _ in }, preview: ((Int, Tensor) throws -> Void)? = nil)
        throws -> (result: NBMiniPipeline.Result, record: GenerationRecord) {
        let preset = try settings.checkedPreset()
        var request = NBMiniPipeline.Request(prompt: bound.text)
        request.preset = preset
        request.seed = seed
        request.steps = settings.steps
        request.guidance = settings.guidance
        request.referenceScale = settings.refScale
        request.negativePrompt = settings.negativePrompt
        (request.sampler, request.spacing) = try settings.checkedSampler()
        request.references = bound.photos
        request.cacheConditioning = settings.cacheConditioning
        var initDigest: String?
        if let path = settings.initImage {
            let (image, digest) = try Self.photo(path, role: "--init-image")
            request.initImage = try InitImage(width: image.width, height: image.height, channels: 3, pixels: image.pixels, source: path)
            request.strength = settings.strength ?? Self.defaultStrength
            initDigest = digest
        }
        let started = Date()
        var result: NBMiniPipeline.Result
        do { result = try pipeline.generate(request, progress: progress, preview: preview) } catch { throw CommandError("\(error)") }
        // Every image carries its provenance in the pixels too; the id is the first 16 bits of the
        // unmarked pixels' SHA-256, so the same seed and settings give the same id.
        let watermark = InvisibleWatermark.Payload(generator: 1, modelVersion: preset == .v1 ? 1 : 2,
                                                   imageId: Int(SHA256.digest(Data(result.pixels)).prefix(2).reduce(0) { $0 << 8 | Int($1) }))
        result.pixels = InvisibleWatermark.embed(result.pixels, width: result.width, height: result.height, payload: watermark)
        let load = pendingLoadSeconds
        pendingLoadSeconds = 0
        let s = result.stageSeconds, digest = { self.pipeline.weightDigests[$0] ?? "" }
        let record = GenerationRecord(
            out: out, index: index, promptIndex: promptIndex, prompt: prompt, promptResolved: bound.text, negativePrompt: settings.negativePrompt,
            preset: preset.rawValue, modelSha256: digest("nb-mini-\(preset.rawValue).h5"), vaeSha256: digest("nb-mini-vae.h5"),
            refencSha256: digest("nb-mini-refenc.h5"), seed: seed, steps: result.steps, guidance: result.guidance,
            refScale: result.referenceScale, sampler: request.sampler.rawValue, schedule: request.spacing.rawValue,
            matmulPrecision: matmulPrecision, initImage: settings.initImage, initImageSha256: initDigest,
            strength: settings.initImage == nil ? nil : request.strength,
            width: result.width, height: result.height, pixelsSha256: SHA256.hex(Data(result.pixels)), seconds: Date().timeIntervalSince(started) + load, secondsLoad: load,
            secondsText: s["text"] ?? 0, secondsReferences: s["references"] ?? 0, secondsDenoise: s["denoise"] ?? 0,
            secondsDecode: s["decode"] ?? 0, references: bound.records,
            layout: result.layout.map { LayoutBox(placeholder: "p\($0.placeholder)", x0: $0.box[0], y0: $0.box[1], x1: $0.box[2], y1: $0.box[3]) },
            libraryPhotosRead: bound.libraryPhotosRead, watermark: watermark)
        return (result, record)
    }

    /// img2img's strength when none is given (diffusers' img2img default is 0.8; 0.75 keeps a little more
    /// of the layout of a 128-pixel image).
    static let defaultStrength = 0.75

    /// Writes an image as PNG with its provenance chunks and, with a `signer`, a signed C2PA manifest,
    /// whose label goes into the record.
    func write(_ result: NBMiniPipeline.Result, record: inout GenerationRecord, to path: String, overwrite: Bool, recordPrompt: Bool) throws {
        var png = try PNGImage(width: result.width, height: result.height, channels: 3, pixels: result.pixels,
                               text: Self.provenance(record, recordPrompt: recordPrompt)).pngData()
        if let signer {
            let manifest = C2PAManifest(generatorName: "cavendish", generatorVersion: CavendishVersion.string, model: [
                ("model", "NB-mini \(record.preset)"), ("denoiser_sha256", record.modelSha256),
                ("vae_sha256", record.vaeSha256), ("reference_encoder_sha256", record.refencSha256),
            ])
            do { (png, record.c2paManifest) = try manifest.embed(into: png, signer: signer) } catch { throw CommandError("\(path): cannot sign: \(error)") }
        }
        try AtomicFile.write(png, to: path, overwrite: overwrite)
    }

    /// The PNG text chunks of an image: its provenance (the prompts only when `recordPrompt`).
    static func provenance(_ record: GenerationRecord, recordPrompt: Bool) -> [String: String] {
        var chunks = [
            "Software": "cavendish \(CavendishVersion.string)",
            "Model": "NB-mini \(record.preset)",
            "Weights-SHA256": record.modelSha256,
            "Preset": record.preset, "Seed": String(record.seed), "Steps": String(record.steps),
            "Guidance": String(record.guidance), "Ref-Scale": String(record.refScale),
            "Sampler": record.sampler, "Schedule": record.schedule,
            "AI-Generated": "true; digital source type trainedAlgorithmicMedia (IPTC)",
            "Watermark": "invisible spread spectrum: generator \(record.watermark.generator), model version \(record.watermark.modelVersion), "
                + "image id \(String(format: "%04x", record.watermark.imageId)) (cavendish provenance check)",
        ]
        if !record.references.isEmpty {
            chunks["References-SHA256"] = record.references.map { "\($0.placeholder)=\($0.sha256.joined(separator: ","))" }.joined(separator: ";")
        }
        if let strength = record.strength, let digest = record.initImageSha256 {
            chunks["Strength"] = String(strength)
            chunks["Init-Image-SHA256"] = digest
        }
        if recordPrompt {
            chunks["Prompt"] = record.prompt
            if !record.negativePrompt.isEmpty { chunks["Negative-Prompt"] = record.negativePrompt }
        }
        return chunks
    }

    /// The weights folder: the option or $CAVENDISH_WEIGHTS (which must hold a manifest), else ./Weights or
    /// the checkout the binary was built in.
    static func weightsFolder(_ option: String?) throws -> String {
        let exe = ChildProcess.executable
        let fallbacks = [FileManager.default.currentDirectoryPath + "/Weights",
                         exe.deletingLastPathComponent().appendingPathComponent("../../../Weights").standardizedFileURL.path]
        let folder: String
        do {
            folder = try WeightsManifest.folder(explicit: option ?? ProcessInfo.processInfo.environment["CAVENDISH_WEIGHTS"],
                                                fallbacks: fallbacks)
        } catch let error as IOError {
            throw CommandError(error.description)
        }
        try WeightsProbe.check(folder: folder)
        return folder
    }
}
