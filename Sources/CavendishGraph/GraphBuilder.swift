import CavendishCore
import Foundation

/// Builds a graph node by node, inferring every output's shape and type as it goes.
///
/// Model code uses it once per model (or per step shape); helpers such as `linear`, `conv2d` and
/// `groupNorm` lower common layers to ONNX operators, and name weights with the checkpoint's keys.
public struct GraphBuilder {
    /// The graph so far.
    public private(set) var graph = Graph()
    /// Opset the nodes follow.
    public var opset = KernelInvocation.latestOpset
    /// Element type of new weights and inputs unless stated.
    public var dtype: DType

    /// A builder whose weights and activations default to `dtype`.
    public init(dtype: DType = .float32) { self.dtype = dtype }

    private mutating func add(_ value: Value) -> ValueID {
        graph.values.append(value)
        return ValueID(graph.values.count - 1)
    }

    /// Declares a per-run input.
    public mutating func input(_ name: String, _ shape: [Int], _ type: DType? = nil) -> ValueID {
        let id = add(Value(name: name, shape: shape, dtype: type ?? dtype, role: .input, constant: nil))
        graph.inputs.append(id)
        return id
    }

    /// Declares a weight by its checkpoint key.
    public mutating func weight(_ name: String, _ shape: [Int], _ type: DType? = nil) -> ValueID {
        add(Value(name: name, shape: shape, dtype: type ?? dtype, role: .weight, constant: nil))
    }

    /// Embeds a small constant tensor.
    public mutating func constant(_ tensor: Tensor, _ name: String = "const") -> ValueID {
        add(Value(name: name, shape: tensor.shape, dtype: tensor.dtype, role: .constant, constant: tensor.contiguous()))
    }

    /// An int64 vector constant (shapes, axes, starts...).
    public mutating func ints(_ values: [Int]) -> ValueID {
        constant(Tensor(shape: [values.count], dtype: .int64, values: values.map(Int64.init)), "ints")
    }

    /// A float constant of the builder's type, broadcastable as a scalar.
    public mutating func scalar(_ v: Float) -> ValueID {
        constant(Tensor(scalar: v).converted(to: dtype), "scalar")
    }

    /// Marks graph outputs.
    public mutating func output(_ ids: ValueID...) { graph.outputs += ids }

    /// Appends a node and returns its outputs.
    @discardableResult
    public mutating func op(_ op: String, _ inputs: [ValueID?], _ attributes: [String: Attributes.Value] = [:],
                            outputs: Int = 1, name: String = "") throws -> [ValueID] {
        let attrs = Attributes(attributes)
        let known = inputs.map { id in
            id.map { ShapeInference.Input(shape: graph[$0].shape, dtype: graph[$0].dtype, constant: graph[$0].constant) }
        }
        let inferred = try ShapeInference.infer(op, known, attrs, opset: opset, outputCount: outputs)
        let ids = inferred.prefix(outputs).enumerated().map { i, si in
            add(Value(name: name.isEmpty ? "\(op.lowercased())\(graph.nodes.count)" : (outputs > 1 ? "\(name):\(i)" : name),
                      shape: si.0, dtype: si.1, role: .intermediate, constant: nil))
        }
        graph.nodes.append(Node(op: op, inputs: inputs, outputs: ids, attributes: attrs, opset: opset, name: name))
        return ids
    }

    /// One-output form of `op`.
    public mutating func apply(_ op: String, _ inputs: [ValueID?], _ attributes: [String: Attributes.Value] = [:],
                               name: String = "") throws -> ValueID {
        try self.op(op, inputs, attributes, name: name)[0]
    }

    /// Shape of a value.
    public func shape(_ id: ValueID) -> [Int] { graph[id].shape }

    // MARK: Layers

    /// `x @ W^T + b` with PyTorch's `Linear` layout (`prefix.weight` is [out, in]).
    public mutating func linear(_ x: ValueID, _ prefix: String, _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) throws -> ValueID {
        let w = weight("\(prefix).weight", [outFeatures, inFeatures])
        let wt = try apply("Transpose", [w], ["perm": .ints([1, 0])], name: "\(prefix).weight^T")
        var y = try apply("MatMul", [x, wt], name: prefix)
        if bias { y = try apply("Add", [y, weight("\(prefix).bias", [outFeatures])], name: "\(prefix)+b") }
        return y
    }

