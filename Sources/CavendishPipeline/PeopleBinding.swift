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

    /// The rewritten prompt and the photo paths by placeholder number.
    public static func bind(prompt: String, references: [String]) throws -> (prompt: String, people: [Int: [String]]) {
        var text = prompt
        var people: [Int: [String]] = [:]
        var named: [(String, [String])] = []
        for spec in references {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw Failure(description: "--reference \(spec): expected NAME=IMG[,IMG...]")
            }
            let files = parts[1].split(separator: ",").map(String.init)
            guard (1...4).contains(files.count) else { throw Failure(description: "--reference \(parts[0]): give 1 to 4 photos, got \(files.count)") }
            let name = parts[0].lowercased()
            if name.count == 2, name.hasPrefix("p"), let n = Int(name.dropFirst()), (1...Placeholder.limit).contains(n) {
                guard text.contains(Placeholder.token(n)) else { throw Failure(description: "--reference \(parts[0]): the prompt has no <p\(n)>") }
                guard people[n] == nil else { throw Failure(description: "--reference p\(n) is given twice") }
                people[n] = files
            } else {
                named.append((parts[0], files))
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
        }
        for n in Placeholder.numbers(in: text) where people[n] == nil {
            guard n <= Placeholder.limit else {
                throw Failure(description: "the prompt mentions <p\(n)>, but placeholders run from <p1> to <p\(Placeholder.limit)> (at most \(Placeholder.limit) people)")
            }
            throw Failure(description: "the prompt mentions <p\(n)> but no --reference p\(n)=... gives photos of that person")
        }
        return (text, people)
    }
}
