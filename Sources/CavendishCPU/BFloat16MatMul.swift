import CBFloat16GEMM
import CavendishCore
import Foundation

/// MatMul with bfloat16 operands and float32 accumulation (the CPU backend's bf16 switch), through oneDNN.
///
/// Both operands are rounded to bfloat16 (to nearest even) and multiplied by oneDNN's matmul, which uses
/// AVX512_BF16 where the CPU has it; the output stays float32. Operands that the executor marks constant
/// (weights and what was folded from them) are rounded once and kept while the weights live, so a run
/// converts only activations.
enum BFloat16MatMul {
    /// Products with fewer rows (batch times M) stay float32.
    static let minimumRows = 16

    /// `out = a @ b` for float32 views already broadcast to `batch + [m, k]` and `batch + [k, n]`; `out` is
    /// dense `batch + [m, n]`. `constantB`: b is the same tensor on every run.
    static func multiply(_ a: Tensor, _ b: Tensor, into out: Tensor, batch: [Int], m: Int, n: Int, k: Int, constantB: Bool) throws {
        let r = batch.count, batchCount = Shape.count(batch)
        let ab = Rounded(a), bb = constantB ? Rounded.cached(b) : Rounded(b)
        let po = out.pointer(as: Float.self)
        func gemm(_ pa: UnsafePointer<UInt16>, _ aRows: Int, _ aRowStride: Int, _ pb: UnsafePointer<UInt16>, _ c: UnsafeMutablePointer<Float>) throws {
            let status = cav_bf16_matmul(aRows, n, k, pa, aRowStride, a.strides[r + 1], pb, b.strides[r], b.strides[r + 1], c, n)
            if status != 0 { throw KernelError.unsupported("oneDNN's bfloat16 matmul failed (status \(status)) for [\(aRows), \(k)] x [\(k), \(n)]") }
        }
        // A shared right operand and a dense left one: the batch folds into M, one GEMM.
        if MatMulKernel.foldsBatch(a, b, batch: batch) {
            return try gemm(ab.pointer, batchCount * m, k, bb.pointer, po)
        }
        for (i, o) in MatMulKernel.batchOffsets(a, b, batch: batch).enumerated() {
            try gemm(ab.pointer + o.a, m, a.strides[r], bb.pointer + o.b, po + i * m * n)
        }
    }

    /// A bfloat16 copy of the span of storage a float32 view covers, with the view's strides still valid
    /// from `pointer` (a transposed weight stays a transposed view).
    final class Rounded: @unchecked Sendable {
        let buffer: UnsafeMutablePointer<UInt16>
        let pointer: UnsafePointer<UInt16>
        /// The storage it was rounded from; weak, so that a kept copy neither keeps a freed model's weights
        /// alive nor answers for another tensor that a reused address gives the same identity.
        weak var source: TensorStorage?

        init(_ t: Tensor) {
            let span = t.count == 0 ? 0 : 1 + zip(t.shape, t.strides).reduce(0) { $0 + ($1.0 - 1) * max($1.1, 0) }
            buffer = .allocate(capacity: max(span, 1))
            cav_f32_to_bf16(t.pointer(as: Float.self), buffer, span)
            pointer = UnsafePointer(buffer)
            source = t.storage
        }

        deinit { buffer.deallocate() }

        private struct Key: Hashable { let storage: ObjectIdentifier, offset: Int, shape: [Int], strides: [Int] }
        nonisolated(unsafe) private static var copies: [Key: Rounded] = [:]
        private static let lock = NSLock()

        /// The rounded copy of a constant view, made on first use and kept while its source storage lives.
        static func cached(_ t: Tensor) -> Rounded {
            let key = Key(storage: ObjectIdentifier(t.storage), offset: t.offset, shape: t.shape, strides: t.strides)
            lock.lock(); defer { lock.unlock() }
            if let hit = copies[key], hit.source === t.storage { return hit }
            copies = copies.filter { $0.value.source != nil }   // copies of freed weights go
            let copy = Rounded(t)
            copies[key] = copy
            return copy
        }
    }
}
