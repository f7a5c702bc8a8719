import CVectorMath
import CavendishCore
import CavendishOps

/// Applies a call's fused elementwise steps to its output in place, in one pass: each row of the output
/// goes through every step while it is in cache, where unfused nodes would each read and write the whole
/// tensor. Each step is the unfused kernel's own row function, so the bytes are the same.
enum EpilogueKernel {
    /// `out` after `steps` (in order); `out` must be dense float32 of the steps' shape.
    static func apply(_ steps: [EpilogueStep], to out: Tensor) throws {
        guard !steps.isEmpty else { return }
        guard out.dtype == .float32, out.isContiguous else {
            throw KernelError.unsupported("a fused epilogue on a \(out.dtype) or strided output")
        }
        enum Row {
            case binary(code: Int32, operand: Int, operandFirst: Bool)
            case unary(UnaryKernels.Function)
        }
        var rows: [Row] = [], operands: [Tensor] = []
        for step in steps {
            let kind = try OperatorKind(named: step.op)
            if let code = BinaryKernels.vectorCode(kind) {
                guard let operand = step.operand, operand.dtype.isFloatingPoint else {
                    throw KernelError.invalid("fused \(step.op) needs a float operand")
                }
                guard try Shape.broadcast([out.shape, operand.shape]) == out.shape else {
                    throw KernelError.invalid("fused \(step.op): operand \(operand.shape) would change the output \(out.shape)")
                }
                rows.append(.binary(code: code, operand: operands.count, operandFirst: step.operandFirst))
                operands.append(operand.converted(to: .float32))
            } else if UnaryKernels.ops.contains(kind) {
                rows.append(.unary(try UnaryKernels.function(KernelInvocation(op: step.op, inputs: [], attributes: step.attributes))))
            } else {
                throw KernelError.unsupported("\(step.op) as a fused epilogue step")
            }
        }
        let loop = StridedLoop(shape: out.shape, strides: [out.strides] + (try operands.map { try $0.expanded(to: out.shape).strides }))
        let po = out.pointer(as: Float.self), pointers = operands.map { UnsafePointer($0.pointer(as: Float.self)) }
        let n = loop.innerCount, strides = loop.innerStrides
        ThreadPool.parallelRanges(loop.rowCount, minimumChunk: max(1, (1 << 15) / max(n, 1))) { range in
            loop.forRows(in: range) { o in
                let d = po + o[0]
                for row in rows {
                    switch row {
                    case .binary(let code, let k, let first):
                        let u = pointers[k] + o[k + 1], su = strides[k + 1]
                        if first { cav_binary(code, u, su, d, 1, d, n) } else { cav_binary(code, d, 1, u, su, d, n) }
                    case .unary(let f):
                        f(d, d, n)
                    }
                }
            }
        }
    }
}
