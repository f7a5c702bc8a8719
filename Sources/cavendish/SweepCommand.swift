import ArgumentParser
import CavendishCPU
import CavendishGraph
import CavendishIO
import CavendishModels
import CavendishPipeline
import Foundation

/// `cavendish sweep`: an ablation grid from a JSON spec, with one resident pipeline per worker, a tidy
/// table and labelled contact sheets, resumable row by row.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run an ablation grid (preset x steps x guidance x ref-scale x seeds x prompts x runtime switches) into one table.",
        discussion: """
        SPEC is a JSON file: the prompts (a list, or a JSON Lines file as generate --prompts reads), the people \
        ("references" as generate's --reference, or "library"; paths relative to the spec's folder), and \
        "axes", each a list of values:

          {"prompts": ["a claymation of bean the dog"],
           "references": {"bean": ["photos/bean.png"]},
           "axes": {"steps": [2, 4], "guidance": [1, 3],
                    "ref_scale": [0, 1], "seed": "1-2"}}

        Axes: preset, seed (a list or "1-8,12"), steps, guidance, ref_scale, sampler, schedule, \
        cache_conditioning, and the runtime switches threads (each value runs in a process of its own), \
        fused_attention, memory_plan and weight_precision (float32 or float16), which change how the kernels \
        run and not the pixels. Axes left out take \
        generate's defaults. The sweep is every prompt at every combination.

        The folder --out gets images/<row_id>.png, rows/<row_id>.json (written as each image finishes), \
        table.csv and table.jsonl (one row per image; every axis and measurement a column, snake_case), and \
        sheets/<axis>-x-<axis>.png, one labelled contact sheet per pair of varied axes (the other axes at \
        their first value). Running the same command again resumes: finished rows (same weights) are kept, \
        the rest are made. Extending the spec keeps every row it still contains.

          cavendish sweep Tests/Fixtures/sweeps/steps-guidance.json --out sweep-demo
          cavendish sweep Tests/Fixtures/sweeps/steps-guidance.json --out sweep-demo \\
            --workers 2

        --workers N runs N processes on this machine, each with its own pipeline and CAVENDISH_THREADS = \
        cores / N. --shard I/N runs only rows I, I+N, I+2N, ... and leaves the table to --collect: that is \
        what a cluster engine runs on each node (scripts/sweep_ray.py submits the shards to Ray).
        """
    )

    @Argument(help: "The sweep spec (JSON).") var spec: String
    @Option(help: "The sweep folder (images, rows, table, sheets).") var out: String
    @Option(help: "Worker processes on this machine (each loads the weights once).") var workers: Int = 1
    @Option(help: ArgumentHelp("Run only this shard's rows (I of N, 0-based) and do not write the table.", valueName: "I/N")) var shard: String?
    @Flag(help: "Only assemble the table and the contact sheets from the rows already finished.") var collect = false
    @Option(help: .hidden) var threadsChild: String?
    @Option(help: "Progress on standard error: auto (a bar with the time left, on a terminal), bar, none.") var progress: String = "auto"
    @Option(help: "Weights folder (default: $CAVENDISH_WEIGHTS, ./Weights, or the one beside this checkout).") var weights: String?
    @OptionGroup(title: "C2PA signing") var c2pa: C2PAOptions

    func run() throws {
        let spec = try SweepSpec.read(self.spec)
        guard ["auto", "bar", "none"].contains(progress) else { throw CommandError("--progress must be auto, bar or none") }
        guard (1...64).contains(workers) else { throw CommandError("--workers must be between 1 and 64, got \(workers)") }
        let rows = spec.rows()
        for sub in ["images", "rows", "sheets"] {
            try FileManager.default.createDirectory(atPath: (out as NSString).appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let threadValues = spec.axes["threads"] ?? []
        if let threadsChild {   // one value of the threads axis, in the process the parent started with that many threads
            try make(rows.filter { $0.values["threads"] == threadsChild }, spec: spec, worker: "threads \(threadsChild)")
            return
        }
        if !threadValues.isEmpty && (shard != nil || workers > 1) {
            throw CommandError("a threads axis runs each value in a process of its own; it cannot be combined with --shard or --workers")
        }
        if let shard {
            let (index, count) = try Self.parseShard(shard)
            try make(rows.filter { $0.number % count == index }, spec: spec, worker: "\(index)/\(count)")
            return
        }
        if !collect {
            if !threadValues.isEmpty {
                for t in threadValues { try runChild(["--threads-child", t], threads: Int(t)!) }
            } else if workers == 1 {
                try make(rows, spec: spec, worker: "0/1")
            } else {
                try runWorkers()
            }
        }
        try Self.collect(spec: spec, rows: rows, folder: out, weights: weights)
    }

    /// `I/N` with 0 <= I < N.
    static func parseShard(_ text: String) throws -> (Int, Int) {
        let parts = text.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (0..<n).contains(i) else {
            throw CommandError("--shard takes I/N with 0 <= I < N (for example 0/4), got \(text)")
        }
        return (i, n)
    }

    /// The record of a finished row, when it was made with these weights and its image is still there.
    static func finished(_ row: SweepSpec.Row, folder: String, modelSha256: String?) -> SweepRecord? {
        let path = (folder as NSString).appendingPathComponent("rows/\(row.id).json")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let record = try? decoder.decode(SweepRecord.self, from: data),
              FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(record.image)) else { return nil }
        if let modelSha256, record.modelSha256 != modelSha256 { return nil }
        return record
    }

    /// Makes the rows not yet finished, one pipeline per runtime configuration.
    func make(_ rows: [SweepSpec.Row], spec: SweepSpec, worker: String) throws {
        let digests = try WeightsManifest(directory: try Generator.weightsFolder(weights)).digests
        let signer = try c2pa.signer()
        let todo = rows.filter { row in
            Self.finished(row, folder: out, modelSha256: digests["nb-mini-\(row.values["preset"] ?? "v2").h5"]) == nil
        }
        if todo.count < rows.count {
            FileHandle.standardError.write("\(rows.count - todo.count) of \(rows.count) rows already finished; making \(todo.count)\n".data(using: .utf8)!)
        }
        var bar = ProgressBar(total: todo.count, label: "sweep \(worker)", forced: progress == "bar")
        if progress == "none" { bar = ProgressBar(total: 0, label: "") }
        let started = Date()
        var done = 0
        for group in Dictionary(grouping: todo, by: \.runtime).sorted(by: { $0.value[0].number < $1.value[0].number }) {
            let first = group.value[0].values
            let presets = try Set(group.value.map { try $0.settings(spec).checkedPreset() }).sorted { $0.rawValue < $1.rawValue }
            let generator = try Generator(weights: weights, presets: presets, fusedAttention: first["fused_attention"] == "true",
                                          memoryPlan: first["memory_plan"] == "true",
                                          residency: first["weight_precision"] == "float16" ? .stored : .widened)
            generator.signer = signer
            var bound: [Int: Generator.BoundPrompt] = [:]
            for row in group.value {
                let settings = row.settings(spec)
                if bound[row.promptIndex] == nil { bound[row.promptIndex] = try generator.bind(spec.prompts[row.promptIndex].text, settings) }
                let image = "images/\(row.id).png"
                var (result, record) = try generator.generate(bound[row.promptIndex]!, prompt: spec.prompts[row.promptIndex].text,
                                                              seed: UInt64(row.values["seed"] ?? "0") ?? 0, settings: settings, index: row.number,
                                                              promptIndex: row.promptIndex, out: image)
                try generator.write(result, record: &record, to: (out as NSString).appendingPathComponent(image), overwrite: true, recordPrompt: true)
                let sweepRecord = SweepRecord(
                    row: row.number, rowId: row.id, promptIndex: row.promptIndex, prompt: record.prompt,
                    people: record.references.map { "\($0.placeholder)=\($0.name)" }.joined(separator: ";"),
                    layout: record.layout.map { "\($0.placeholder)=\($0.x0) \($0.y0) \($0.x1) \($0.y1)" }.joined(separator: ";"),
                    preset: record.preset, seed: record.seed,
                    steps: record.steps, guidance: record.guidance, refScale: record.refScale, sampler: record.sampler, schedule: record.schedule,
                    cacheConditioning: row.values["cache_conditioning"] != "false", fusedAttention: row.values["fused_attention"] != "false",
                    memoryPlan: row.values["memory_plan"] != "false", weightPrecision: row.values["weight_precision"] ?? "float32",
                    image: image, pixelsSha256: record.pixelsSha256, modelSha256: record.modelSha256, seconds: record.seconds,
                    secondsLoad: record.secondsLoad, secondsText: record.secondsText, secondsReferences: record.secondsReferences,
                    secondsDenoise: record.secondsDenoise, secondsDecode: record.secondsDecode, worker: worker, threads: ThreadPool.threadCount)
                try AtomicFile.write(Data(try sweepRecord.json().utf8), to: (out as NSString).appendingPathComponent("rows/\(row.id).json"), overwrite: true)
                done += 1
                let left = Date().timeIntervalSince(started) / Double(done) * Double(todo.count - done)
                bar.update(done, detail: "\(Self.duration(left)) left")
            }
        }
        bar.finish()
    }

    /// `1h02m`, `3m20s`, `12s`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    /// Starts this command once more with `extra` arguments (and `progress` shown) on `threads` threads.
    func startChild(_ extra: [String], threads: Int, progress: String) throws -> Process {
        let p = ChildProcess.make(["sweep", spec, "--out", out, "--progress", progress] + extra + (weights.map { ["--weights", $0] } ?? []) + c2pa.arguments,
                                  environment: ["CAVENDISH_THREADS": String(threads)])
        try p.run()
        return p
    }

    /// Runs this command once more with `extra` arguments on `threads` threads, and waits for it.
    func runChild(_ extra: [String], threads: Int) throws {
        let p = try startChild(extra, threads: threads, progress: progress)
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw CommandError("the sweep's \(threads)-thread process failed; run the same command again to resume") }
    }

    /// Runs `workers` copies of this command, each on its shard with its share of the cores, and waits.
    func runWorkers() throws {
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / workers)
        let processes = try (0..<workers).map { i in
            try startChild(["--shard", "\(i)/\(workers)"], threads: threads, progress: i == 0 ? progress : "none")
        }
        var failed: [Int] = []
        for (i, p) in processes.enumerated() {
            p.waitUntilExit()
            if p.terminationStatus != 0 { failed.append(i) }
        }
        if !failed.isEmpty {
            throw CommandError("sweep workers \(failed.map { "\($0)/\(workers)" }.joined(separator: ", ")) failed; run the same command again to resume")
        }
    }

    /// Assembles the table from the finished rows and draws a contact sheet for each pair of varied axes.
    static func collect(spec: SweepSpec, rows: [SweepSpec.Row], folder: String, weights: String?) throws {
        let records = rows.compactMap { finished($0, folder: folder, modelSha256: nil) }
        try SweepTable.write(records, to: folder)
        let byID = Dictionary(records.map { ($0.rowId, $0) }, uniquingKeysWith: { a, _ in a })
        let varied = spec.variedAxes
        let pairs = varied.count == 1 ? [(varied[0], nil as String?)] : varied.indices.flatMap { i in varied[(i + 1)...].map { (varied[i], Optional($0)) } }
        let font = try GlyphRenderer(atlasFile: (try Generator.weightsFolder(weights) as NSString).appendingPathComponent("glyph_atlas.h5"))
        let firsts = Dictionary(uniqueKeysWithValues: varied.map { ($0, spec.values(of: $0)[0]) })
        var sheets: [String] = []
        for (a, b) in pairs {
            let aValues = spec.values(of: a), bValues = b.map { spec.values(of: $0) } ?? [""]
            var sheet = ContactSheet()
            for av in aValues { for bv in bValues {
                let match = rows.first { row in
                    varied.allSatisfy { axis in
                        let v = value(of: axis, row: row)
                        return axis == a ? v == av : axis == b ? v == bv : v == firsts[axis]
                    }
                }
                guard let match, let record = byID[match.id],
                      let png = try? PNGImage(contentsOf: (folder as NSString).appendingPathComponent(record.image)) else {
                    sheet.tiles.append(.init(pixels: [UInt8](repeating: 200, count: 128 * 128 * 3), label: "not made"))
                    continue
                }
                sheet.tiles.append(.init(pixels: png.pixels, label: [label(a, av), b.map { label($0, bv) }].compactMap { $0 }.joined(separator: " ")))
            } }
            let (pixels, w, h) = sheet.render(font: font, columns: bValues.count)
            let name = "sheets/\(a)" + (b.map { "-x-\($0)" } ?? "") + ".png"
            try PNGImage(width: w, height: h, channels: 3, pixels: pixels, text: ["Software": "cavendish \(CavendishVersion.string)"])
                .write(to: (folder as NSString).appendingPathComponent(name), overwrite: true)
            sheets.append(name)
        }
        let missing = rows.count - records.count
        print("wrote \(folder)/table.csv and table.jsonl (\(records.count) of \(rows.count) rows\(missing > 0 ? "; \(missing) not made yet, run again to make them" : ""))"
              + (sheets.isEmpty ? "" : " and \(sheets.count) contact sheet\(sheets.count == 1 ? "" : "s") in \(folder)/sheets"))
    }

    static func value(of axis: String, row: SweepSpec.Row) -> String {
        axis == "prompt" ? String(row.promptIndex) : row.values[axis] ?? ""
    }

    /// A tile label part, short enough for a 128-pixel tile.
    static func label(_ axis: String, _ value: String) -> String {
        let short = ["prompt": "#", "preset": "", "seed": "s", "steps": "st", "guidance": "g", "ref_scale": "rs", "sampler": "", "schedule": "",
                     "cache_conditioning": "cache", "threads": "t", "fused_attention": "fused", "memory_plan": "plan", "weight_precision": ""]
        return (short[axis] ?? axis) + value
    }
}
