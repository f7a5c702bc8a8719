import CavendishCore
import CavendishOps
import Foundation

/// Elementwise float functions: Sigmoid, Tanh, Erf, Exp, Sqrt, Sin, Cos, Gelu, Clip.
enum UnaryKernels {
    static let ops: [OperatorKind] = [.sigmoid, .tanh, .erf, .exp, .sqrt, .sin, .cos, .gelu, .clip]

    static func run(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        guard x.dtype.isFloatingPoint else {
            throw KernelError.unsupported("\(call.op) on \(x.dtype) (float types only)")
        }
        let input = x.converted(to: .float32)
        let out = call.output(0, shape: x.shape)
        let src = input.pointer(as: Float.self), dst = out.pointer(as: Float.self)
        let apply = try function(call)
        ThreadPool.parallelRanges(x.count, minimumChunk: 1 << 15) { r in
            apply(src + r.lowerBound, dst + r.lowerBound, r.count)
        }
        return out.converted(to: x.dtype)
    }

    typealias Function = (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void

    static func map(_ f: @escaping (Float) -> Float) -> Function {
        { s, d, n in for i in 0..<n { d[i] = f(s[i]) } }
    }

    static func function(_ call: KernelInvocation) throws -> Function {
        switch call.kind {
        case .exp?: return FastMath.exp
        case .sigmoid?: return FastMath.sigmoid
        case .tanh?: return map { Foundation.tanh($0) }
        case .erf?: return map { Foundation.erf($0) }
        case .sqrt?: return map { $0.squareRoot() }
        case .sin?: return map { Foundation.sin($0) }
        case .cos?: return map { Foundation.cos($0) }
        case .gelu?:
            switch try GeluApproximation(call.attributes) {
            case .none: return FastMath.gelu
            case .tanh:
                return map { x in
                    0.5 * x * (1 + Foundation.tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)))
                }
            }
        case .clip?:
            // Bounds are attributes before opset 11 and optional scalar inputs since; an absent one is no bound.
            func bound(_ input: Int, _ attribute: String, _ none: Float) throws -> Float {
                if call.opset < 11 { return try call.attributes.optionalFloat(attribute).map(Float.init) ?? none }
                guard let t = call.optionalInput(input) else { return none }
                guard t.count == 1, t.dtype.isFloatingPoint else { throw KernelError.invalid("Clip \(attribute) must be one float") }
                return t.floats()[0]
            }
            let lo = try bound(1, "min", -.infinity), hi = try bound(2, "max", .infinity)
            // NaN passes through, as in PyTorch's clamp (Swift's min/max would drop it).
            return map { $0.isNaN ? $0 : Swift.min(Swift.max($0, lo), hi) }
        default: throw KernelError.unsupported("unary operator \(call.op)")
        }
    }
}

/// ONNX Cast: element-type conversion (`saturate` only matters for float8 types, which are not supported).
enum CastKernel {
    static func run(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        return x.converted(to: try CastSchema.target(call.attributes))
    }
}

