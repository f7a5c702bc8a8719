/// The placeholders `<p1>` ... `<p5>` that stand for the people and pets of a prompt, numbered left to
/// right: the one home of their spelling and of the subject limit, which the prompt resolver, the
/// `--reference` binding, the pipeline and the reference encoder's slots all follow.
public enum Placeholder {
    /// The most subjects one image keeps consistent, as Nano Banana 2 does (the reference encoder has
    /// one slot embedding each).
    public static let limit = 5

    /// The placeholder for subject `number` (1-based): `<p1>`.
    public static func token(_ number: Int) -> String { "<p\(number)>" }

    /// The number of a placeholder token (`<p2>` -> 2), nil for anything else.
    public static func number(_ token: String) -> Int? {
        guard token.hasPrefix("<p"), token.hasSuffix(">"), let n = Int(token.dropFirst(2).dropLast()), (1...limit).contains(n) else { return nil }
        return n
    }

    /// Placeholder numbers a prompt mentions (`<p1>` -> 1), sorted, each once; single digits, as written
    /// by the resolver and the binding.
    public static func numbers(in prompt: String) -> [Int] {
        var found = Set<Int>()
        let scalars = Array(prompt.unicodeScalars)
        var i = 0
        while i + 3 < scalars.count {
            if scalars[i] == "<", scalars[i + 1] == "p", let d = Int(String(scalars[i + 2])), d >= 1, scalars[i + 3] == ">" { found.insert(d) }
            i += 1
        }
        return found.sorted()
    }
}
