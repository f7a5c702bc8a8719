import CavendishCore
import Foundation

/// Binds the people a prompt names to placeholders `<p1>`..`<p5>` for `--reference NAME=IMG[,IMG...]`.
///
/// `pN` names `<pN>`, which the prompt must contain; any other name must appear in the prompt as a
/// whole word (case-insensitively) and is replaced everywhere by the next free placeholder. Names the
/// prompt does not use, placeholders without photos, 1-to-4 photos violated, and more than five people
/// are errors that say what to change.
public enum PeopleBinding {
    /// Why a binding failed.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The message for the user.
        public let description: String
    }

    /// A prompt with its people bound: the rewritten text, the photo paths and the name the prompt used
    /// for each placeholder number ("" for a bare `pN`).
    public struct Binding: Sendable, Equatable {
        public var prompt: String
        public var people: [Int: [String]]
        public var names: [Int: String]
    }

    /// One `--reference NAME=IMG[,IMG...]` option as its name and photo paths.
    public static func parse(_ spec: String) throws -> (name: String, files: [String]) {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw Failure(description: "--reference \(spec): expected NAME=IMG[,IMG...]")
        }
        return (parts[0], parts[1].split(separator: ",").map(String.init))
    }

    /// The rewritten prompt and the photo paths by placeholder number.
    public static func bind(prompt: String, references: [String]) throws -> (prompt: String, people: [Int: [String]]) {
        let b = try bind(prompt: prompt, named: try references.map(parse))
        return (b.prompt, b.people)
    }

    /// Binds `references` (name and photos, in the order given: named people take the free placeholders in
    /// that order) to the prompt.
    public static func bind(prompt: String, named references: [(name: String, files: [String])]) throws -> Binding {
        var text = prompt
        var people: [Int: [String]] = [:], names: [Int: String] = [:]
        var named: [(String, [String])] = []
        for (given, files) in references {
            guard (1...4).contains(files.count) else { throw Failure(description: "--reference \(given): give 1 to 4 photos, got \(files.count)") }
            let name = given.lowercased()
            if name.count == 2, name.hasPrefix("p"), let n = Int(name.dropFirst()), (1...Placeholder.limit).contains(n) {
                guard text.contains(Placeholder.token(n)) else { throw Failure(description: "--reference \(given): the prompt has no <p\(n)>") }
                guard people[n] == nil else { throw Failure(description: "--reference p\(n) is given twice") }
                people[n] = files
                names[n] = ""
            } else {
                named.append((given, files))
            }
        }
        var seen = Set<String>()
        for (name, files) in named {
            guard seen.insert(name.lowercased()).inserted else { throw Failure(description: "--reference \(name) is given twice") }
            // A whole word: not inside a longer run of letters and digits. `\b` would need word characters
            // at the name's own ends, so a name that starts or ends with an emoji or a symbol never matched.
            let pattern = "(?<![\\p{L}\\p{N}_])\(NSRegularExpression.escapedPattern(for: name))(?![\\p{L}\\p{N}_])"
            guard text.range(of: pattern, options: [.regularExpression, .caseInsensitive]) != nil else {
                throw Failure(description: "--reference \(name): the prompt does not mention \(name)")
            }
            guard let slot = (1...Placeholder.limit).first(where: { people[$0] == nil && !text.contains(Placeholder.token($0)) }) else {
                throw Failure(description: "more than \(Placeholder.limit) people: NB-mini, like Nano Banana 2, keeps at most \(Placeholder.limit) characters consistent")
            }
            text = text.replacingOccurrences(of: pattern, with: Placeholder.token(slot), options: [.regularExpression, .caseInsensitive])
            people[slot] = files
            names[slot] = name
        }
        for n in Placeholder.numbers(in: text) where people[n] == nil {
            guard n <= Placeholder.limit else {
                throw Failure(description: "the prompt mentions <p\(n)>, but placeholders run from <p1> to <p\(Placeholder.limit)> (at most \(Placeholder.limit) people)")
            }
            throw Failure(description: "the prompt mentions <p\(n)> but no --reference p\(n)=... gives photos of that person")
        }
        return Binding(prompt: text, people: people, names: names)
    }
}