    /// A 2-D convolution with PyTorch's `Conv2d` weight layout.
    public mutating func conv2d(_ x: ValueID, _ prefix: String, _ inChannels: Int, _ outChannels: Int, kernel: Int,
                                stride: Int = 1, padding: Int = 0, groups: Int = 1, bias: Bool = true) throws -> ValueID {
        let w = weight("\(prefix).weight", [outChannels, inChannels / groups, kernel, kernel])
        let b = bias ? weight("\(prefix).bias", [outChannels]) : nil
        return try apply("Conv", [x, w, b], ["pads": .ints([padding, padding, padding, padding]),
                                             "strides": .ints([stride, stride]), "group": .int(groups)], name: prefix)
    }

    /// GroupNorm with per-channel affine parameters (`prefix.weight`, `prefix.bias`).
    public mutating func groupNorm(_ x: ValueID, _ prefix: String, groups: Int, epsilon: Double = 1e-5) throws -> ValueID {
        let c = shape(x)[1]
        return try apply("GroupNormalization", [x, weight("\(prefix).weight", [c]), weight("\(prefix).bias", [c])],
                         ["num_groups": .int(groups), "epsilon": .float(epsilon)], name: prefix)
    }

    /// LayerNorm over the last dimension.
    public mutating func layerNorm(_ x: ValueID, _ prefix: String, epsilon: Double = 1e-5, affine: Bool = true) throws -> ValueID {
        let d = shape(x).last!
        let scale = affine ? weight("\(prefix).weight", [d]) : constant(Tensor(shape: [d], floats: [Float](repeating: 1, count: d)).converted(to: dtype))
        let bias = affine ? weight("\(prefix).bias", [d]) : nil
        return try apply("LayerNormalization", [x, scale, bias], ["axis": .int(-1), "epsilon": .float(epsilon)], name: prefix)
    }

    /// `x * sigmoid(x)`.
    public mutating func silu(_ x: ValueID, name: String = "") throws -> ValueID {
        try apply("Mul", [x, try apply("Sigmoid", [x], name: name)], name: name)
    }

    /// Reshape to a fixed shape.
    public mutating func reshape(_ x: ValueID, _ shape: [Int]) throws -> ValueID {
        try apply("Reshape", [x, ints(shape)])
    }

    /// Transpose by `perm`.
    public mutating func transpose(_ x: ValueID, _ perm: [Int]) throws -> ValueID {
        try apply("Transpose", [x], ["perm": .ints(perm)])
    }

    /// Multi-head attention over [B, S, H*D] projections, as ONNX 3-D Attention.
    public mutating func attention(_ q: ValueID, _ k: ValueID, _ v: ValueID, heads: Int, name: String = "") throws -> ValueID {
        try apply("Attention", [q, k, v], ["q_num_heads": .int(heads), "kv_num_heads": .int(heads)], name: name)
    }

    /// Sinusoidal features of a [N] value: `[cos(v * scale * f), sin(v * scale * f)]` -> [N, dim], with
    /// f_i = 10000^(-i / (dim / 2)) (diffusers' `Timesteps` with flip_sin_to_cos and shift 0, and
    /// NB-mini's timestep and guidance features): the one home of that formula.
    public mutating func sinusoidalFeatures(_ v: ValueID, dim: Int, scale: Float = 1) throws -> ValueID {
        let half = dim / 2, n = shape(v)[0]
        let freqs = (0..<half).map { Float(exp(-log(10000.0) * Double($0) / Double(half))) * scale }
        let args = try apply("Mul", [try reshape(v, [n, 1]), constant(Tensor(shape: [1, half], floats: freqs).converted(to: dtype), "freqs")])
        return try apply("Concat", [try apply("Cos", [args]), try apply("Sin", [args])], ["axis": .int(1)])
    }

    /// Nearest-neighbour 2x upsampling of an NCHW value (PyTorch's `interpolate(scale_factor=2)`, as ONNX
    /// Resize spells it), which the VAE decoders and the UNet's upsamplers share.
    public mutating func upsampleNearest2x(_ x: ValueID) throws -> ValueID {
        let scales = constant(Tensor(shape: [4], floats: [1, 1, 2, 2]), "scales")
        return try apply("Resize", [x, nil, scales], ["mode": .string("nearest"), "nearest_mode": .string("floor"),
                                                      "coordinate_transformation_mode": .string("asymmetric")])
    }
}
