import CBLAS
import CavendishCore
import CavendishOps

/// A float32 matrix as BLAS sees it: a base pointer, whether it is stored transposed, and its leading
/// dimension. Lets row-major and transposed views go to `cblas_sgemm` without a copy.
struct BLASMatrix {
    var pointer: UnsafeMutablePointer<Float>
    var transposed: Bool
    var leadingDimension: Int

    /// The layout of the last two dimensions of a float32 view, or nil when neither is unit-stride.
    static func layout(rows: Int, cols: Int, rowStride: Int, colStride: Int) -> (transposed: Bool, ld: Int)? {
        if colStride == 1 || cols == 1 { return (false, max(rowStride, cols, 1)) }
        if rowStride == 1 || rows == 1 { return (true, max(colStride, rows, 1)) }
        return nil
    }
}

/// `C = alpha * op(A) op(B) + beta * C`, row-major, through OpenBLAS.
@inline(__always)
func sgemm(_ a: BLASMatrix, _ b: BLASMatrix, _ c: UnsafeMutablePointer<Float>, ldc: Int,
           m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) {
    if ThreadPool.splitsGEMMs && ThreadPool.threadCount > 1 && m * n * k >= (1 << 18) && !ThreadPool.inParallelRegion {
        // Split the larger output dimension across our workers, each calling single-threaded BLAS.
        if n >= m {
            ThreadPool.parallelRanges(n, minimumChunk: 16) { cols in
                var bb = b
                bb.pointer = b.transposed ? b.pointer + cols.lowerBound * b.leadingDimension : b.pointer + cols.lowerBound
                blasCall(a, bb, c + cols.lowerBound, ldc: ldc, m: m, n: cols.count, k: k, alpha: alpha, beta: beta)
            }
        } else {
            ThreadPool.parallelRanges(m, minimumChunk: 16) { rows in
                var aa = a
                aa.pointer = a.transposed ? a.pointer + rows.lowerBound : a.pointer + rows.lowerBound * a.leadingDimension
                blasCall(aa, b, c + rows.lowerBound * ldc, ldc: ldc, m: rows.count, n: n, k: k, alpha: alpha, beta: beta)
            }
        }
        return
    }
    let rest = m % rowsPerThreadedBlock
    if rest != 0 && ThreadPool.threadCount > 1 && !ThreadPool.splitsGEMMs && !ThreadPool.inParallelRegion {
        // OpenBLAS's threads split M, and a row that lands in a partial micro-tile of some thread's share is
        // summed in another order than with one thread: the same inputs would give other bytes on another
        // thread count. So the whole blocks go to threaded BLAS (every share whole micro-tiles) and the last
        // `rest` rows to single-threaded BLAS, which is what one thread computes for those rows anyway.
        let main = m - rest
        if main > 0 { blasCall(a, b, c, ldc: ldc, m: main, n: n, k: k, alpha: alpha, beta: beta) }
        var aa = a
        aa.pointer = a.transposed ? a.pointer + main : a.pointer + main * a.leadingDimension
        ThreadPool.withSingleThreadedBLAS {
            blasCall(aa, b, c + main * ldc, ldc: ldc, m: rest, n: n, k: k, alpha: alpha, beta: beta)
        }
        return
    }
    blasCall(a, b, c, ldc: ldc, m: m, n: n, k: k, alpha: alpha, beta: beta)
}

/// Row blocks that threaded OpenBLAS may share out (a multiple of every x86 core's SGEMM_UNROLL_M).
let rowsPerThreadedBlock = 32

@inline(__always)
func blasCall(_ a: BLASMatrix, _ b: BLASMatrix, _ c: UnsafeMutablePointer<Float>, ldc: Int,
              m: Int, n: Int, k: Int, alpha: Float, beta: Float) {
    cblas_sgemm(CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a.pointer, Int32(a.leadingDimension),
                b.pointer, Int32(b.leadingDimension), beta, c, Int32(ldc))
}

/// ONNX MatMul (NumPy `matmul` semantics: 1-D operands promoted, batch dimensions broadcast).
///
/// A shared right operand with a dense left operand folds the batch into M for one large GEMM; otherwise
/// each batch is one GEMM, run across the pool when the batches are many and small.
enum MatMulKernel {
    /// `bfloat16`: both operands rounded to bfloat16, float32 accumulation (`BFloat16MatMul`).
    static func run(_ call: KernelInvocation, bfloat16: Bool = false) throws -> Tensor {
        let a0 = try call.input(0), b0 = try call.input(1)
        guard a0.dtype.isFloatingPoint, b0.dtype == a0.dtype else {
            throw KernelError.unsupported("MatMul on \(a0.dtype) x \(b0.dtype) (float types of one kind only)")
        }
        let g = try MatMulGeometry(a0.shape, b0.shape)
        var a = a0.dtype == .float32 ? a0 : a0.converted(to: .float32)
        var b = b0.dtype == .float32 ? b0 : b0.converted(to: .float32)
        if g.aVector { a = try a.reshaped([1, a.shape[0]]) }
        if g.bVector { b = try b.reshaped([b.shape[0], 1]) }
        let out = g.k == 0 ? Tensor(zeros: g.batch + [g.m, g.n]) : call.output(0, shape: g.batch + [g.m, g.n])
        // Products with a single row (the conditioning MLPs, adaLN's modulation) stay float32: they cost nothing, and
        // their rounding error would scale every token's activations.
        if bfloat16 && g.k > 0 && Shape.count(g.batch) * g.m >= BFloat16MatMul.minimumRows {
            try BFloat16MatMul.multiply(try a.expanded(to: g.batch + [g.m, g.k]), try b.expanded(to: g.batch + [g.k, g.n]), into: out,
                                        batch: g.batch, m: g.m, n: g.n, k: g.k, constantB: call.constantInputs.contains(1) && b0.dtype == .float32)
        } else {
            try multiply(a, b, into: out, batch: g.batch, m: g.m, n: g.n, k: g.k)
        }
        return try out.reshaped(g.outputShape).converted(to: a0.dtype)
    }

