import CavendishIO
import CavendishPipeline
import Foundation

/// What `cavendish sweep` runs: prompts, people and axes, read from a JSON file.
///
/// ```json
/// {"prompts": ["a photo of bean the dog holding a sign that says \"HI\""],
///  "references": {"bean": ["Weights/demo-library/Phone/IMG_3000.png"]},
///  "axes": {"preset": ["v2"], "steps": [4, 8], "guidance": [1, 3], "ref_scale": [0, 1], "seed": "1-2"}}
/// ```
///
/// `prompts` is a list of strings or the path of a JSON Lines prompt file (as `generate --prompts` reads);
/// `references` or `library` give the people, as `generate` does. Paths are relative to the spec's folder. Every axis is a
/// list (a single value is a list of one); `seed` may also be a seed list such as `"1-8,12"`. The sweep is
/// the product of the axes with every prompt; axes left out take `generate`'s defaults.
struct SweepSpec {
    /// One prompt of the sweep, with its own references when the prompt file gives them.
    struct Prompt {
        var text: String
        var references: [(name: String, files: [String])]?
    }

    var prompts: [Prompt]
    var references: [(name: String, files: [String])] = []
    var library: String?
    /// Axis name -> values, as strings for the table (numbers keep their JSON text).
    var axes: [String: [String]]

    /// Model and sampling axes, then the runtime switches (which need a pipeline of their own), in the
    /// order the table's columns and the row ids use.
    static let samplingAxes = ["preset", "seed", "steps", "guidance", "ref_scale", "sampler", "schedule", "cache_conditioning"]
    static let runtimeAxes = ["threads", "fused_attention", "memory_plan", "weight_precision"]
    static var axisNames: [String] { samplingAxes + runtimeAxes }

    /// Values an axis takes when the spec leaves it out ("" for steps and guidance: the preset's default).
    static let defaults: [String: String] = [
        "preset": "v2", "seed": "0", "steps": "", "guidance": "", "ref_scale": "", "sampler": "ddim", "schedule": "uniform",
        "cache_conditioning": "true", "threads": "", "fused_attention": "true", "memory_plan": "true", "weight_precision": "float32",
    ]

