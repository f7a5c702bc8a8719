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
        People in the prompt are bound to reference photos with --reference NAME=IMG[,IMG...] (1 to 4 JPEG, PNG or \
        HEIC photos, up to 5 people). NAME is a word the prompt uses ("bean") or a placeholder (p1 for <p1>). Text \
        in double quotes is rendered by v2's text module ("a sign that says \\"HELLO\\"").

          cavendish generate --seed 7 --out bean.png \\
            --prompt 'a claymation of bean the dog with a sign that says "HI"' \\
            --reference bean=Weights/demo-library/Phone/IMG_3000.png

        Many images from one loaded model: a seed range or list, a count, or a JSON Lines prompt file; with \
        several images --out is a pattern, and --contact-sheet puts them on one labelled sheet.

          cavendish generate --prompt 'a dog in the snow' --seeds 1-4 \\
            --out 'dog-{seed}.png' --contact-sheet dogs.png
          cavendish generate --prompt 'a cat in a kitchen' --seed -1 --count 2 \\
            --out 'cat-{index}.png' --json

        v1 (the baseline) takes a negative prompt and the solvers ddim, euler and dpmpp-2m on a uniform or \
        karras grid; img2img starts from a picture (--strength 1 ignores it, 0 keeps it):

          cavendish generate --prompt 'a dog in the snow' --preset v1 --steps 20 \\
            --sampler dpmpp-2m --schedule karras --seed 3 --out v1-dog.png \\
            --negative-prompt 'a blurry photo'
          cavendish generate --prompt 'a watercolour of a dog in the snow' \\
            --init-image dog-1.png --strength 0.6 --seed 3 --out painted.png \\
            --preview steps

        Ablation baselines: --ref-scale 0 gives the references no weight (neither their attention nor v2's \
        appearance map) but keeps the binding: the name still becomes <p1> in the text, and v2's layout still \
        splits the image into the subjects' strips. Leaving out --reference removes all of that; use it for "no \
        personalization", and --ref-scale 0 for "the same prompt and layout, no identity". Compare v1 with v2 \
        at the same seed: --preset v1 is the no-glyph, 50-step baseline.

        --bf16 multiplies in bfloat16 with float32 accumulation (oneDNN): about 0.7x float32's time for a DiT step \
        on a CPU with AVX512_BF16, and images about 55-58 dB PSNR from float32's before the watermark (the README has the figures):

          cavendish generate --prompt 'a dog in the snow' --seed 3 \\
            --bf16 --out dog-bf16.png

        The same seed, settings and weights give the same bytes on any thread count (--json's pixels_sha256 says \
        which). The PNG records its provenance in text chunks (generator, model SHA-256, preset, seed, steps, \
        guidance, ref scale, sampler, the references' and init image's SHA-256, an AI-generated marker); the \
        prompt only with --record-prompt. An existing file is never replaced without --force.
        """
    )

    @Option(help: "What to draw.") var prompt: String?
    @Option(help: ArgumentHelp("A JSON Lines file of prompts, one object a line: {\"prompt\": ..., \"seed\": N, \"negative_prompt\": ..., \"references\": {\"NAME\": [IMG, ...]}} (all but prompt optional).", valueName: "FILE.jsonl"))
    var prompts: String?
    @Option(help: "v1 (baseline: 50 DDIM steps, guidance by two evaluations a step) or v2 (8 steps, one evaluation a step, text rendering).")
    var preset: String = "v2"
    @Option(parsing: .unconditional, help: "Noise seed; -1 or none draws a fresh one, printed so the image can be reproduced.") var seed: Int64?
    @Option(help: ArgumentHelp("Several seeds: a range 1-8, a list 3,7,42, or both (1-4,10).", valueName: "SEEDS")) var seeds: String?
    @Option(help: "Images per prompt, at consecutive seeds from --seed.") var count: Int?
    @Option(help: "Denoising steps (default 50 for v1, 8 for v2).") var steps: Int?
    @Option(help: "Guidance scale (default 4 for v1, 3 for v2).") var guidance: Double?
    @Option(help: "Solver: ddim (both presets' default), euler (first order in t) or dpmpp-2m (DPM-Solver++(2M), second order). v2 was distilled on 8 uniform DDIM steps; other choices there are an ablation.")
    var sampler: String = "ddim"
    @Option(help: "Time spacing of the steps: uniform (the default) or karras (Karras et al.'s rho = 7, finer near the image).")
    var schedule: String = "uniform"
    @Option(help: "v1 only: what the unconditional branch steers away from (default: the empty caption).") var negativePrompt: String = ""
    @Option(help: ArgumentHelp("img2img: start from this image (JPEG, PNG or HEIC; centre-cropped to a square) instead of pure noise.", valueName: "IMG"))
    var initImage: String?
    @Option(help: "img2img: how much of the schedule re-draws the init image, 0 (keep it) to 1 (ignore it); default 0.75.")
    var strength: Double?
    @Option(help: "NAME=IMG[,IMG...]: reference photos (JPEG, PNG or HEIC) of a person the prompt names. Repeatable, up to 5.")
    var reference: [String] = []
    @Option(help: "Strength of the reference photos (0 gives them no weight but keeps the binding; see the ablation note above). Default: the preset's, 1 for v1 and 2 for v2.")
    var refScale: Double?
    @Option(help: ArgumentHelp("Output PNG; with several images a pattern with {seed}, {index}, {prompt} (the prompt's number) or {preset}. Default: cavendish-{preset}-{seed}.png, or cavendish-{preset}-{prompt}-{seed}.png for a prompt file.", valueName: "FILE.png"))
    var out: String?
    @Flag(help: "Replace existing output files.") var force = false
    @Flag(help: "Multiply in bfloat16 with float32 accumulation (oneDNN; twice float32's rate on CPUs with AVX512_BF16). The images differ slightly from float32's; the README gives the PSNR.")
    var bf16 = false
    @Flag(help: "Store the prompt (and negative prompt) in the PNG's text chunks.") var recordPrompt = false
    @Flag(help: "Print one JSON line per image (schema generate/2, see the README).") var json = false
    @Option(help: "Progress on standard error: auto (a bar on a terminal), bar, json (one JSON line per step), none.") var progress: String = "auto"
    @Option(help: ArgumentHelp("Save the model's estimate of the finished image after every step into this folder.", valueName: "DIR")) var preview: String?
    @Option(help: ArgumentHelp("Also write every image of the run on one labelled PNG sheet.", valueName: "FILE.png")) var contactSheet: String?
    @Option(help: "Weights folder (default: $CAVENDISH_WEIGHTS, ./Weights, or the one beside this checkout).") var weights: String?
    @Option(help: "A connected photo library: people the prompt names (me, my family, my dog, names, @name) get their references from it.")
    var library: String?
    @OptionGroup(title: "C2PA signing") var c2pa: C2PAOptions

    /// One image of the run.
    struct Job {
        var prompt: String, promptIndex: Int, seed: UInt64, settings: GenerationSettings, out: String
    }

    func run() throws {
        var settings = GenerationSettings(preset: preset, steps: steps, guidance: guidance, refScale: refScale,
                                          negativePrompt: negativePrompt, library: library, initImage: initImage, strength: strength,
                                          sampler: sampler, schedule: schedule)
        do { settings.references = try reference.map(PeopleBinding.parse) } catch { throw CommandError("\(error)") }
        try settings.validate()
        guard ["auto", "bar", "json", "none"].contains(progress) else { throw CommandError("--progress must be auto, bar, json or none") }
        let jobs = try plan(settings)
        for path in [contactSheet].compactMap({ $0 }) + jobs.map(\.out) {
            guard path.lowercased().hasSuffix(".png") else { throw CommandError("\(path): outputs must be .png files") }
        }
        if !force, let existing = ([contactSheet].compactMap { $0 } + jobs.map(\.out)).first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw CommandError("\(existing) exists; pass --force to replace it or choose another --out")
        }
        if let preview { try FileManager.default.createDirectory(atPath: preview, withIntermediateDirectories: true) }
        let signer = try c2pa.signer()
        let generator = try Generator(weights: weights, presets: [try settings.checkedPreset()], bfloat16MatMul: bf16)
        generator.signer = signer
        var sheet = ContactSheet()
        var bound: [Int: Generator.BoundPrompt] = [:]
        for (index, job) in jobs.enumerated() {
            if bound[job.promptIndex] == nil { bound[job.promptIndex] = try generator.bind(job.prompt, job.settings) }
            if !json && jobs.count == 1 { FileHandle.standardError.write("seed \(job.seed)\n".data(using: .utf8)!) }
            let steps = try job.settings.steps ?? job.settings.checkedPreset().defaults.steps
            var bar = ProgressBar(total: steps,
                                  label: jobs.count == 1 ? "denoising" : "image \(index + 1)/\(jobs.count)", forced: progress == "bar")
            let stem = ((job.out as NSString).lastPathComponent as NSString).deletingPathExtension
            var (result, record) = try generator.generate(
                bound[job.promptIndex]!, prompt: job.prompt, seed: job.seed, settings: job.settings, index: index, promptIndex: job.promptIndex,
                out: job.out,
                progress: { done, total in
                    switch progress {
                    case "json": Self.progressLine(index: index, images: jobs.count, seed: job.seed, step: done, steps: total)
                    case "none": break
                    default: bar.update(done)
                    }
                },
                preview: preview.map { folder in { step, latent in
                    let pixels = try generator.pipeline.decodeImage(latent, prompt: bound[job.promptIndex]!.text, preset: try job.settings.checkedPreset())
                    try PNGImage(width: 128, height: 128, channels: 3, pixels: pixels)
                        .write(to: (folder as NSString).appendingPathComponent("\(stem)-step\(String(format: "%03d", step)).png"), overwrite: true)
                } })
            bar.finish()
            try generator.write(result, record: &record, to: job.out, overwrite: force, recordPrompt: recordPrompt)
            sheet.tiles.append(.init(pixels: result.pixels, label: jobs.count > 1 && Set(jobs.map(\.promptIndex)).count > 1 ? "#\(job.promptIndex) \(job.seed)" : "seed \(job.seed)"))
            if json {
                try JSONOutput.print(record)
            } else {
                let parts = [("load", record.secondsLoad), ("text", record.secondsText), ("references", record.secondsReferences),
                             ("denoise", record.secondsDenoise), ("decode", record.secondsDecode)]
                    .filter { $0.1 > 0 }.map { String(format: "%@ %.2fs", $0.0, $0.1) }
                print("wrote \(job.out) (seed \(job.seed), \(record.preset), \(record.steps) steps) in \(String(format: "%.2f", record.seconds)) s: \(parts.joined(separator: ", "))")
            }
        }
        if let contactSheet {
            let (pixels, w, h) = sheet.render(font: generator.pipeline.glyphRenderer)
            try PNGImage(width: w, height: h, channels: 3, pixels: pixels, text: ["Software": "cavendish \(CavendishVersion.string)"])
                .write(to: contactSheet, overwrite: force)
            if !json { print("wrote \(contactSheet) (\(jobs.count) images)") }
        }
    }

    /// Every image of the run, with its output path: each prompt (from --prompt or the prompt file) at each seed.
    func plan(_ settings: GenerationSettings) throws -> [Job] {
        if prompt != nil && prompts != nil { throw CommandError("use either --prompt or --prompts FILE.jsonl, not both") }
        let seedList = try SeedList.resolve(seed: seed, seeds: seeds, count: count)
        var entries: [(prompt: String, seeds: [UInt64], settings: GenerationSettings)] = []
        if let prompts {
            for line in try PromptFile.read(prompts) {
                var s = settings
                if let n = line.negativePrompt { s.negativePrompt = n }
                if let r = line.references {
                    guard settings.library == nil else { throw CommandError("\(prompts): a line gives references, but --library is set too") }
                    s.references = GenerationSettings.references(r)
                }
                try s.validate()
                entries.append((line.prompt, try line.seed.map { try SeedList.resolve(seed: $0, seeds: nil, count: count) } ?? seedList, s))
            }
        } else {
            guard let prompt else { throw CommandError("give --prompt TEXT or --prompts FILE.jsonl") }
            entries = [(prompt, seedList, settings)]
        }
        let many = entries.count * seedList.count > 1 || entries.contains { $0.seeds.count > 1 }
        let template = out ?? (prompts != nil ? "cavendish-{preset}-{prompt}-{seed}.png" : "cavendish-{preset}-{seed}.png")
        var jobs: [Job] = []
        for (p, entry) in entries.enumerated() {
            for seed in entry.seeds {
                let path = template.replacingOccurrences(of: "{seed}", with: String(seed)).replacingOccurrences(of: "{index}", with: String(jobs.count))
                    .replacingOccurrences(of: "{prompt}", with: String(p)).replacingOccurrences(of: "{preset}", with: entry.settings.preset)
                jobs.append(Job(prompt: entry.prompt, promptIndex: p, seed: seed, settings: entry.settings, out: path))
            }
        }
        if many, Set(jobs.map(\.out)).count < jobs.count {
            throw CommandError("--out \(template) gives several images the same file; put {seed}, {index} or {prompt} in it")
        }
        return jobs
    }

    /// One `--progress json` line on standard error.
    static func progressLine(index: Int, images: Int, seed: UInt64, step: Int, steps: Int) {
        struct Line: Encodable { var event = "step", image: Int, images: Int, seed: UInt64, step: Int, steps: Int }
        if let text = try? JSONOutput.text(Line(image: index, images: images, seed: seed, step: step, steps: steps)) {
            FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
        }
    }
}

/// A JSON Lines prompt file for `generate --prompts` (and the same objects for `serve`).
enum PromptFile {
    /// One line.
    struct Line: Decodable {
        var prompt: String
        var seed: Int64?
        var negativePrompt: String?
        var references: [String: [String]]?
    }

    /// The lines of `path`; blank lines are skipped, a malformed one is an error naming its line number.
    static func read(_ path: String) throws -> [Line] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("--prompts \(path): cannot read the file") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var lines: [Line] = []
        for (n, text) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            do { lines.append(try decoder.decode(Line.self, from: Data(text.utf8))) } catch {
                throw CommandError("\(path):\(n + 1): not a prompt object ({\"prompt\": \"...\"}): \(error)")
            }
        }
        guard !lines.isEmpty else { throw CommandError("--prompts \(path): no prompts in the file") }
        return lines
    }
}
