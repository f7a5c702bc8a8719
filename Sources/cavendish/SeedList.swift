import Foundation

/// The seeds of a run, from `--seed`, `--seeds` and `--count` as stable-diffusion.cpp and diffusers users
/// write them: `--seed -1` (or none) draws a fresh seed, `--seeds 1-8` or `--seeds 3,7,42` lists them,
/// `--count N` makes N consecutive seeds from the first.
enum SeedList {
    /// The largest list one run takes.
    static let limit = 10_000

    /// The seeds, in order. `fresh` supplies a new random seed.
    static func resolve(seed: Int64?, seeds: String?, count: Int?, fresh: () -> UInt64 = { UInt64.random(in: 0...UInt64(UInt32.max)) }) throws -> [UInt64] {
        if seed != nil && seeds != nil { throw CommandError("use either --seed or --seeds, not both") }
        if let count, !(1...limit).contains(count) { throw CommandError("--count must be between 1 and \(limit), got \(count)") }
        if let seeds {
            if count != nil { throw CommandError("--count makes consecutive seeds from --seed; with --seeds, list every seed instead") }
            return try parse(seeds)
        }
        let first: UInt64
        if let s = seed, s >= 0 {
            first = UInt64(s)
        } else if let s = seed, s < -1 {
            throw CommandError("--seed must be -1 (a fresh seed) or 0 and up, got \(s)")
        } else {
            first = fresh()
        }
        return (0..<UInt64(count ?? 1)).map { first &+ $0 }
    }

    /// `1-8`, `3,7,42`, or both mixed (`1-4,10`).
    static func parse(_ text: String) throws -> [UInt64] {
        var out: [UInt64] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let lo = UInt64(bounds[0]), bounds.count == 1 || UInt64(bounds[1]) != nil else {
                throw CommandError("--seeds \(text): expected seeds like 1-8 or 3,7,42 (non-negative whole numbers)")
            }
            let hi = bounds.count == 2 ? UInt64(bounds[1])! : lo
            guard hi >= lo else { throw CommandError("--seeds \(part): the range runs backwards") }
            guard hi - lo < UInt64(limit), out.count + Int(hi - lo + 1) <= limit else { throw CommandError("--seeds \(text): more than \(limit) seeds") }
            out += (lo...hi).map { $0 }
        }
        return out
    }
}