    /// Batched `out = a @ b` for float32 views; `out` is dense `batch + [m, n]`.
    static func multiply(_ a0: Tensor, _ b0: Tensor, into out: Tensor, batch: [Int], m: Int, n: Int, k: Int) throws {
        ThreadPool.configure()
        var a = try a0.expanded(to: batch + [m, k]), b = try b0.expanded(to: batch + [k, n])
        let r = batch.count
        guard let la0 = BLASMatrix.layout(rows: m, cols: k, rowStride: a.strides[r], colStride: a.strides[r + 1]) else {
            a = a.contiguous(); return try multiply(a, b, into: out, batch: batch, m: m, n: n, k: k)
        }
        guard let lb = BLASMatrix.layout(rows: k, cols: n, rowStride: b.strides[r], colStride: b.strides[r + 1]) else {
            b = b.contiguous(); return try multiply(a, b, into: out, batch: batch, m: m, n: n, k: k)
        }
        let po = out.pointer(as: Float.self)
        let batchCount = Shape.count(batch)
        if m * n * k == 0 || batchCount == 0 { return }
        // Fold the batch into M when B is shared and A is dense over batch and rows.
        if foldsBatch(a, b, batch: batch) {
            sgemm(BLASMatrix(pointer: a.pointer(as: Float.self), transposed: false, leadingDimension: k),
                  BLASMatrix(pointer: b.pointer(as: Float.self), transposed: lb.transposed, leadingDimension: lb.ld),
                  po, ldc: n, m: batchCount * m, n: n, k: k)
            return
        }
        let pa = a.pointer(as: Float.self), pb = b.pointer(as: Float.self)
        let offsets = batchOffsets(a, b, batch: batch)
        let one = { (i: Int) in
            sgemm(BLASMatrix(pointer: pa + offsets[i].a, transposed: la0.transposed, leadingDimension: la0.ld),
                  BLASMatrix(pointer: pb + offsets[i].b, transposed: lb.transposed, leadingDimension: lb.ld),
                  po + i * m * n, ldc: n, m: m, n: n, k: k)
        }
        if batchCount >= ThreadPool.threadCount && m * n * k < (1 << 22) {
            ThreadPool.parallelFor(batchCount, one)
        } else {
            for i in 0..<batchCount { one(i) }
        }
    }
}

extension MatMulKernel {
    /// Whether a batched product is one GEMM with the batch folded into M: B shared by every batch (stride 0)
    /// and A dense over batch and rows.
    static func foldsBatch(_ a: Tensor, _ b: Tensor, batch: [Int]) -> Bool {
        Shape.count(batch) > 1 && b.strides.prefix(batch.count).allSatisfy { $0 == 0 } && a.isContiguous
    }

    /// Each batch's element offsets into A and B (views broadcast to `batch + [m, k]` and `batch + [k, n]`), in
    /// row-major batch order, which is the order of the dense output's matrices.
    static func batchOffsets(_ a: Tensor, _ b: Tensor, batch: [Int]) -> [(a: Int, b: Int)] {
        let r = batch.count
        let loop = StridedLoop(shape: batch + [1], strides: [a.strides.prefix(r) + [0], b.strides.prefix(r) + [0]])
        let inner = loop.innerCount, steps = loop.innerStrides
        var offsets: [(a: Int, b: Int)] = []
        offsets.reserveCapacity(Shape.count(batch))
        loop.forRows(in: 0..<loop.rowCount) { o in for i in 0..<inner { offsets.append((o[0] + i * steps[0], o[1] + i * steps[1])) } }
        return offsets
    }
}

/// ONNX Gemm: `Y = alpha * op(A) op(B) + beta * C`, C unidirectionally broadcast to (M, N).
enum GemmKernel {
    static func run(_ call: KernelInvocation) throws -> Tensor {
        let a0 = try call.input(0), b0 = try call.input(1)
        let t = try GemmAttributes(call.attributes)
        let (m, k, n) = try GemmSchema.dimensions(a0.shape, b0.shape, t)
        guard a0.dtype.isFloatingPoint else { throw KernelError.unsupported("Gemm on \(a0.dtype)") }
        let transA = t.transA, transB = t.transB, alpha = Float(t.alpha), beta = Float(t.beta)
        let a = a0.converted(to: .float32), b = b0.converted(to: .float32)
        let out = Tensor(zeros: [m, n], dtype: .float32)
        var gemmBeta: Float = 0
        if let c = call.optionalInput(2), beta != 0 {
            let cv = try c.converted(to: .float32).expanded(to: [m, n])
            out.pointer(as: Float.self).update(from: cv.floats(), count: m * n)
            gemmBeta = beta
        }
        ThreadPool.configure()
        if m * n > 0 {
            sgemm(BLASMatrix(pointer: a.pointer(as: Float.self), transposed: transA, leadingDimension: max(a.shape[1], 1)),
                  BLASMatrix(pointer: b.pointer(as: Float.self), transposed: transB, leadingDimension: max(b.shape[1], 1)),
                  out.pointer(as: Float.self), ldc: n, m: m, n: n, k: k, alpha: alpha, beta: gemmBeta)
        }
        return out.converted(to: a0.dtype)
    }
}
