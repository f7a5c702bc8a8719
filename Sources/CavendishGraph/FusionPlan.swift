import CavendishCore
import CavendishOps
import Foundation

/// Which nodes the executor runs as one call: a compute node (the head: MatMul, Conv, a normalization,
/// an elementwise operator) and the chain of elementwise nodes after it whose results nothing else reads,
/// applied to the head's output in place (`KernelInvocation.epilogue`). MatMul -> Add (bias) -> Gelu, the
/// residual `h + gate * y` and LayerNorm -> Mul (1 + scale) -> Add (shift) each become one call, and their
/// intermediates are never written to memory.
///
/// A node joins a chain when it is the only reader of the chain's value, that value is not a graph output,
/// it is Add, Sub, Mul, Div, Gelu or Sigmoid, and it keeps the float32 shape of the head's output. The
/// call runs once every operand of the chain is ready (`Group.at`: LayerNorm's `1 + scale` is computed after
/// the LayerNorm node in graph order). The plan is data: printed by `description`, ablated by building the
/// executor with `fusion: false` (or `CAVENDISH_FUSION=0`), and read by the memory planner, which keeps
/// everything the call reads alive until the call and starts the chain's result there.
public struct FusionPlan: Sendable, CustomStringConvertible {
    /// One fused call.
    public struct Group: Sendable {
        /// Index in `graph.nodes` of the node that runs first.
        public var head: Int
        /// The node after which the call runs: the head, or the last producer of a step's operand.
        public var at: Int
        /// Indices of the elementwise nodes applied after it, in order.
        public var steps: [Int]
        /// The chain's result: the last step's output.
        public var output: ValueID
    }

    /// The fused calls, in graph order.
    public let groups: [Group]
    /// Values computed inside a fused call and never stored (the head's and the middle steps' outputs).
    public let fusedAway: Set<ValueID>
    /// For each chain's result, the node index at which it is written (its group's `at`).
    public let producedAt: [ValueID: Int]
    /// One line per fused call, in graph order: its operators, the head's name and the result's shape
    /// (`MatMul + Add + Gelu blocks.0.mlp_fc1 -> [1, 256, 1024]`).
    public let calls: [String]

    /// Operators a chain may start with.
    public static let heads: Set<String> = ["MatMul", "Gemm", "Conv", "LayerNormalization", "GroupNormalization",
                                            "Add", "Sub", "Mul", "Div", "Gelu", "Sigmoid"]
    /// Operators a chain may continue with.
    public static let steps: Set<String> = ["Add", "Sub", "Mul", "Div", "Gelu", "Sigmoid"]

    /// Whether executors fuse unless told otherwise: `CAVENDISH_FUSION=0` turns it off for a whole process.
    public static var enabledByDefault: Bool { ProcessInfo.processInfo.environment["CAVENDISH_FUSION"] != "0" }

    /// No fusion: every node its own call.
    public static let none = FusionPlan(groups: [], fusedAway: [], producedAt: [:], calls: [])

    private init(groups: [Group], fusedAway: Set<ValueID>, producedAt: [ValueID: Int], calls: [String]) {
        self.groups = groups
        self.fusedAway = fusedAway
        self.producedAt = producedAt
        self.calls = calls
    }

    /// Plans `graph`, considering only the nodes at `candidates` (indices into `graph.nodes`; the executor
    /// passes those it runs per call, not those folded at load).
    public init(graph: Graph, candidates: [Int]) {
        var readers: [ValueID: [Int]] = [:]
        var producer: [ValueID: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for case let v? in node.inputs { readers[v, default: []].append(i) }
            for o in node.outputs { producer[o] = i }
        }
        let outputs = Set(graph.outputs)
        let isCandidate = Set(candidates)
        var taken = Set<Int>()
        var groups: [Group] = [], fusedAway = Set<ValueID>(), producedAt: [ValueID: Int] = [:], lines: [String] = []
        func float32(_ v: ValueID) -> Bool { graph[v].dtype == .float32 }
        for head in candidates where !taken.contains(head) {
            let node = graph.nodes[head]
            guard Self.heads.contains(node.op), node.outputs.count == 1, float32(node.outputs[0]) else { continue }
            let shape = graph[node.outputs[0]].shape
            var value = node.outputs[0], chain: [Int] = [], at = head
            while !outputs.contains(value), let next = readers[value], next.count == 1, isCandidate.contains(next[0]),
                  !taken.contains(next[0]) {
                let step = graph.nodes[next[0]]
                guard Self.steps.contains(step.op), step.outputs.count == 1, float32(step.outputs[0]),
                      graph[step.outputs[0]].shape == shape, step.inputs.filter({ $0 == value }).count == 1 else { break }
                // The other input must not widen the result; the call waits for it.
                let others = step.inputs.compactMap { $0 }.filter { $0 != value }
                guard others.count == (step.inputs.count == 1 ? 0 : 1),
                      others.allSatisfy({ graph[$0].dtype.isFloatingPoint && (try? Shape.broadcast([shape, graph[$0].shape])) == shape })
                else { break }
                for o in others { if let p = producer[o], isCandidate.contains(p) { at = max(at, p) } }
                chain.append(next[0])
                value = step.outputs[0]
            }
            guard !chain.isEmpty else { continue }
            taken.insert(head)
            taken.formUnion(chain)
            fusedAway.insert(node.outputs[0])
            for s in chain.dropLast() { fusedAway.formUnion(graph.nodes[s].outputs) }
            producedAt[value] = at
            groups.append(Group(head: head, at: at, steps: chain, output: value))
            let name = node.name.isEmpty ? "" : " \(node.name)"
            lines.append("\(([node.op] + chain.map { graph.nodes[$0].op }).joined(separator: " + "))\(name) -> \(graph[value].shape)")
        }
        self.init(groups: groups, fusedAway: fusedAway, producedAt: producedAt, calls: lines)
    }

    /// Nodes that run inside another node's call.
    public var fusedSteps: Set<Int> { Set(groups.flatMap(\.steps)) }

    /// How many calls absorb how many nodes (`96 fused calls absorb 167 elementwise nodes`).
    public var summary: String { "\(groups.count) fused calls absorb \(groups.map(\.steps.count).reduce(0, +)) elementwise nodes" }

    /// `calls`, one a line, then `summary`.
    public var description: String { (calls + [summary]).joined(separator: "\n") }
}
