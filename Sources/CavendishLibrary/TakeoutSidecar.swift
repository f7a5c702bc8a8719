import Foundation

/// A Google Takeout (Google Photos) JSON sidecar: who is in the photo and when it was taken.
///
/// Takeout writes one JSON file per photo with, among others, `people: [{"name": ...}]` and
/// `photoTakenTime: {"timestamp": "<seconds since 1970>"}`. Takeout gives no face boxes.
public struct TakeoutSidecar: Sendable, Equatable {
    /// The names in `people[].name`, trimmed, empty ones dropped, in file order.
    public var people: [String]
    /// `photoTakenTime.timestamp`, if present and numeric.
    public var takenAt: Date?

    /// Parses sidecar JSON; throws `LibraryError.invalidLabels` naming `path` when it is not a JSON object.
    public init(jsonData data: Data, path: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw LibraryError.invalidLabels(path: path, problem: "not a Google Takeout sidecar (a JSON object was expected)")
        }
        var names: [String] = []
        for entry in root["people"] as? [Any] ?? [] {
            if let name = (entry as? [String: Any])?["name"] as? String {
                let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty, !names.contains(trimmed) { names.append(trimmed) }
            }
        }
        people = names
        let time = root["photoTakenTime"] as? [String: Any]
        if let stamp = time?["timestamp"] {
            let seconds = (stamp as? String).flatMap(Double.init) ?? (stamp as? NSNumber)?.doubleValue
            takenAt = seconds.map { Date(timeIntervalSince1970: $0) }
        }
    }

    /// Whether a file name could be a Takeout sidecar (a `.json` that is not `labels.json` or an album's `metadata.json`).
    public static func isSidecarName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".json") && lower != "labels.json" && lower != "metadata.json" && !lower.hasPrefix("metadata(")
    }

    /// Suffixes Google Photos gives edited copies (English and a few localized forms).
    static let editedSuffixes = ["-edited", "-bearbeitet", "-modifié", "-editado", "-modificato"]

    /// `path` with an edited copy's suffix removed from its file name (`a/IMG_1-edited.jpg` -> `a/IMG_1.jpg`).
    public static func originalPath(of path: String) -> String {
        let ext = (path as NSString).pathExtension
        let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        for suffix in editedSuffixes where stem.lowercased().hasSuffix(suffix) {
            let base = String(stem.dropLast(suffix.count))
            return ext.isEmpty ? base : base + "." + ext
        }
        return path
    }

    /// The sidecar of photo `photoName` among the `.json` names of its folder, or nil.
    ///
    /// Accepted, best first: `P.supplemental-metadata.json`, `P.json`, the names Takeout cuts to fit its
    /// 51-character limit (`P.supplemental-metadat.json`, `P.suppl.json`, `P..json`, or `P` itself cut
    /// short: `IMG_2023…_long_na.json`). An edited copy (`IMG_1-edited.jpg`) uses its original's
    /// sidecar, and a duplicate `IMG_1(2).jpg` the sidecar `IMG_1.jpg(2).json` (Takeout moves the counter).
    public static func sidecarName(for photoName: String, among jsonNames: Set<String>) -> String? {
        let ext = (photoName as NSString).pathExtension
        var stem = ext.isEmpty ? photoName : String(photoName.dropLast(ext.count + 1))
        var counter = ""
        if stem.hasSuffix(")"), let open = stem.lastIndex(of: "("),
           stem[stem.index(after: open)..<stem.index(before: stem.endIndex)].allSatisfy({ $0.isASCII && $0.isNumber }),
           stem.distance(from: open, to: stem.endIndex) > 2 {
            counter = String(stem[open...])
            stem.removeSubrange(open...)
        }
        for edited in editedSuffixes where stem.lowercased().hasSuffix(edited) {
            stem = String(stem.dropLast(edited.count))
        }
        let base = ext.isEmpty ? stem : stem + "." + ext
        let full = "supplemental-metadata"
        // Exact names first (dictionary lookups), longest cut of ".supplemental-metadata" first.
        for candidate in [base + "." + full, base] + (0..<full.count).reversed().map({ base + "." + full.prefix($0) }) {
            let name = candidate + counter + ".json"
            if jsonNames.contains(name), isSidecarName(name) { return name }
        }
        // The photo's own name cut short: only long names are cut, so short prefixes never match.
        guard base.count + 5 >= 40 else { return nil }
        var best: String?
        for name in jsonNames where isSidecarName(name) {
            var key = String(name.dropLast(5))
            guard key.hasSuffix(counter) else { continue }
            if !counter.isEmpty { key = String(key.dropLast(counter.count)) }
            guard key.count >= 30, base.hasPrefix(key) || (base + "." + full).hasPrefix(key) else { continue }
            if best == nil || key.count > best!.count - 5 - counter.count || (key.count == best!.count - 5 - counter.count && name < best!) {
                best = name
            }
        }
        return best
    }
}
