import ArgumentParser
import CavendishCPU
import CavendishIO
import CavendishModels
import CavendishPipeline
import Foundation

/// `cavendish evaluate`: quality scores for a sweep's images or a `generate --json` run, from the judges,
/// Tesseract and KID against the world's renders, as the recipe's evaluation measures them.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score generated images: OCR of the quoted text, the setting, style and identity judges, and KID.",
        discussion: """
        SOURCE is a sweep folder (its table.jsonl) or a JSON Lines file of generate --json records. For each \
        image it writes one row of scores.csv and scores.jsonl beside the source:

          ocr_text, ocr_word_match, ocr_char_accuracy   Tesseract on the quoted text's box (needs tesseract-ocr)
          judge_setting, judge_style (+ _p)             the scene judge's top-1 and its probability
          prompt_setting, prompt_style, *_match          what the prompt asked for, when it names one
          identity_p1..p5 (+ _p, _match)                 the identity judge at each person's layout box

        A person's identity is known when --identities maps the reference name to one of the judge's \
        held-out identities (a JSON object {"bean": "Bean-h0"}, or the demo library's demo-manifest.json). \
        summary.json has, per group of images that share every setting but the seed, the means and their 95% \
        intervals, and KID (x1000) against Weights/eval/kid_reference.h5 (the scene judge's features of 512 \
        world renders; the feature network is the NB-mini scene judge, not Inception).

          cavendish sweep Tests/Fixtures/sweeps/steps-guidance.json --out sweep-demo
          cavendish evaluate sweep-demo \\
            --identities Weights/demo-library/demo-manifest.json

        The judges and crops match the recipe's evaluate.py value for value (tests against its goldens), \
        so the figures are comparable with Weights/eval/results.json.
        """
    )

    @Argument(help: "A sweep folder, or a JSON Lines file of generate --json records.") var source: String
    @Option(help: ArgumentHelp("Reference names to the judge's identities: {\"NAME\": \"World-name\"} or a demo-manifest.json.", valueName: "FILE.json"))
    var identities: String?
    @Option(help: "Weights folder (default: $CAVENDISH_WEIGHTS, ./Weights, or the one beside this checkout).") var weights: String?
    @Option(help: "Progress on standard error: auto (a bar on a terminal), bar, none.") var progress: String = "auto"

    /// One image to score.
    struct Item {
        var key: String, image: String, prompt: String, group: String
        var people: [(placeholder: String, name: String)], boxes: [String: [Int]]
    }

    func run() throws {
        guard ["auto", "bar", "none"].contains(progress) else { throw CommandError("--progress must be auto, bar or none") }
        let (items, folder) = try Self.items(source)
        guard !items.isEmpty else { throw CommandError("\(source): no images to score") }
        let truth = try identities.map(Self.identityMap) ?? [:]
        let weightsFolder = try Generator.weightsFolder(weights)
        let manifest: WeightsManifest
        do { manifest = try WeightsManifest(directory: weightsFolder) } catch { throw CommandError("\(error)") }
        let judges: ImageJudges
        do {
            judges = try ImageJudges(path: try manifest.verified("nb-mini-judges.h5"), sha256: manifest.digests["nb-mini-judges.h5"] ?? "",
                                     backend: CPUBackend())
        } catch { throw CommandError("cannot load the judges: \(error)") }
        let glyphs = try GlyphRenderer(atlasFile: try manifest.verified("glyph_atlas.h5"))
        if !TextRecognition.available {
            FileHandle.standardError.write("tesseract is not installed (apt-get install tesseract-ocr): the OCR columns stay empty\n".data(using: .utf8)!)
        }
        var bar = ProgressBar(total: progress == "none" ? 0 : items.count, label: "scoring", forced: progress == "bar")
        var rows: [[String: JSONValue]] = [], features: [String: [[Double]]] = [:]
        for (n, item) in items.enumerated() {
            let png: PNGImage
            do { png = try PNGImage(contentsOf: item.image) } catch { throw CommandError("\(item.image): \(error)") }
            guard png.width == 128, png.height == 128, png.channels == 3 else {
                throw CommandError("\(item.image): a \(png.width)x\(png.height) image with \(png.channels) channels; NB-mini images are 128x128 RGB")
            }
            var row: [String: JSONValue] = ["key": .string(item.key), "image": .string(item.image), "group": .string(item.group)]
            let scene = try judges.scene(png.pixels)
            features[item.group, default: []].append(scene.features)
            row["judge_setting"] = .string(scene.setting)
            row["judge_setting_p"] = .number(scene.settingProbability)
            row["judge_style"] = .string(scene.style)
            row["judge_style_p"] = .number(scene.styleProbability)
            let asked = Self.asked(item.prompt, settings: judges.settings, styles: judges.styles)
            row["prompt_setting"] = .string(asked.setting ?? "")
            row["prompt_style"] = .string(asked.style ?? "")
            row["setting_match"] = asked.setting.map { .bool($0 == scene.setting) } ?? .null
            row["style_match"] = asked.style.map { .bool($0 == scene.style) } ?? .null
            let text = GlyphRenderer.quotedText(item.prompt)
            row["quoted_text"] = .string(text)
            if let box = glyphs.textBox(text), TextRecognition.available {
                let read = try TextRecognition.read(png.pixels, side: 128, box: box) ?? ""
                row["ocr_text"] = .string(read)
                row["ocr_word_match"] = .bool(TextRecognition.matches(read, text))
                row["ocr_char_accuracy"] = .number(TextRecognition.characterAccuracy(read, text))
            }
            for (placeholder, name) in item.people {
                guard let box = item.boxes[placeholder] else { continue }
                let (who, p) = try judges.identity(png.pixels, side: 128, box: box)
                row["identity_\(placeholder)"] = .string(who)
                row["identity_\(placeholder)_p"] = .number(p)
                if let want = truth[name.lowercased()] { row["identity_\(placeholder)_match"] = .bool(want == who) }
            }
            rows.append(row)
            bar.update(n + 1)
        }
        bar.finish()
        let reference = try Self.kidReference(weightsFolder, judgesSha256: judges.sha256)
        try Self.write(rows, features: features, reference: reference, to: folder)
        print("wrote \(folder)/scores.csv, scores.jsonl and summary.json (\(rows.count) images, \(features.count) group\(features.count == 1 ? "" : "s"))")
    }

    /// The images of a sweep folder or of a generate --json file, and the folder the scores go to.
    static func items(_ source: String) throws -> ([Item], String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else { throw CommandError("\(source): no such file or folder") }
        let folder = isDirectory.boolValue ? source : (source as NSString).deletingLastPathComponent
        let path = isDirectory.boolValue ? (source as NSString).appendingPathComponent("table.jsonl") : source
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("\(path): cannot read it (a sweep folder holds table.jsonl once `cavendish sweep` has run)")
        }
        var items: [Item] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)), case .object(let o) = object else {
                throw CommandError("\(path):\(n + 1): not a JSON object")
            }
            func string(_ k: String) -> String? { if case .string(let s)? = o[k] { return s } else { return nil } }
            if let image = string("image"), let prompt = string("prompt") {   // a sweep row
                let people = (string("people") ?? "").split(separator: ";").compactMap { part -> (String, String)? in
                    let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                    return kv.count == 2 ? (kv[0], kv[1]) : nil
                }
                var boxes: [String: [Int]] = [:]
                for part in (string("layout") ?? "").split(separator: ";") {
                    let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                    if kv.count == 2 { boxes[kv[0]] = kv[1].split(separator: " ").compactMap { Int($0) } }
                }
                let group = ["preset", "steps", "guidance", "ref_scale", "sampler", "schedule", "prompt_index"].map { (k: String) -> String in
                    switch o[k] { case .string(let s)?: return "\(k)=\(s)"; case .number(let d)?: return "\(k)=\(JSONOutput.roundingFractions("\(d)"))"; default: return "\(k)=" }
                }.joined(separator: ",")
                items.append(Item(key: string("row_id") ?? String(n), image: (folder as NSString).appendingPathComponent(image), prompt: prompt,
                                  group: group, people: people, boxes: boxes))
            } else if let out = string("out"), string("schema")?.hasPrefix("generate/") == true {   // a generate record
                guard !out.isEmpty else { throw CommandError("\(path):\(n + 1): the record wrote no image (out is empty)") }
                var people: [(String, String)] = [], boxes: [String: [Int]] = [:]
                if case .array(let refs)? = o["references"] {
                    for r in refs { if case .string(let p)? = r["placeholder"], case .string(let name)? = r["name"] { people.append((p, name)) } }
                }
                if case .array(let lay)? = o["layout"] {
                    for b in lay {
                        if case .string(let p)? = b["placeholder"] {
                            boxes[p] = ["x0", "y0", "x1", "y1"].map { k in if case .number(let d)? = b[k] { return Int(d) } else { return 0 } }
                        }
                    }
                }
                let image = out.hasPrefix("/") ? out : (folder as NSString).appendingPathComponent(out)
                items.append(Item(key: String(n), image: image, prompt: string("prompt") ?? "", group: "all", people: people, boxes: boxes))
            } else {
                throw CommandError("\(path):\(n + 1): neither a sweep row nor a generate --json record")
            }
        }
        return (items, folder)
    }

    /// The setting and style a prompt names (the first one it mentions), in the judges' class names.
    static func asked(_ prompt: String, settings: [String], styles: [String]) -> (setting: String?, style: String?) {
        let p = prompt.lowercased().replacingOccurrences(of: "watercolor", with: "watercolour")
        func first(_ names: [String]) -> String? {
            names.compactMap { n in p.range(of: n).map { (n, $0.lowerBound) } }.min { $0.1 < $1.1 }?.0
        }
        return (first(settings), first(styles))
    }

    /// Reference name (lower-cased) -> the judge's identity, from {"name": "World-name"} or a demo manifest.
    static func identityMap(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path),
              let value = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let o) = value else {
            throw CommandError("--identities \(path): not a JSON object")
        }
        if case .object(let people)? = o["people"] {   // demo-manifest.json
            return people.reduce(into: [:]) { m, kv in if case .string(let w)? = kv.value["world_name"] { m[kv.key.lowercased()] = w } }
        }
        return o.reduce(into: [:]) { m, kv in if case .string(let w) = kv.value { m[kv.key.lowercased()] = w } }
    }

    /// The world renders' features for KID, when their judges are the loaded ones.
    static func kidReference(_ weights: String, judgesSha256: String) throws -> [[Double]]? {
        let path = (weights as NSString).appendingPathComponent("eval/kid_reference.h5")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try HDF5File(readingFrom: path)
        guard case .string(let sha)? = try file.attribute("judges_sha256"), sha == judgesSha256 else {
            FileHandle.standardError.write("\(path) was made with other judges; KID is left out (rerun Weights/recipe/kid_reference.py)\n".data(using: .utf8)!)
            return nil
        }
        let f = try file.tensor(at: "features"), d = f.shape[1], v = f.doubles()
        return stride(from: 0, to: v.count, by: d).map { Array(v[$0..<($0 + d)]) }
    }

    /// scores.csv, scores.jsonl and summary.json (each through a temporary file).
    static func write(_ rows: [[String: JSONValue]], features: [String: [[Double]]], reference: [[Double]]?, to folder: String) throws {
        let fixed = ["key", "image", "group", "quoted_text", "ocr_text", "ocr_word_match", "ocr_char_accuracy", "judge_setting", "judge_setting_p",
                     "prompt_setting", "setting_match", "judge_style", "judge_style_p", "prompt_style", "style_match"]
        let identity = (1...5).flatMap { ["identity_p\($0)", "identity_p\($0)_p", "identity_p\($0)_match"] }
        let columns = fixed + identity.filter { c in rows.contains { $0[c] != nil } }
        func cell(_ v: JSONValue?) -> String {
            switch v {
            case .string(let s)?: return s
            case .number(let d)?: return JSONOutput.roundingFractions("\(d)")
            case .bool(let b)?: return String(b)
            default: return ""
            }
        }
        var csv = columns.joined(separator: ",") + "\n", jsonl = ""
        for r in rows {
            csv += columns.map { SweepTable.quote(cell(r[$0])) }.joined(separator: ",") + "\n"
            jsonl += try JSONOutput.text(JSONValue.object(r)) + "\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: (folder as NSString).appendingPathComponent("scores.csv"), overwrite: true)
        try AtomicFile.write(Data(jsonl.utf8), to: (folder as NSString).appendingPathComponent("scores.jsonl"), overwrite: true)
        var groups: [String: JSONValue] = [:]
        for (group, feats) in features {
            let members = rows.filter { $0["group"] == .string(group) }
            var summary: [String: JSONValue] = ["images": .number(Double(members.count))]
            for (name, columns) in [("ocr_word_accuracy", ["ocr_word_match"]), ("setting_accuracy", ["setting_match"]), ("style_accuracy", ["style_match"]),
                                    ("identity_top1", (1...5).map { "identity_p\($0)_match" })] {
                let hits = members.flatMap { r in columns.compactMap { c -> Bool? in if case .bool(let b)? = r[c] { return b } else { return nil } } }
                guard !hits.isEmpty else { continue }
                let p = Double(hits.filter { $0 }.count) / Double(hits.count)
                summary[name] = .number(p)
                summary[name + "_n"] = .number(Double(hits.count))
                summary[name + "_ci95"] = .array(Self.wilson(p, hits.count).map { .number($0) })
            }
            let chars = members.compactMap { r -> Double? in if case .number(let d)? = r["ocr_char_accuracy"] { return d } else { return nil } }
            if !chars.isEmpty { summary["ocr_char_accuracy"] = .number(chars.reduce(0, +) / Double(chars.count)) }
            if let reference, let kid = KernelInceptionDistance.kid(feats, reference) {
                summary["kid_x1000"] = .number(1000 * kid)
                summary["kid_feature_network"] = .string("NB-mini scene judge, pooled features (128-d)")
            }
            groups[group] = .object(summary)
        }
        let text = try JSONOutput.text(JSONValue.object(["schema": .string("evaluate/\(JSONOutput.version)"), "groups": .object(groups)]), pretty: true)
        try AtomicFile.write(Data((text + "\n").utf8), to: (folder as NSString).appendingPathComponent("summary.json"), overwrite: true)
    }

    /// The 95% Wilson score interval of a proportion measured on n trials (the recipe's `evaluate.wilson`).
    static func wilson(_ p: Double, _ n: Int, z: Double = 1.96) -> [Double] {
        guard n > 0 else { return [0, 1] }
        let nn = Double(n), c = (p + z * z / (2 * nn)) / (1 + z * z / nn)
        let h = z * ((p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()) / (1 + z * z / nn)
        return [max(0, c - h), min(1, c + h)]
    }
}
