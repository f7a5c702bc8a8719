import CavendishCore
import CavendishOps

/// ONNX Softmax. From opset 13 it normalizes along one axis; before 13 along the flattened trailing
/// dimensions from `axis` on.
enum SoftmaxKernel {
    static func run(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        guard x.dtype.isFloatingPoint else { throw KernelError.unsupported("Softmax on \(x.dtype)") }
        let axis = try Shape.normalizeAxis(try SoftmaxSchema.axis(call.attributes, opset: call.opset), rank: max(x.rank, 1))
        let input = x.converted(to: .float32)
        let out = call.output(0, shape: x.shape)
        let outer = Shape.count(Array(x.shape.prefix(axis)))
        let n = call.opset >= 13 ? (x.rank == 0 ? 1 : x.shape[axis]) : Shape.count(Array(x.shape.dropFirst(axis)))
        let inner = call.opset >= 13 ? Shape.count(Array(x.shape.dropFirst(axis + 1))) : 1
        softmax(input.pointer(as: Float.self), out.pointer(as: Float.self), outer: outer, n: n, inner: inner)
        return out.converted(to: x.dtype)
    }

    /// Softmax over `n` elements spaced `inner` apart, for every (outer, inner) position.
    static func softmax(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int) {
        guard n > 0 else { return }
        ThreadPool.parallelRanges(outer * inner, minimumChunk: max(1, 8192 / n)) { range in
            let row = inner == 1 ? nil : UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { row?.deallocate() }
            for r in range {
                let o = r / inner, i = r % inner
                let base = o * n * inner + i
                if let row {
                    for j in 0..<n { row[j] = src[base + j * inner] }
                    softmaxRow(row, row, n)
                    for j in 0..<n { dst[base + j * inner] = row[j] }
                } else {
                    softmaxRow(src + base, dst + base, n)
                }
            }
        }
    }

    /// Numerically stable softmax of one dense row (`src` may equal `dst`).
    static func softmaxRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        let m = FastMath.max(src, n)
        let sum = FastMath.expShiftedSum(src, dst, n, shift: m)
        FastMath.scale(dst, n, by: 1 / sum)
    }
}
