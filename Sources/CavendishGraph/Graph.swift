import CavendishCore
import CavendishOps

/// Identifies a value (a tensor) in a graph.
public struct ValueID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Index into `Graph.values`.
    public let index: Int
    /// Wraps an index.
    public init(_ index: Int) { self.index = index }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
    public var description: String { "%\(index)" }
}

/// What a value is and where its data comes from.
public struct Value: Sendable {
    /// Where the data comes from.
    public enum Role: Sendable, Equatable {
        /// Supplied per run (latents, token ids...).
        case input
        /// A trained parameter, looked up by name in the weights when the graph runs.
        case weight
        /// A small tensor known when the graph is built (shapes, axes, scales), stored in the graph.
        case constant
        /// Produced by a node.
        case intermediate
    }
    /// A readable name (weight names match the checkpoint's keys).
    public var name: String
    /// Shape.
    public var shape: [Int]
    /// Element type.
    public var dtype: DType
    /// Where the data comes from.
    public var role: Role
    /// The data of a `constant`.
    public var constant: Tensor?

    /// Bytes when dense.
    public var byteCount: Int { Shape.count(shape) * dtype.byteSize }
}

/// One operator application.
public struct Node: Sendable {
    /// ONNX operator type.
    public var op: String
    /// Inputs by ONNX position; nil for an omitted optional input.
    public var inputs: [ValueID?]
    /// Outputs by position.
    public var outputs: [ValueID]
    /// ONNX attributes.
    public var attributes: Attributes
    /// Opset whose semantics apply.
    public var opset: Int
    /// Where in the model this node comes from (`down.1.attn.0/q`), for reports and traces.
    public var name: String

    /// The operator, or `KernelError.unsupported` when `op` names none the runtime knows. `GraphBuilder`
    /// only adds nodes whose outputs the schema inferred, so a built graph's nodes all have one.
    public func kind() throws -> OperatorKind { try OperatorKind(named: op) }

    /// The operator's schema.
    public func schema() throws -> any OperatorSchema { try kind().schema }
}

/// A model described once, as data: values with shapes and element types, and nodes in execution order.
///
/// A graph holds no weights, only their names and shapes, so that large published models can be
/// described (and simulated) without their checkpoints. The CPU executor runs it with weights, the
/// memory planner plans its buffers, and the simulator costs it.
public struct Graph: Sendable {
    /// Every value.
    public var values: [Value] = []
    /// Nodes in a valid execution order.
    public var nodes: [Node] = []
    /// Values supplied per run, in order.
    public var inputs: [ValueID] = []
    /// Values the run returns, in order.
    public var outputs: [ValueID] = []

    /// Creates an empty graph.
    public init() {}

    /// The value behind an id.
    public subscript(_ id: ValueID) -> Value { values[id.index] }

    /// The same graph, node for node, with its float32 inputs, weights and intermediates declared as
    /// `dtype`: a graph the CPU runs in float32, as the simulator costs it at another precision (whose
    /// byte counts follow the values' element types). Constants keep their type, matching their data.
    public func storingFloats(as dtype: DType) -> Graph {
        var g = self
        for i in g.values.indices where g.values[i].dtype == .float32 && g.values[i].role != .constant { g.values[i].dtype = dtype }
        return g
    }

    /// Weight values (name and shape), in creation order.
    public var weights: [Value] { values.filter { $0.role == .weight } }

    /// Total weight bytes.
    public var weightBytes: Int { weights.map(\.byteCount).reduce(0, +) }
}