    /// A JSON scalar of an axis, kept as the text the table shows.
    struct Scalar: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { text = b ? "true" : "false" }
            else if let i = try? c.decode(Int64.self) { text = String(i) }
            else if let d = try? c.decode(Double.self) { text = String(d) }
            else { text = try c.decode(String.self) }
        }
    }

    /// An axis: a list of scalars, or one scalar.
    struct Values: Decodable {
        var items: [String]
        init(from decoder: any Decoder) throws {
            if let list = try? decoder.singleValueContainer().decode([Scalar].self) { items = list.map(\.text) }
            else { items = [try decoder.singleValueContainer().decode(Scalar.self).text] }
        }
    }

    /// The file's form.
    struct File: Decodable {
        enum Prompts: Decodable {
            case list([String]), file(String)
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let list = try? c.decode([String].self) { self = .list(list) } else { self = .file(try c.decode(String.self)) }
            }
        }
        var prompts: Prompts
        var references: [String: [String]]?
        var library: String?
        var axes: [String: Values]?
    }

    /// Reads and checks the spec at `path`.
    static func read(_ path: String) throws -> SweepSpec {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("sweep spec \(path): cannot read the file") }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CommandError("sweep spec \(path): not a JSON object (see `cavendish sweep --help` for the form)")
        }
        let known: Set = ["prompts", "references", "library", "axes"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw CommandError("sweep spec \(path): unknown key \"\(unknown)\" (keys: \(known.sorted().joined(separator: ", ")))")
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw CommandError("sweep spec \(path): \(error) (\"prompts\" is a list of strings or a .jsonl path, \"references\" maps names to photo lists, \"axes\" maps axes to lists)")
        }
        // Paths in a spec are relative to the spec's folder, so that a spec and its photos travel together.
        let base = (path as NSString).deletingLastPathComponent
        let resolve = { (name: String) in name.hasPrefix("/") || base.isEmpty ? name : (base as NSString).appendingPathComponent(name) }
        let resolveAll = { (refs: [String: [String]]) in GenerationSettings.references(refs.mapValues { $0.map(resolve) }) }
        var prompts: [Prompt] = []
        switch file.prompts {
        case .list(let list): prompts = list.map { Prompt(text: $0) }
        case .file(let name):
            prompts = try PromptFile.read(resolve(name)).map { Prompt(text: $0.prompt, references: $0.references.map(resolveAll)) }
        }
        guard !prompts.isEmpty else { throw CommandError("sweep spec \(path): no prompts") }
        var spec = SweepSpec(prompts: prompts, axes: [:])
        spec.references = file.references.map(resolveAll) ?? []
        spec.library = file.library.map(resolve)
        for (name, values) in file.axes ?? [:] {
            guard axisNames.contains(name) else {
                throw CommandError("sweep spec \(path): unknown axis \"\(name)\" (axes: \(axisNames.joined(separator: ", ")))")
            }
            guard !values.items.isEmpty else { throw CommandError("sweep spec \(path): axis \"\(name)\" has no values") }
            spec.axes[name] = name == "seed" && values.items.count == 1 && values.items[0].contains(where: { $0 == "-" || $0 == "," })
                ? try SeedList.parse(values.items[0]).map(String.init) : values.items
        }
        try spec.validate(path)
        return spec
    }

    /// Every value checked before anything loads, with the message `generate` would give.
    func validate(_ path: String) throws {
        if library != nil && !references.isEmpty { throw CommandError("sweep spec \(path): give either \"references\" or \"library\", not both") }
        let booleans: Set = ["true", "false"]
        for name in ["cache_conditioning", "fused_attention", "memory_plan"] {
            if let bad = axes[name]?.first(where: { !booleans.contains($0) }) { throw CommandError("sweep spec \(path): \(name) takes true or false, got \(bad)") }
        }
        if let bad = axes["weight_precision"]?.first(where: { !["float32", "float16"].contains($0) }) {
            throw CommandError("sweep spec \(path): weight_precision takes float32 (widened at load) or float16 (as stored), got \(bad)")
        }
        for name in ["seed", "steps"] {
            if let bad = axes[name]?.first(where: { UInt64($0) == nil }) { throw CommandError("sweep spec \(path): \(name) takes whole numbers, got \(bad)") }
        }
        if let bad = axes["threads"]?.first(where: { !(1...256).contains(Int($0) ?? 0) }) {
            throw CommandError("sweep spec \(path): threads takes whole numbers from 1 to 256, got \(bad)")
        }
        for name in ["guidance", "ref_scale"] {
            if let bad = axes[name]?.first(where: { Double($0) == nil }) { throw CommandError("sweep spec \(path): \(name) takes numbers, got \(bad)") }
        }
        for row in rows() {   // every row's settings, as generate checks them
            do { try row.settings(self).validate() } catch let error as CommandError { throw CommandError("sweep spec \(path): \(error.description)") }
        }
    }

    /// One image of the sweep.
    struct Row {
        /// Position in the sweep (stable for a given spec).
        var number: Int
        var promptIndex: Int
        /// Axis name -> value (every axis, defaults filled in).
        var values: [String: String]

        /// A short stable id from the prompt and every axis value: finished rows are found by it.
        var id: String {
            let key = (["prompt=\(promptIndex)"] + SweepSpec.axisNames.map { "\($0)=\(values[$0] ?? "")" }).joined(separator: ",")
            return String(SHA256.hex(Data(key.utf8)).prefix(16))
        }

        /// The runtime switches, which decide the pipeline the row needs.
        var runtime: [String] { SweepSpec.runtimeAxes.map { values[$0] ?? "" } }

        /// The row's settings as `generate` takes them.
        func settings(_ spec: SweepSpec) -> GenerationSettings {
            var s = GenerationSettings(preset: values["preset"] ?? "v2", steps: Int(values["steps"] ?? ""), guidance: Double(values["guidance"] ?? ""),
                                       refScale: Double(values["ref_scale"] ?? ""), library: spec.library,
                                       sampler: values["sampler"] ?? "ddim", schedule: values["schedule"] ?? "uniform")
            s.references = spec.prompts[promptIndex].references ?? spec.references
            s.cacheConditioning = values["cache_conditioning"] != "false"
            return s
        }
    }

    /// The sweep's rows: every prompt at every combination of the axes (runtime switches outermost, so a
    /// worker builds each pipeline once; then prompt, then the sampling axes in `samplingAxes` order).
    func rows() -> [Row] {
        let names = Self.runtimeAxes + ["prompt"] + Self.samplingAxes
        var combos: [[String: String]] = [[:]]
        for name in names {
            let vals = values(of: name)
            combos = combos.flatMap { c in vals.map { v in c.merging([name: v]) { $1 } } }
        }
        return combos.enumerated().map { n, c in
            var values = c
            let p = Int(values.removeValue(forKey: "prompt")!)!
            return Row(number: n, promptIndex: p, values: values)
        }
    }

    /// The values `axis` takes ("prompt": the prompts' numbers; an axis left out: its default).
    func values(of axis: String) -> [String] {
        axis == "prompt" ? prompts.indices.map(String.init) : axes[axis] ?? [Self.defaults[axis]!]
    }

    /// The axes with more than one value, in column order (the contact sheets' pairs).
    var variedAxes: [String] {
        (prompts.count > 1 ? ["prompt"] : []) + Self.axisNames.filter { (axes[$0]?.count ?? 0) > 1 }
    }
}
