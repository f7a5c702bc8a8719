import CavendishCore
import CavendishOps
import Foundation

/// Why a graph could not be loaded or run.
public struct GraphError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to do about it.
    public let description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// A node the chosen backend cannot run, found before any weight is loaded: which node, which operator,
/// which backend and why, so that a caller can choose another backend or report the operator as
/// unsupported rather than failed.
public struct UnsupportedNode: Error, CustomStringConvertible, Sendable, Equatable {
    /// The node's name (its operator when it has none), its operator and the backend.
    public let node: String, op: String, backend: String
    /// The backend's reason.
    public let reason: String
    /// The message.
    public var description: String { "node \(node) (\(op)): the \(backend) backend cannot run it: \(reason)" }
}

/// Runs a graph on a backend with weights that stay resident between runs.
///
/// Loading checks every weight's presence and shape, converts weights to the graph's element types
/// (or, with `WeightResidency.stored`, keeps 16-bit weights as they are), and evaluates once the nodes
/// that depend only on weights and constants (such as the transposes `GraphBuilder.linear` adds). Each
/// run then executes the remaining nodes with their outputs written into one arena laid out by
/// `MemoryPlan`.
public final class GraphExecutor: @unchecked Sendable {
    /// How weights are held between runs.
    public enum WeightResidency: String, Sendable, CaseIterable {
        /// Widened to the graph's element type once, at load: the fastest runs, 4 bytes a float32 weight.
        case widened
        /// float16 and bfloat16 weights stay as stored (2 bytes each) and are widened into a scratch
        /// buffer each time a node reads them. Widening to float32 is exact, so runs give the same
        /// results as `widened`, for half the resident weight bytes and one conversion pass per use.
        case stored
    }

    /// The graph.
    public let graph: Graph
    /// The backend that executes nodes.
    public let backend: any KernelBackend
    /// The buffer plan for intermediates.
    public let plan: MemoryPlan
    private let resident: [ValueID: Tensor]
    /// The fused calls (`FusionPlan.none` when fusion is off or the backend does not fuse).
    public let fusion: FusionPlan
    /// For each fused call's head, its group.
    private let groupByHead: [Int: FusionPlan.Group]
    /// One backend call of a run: a node (with its fused steps when it heads a group), its label in profiles
    /// (`MatMul+Add+Gelu`), and the positions of its inputs that are the same tensor on every run.
    private struct Call {
        var node: Int, label: String, constantInputs: Set<Int>
    }
    /// The calls of a run, in order: the nodes not folded at load, less the fused steps, each fused head
    /// moved to its group's `at`.
    private let calls: [Call]
    private let arena: TensorStorage
    /// Runs share the arena, so they take turns.
    private let runLock = NSLock()
    /// Buffers that 16-bit resident weights are widened into, one per widened input of a node.
    private var scratch: [TensorStorage] = []
    /// Bytes held by weights and weight-only results between runs.
    public let residentBytes: Int
    /// When set, runs add each node's wall time to `secondsByOp` (for benchmarks' breakdowns).
    public var profiling = false
    /// Seconds spent in each op type over the profiled runs.
    public private(set) var secondsByOp: [String: Double] = [:]

    /// Whether kernels write into the planned arena (off: every output is allocated, for ablations).
    public let usesPlan: Bool

    /// Called with the graph at the start of every run of every executor, while bound (nil: nothing is
    /// called). Task-local, so that a test can record exactly which graphs one call (such as a whole image
    /// generation) executes, however many executors it goes through, without seeing other tests' runs.
    @TaskLocal public static var runObserver: (@Sendable (Graph) -> Void)?

