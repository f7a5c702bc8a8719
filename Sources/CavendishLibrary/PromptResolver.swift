import CavendishCore
import Foundation

/// One subject a prompt names, resolved to an indexed person or pet.
public struct ResolvedSubject: Sendable, Codable, Equatable {
    /// `<p1>` .. `<p5>`, in order of first mention.
    public let placeholder: String
    /// Who.
    public let person: PersonSummary
    /// The words of the prompt that named them ("me", "my family", "@Ava", "Biscuit").
    public var mentions: [String]
    /// The chosen reference crops (filled in by `PhotoLibrary.resolve`; empty from `PromptResolver` alone).
    public var references: [ReferenceCrop]
}

/// A prompt with its subjects resolved.
public struct ResolvedPrompt: Sendable, Codable, Equatable {
    /// The prompt as the user wrote it.
    public let original: String
    /// The prompt with each mention replaced by placeholders (`me and my family` -> `<p1> and <p2>, <p3> and <p4>`).
    public let text: String
    /// The subjects, in placeholder order.
    public var subjects: [ResolvedSubject]
}

/// Maps the people a prompt names to indexed people, and rewrites it with placeholders `<p1>`..`<p5>`.
///
/// Understood, case-insensitively unless noted:
/// - `me`, `myself`: the person marked with `set-me`;
/// - `my family` (also `our family`): me, partner, children and those related as family, in that order;
/// - `my partner`, `my wife`, `my husband`, `my spouse`, `my boyfriend`, `my girlfriend`: the partner;
/// - `my kids`, `my children` (all) and `my child`, `my son`, `my daughter` (exactly one): children;
/// - `my pet(s)`, `my dog(s)`, `my puppy`, `my cat(s)`, `my kitten`: pets (by species when known);
/// - `my friends` / `my friend`: those related as friend;
/// - `@Name`, `@Name#2` (duplicates), `@First_Last` (underscore for a space): explicit mentions, which
///   fail with suggestions when nobody has the name;
/// - plain names, matched as whole words exactly as the index writes them (so "Will" the person is not
///   found in "we will go").
/// The same person mentioned twice keeps one placeholder. More than `Placeholder.limit` subjects is an error.
public struct PromptResolver: Sendable {
    /// The people the prompt may name.
    public let directory: PeopleDirectory

    /// A resolver over `people`.
    public init(people: [PersonSummary]) {
        self.directory = PeopleDirectory(people: people)
    }

    private enum Target {
        case explicit(String)        // @name
        case plain(String)           // a bare indexed name
        case me
        case relation(Relation, plural: Bool, species: String?)
        case family
    }

    private struct Mention {
        let range: Range<String.Index>
        let target: Target
        var text: String
    }

