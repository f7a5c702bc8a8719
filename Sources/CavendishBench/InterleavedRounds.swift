import Foundation

/// Contenders timed in alternating rounds within one run, so that load which comes and goes on a shared
/// machine lands on every contender alike: each round times every contender once, in an order rotated
/// round by round, and a comparison is the median of the per-round ratios, with its spread.
public enum InterleavedRounds {
    /// One contender: `measure` times one unit of its work and returns the seconds (a peer in another
    /// process reports its own clock, so the transport is not counted).
    public struct Contender {
        public let name: String
        public let measure: () throws -> Double
        /// A contender named `name`.
        public init(_ name: String, _ measure: @escaping () throws -> Double) { self.name = name; self.measure = measure }
    }

    /// Seconds per round for each contender (`warmup` untimed rounds first). Rounds continue until
    /// `minRounds` are done and `budget` seconds have passed, or `maxRounds`. `pause` seconds of idleness
    /// before each measurement let the previous contender's spinning worker threads (OpenMP's 200 ms
    /// block time, OpenBLAS's, ONNX Runtime's) go to sleep, so that no contender runs against another's.
    public static func run(_ contenders: [Contender], warmup: Int = 1, minRounds: Int = 7, maxRounds: Int = 200,
                           budget: Double = 0, pause: Double = 0) throws -> [String: [Double]] {
        var samples: [String: [Double]] = Dictionary(uniqueKeysWithValues: contenders.map { ($0.name, []) })
        let start = Stopwatch.now()
        var round = 0
        while round < warmup + minRounds || (Stopwatch.now() - start < budget && round < warmup + maxRounds) {
            let shift = round % contenders.count
            for c in contenders[shift...] + contenders[..<shift] {
                if pause > 0 { usleep(UInt32(pause * 1e6)) }
                let s = try c.measure()
                if round >= warmup { samples[c.name]!.append(s) }
            }
            round += 1
        }
        return samples
    }

    /// Seconds of one call of `body`, or of `repeats` calls when one is too short to time well.
    public static func timed(repeats: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        let t0 = Stopwatch.now()
        for _ in 0..<max(repeats, 1) { try body() }
        return (Stopwatch.now() - t0) / Double(max(repeats, 1))
    }

    /// How many calls of `body` make a unit of about `seconds` (at least one), after one warm-up call.
    public static func repeatsFor(seconds: Double, _ body: () throws -> Void) rethrows -> Int {
        try body()
        let one = try timed(body)
        return max(1, min(1000, Int((seconds / max(one, 1e-7)).rounded(.up))))
    }
}

/// The per-round ratios of one contender to another: their median, quartiles and spread, and whether the
/// spread is narrow enough to conclude against a target.
public struct RoundRatio: Codable, Sendable {
    /// Median of the per-round ratios.
    public var median: Double
    /// First and third quartiles of the per-round ratios.
    public var q1: Double, q3: Double
    /// (q3 - q1) / median.
    public var relativeSpread: Double
    /// Every per-round ratio, in round order.
    public var samples: [Double]
    /// False when the spread is wider than `RoundRatio.conclusiveSpread`: the run says nothing firm.
    public var conclusive: Bool

    /// Above this relative interquartile spread a run is reported as inconclusive.
    public static let conclusiveSpread = 0.2

    /// The ratios `numerator[i] / denominator[i]` of paired rounds.
    public init(_ numerator: [Double], over denominator: [Double]) {
        let r = zip(numerator, denominator).map { $0 / max($1, 1e-12) }
        samples = r
        let sorted = r.sorted()
        func quantile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let p = q * Double(sorted.count - 1), lo = Int(p.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
            return sorted[lo] + (sorted[hi] - sorted[lo]) * (p - Double(lo))
        }
        median = quantile(0.5); q1 = quantile(0.25); q3 = quantile(0.75)
        relativeSpread = (q3 - q1) / max(median, 1e-12)
        conclusive = !sorted.isEmpty && relativeSpread <= Self.conclusiveSpread
    }

    enum CodingKeys: String, CodingKey {
        case median, q1, q3, samples, conclusive
        case relativeSpread = "relative_spread"
    }
}
