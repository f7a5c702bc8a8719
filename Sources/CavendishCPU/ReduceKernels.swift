import CavendishCore
import CavendishOps

/// ReduceSum and ReduceMean: axes from the input (ReduceSum from opset 13, ReduceMean from 18) or the
/// attribute (earlier opsets), `keepdims`, and `noop_with_empty_axes`.
enum ReduceKernels {
    static func run(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        guard let kind = call.kind, kind == .reduceSum || kind == .reduceMean else { throw KernelError.unsupported("reduction \(call.op)") }
        let axesFromInput = ReduceSchema(kind: kind).axesFromInput(opset: call.opset)
        let axesList = axesFromInput ? call.intsInput(1) : try call.attributes.ints("axes")
        let keepDims = try call.attributes.int("keepdims", 1) != 0
        let noop = try call.attributes.int("noop_with_empty_axes", 0) != 0
        if (axesList ?? []).isEmpty && noop { return x.contiguous() }
        var axes = try (axesList ?? []).map { try Shape.normalizeAxis($0, rank: x.rank) }
        if axes.isEmpty { axes = Array(0..<x.rank) }
        axes = Array(Set(axes)).sorted()
        let kept = (0..<x.rank).filter { !axes.contains($0) }
        let moved = try x.permuted(kept + axes)
        let rows = Shape.count(kept.map { x.shape[$0] }), n = Shape.count(axes.map { x.shape[$0] })
        let mean = kind == .reduceMean
        let outShape = keepDims ? x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element } : kept.map { x.shape[$0] }
        if x.dtype.isFloatingPoint {
            let src = moved.converted(to: .float32)
            let out = Tensor(zeros: outShape, dtype: .float32)
            let ps = src.pointer(as: Float.self), po = out.pointer(as: Float.self)
            ThreadPool.parallelFor(rows, minimumChunk: max(1, 8192 / max(n, 1))) { r in
                var s = 0.0
                let p = ps + r * n
                for j in 0..<n { s += Double(p[j]) }
                po[r] = Float(mean ? s / Double(n) : s)
            }
            return out.converted(to: x.dtype)
        }
        let src = moved.converted(to: .int64)
        let out = Tensor(zeros: outShape, dtype: .int64)
        let ps = src.pointer(as: Int64.self), po = out.pointer(as: Int64.self)
        for r in 0..<rows {
            var s: Int64 = 0
            for j in 0..<n { s &+= ps[r * n + j] }
            po[r] = mean ? (n == 0 ? 0 : s / Int64(n)) : s
        }
        return out.converted(to: x.dtype)
    }
}
