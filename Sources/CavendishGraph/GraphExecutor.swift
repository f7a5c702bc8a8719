import CavendishCore
import Foundation

/// Why a graph could not be loaded or run.
public struct GraphError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to do about it.
    public let description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Runs a graph on a backend with weights that stay resident between runs.
///
/// Loading checks every weight's presence and shape, converts weights to the graph's element types,
/// and evaluates once the nodes that depend only on weights and constants (such as the transposes
/// `GraphBuilder.linear` adds). Each run then executes the remaining nodes with their outputs written
/// into one arena laid out by `MemoryPlan`.
public final class GraphExecutor: @unchecked Sendable {
    /// The graph.
    public let graph: Graph
    /// The backend that executes nodes.
    public let backend: any KernelBackend
    /// The buffer plan for intermediates.
    public let plan: MemoryPlan
    private let resident: [ValueID: Tensor]
    private let runNodes: [Node]
    private let arena: TensorStorage
    /// Runs share the arena, so they take turns.
    private let runLock = NSLock()

    /// Whether kernels write into the planned arena (off: every output is allocated, for ablations).
    public let usesPlan: Bool

    /// Loads `weights` (by name) for `graph`.
    public init(graph: Graph, weights: [String: Tensor], backend: any KernelBackend, usesPlan: Bool = true) throws {
        self.graph = graph
        self.backend = backend
        self.usesPlan = usesPlan
        var resident: [ValueID: Tensor] = [:]
        for (i, value) in graph.values.enumerated() {
            let id = ValueID(i)
            switch value.role {
            case .weight:
                guard let w = weights[value.name] else { throw GraphError("weight '\(value.name)' \(value.shape) is missing from the weights") }
                guard w.shape == value.shape else {
                    throw GraphError("weight '\(value.name)' has shape \(w.shape), the model expects \(value.shape)")
                }
                resident[id] = w.converted(to: value.dtype)
            case .constant:
                resident[id] = value.constant
            default: break
            }
        }
        var remaining: [Node] = []
        var folded = Set<ValueID>()
        for node in graph.nodes {
            if node.inputs.allSatisfy({ $0 == nil || resident[$0!] != nil }) {
                let outs = try backend.run(KernelInvocation(op: node.op, inputs: node.inputs.map { $0.flatMap { resident[$0] } },
                                                           attributes: node.attributes, opset: node.opset, outputCount: node.outputs.count))
                for (o, t) in zip(node.outputs, outs) { resident[o] = t; folded.insert(o) }
            } else {
                remaining.append(node)
            }
        }
        runNodes = remaining
        self.resident = resident
        plan = MemoryPlan(graph: graph, exclude: folded)
        arena = TensorStorage(byteCount: plan.arenaBytes, zeroed: false)
    }

    /// Runs the graph on `inputs` (in `graph.inputs` order) and returns the outputs, copied out of the
    /// arena so they survive the next run.
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        runLock.lock()
        defer { runLock.unlock() }
        guard inputs.count == graph.inputs.count else {
            throw GraphError("the graph takes \(graph.inputs.count) inputs, got \(inputs.count)")
        }
        var env = resident
        for (id, t) in zip(graph.inputs, inputs) {
            let v = graph[id]
            guard t.shape == v.shape else { throw GraphError("input '\(v.name)' has shape \(t.shape), expected \(v.shape)") }
            env[id] = t.converted(to: v.dtype)
        }
        for node in runNodes {
            var call = KernelInvocation(op: node.op, inputs: node.inputs.map { $0.flatMap { env[$0] } },
                                        attributes: node.attributes, opset: node.opset, outputCount: node.outputs.count)
            if usesPlan { call.outputBuffers = node.outputs.map { planned($0) } }
            let outs: [Tensor]
            do { outs = try backend.run(call) } catch {
                throw GraphError("node \(node.name.isEmpty ? node.op : node.name) (\(node.op)): \(error)")
            }
            for (o, t) in zip(node.outputs, outs) {
                // A kernel may return a view of an input (Reshape, an identity Transpose, a dense Slice).
                // The input's bytes may be reused as soon as this node is done, so a view into the arena
                // is copied into the output's own planned bytes, which are disjoint from every input's.
                if t.storage === arena, let own = planned(o), t.offset != own.offset || !t.isContiguous {
                    t.copyElements(to: own.rawPointer)
                    env[o] = own
                } else {
                    env[o] = t
                }
            }
        }
        return try graph.outputs.map { id in
            guard let t = env[id] else { throw GraphError("output \(graph[id].name) was not computed") }
            let copy = Tensor(uninitialized: t.shape, dtype: t.dtype)
            t.copyElements(to: copy.rawPointer)
            return copy
        }
    }

    private func planned(_ id: ValueID) -> Tensor? {
        guard let offset = plan.offsets[id] else { return nil }
        let v = graph[id]
        return Tensor(storage: arena, dtype: v.dtype, shape: v.shape, strides: Shape.contiguousStrides(v.shape),
                      offset: offset / v.dtype.byteSize)
    }
}
