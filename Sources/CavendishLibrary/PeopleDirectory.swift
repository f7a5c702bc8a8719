import CavendishCore
import Foundation

/// Looks people up by what a user types: `Ava`, `@Ava`, `Ava#2`, `@Ava_Hart` (underscores for spaces).
///
/// Matching ignores case. A name shared by several people must carry `#N` (their `handle`); a name that
/// matches nobody gets the closest indexed names as suggestions.
public struct PeopleDirectory: Sendable {
    /// Everyone indexed.
    public let people: [PersonSummary]

    /// A directory over `people`.
    public init(people: [PersonSummary]) {
        self.people = people
    }

    /// Everyone whose name is `name` (case-insensitive), in handle order.
    public func everyone(named name: String) -> [PersonSummary] {
        let key = name.lowercased()
        return people.filter { $0.name.lowercased() == key }
    }

    /// The one person that `text` names; throws `unknownPerson` (with suggestions) or `ambiguousPerson`.
    public func person(_ text: String) throws -> PersonSummary {
        var spec = text.trimmingCharacters(in: .whitespaces)
        if spec.hasPrefix("@") { spec.removeFirst() }
        var number: Int?
        if let hash = spec.lastIndex(of: "#"), let n = Int(spec[spec.index(after: hash)...]) {
            number = n
            spec = String(spec[..<hash])
        }
        var matches = everyone(named: spec)
        if matches.isEmpty, spec.contains("_") { matches = everyone(named: spec.replacingOccurrences(of: "_", with: " ")) }
        guard !matches.isEmpty else {
            throw LibraryError.unknownPerson(name: spec, suggestions: suggestions(for: spec))
        }
        if let number {
            guard matches.count > 1 || number == 1 else { return matches[0] }
            guard (1...matches.count).contains(number) else {
                throw LibraryError.ambiguousPerson(name: matches[0].name, candidates: matches.map(\.summary))
            }
            return matches[number - 1]
        }
        guard matches.count == 1 else { throw LibraryError.ambiguousPerson(name: matches[0].name, candidates: matches.map(\.summary)) }
        return matches[0]
    }

    /// Up to three indexed names closest to `name` by edit distance (at most a third of its length, at least 2).
    public func suggestions(for name: String) -> [String] {
        let key = name.lowercased()
        let limit = max(2, key.count / 3)
        var scored: [(Int, String)] = []
        for n in Set(people.map { $0.name.replacingOccurrences(of: " ", with: "_") }) {
            let d = editDistance(key, n.lowercased())
            let prefix = n.lowercased().hasPrefix(key) && key.count >= 2
            if d <= limit || prefix { scored.append((prefix ? min(d, 1) : d, n)) }
        }
        return scored.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.prefix(3).map(\.1)
    }
}
