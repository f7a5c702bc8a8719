/// Ring collectives over the chips' inter-chip interconnect, one torus axis at a time.
///
/// A group of N chips is laid out over the torus's axes (at most 16 chips an axis on the 2-D tori of
/// v5e and v6e, 4 on the 3-D tori of v4 and v5p, whose cubes are 4x4x4). An axis wraps around, and so is
/// a bidirectional ring, where the published topologies wrap: a full axis of 16 on the 2-D tori, an axis
/// of a multiple of 4 on the 3-D ones; otherwise it is a line, whose middle link is the bottleneck. Each
/// axis's step costs `hops x hopSeconds + bottleneck-link bytes / (efficiency x linkBytesPerSecond)`,
/// with the efficiency and hop latency fitted on the scaling book's profiled v5e AllGathers
/// (`scripts/fit_simulator_constants.py`).
public enum Collective {
    /// The axis sizes N chips occupy on `ici`'s torus, largest first.
    public static func axes(chips: Int, ici: ChipSpec.Interconnect) throws -> [Int] {
        guard chips >= 1, chips <= 1 << 16 else { throw SimulatorError("--chips must be 1...65536, got \(chips)") }
        let limit = ici.torusDimensions == 2 ? 16 : 4
        var left = chips, out: [Int] = []
        while left > 1 {
            guard let size = stride(from: min(limit, left), through: 2, by: -1).first(where: { left % $0 == 0 }),
                  out.count < ici.torusDimensions else {
                throw SimulatorError("\(chips) chips do not form a slice of this chip's \(ici.torusDimensions)-D torus "
                                     + "(at most \(limit) chips an axis); try a product of axes such as \(limit) x \(limit)")
            }
            out.append(size)
            left /= size
        }
        return out
    }

    /// Whether an axis of `size` chips wraps around on `ici`'s torus.
    static func wraps(_ size: Int, ici: ChipSpec.Interconnect) -> Bool {
        ici.torusDimensions == 2 ? size == 16 : size % 4 == 0
    }

    /// Seconds to all-gather a result of `bytes` (each chip starting with `bytes / N`) over `chips` chips.
    public static func allGatherSeconds(bytes: Double, chips: Int, ici: ChipSpec.Interconnect) throws -> Double {
        var seconds = 0.0, gathered = bytes / Double(chips)
        for n in try axes(chips: chips, ici: ici) {
            gathered *= Double(n)   // the result of this axis's step
            let (hops, bottleneck): (Int, Double) = wraps(n, ici: ici)
                ? (n / 2, gathered * Double(n - 1) / Double(n) / 2)
                : (n - 1, gathered * Double(n / 2) / Double(n))
            seconds += Double(hops) * ici.hopSeconds + bottleneck / (ici.efficiency * ici.linkBytesPerSecond)
        }
        return seconds
    }

    /// Seconds to all-reduce `bytes` over `chips` chips: a reduce-scatter and an all-gather, which move
    /// the same bytes over the same links.
    public static func allReduceSeconds(bytes: Double, chips: Int, ici: ChipSpec.Interconnect) throws -> Double {
        2 * (try allGatherSeconds(bytes: bytes, chips: chips, ici: ici))
    }
}