    /// Resolves `prompt`; throws `LibraryError` for unknown or ambiguous names, missing relations and too many subjects.
    public func resolve(_ prompt: String) throws -> ResolvedPrompt {
        var mentions: [Mention] = []
        func add(_ pattern: String, options: NSRegularExpression.Options = [.caseInsensitive], _ make: (NSTextCheckingResult, String) -> Target?) {
            guard let re = try? NSRegularExpression(pattern: pattern, options: options) else { return }
            let ns = prompt as NSString
            for m in re.matches(in: prompt, range: NSRange(location: 0, length: ns.length)) {
                guard let range = Range(m.range, in: prompt), let target = make(m, ns.substring(with: m.range)) else { continue }
                mentions.append(Mention(range: range, target: target, text: String(prompt[range])))
            }
        }
        add(#"(?<![\p{L}\p{N}])@([\p{L}\p{N}_'\-.]*[\p{L}\p{N}_])(#\d+)?"#, options: []) { m, text in
            var name = String(text.dropFirst())
            if name.hasSuffix("'s") && m.range(at: 2).location == NSNotFound { name = String(name.dropLast(2)) }
            return .explicit(name)
        }
        add(#"\b(?:my|our)\s+(?:whole\s+)?family\b"#) { _, _ in .family }
        add(#"\b(?:my|our)\s+(partner|wife|husband|spouse|boyfriend|girlfriend|kids|children|child|kid|sons?|daughters?|pets?|dogs?|puppy|puppies|cats?|kitten|kittens|friends?)\b"#) { m, text in
            let word = (text as NSString).substring(with: NSRange(location: m.range(at: 1).location - m.range.location, length: m.range(at: 1).length)).lowercased()
            switch word {
            case "partner", "wife", "husband", "spouse", "boyfriend", "girlfriend": return .relation(.partner, plural: false, species: nil)
            case "kids", "children", "sons", "daughters": return .relation(.child, plural: true, species: nil)
            case "child", "kid", "son", "daughter": return .relation(.child, plural: false, species: nil)
            case "pet": return .relation(.pet, plural: false, species: nil)
            case "pets": return .relation(.pet, plural: true, species: nil)
            case "dog", "puppy": return .relation(.pet, plural: false, species: "dog")
            case "dogs", "puppies": return .relation(.pet, plural: true, species: "dog")
            case "cat", "kitten": return .relation(.pet, plural: false, species: "cat")
            case "cats", "kittens": return .relation(.pet, plural: true, species: "cat")
            case "friend": return .relation(.friend, plural: false, species: nil)
            default: return .relation(.friend, plural: true, species: nil)
            }
        }
        add(#"\b(?:me|myself)\b"#) { _, _ in .me }
        for name in Set(directory.people.map(\.name)).sorted(by: { $0.count > $1.count }) {
            let escaped = NSRegularExpression.escapedPattern(for: name)
            add(#"(?<![\p{L}\p{N}@#_])"# + escaped + #"(#\d+)?(?![\p{L}\p{N}_])"#, options: []) { _, text in .plain(text) }
        }
        // Earliest first; at one position the longest; drop anything overlapping a kept mention.
        mentions.sort { $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.text.count > $1.text.count }
        var kept: [Mention] = []
        for m in mentions where !kept.contains(where: { $0.range.overlaps(m.range) }) { kept.append(m) }

        var subjects: [ResolvedSubject] = []
        var replacements: [(Range<String.Index>, String)] = []
        for m in kept {
            let people = try resolveTarget(m)
            var placeholders: [String] = []
            for p in people {
                if let i = subjects.firstIndex(where: { $0.person.id == p.id }) {
                    if !subjects[i].mentions.contains(m.text) { subjects[i].mentions.append(m.text) }
                    placeholders.append(subjects[i].placeholder)
                } else {
                    let ph = Placeholder.token(subjects.count + 1)
                    subjects.append(ResolvedSubject(placeholder: ph, person: p, mentions: [m.text], references: []))
                    placeholders.append(ph)
                }
            }
            if case .family = m.target {
                // "me and my family": the family phrase lists the members not already named.
                let fresh = placeholders.filter { ph in !replacements.contains { $0.1.contains(ph) } }
                if !fresh.isEmpty { placeholders = fresh }
            }
            var text = Self.list(placeholders)
            if case .relation(.pet, false, let species?) = m.target { text += " the \(species)" }
            replacements.append((m.range, text))
        }
        guard subjects.count <= Placeholder.limit else {
            throw LibraryError.tooManySubjects(count: subjects.count, names: subjects.map(\.person.handle))
        }
        var text = prompt
        for (range, replacement) in replacements.reversed() { text.replaceSubrange(range, with: replacement) }
        return ResolvedPrompt(original: prompt, text: text, subjects: subjects)
    }

    /// "<p1>", "<p1> and <p2>", "<p1>, <p2> and <p3>".
    static func list(_ items: [String]) -> String {
        items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    private func resolveTarget(_ m: Mention) throws -> [PersonSummary] {
        let people = directory.people
        func related(_ r: Relation) -> [PersonSummary] { people.filter { $0.relation == r }.sorted { $0.handle < $1.handle } }
        let me = related(.me)
        switch m.target {
        case .explicit(let name):
            if name.lowercased() == "me", directory.everyone(named: "me").isEmpty, let owner = me.first { return [owner] }
            return [try directory.person(name)]
        case .plain(let text):
            return [try directory.person(text)]
        case .me:
            guard let owner = me.first else {
                throw LibraryError.noSuchRelation(phrase: m.text, fix: "tell Cavendish who you are with `cavendish library set-me NAME`.")
            }
            return [owner]
        case .family:
            let members = me + related(.partner) + related(.child) + related(.family)
            guard members.count > me.count else {
                throw LibraryError.noSuchRelation(phrase: m.text, fix: "mark your family with `cavendish library relate NAME --as family` (or partner, child).")
            }
            return members
        case .relation(let relation, let plural, let species):
            var candidates: [PersonSummary]
            if relation == .pet {
                let pets = people.filter { $0.kind == .pet || $0.relation == .pet }
                let mine = pets.filter { $0.relation == .pet }
                candidates = (mine.isEmpty ? pets : mine).sorted { $0.handle < $1.handle }
                if let species {
                    let known = candidates.filter { $0.species != nil }
                    let matching = candidates.filter { $0.species == species }
                    if !matching.isEmpty || !known.isEmpty || candidates.count > 1 { candidates = matching }
                    if candidates.isEmpty {
                        throw LibraryError.noSuchRelation(phrase: m.text, fix: "no pet is known to be a \(species); set it with `cavendish library relate NAME --as pet --species \(species)`.")
                    }
                }
            } else {
                candidates = related(relation)
            }
            guard !candidates.isEmpty else {
                throw LibraryError.noSuchRelation(phrase: m.text, fix: "mark them with `cavendish library relate NAME --as \(relation.rawValue)`.")
            }
            if !plural && candidates.count > 1 {
                throw LibraryError.ambiguousRelation(phrase: m.text, candidates: candidates.map(\.handle))
            }
            return candidates
        }
    }
}
