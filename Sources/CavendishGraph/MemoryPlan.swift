import CavendishCore

/// A static plan for the intermediate tensors of a graph: one arena, each value at a fixed offset, and
/// values whose lifetimes do not overlap sharing bytes.
///
/// Lifetimes run from the producing node to the last consuming node (graph outputs to the end), both
/// inclusive, so a node never writes over its own inputs. Placement is greedy by size: largest values
/// first, each at the lowest offset free for its whole lifetime (the strategy of ggml's graph allocator
/// and TFLite's arena planner).
public struct MemoryPlan: Sendable {
    /// Byte offset of each planned value in the arena.
    public var offsets: [ValueID: Int]
    /// Arena size: the planned peak of intermediate memory.
    public var arenaBytes: Int
    /// Sum of all intermediate tensors' sizes: what allocating each separately and never freeing costs.
    public var naiveBytes: Int
    /// Alignment of every offset.
    public static let alignment = 64

    /// Plans `graph`; values in `exclude` (for example, results folded at load time) are left out. With a
    /// fusion plan, the values computed inside fused calls are left out too, each chain's result is live
    /// from the call's `at` on, and everything the call reads until then (so the result never shares bytes
    /// with anything the call reads).
    public init(graph: Graph, exclude: Set<ValueID> = [], fusion: FusionPlan = .none) {
        var first: [ValueID: Int] = [:], last: [ValueID: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for o in node.outputs where !exclude.contains(o) && !fusion.fusedAway.contains(o) {
                first[o] = fusion.producedAt[o] ?? i
                last[o] = i
            }
            for case let v? in node.inputs where first[v] != nil { last[v] = i }
        }
        // A fused call runs at its group's `at`: everything it reads (the head's inputs and the steps'
        // operands, some of whose nodes come before `at` in graph order) is read there.
        for g in fusion.groups where g.at > g.head {
            for n in [g.head] + g.steps {
                for case let v? in graph.nodes[n].inputs where first[v] != nil { last[v] = max(last[v]!, g.at) }
            }
        }
        for o in graph.outputs where first[o] != nil { last[o] = graph.nodes.count }
        let planned = first.keys.sorted { a, b in
            let sa = graph[a].byteCount, sb = graph[b].byteCount
            return sa != sb ? sa > sb : a < b
        }
        var placed: [(lo: Int, hi: Int, start: Int, end: Int)] = []
        var offsets: [ValueID: Int] = [:]
        var peak = 0
        for v in planned {
            let size = (graph[v].byteCount + Self.alignment - 1) / Self.alignment * Self.alignment
            let (start, end) = (first[v]!, last[v]!)
            let conflicts = placed.filter { $0.start <= end && start <= $0.end }.sorted { $0.lo < $1.lo }
            var offset = 0
            for c in conflicts {
                if offset + size <= c.lo { break }
                offset = max(offset, c.hi)
            }
            offsets[v] = offset
            placed.append((offset, offset + size, start, end))
            peak = max(peak, offset + size)
        }
        self.offsets = offsets
        arenaBytes = peak
        naiveBytes = planned.map { graph[$0].byteCount }.reduce(0, +)
    }
}