    /// Loads `weights` (by name) for `graph`. With `fusion` (the default unless `CAVENDISH_FUSION=0`) and a
    /// backend that fuses, elementwise chains run inside the call of the node they follow (`FusionPlan`).
    public init(graph: Graph, weights: [String: Tensor], backend: any KernelBackend, usesPlan: Bool = true,
                residency: WeightResidency = .widened, fusion: Bool = FusionPlan.enabledByDefault) throws {
        self.graph = graph
        self.backend = backend
        self.usesPlan = usesPlan
        // The backend says what it cannot run before any weight is touched.
        for node in graph.nodes {
            let call = KernelInvocation(op: node.op, inputs: [], attributes: node.attributes, opset: node.opset)
            if let reason = backend.unsupportedReason(for: call) {
                throw UnsupportedNode(node: node.name.isEmpty ? node.op : node.name, op: node.op, backend: backend.name, reason: reason)
            }
        }
        var resident: [ValueID: Tensor] = [:]
        for (i, value) in graph.values.enumerated() {
            let id = ValueID(i)
            switch value.role {
            case .weight:
                guard let w = weights[value.name] else { throw GraphError("weight '\(value.name)' \(value.shape) is missing from the weights") }
                guard w.shape == value.shape else {
                    throw GraphError("weight '\(value.name)' has shape \(w.shape), the model expects \(value.shape)")
                }
                let keep = residency == .stored && value.dtype == .float32 && (w.dtype == .float16 || w.dtype == .bfloat16)
                resident[id] = w.converted(to: keep ? w.dtype : value.dtype)
            case .constant:
                resident[id] = value.constant
            default: break
            }
        }
        var remaining: [Int] = []
        var folded = Set<ValueID>()
        for (index, node) in graph.nodes.enumerated() {
            if node.inputs.allSatisfy({ $0 == nil || resident[$0!] != nil }) {
                // Layout ops fold into views of a stored 16-bit weight; anything that computes gets the
                // widened values, so folding rounds nothing.
                let layoutOnly = try node.schema().returnsView
                let inputs = node.inputs.map { $0.flatMap { id in resident[id].map { layoutOnly ? $0 : $0.converted(to: graph[id].dtype) } } }
                let outs = try backend.run(KernelInvocation(op: node.op, inputs: inputs,
                                                           attributes: node.attributes, opset: node.opset, outputCount: node.outputs.count))
                for (o, t) in zip(node.outputs, outs) { resident[o] = t; folded.insert(o) }
            } else {
                remaining.append(index)
            }
        }
        let fusionPlan = fusion && backend.fusesEpilogues && usesPlan ? FusionPlan(graph: graph, candidates: remaining) : .none
        self.fusion = fusionPlan
        let groupByHead = Dictionary(uniqueKeysWithValues: fusionPlan.groups.map { ($0.head, $0) })
        self.groupByHead = groupByHead
        let steps = fusionPlan.fusedSteps, late = Dictionary(grouping: fusionPlan.groups.filter { $0.at > $0.head }, by: \.at)
        let order = remaining.flatMap { i -> [Int] in
            guard !steps.contains(i), groupByHead[i].map({ $0.at == i }) ?? true else { return late[i]?.map(\.head) ?? [] }
            return [i] + (late[i]?.map(\.head) ?? [])
        }
        let isConstant = { (id: ValueID) in resident[id].map { $0.dtype == graph[id].dtype } ?? false }
        calls = order.map { i in
            let node = graph.nodes[i]
            let label = ([node.op] + (groupByHead[i]?.steps.map { graph.nodes[$0].op } ?? [])).joined(separator: "+")
            // Resident inputs passed as they are (not widened into a scratch buffer, whose bytes change) are constant.
            return Call(node: i, label: label, constantInputs: Set(node.inputs.indices.filter { node.inputs[$0].map(isConstant) ?? false }))
        }
        self.resident = resident
        var seen = Set<ObjectIdentifier>()
        residentBytes = resident.values.reduce(0) { sum, t in seen.insert(ObjectIdentifier(t.storage)).inserted ? sum + t.storage.byteCount : sum }
        plan = MemoryPlan(graph: graph, exclude: folded, fusion: fusionPlan)
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
        Self.runObserver?(graph)
        var env = resident
        for (id, t) in zip(graph.inputs, inputs) {
            let v = graph[id]
            guard t.shape == v.shape else { throw GraphError("input '\(v.name)' has shape \(t.shape), expected \(v.shape)") }
            env[id] = t.converted(to: v.dtype)
        }
        for planCall in calls {
            let index = planCall.node, node = graph.nodes[index], label = planCall.label
            var widenedCount = 0
            func value(_ id: ValueID?) -> Tensor? {
                guard let id, let t = env[id] else { return nil }
                guard t.dtype != graph[id].dtype else { return t }
                defer { widenedCount += 1 }
                return widened(t, slot: widenedCount)
            }
            var call = KernelInvocation(op: node.op, inputs: node.inputs.map(value),
                                        attributes: node.attributes, opset: node.opset, outputCount: node.outputs.count)
            call.constantInputs = planCall.constantInputs
            var outputs = node.outputs
            if let group = groupByHead[index] {
                var chainValue = node.outputs[0]
                for s in group.steps {
                    let step = graph.nodes[s]
                    let operand = step.inputs.firstIndex { $0 != chainValue }
                    call.epilogue.append(EpilogueStep(op: step.op, operand: operand.flatMap { value(step.inputs[$0]) },
                                                      operandFirst: operand == 0, attributes: step.attributes))
                    chainValue = step.outputs[0]
                }
                outputs = [group.output]
            }
            if usesPlan { call.outputBuffers = outputs.map { planned($0) } }
            let outs: [Tensor]
            let started = profiling ? DispatchTime.now().uptimeNanoseconds : 0
            defer { if profiling { secondsByOp[label, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 } }
            do { outs = try backend.run(call) } catch {
                throw GraphError("node \(node.name.isEmpty ? node.op : node.name) (\(label)): \(error)")
            }
            for (o, t) in zip(outputs, outs) {
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

    /// A float32 copy of a 16-bit view with the same strides, in scratch buffer `slot`: the span of the
    /// underlying storage the view covers is widened, so a transposed weight stays a transposed view
    /// (which MatMul hands to BLAS without another copy).
    private func widened(_ t: Tensor, slot: Int) -> Tensor {
        guard t.strides.allSatisfy({ $0 >= 0 }), t.count > 0 else { return t.converted(to: .float32) }
        let span = 1 + zip(t.shape, t.strides).reduce(0) { $0 + ($1.0 - 1) * $1.1 }
        let bytes = span * DType.float32.byteSize
        while scratch.count <= slot { scratch.append(TensorStorage(byteCount: 0, zeroed: false)) }
        if scratch[slot].byteCount < bytes { scratch[slot] = TensorStorage(byteCount: bytes, zeroed: false) }
        ElementConversion.convert(UnsafeRawPointer(t.rawPointer), from: t.dtype, to: scratch[slot].pointer, as: .float32, count: span)
        return Tensor(storage: scratch[slot], dtype: .float32, shape: t.shape, strides: t.strides)
    }

    private func planned(_ id: ValueID) -> Tensor? {
        guard let offset = plan.offsets[id] else { return nil }
        let v = graph[id]
        return Tensor(storage: arena, dtype: v.dtype, shape: v.shape, strides: Shape.contiguousStrides(v.shape),
                      offset: offset / v.dtype.byteSize)
    }
}
