import ArgumentParser
import CavendishCPU
import CavendishCore
import CavendishIO
import CavendishLibrary
import CavendishPipeline
import Foundation

/// `cavendish generate`: a personalized image from a prompt, on the embedded NB-mini weights.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a 128x128 image with NB-mini (v2 by default), optionally with people from reference photos.",
        discussion: """
        People in the prompt are bound to reference photos with --reference NAME=IMG[,IMG...] (1 to 4 photos, up to 5 \
        people). NAME is a word the prompt uses ("alice") or a placeholder (p1 for <p1>). Text in double quotes is \
        rendered by v2's text module ("a sign that says \\"HELLO\\"").

          cavendish generate --prompt 'a claymation scene of bean the dog at the beach holding a sign that says "HELLO"' \\
              --reference bean=Weights/demo-library/Phone/IMG_3000.png --seed 7 --out bean.png

        Ablation baselines: --ref-scale 0 gives the references no weight (neither their attention nor v2's \
        appearance map) but keeps the binding: the name still becomes <p1> in the text, and v2's layout still \
        splits the image into the subjects' strips. Leaving out --reference removes all of that; use it for "no \
        personalization", and --ref-scale 0 for "the same prompt and layout, no identity". Compare v1 with v2 \
        at the same seed: --preset v1 is the no-glyph, 50-step baseline.

        The same seed, preset and machine give the same bytes. The PNG records its provenance in text chunks \
        (generator, model and weights SHA-256, preset, seed, steps, an AI-generated marker); the prompt only with \
        --record-prompt. An existing file is never replaced without --force.
        """
    )

    @Option(help: "What to draw.") var prompt: String
    @Option(help: "v1 (baseline: 50 DDIM steps, guidance by two evaluations a step) or v2 (8 steps, one evaluation a step, text rendering).")
    var preset: String = "v2"
    @Option(help: "Noise seed (default: a fresh one, printed so the image can be reproduced).") var seed: UInt64?
    @Option(help: "Denoising steps (default 50 for v1, 8 for v2).") var steps: Int?
    @Option(help: "Guidance scale (default 4 for v1, 3 for v2).") var guidance: Double?
    @Option(help: "NAME=IMG[,IMG...]: reference photos (PNG) of a person the prompt names. Repeatable, up to 5.")
    var reference: [String] = []
    @Option(help: "Strength of the reference photos (0 gives them no weight but keeps the binding; see the ablation note above).")
    var refScale: Double = 1
    @Option(help: "Output PNG (default: cavendish-<preset>-<seed>.png).") var out: String?
    @Flag(help: "Replace an existing output file.") var force = false
    @Flag(help: "Store the prompt in the PNG's text chunks.") var recordPrompt = false
    @Flag(help: "Print one JSON object with the output, seed, timings per stage.") var json = false
    @Option(help: "Weights folder (default: $CAVENDISH_WEIGHTS, ./Weights, or the one beside this checkout).") var weights: String?
    @Option(help: "A connected photo library: people the prompt names (me, my family, my dog, names, @name) get their references from it.")
    var library: String?

    func run() throws {
        guard let chosen = NBMiniPipeline.Preset(rawValue: preset) else { throw CommandError("--preset must be v1 or v2") }
        let text = prompt.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw CommandError("the prompt is empty; describe the image, e.g. --prompt 'a dog in the snow'") }
        if let steps, !(1...200).contains(steps) { throw CommandError("--steps must be between 1 and 200, got \(steps)") }
        if let guidance, !(0...30).contains(guidance) { throw CommandError("--guidance must be between 0 and 30, got \(guidance)") }
        guard (0...4).contains(refScale) else { throw CommandError("--ref-scale must be between 0 and 4") }
        if library != nil && !reference.isEmpty { throw CommandError("use either --library or --reference, not both") }
        var rewritten: String, people: [Int: [String]]
        do { (rewritten, people) = try PeopleBinding.bind(prompt: text, references: library == nil ? reference : []) }
        catch { throw CommandError("\(error)") }
        var libraryPhotos: [Int: [ReferencePhoto]] = [:]
        var resolvedJSON: [[String: Any]] = []
        if let library {
            let photoLibrary: PhotoLibrary
            do { photoLibrary = try PhotoLibrary(path: library, dataFolder: CavendishDataFolder.resolve()) }
            catch { throw CommandError("\(error)") }
            let resolved: ResolvedPrompt
            do { resolved = try photoLibrary.resolve(prompt: text, purpose: "generate") } catch { throw CommandError("\(error)") }
            rewritten = resolved.text
            for subject in resolved.subjects {
                guard let slot = Int(subject.placeholder.dropFirst(2).dropLast()) else { continue }
                guard !subject.references.isEmpty else {
                    throw CommandError("\(subject.person.name) has no usable reference photo in \(library); add labelled photos or pin one")
                }
                libraryPhotos[slot] = try subject.references.prefix(4).map { crop in
                    let image = try photoLibrary.image(of: crop, purpose: "generate")
                    return try ReferencePhoto(width: image.width, height: image.height, channels: 3, pixels: image.pixels, source: crop.photo)
                }
                people[slot] = subject.references.prefix(4).map(\.photo)
                resolvedJSON.append(["placeholder": subject.placeholder, "name": subject.person.name, "kind": subject.person.kind.rawValue,
                                     "mentions": subject.mentions, "photos": subject.references.prefix(4).map(\.photo)])
            }
        }
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let output = out ?? "cavendish-\(chosen.rawValue)-\(seed).png"
        guard output.hasSuffix(".png") || output.hasSuffix(".PNG") else { throw CommandError("--out must name a .png file") }
        if FileManager.default.fileExists(atPath: output) && !force {
            throw CommandError("\(output) exists; pass --force to replace it or choose another --out")
        }
        var request = NBMiniPipeline.Request(prompt: rewritten)
        request.preset = chosen
        request.seed = seed
        request.steps = steps
        request.guidance = guidance
        request.referenceScale = refScale
        for (slot, files) in people where libraryPhotos[slot] == nil {
            request.references[slot] = try files.map { path in
                do { return try ReferencePhoto(image: try PNGImage(contentsOf: path), source: path) }
                catch { throw CommandError("reference \(path): \(error) (reference photos must be readable PNG images)") }
            }
        }
        for (slot, photos) in libraryPhotos { request.references[slot] = photos }
        let folder = try Self.weightsFolder(weights)
        let started = Date()
        let pipeline: NBMiniPipeline
        do {
            pipeline = try NBMiniPipeline(weightsDirectory: folder, textEncoderDirectory: folder + "/text-encoder", presets: [chosen],
                                          backend: CPUBackend())
        } catch {
            throw CommandError("cannot load the NB-mini weights from \(folder): \(error)\n(run scripts/fetch-text-encoder.sh for the text encoder; restore Weights/ with git checkout if a file is corrupt)")
        }
        let loadSeconds = Date().timeIntervalSince(started)
        if !json { FileHandle.standardError.write("seed \(seed)\n".data(using: .utf8)!) }
        var bar = ProgressBar(total: request.steps ?? chosen.defaults.steps, label: "denoising")
        let result = try pipeline.generate(request) { done, _ in bar.update(done) }
        bar.finish()
        var chunks = [
            "Software": "cavendish \(CavendishVersion.string)",
            "Model": "NB-mini \(chosen.rawValue)",
            "Weights-SHA256": pipeline.weightDigests["nb-mini-\(chosen.rawValue).h5"] ?? "",
            "Preset": chosen.rawValue, "Seed": String(seed), "Steps": String(result.steps),
            "Guidance": String(result.guidance),
            "AI-Generated": "true; digital source type trainedAlgorithmicMedia (IPTC)",
        ]
        if recordPrompt { chunks["Prompt"] = prompt }
        let image = try PNGImage(width: result.width, height: result.height, channels: 3, pixels: result.pixels, text: chunks)
        try image.write(to: output, overwrite: force)
        let total = Date().timeIntervalSince(started)
        if json {
            var stages = result.stageSeconds
            stages["load"] = loadSeconds
            let object: [String: Any] = ["out": output, "seed": seed, "preset": chosen.rawValue, "steps": result.steps,
                                         "guidance": result.guidance, "seconds": total, "stages": stages,
                                         "references": people.mapValues { $0 }.reduce(into: [String: [String]]()) { $0["p\($1.key)"] = $1.value },
                                         "weights_sha256": pipeline.weightDigests, "resolved": resolvedJSON,
                                         "library_photos_read": resolvedJSON.flatMap { ($0["photos"] as? [String]) ?? [] },
                                         "layout": result.layout.map { ["placeholder": "p\($0.placeholder)", "box": $0.box] as [String: Any] }]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            let parts = result.stageSeconds.keys.sorted().map { String(format: "%@ %.2fs", $0, result.stageSeconds[$0]!) }
            print("wrote \(output) (seed \(seed), \(chosen.rawValue), \(result.steps) steps) in \(String(format: "%.2f", total)) s: load \(String(format: "%.2f", loadSeconds))s, \(parts.joined(separator: ", "))")
        }
    }

    /// The weights folder: the option or $CAVENDISH_WEIGHTS (which must hold a manifest), else ./Weights or
    /// the checkout the binary was built in.
    static func weightsFolder(_ option: String?) throws -> String {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let fallbacks = [FileManager.default.currentDirectoryPath + "/Weights",
                         exe.deletingLastPathComponent().appendingPathComponent("../../../Weights").standardizedFileURL.path]
        do {
            return try WeightsManifest.folder(explicit: option ?? ProcessInfo.processInfo.environment["CAVENDISH_WEIGHTS"],
                                              fallbacks: fallbacks)
        } catch let error as IOError {
            throw CommandError(error.description)
        }
    }
}
