import Foundation

/// Cavendish's own labels: a `labels.json` in any folder of a library, for photos no other tool labelled.
///
/// ```json
/// {
///   "version": 1,
///   "photos": {
///     "beach/IMG_0001.jpg": [
///       {"name": "Ava", "kind": "person", "box": {"x": 0.10, "y": 0.20, "w": 0.30, "h": 0.40}},
///       {"name": "Biscuit", "kind": "pet", "species": "dog"}
///     ],
///     "IMG_0002.png": [{"name": "Ava"}]
///   }
/// }
/// ```
///
/// Paths are relative to the folder holding the `labels.json`. `kind` is `person` (default) or `pet`;
/// `box` is optional, normalized to the displayed photo, `x`/`y` its top-left corner; `species` is
/// optional (what "my dog" matches); `tag` optionally tells apart two different people with one name.
public struct LabelsFile: Sendable, Equatable {
    /// Subjects per photo path (relative to the labels file's folder, normalized without `./`).
    public var photos: [String: [LabeledSubject]]

    /// Parses labels JSON; `path` names the file in error messages, which say what to fix.
    public init(jsonData data: Data, path: String) throws {
        func bad(_ problem: String) -> LibraryError { .invalidLabels(path: path, problem: problem) }
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw bad("not a JSON object")
        }
        if let version = root["version"], (version as? NSNumber)?.intValue != 1 {
            throw bad("\"version\" must be 1")
        }
        guard let photos = root["photos"] as? [String: Any] else {
            throw bad("a \"photos\" object mapping photo paths to lists of subjects is required")
        }
        var out: [String: [LabeledSubject]] = [:]
        for (rawPath, value) in photos {
            let photo = rawPath.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
            guard !photo.isEmpty, !photo.split(separator: "/").contains("..") else { throw bad("\"\(rawPath)\" is not a path inside the library") }
            guard let list = value as? [Any] else { throw bad("\"\(rawPath)\" must map to a list of subjects") }
            var subjects: [LabeledSubject] = []
            for (i, item) in list.enumerated() {
                let at = "\"\(rawPath)\" subject \(i + 1)"
                guard let entry = item as? [String: Any] else { throw bad("\(at) must be an object like {\"name\": \"Ava\"}") }
                guard let name = (entry["name"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else {
                    throw bad("\(at) needs a non-empty \"name\"")
                }
                var kind = SubjectKind.person
                if let k = entry["kind"] {
                    guard let s = k as? String, let parsed = SubjectKind(rawValue: s.lowercased()) else {
                        throw bad("\(at): \"kind\" must be \"person\" or \"pet\"")
                    }
                    kind = parsed
                }
                var box: NormalizedBox?
                if let b = entry["box"] {
                    guard let o = b as? [String: Any], let x = (o["x"] as? NSNumber)?.doubleValue, let y = (o["y"] as? NSNumber)?.doubleValue,
                          let w = (o["w"] as? NSNumber)?.doubleValue, let h = (o["h"] as? NSNumber)?.doubleValue else {
                        throw bad("\(at): \"box\" must be {\"x\": .., \"y\": .., \"w\": .., \"h\": ..} with numbers")
                    }
                    let candidate = NormalizedBox(x: x, y: y, width: w, height: h)
                    guard candidate.isUsable, w <= 1.5, h <= 1.5 else {
                        throw bad("\(at): \"box\" must be normalized (fractions of the photo's width and height, top-left corner) and overlap the photo")
                    }
                    box = candidate
                }
                let species = (entry["species"] as? String)?.lowercased()
                let tag = (entry["tag"] as? String)?.trimmingCharacters(in: .whitespaces) ?? ""
                subjects.append(LabeledSubject(name: name, kind: kind, box: box, source: .labels, species: species, tag: tag))
            }
            out[photo, default: []] += subjects
        }
        self.photos = out
    }
}
