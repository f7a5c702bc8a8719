import CavendishCore

/// The registry: one schema per operator. Adding an operator adds one case here (the compiler asks for it).
public enum OperatorSchemas {
    /// The schema of `kind`.
    public static func schema(for kind: OperatorKind) -> any OperatorSchema {
        switch kind {
        case .sigmoid, .tanh, .erf, .exp, .sqrt, .sin, .cos, .gelu: return UnarySchema(kind: kind)
        case .clip: return ClipSchema()
        case .cast: return CastSchema()
        case .add, .sub, .mul, .div, .pow: return BinarySchema(kind: kind)
        case .`where`: return WhereSchema()
        case .matMul: return MatMulSchema()
        case .gemm: return GemmSchema()
        case .conv: return ConvSchema()
        case .attention: return AttentionSchema()
        case .softmax: return SoftmaxSchema()
        case .layerNormalization, .rmsNormalization: return RowNormalizationSchema(kind: kind)
        case .groupNormalization: return GroupNormalizationSchema()
        case .reduceMean, .reduceSum: return ReduceSchema(kind: kind)
        case .transpose: return TransposeSchema()
        case .reshape: return ReshapeSchema()
        case .expand: return ExpandSchema()
        case .concat: return ConcatSchema()
        case .split: return SplitSchema()
        case .slice: return SliceSchema()
        case .gather: return GatherSchema()
        case .resize: return ResizeSchema()
        }
    }

    /// The schema of the operator named `name`, or `KernelError.unsupported`.
    public static func schema(named name: String) throws -> any OperatorSchema {
        try OperatorKind(named: name).schema
    }
}
