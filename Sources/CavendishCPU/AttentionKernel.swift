import CavendishCore
import Foundation

/// ONNX Attention (opset 23/24): 3-D and 4-D inputs, grouped-query heads, causal masking aligned to the
/// key cache, additive or boolean masks, softcap, custom scale, past key/value caches and
/// `nonpad_kv_seqlen`.
///
/// `Y` is computed flash-attention style: each task takes a block of query rows and streams key/value
/// blocks through an online softmax, so the extra memory is O(block x head_dim + block x block) per
/// worker, never O(sequence^2). Only when the caller asks for the `qk_matmul_output` output is the score
/// matrix materialized, because that output is the score matrix.
enum AttentionKernel {
    /// Query rows per task and keys per block: 128 x 512 measured fastest of 64-128 x 256-1024 at our
    /// sizes (`kernels bench --filter attention`, session 10: 0.60-0.65 and 0.77-0.81 of sgemm at 256 and
    /// 1024 tokens, against 0.52-0.66 and 0.68-0.72 for 64 x 256); the score block is 256 KiB per worker.
    static let queryBlock = 128
    static let keyBlock = 512

    /// The problem after inputs are brought to dense float32 (B, H, S, D) layout.
    struct Problem {
        var q, k, v: Tensor
        var batch, qHeads, kvHeads, qLength, kvLength, headDim, valueDim: Int
        var bias: Tensor?            // additive, broadcast view of shape (B, Hq, Sq, Skv)
        var causal: Bool
        var causalOffset: [Int]      // per batch
        var validKeys: [Int]         // per batch (nonpad_kv_seqlen), else kvLength
        var softcap: Float

        var leftWindow = -1, rightWindow = -1

        /// The keys query `i` of batch `b` may attend before the mask: causal, padding and sliding-window
        /// limits always leave one contiguous range.
        func keyRange(_ b: Int, _ i: Int) -> Range<Int> {
            let position = i + causalOffset[b]
            var hi = min(kvLength, validKeys[b])
            if causal { hi = min(hi, position + 1) }
            if rightWindow >= 0 { hi = min(hi, position + rightWindow + 1) }
            let lo = leftWindow >= 0 ? max(0, position - leftWindow) : 0
            return lo < hi ? lo..<hi : 0..<0
        }
    }

    static func run(_ call: KernelInvocation, fused: Bool = true) throws -> [Tensor] {
        let q0 = try call.input(0), k0 = try call.input(1), v0 = try call.input(2)
        guard q0.dtype.isFloatingPoint else { throw KernelError.unsupported("Attention on \(q0.dtype)") }
        guard q0.rank == k0.rank, k0.rank == v0.rank, q0.rank == 3 || q0.rank == 4 else {
            throw KernelError.invalid("Attention needs Q, K, V all 3-D or all 4-D, got \(q0.shape), \(k0.shape), \(v0.shape)")
        }
        let a = call.attributes
        let threeD = q0.rank == 3
        var q = q0.converted(to: .float32), k = k0.converted(to: .float32), v = v0.converted(to: .float32)
        if threeD {
            let hq = try a.int("q_num_heads", 0), hkv = try a.int("kv_num_heads", 0)
            guard hq > 0, hkv > 0, q.shape[2] % hq == 0, k.shape[2] % hkv == 0, v.shape[2] % hkv == 0 else {
                throw KernelError.invalid("3-D Attention needs q_num_heads and kv_num_heads dividing the hidden sizes")
            }
            func heads(_ t: Tensor, _ h: Int) throws -> Tensor {
                try t.reshaped([t.shape[0], t.shape[1], h, t.shape[2] / h]).permuted([0, 2, 1, 3]).contiguous()
            }
            q = try heads(q, hq); k = try heads(k, hkv); v = try heads(v, hkv)
        }
        let batch = q.shape[0], hq = q.shape[1], hkv = k.shape[1], d = q.shape[3], dv = v.shape[3]
        guard k.shape[0] == batch, v.shape[0] == batch, v.shape[1] == hkv, k.shape[3] == d, v.shape[2] == k.shape[2],
              hkv > 0, hq % hkv == 0 else {
            throw KernelError.invalid("Attention shapes do not fit: Q \(q.shape), K \(k.shape), V \(v.shape)")
        }
        // Caches.
        let pastKey = call.optionalInput(4), pastValue = call.optionalInput(5)
        guard (pastKey == nil) == (pastValue == nil) else { throw KernelError.invalid("Attention past_key and past_value go together") }
        var pastLength = 0
        if let pk = pastKey, let pv = pastValue {
            pastLength = pk.shape[2]
            k = try ConcatSplitKernels.concat(KernelInvocation(op: "Concat", inputs: [pk.converted(to: .float32), k], attributes: Attributes(["axis": .int(2)])))
            v = try ConcatSplitKernels.concat(KernelInvocation(op: "Concat", inputs: [pv.converted(to: .float32), v], attributes: Attributes(["axis": .int(2)])))
        }
        let sq = q.shape[2], skv = k.shape[2]
        let nonpad = call.optionalInput(6)?.int64s().map(Int.init)
        if let nonpad, nonpad.count != batch || !nonpad.allSatisfy({ (0...skv).contains($0) }) {
            throw KernelError.invalid("Attention nonpad_kv_seqlen \(nonpad) needs \(batch) values in 0...\(skv)")
        }
        let causal = try a.int("is_causal", 0) != 0
        let offsets = (0..<batch).map { b in nonpad.map { $0[b] - sq } ?? pastLength }

        // Scale Q once; ONNX scales Q and K by sqrt(scale) each, which is the same product.
        let scale = Float(try a.optionalFloat("scale") ?? 1 / Double(d).squareRoot())
        let qs = Tensor(zeros: q.shape, dtype: .float32)
        let pq = q.pointer(as: Float.self), pqs = qs.pointer(as: Float.self)
        for i in 0..<q.count { pqs[i] = pq[i] * scale }

        var problem = Problem(q: qs, k: k, v: v, batch: batch, qHeads: hq, kvHeads: hkv, qLength: sq, kvLength: skv,
                              headDim: d, valueDim: dv, bias: nil, causal: causal, causalOffset: offsets,
                              validKeys: (0..<batch).map { nonpad?[$0] ?? skv }, softcap: Float(try a.float("softcap", 0)))
        problem.leftWindow = try a.int("left_window_size", -1)
        problem.rightWindow = try a.int("right_window_size", -1)
        if let mask = call.optionalInput(3) {
            problem.bias = try additiveBias(mask, batch: batch, heads: hq, sq: sq, skv: skv)
        }
        let wantScores = call.outputCount >= 4
        let y = Tensor(zeros: [batch, hq, sq, dv], dtype: .float32)
        var scores: Tensor? = nil
        if wantScores || !fused {
            let s = try materialized(problem, into: y, mode: try a.int("qk_matmul_output_mode", 0))
            if wantScores { scores = s }
        } else {
            flash(problem, into: y)
        }
        var result = y
        if threeD { result = try y.permuted([0, 2, 1, 3]).reshaped([batch, sq, hq * dv]) }
        var outputs = [result.converted(to: q0.dtype)]
        if call.outputCount >= 2 { outputs.append(k.converted(to: k0.dtype)) }
        if call.outputCount >= 3 { outputs.append(v.converted(to: v0.dtype)) }
        if let scores { outputs.append(scores.converted(to: q0.dtype)) }
        return outputs
    }

    /// The mask as an additive float32 view broadcast to (B, Hq, Sq, Skv); short masks pad with -inf.
    static func additiveBias(_ mask: Tensor, batch: Int, heads: Int, sq: Int, skv: Int) throws -> Tensor {
        var m = mask.dtype == .bool
            ? try BinaryKernels.where(KernelInvocation(op: "Where", inputs: [mask, Tensor(scalar: 0), Tensor(scalar: -.infinity)]))
            : mask.converted(to: .float32)
        let last = m.shape.last ?? 1
        if last < skv && m.rank > 0 {
            var padShape = m.shape
            padShape[m.rank - 1] = skv - last
            let pad = Tensor(shape: padShape, floats: [Float](repeating: -.infinity, count: Shape.count(padShape)))
            m = try ConcatSplitKernels.concat(KernelInvocation(op: "Concat", inputs: [m, pad], attributes: Attributes(["axis": .int(-1)])))
        }
        do { return try m.expanded(to: [batch, heads, sq, skv]) }
        catch { throw KernelError.invalid("Attention mask \(mask.shape) does not broadcast to \([batch, heads, sq, skv])") }
    }

    /// Scores for query rows `i0..<i0+rows` against keys `j0..<j0+cols` of (b, h): scaled QK^T, softcap,
    /// then bias and masking. Returns whether each row had any allowed key in this block.
    static func scoreBlock(_ p: Problem, b: Int, h: Int, i0: Int, rows: Int, j0: Int, cols: Int,
                           into s: UnsafeMutablePointer<Float>, ld: Int, anyAllowed: UnsafeMutablePointer<Bool>) {
        let kvh = h / (p.qHeads / p.kvHeads)
        let qp = p.q.pointer(as: Float.self) + ((b * p.qHeads + h) * p.qLength + i0) * p.headDim
        let kp = p.k.pointer(as: Float.self) + ((b * p.kvHeads + kvh) * p.kvLength + j0) * p.headDim
        sgemm(BLASMatrix(pointer: qp, transposed: false, leadingDimension: p.headDim),
              BLASMatrix(pointer: kp, transposed: true, leadingDimension: p.headDim),
              s, ldc: ld, m: rows, n: cols, k: p.headDim)
        let biasBase = p.bias.map { $0.pointer(as: Float.self) }
        let st = p.bias?.strides ?? [0, 0, 0, 0]
        for r in 0..<rows {
            let row = s + r * ld, i = i0 + r
            if p.softcap > 0 { for c in 0..<cols { row[c] = p.softcap * tanh(row[c] / p.softcap) } }
            let keys = p.keyRange(b, i)
            let lo = min(cols, max(0, keys.lowerBound - j0)), hi = max(lo, min(cols, keys.upperBound - j0))
            for c in 0..<lo { row[c] = -.infinity }
            for c in hi..<cols { row[c] = -.infinity }
            guard let base = biasBase else { anyAllowed[r] = lo < hi; continue }
            let rb = base + b * st[0] + h * st[1] + i * st[2] + j0 * st[3]
            var any = false
            for c in lo..<hi {
                let bv = rb[c * st[3]]
                // A -inf bias removes the key even where the raw score is +inf (which would give NaN).
                if bv == -.infinity { row[c] = -.infinity } else { row[c] += bv; any = true }
            }
            anyAllowed[r] = any
        }
    }

    static func flash(_ p: Problem, into y: Tensor) {
        let qBlocks = (p.qLength + queryBlock - 1) / queryBlock
        let tasks = p.batch * p.qHeads * qBlocks
        let py = y.pointer(as: Float.self)
        ThreadPool.parallelRanges(tasks) { range in
            let s = UnsafeMutablePointer<Float>.allocate(capacity: queryBlock * keyBlock)
            let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: queryBlock)
            let rowSum = UnsafeMutablePointer<Float>.allocate(capacity: queryBlock)
            let seen = UnsafeMutablePointer<Bool>.allocate(capacity: queryBlock)
            let blockSeen = UnsafeMutablePointer<Bool>.allocate(capacity: queryBlock)
            defer { s.deallocate(); rowMax.deallocate(); rowSum.deallocate(); seen.deallocate(); blockSeen.deallocate() }
            for task in range {
                let qb = task % qBlocks, h = (task / qBlocks) % p.qHeads, b = task / (qBlocks * p.qHeads)
                let i0 = qb * queryBlock, rows = min(queryBlock, p.qLength - i0)
                let kvh = h / (p.qHeads / p.kvHeads)
                let out = py + ((b * p.qHeads + h) * p.qLength + i0) * p.valueDim
                rowMax.update(repeating: -.infinity, count: rows)
                rowSum.update(repeating: 0, count: rows)
                seen.update(repeating: false, count: rows)
                // Key blocks outside every row's allowed range contribute nothing.
                let first = p.keyRange(b, i0), last = p.keyRange(b, i0 + rows - 1)
                let keyEnd = max(first.upperBound, last.upperBound)
                var j0 = min(first.lowerBound, last.lowerBound)
                while j0 < keyEnd {
                    let cols = min(keyBlock, keyEnd - j0)
                    blockSeen.update(repeating: false, count: rows)
                    scoreBlock(p, b: b, h: h, i0: i0, rows: rows, j0: j0, cols: cols, into: s, ld: keyBlock, anyAllowed: blockSeen)
                    for r in 0..<rows {
                        seen[r] = seen[r] || blockSeen[r]
                        let row = s + r * keyBlock
                        let m = max(rowMax[r], FastMath.max(row, cols))
                        let o = out + r * p.valueDim
                        if m == -.infinity || m.isNaN {
                            if m.isNaN { rowMax[r] = .nan }
                            row.update(repeating: m.isNaN ? .nan : 0, count: cols)
                            continue
                        }
                        let correction = rowMax[r] == -.infinity ? 0 : Foundation.exp(rowMax[r] - m)
                        rowSum[r] = rowSum[r] * correction + FastMath.expShiftedSum(row, cols, shift: m)
                        rowMax[r] = m
                        if correction != 1 { FastMath.scale(o, p.valueDim, by: correction) }
                    }
                    let vp = p.v.pointer(as: Float.self) + ((b * p.kvHeads + kvh) * p.kvLength + j0) * p.valueDim
                    sgemm(BLASMatrix(pointer: s, transposed: false, leadingDimension: keyBlock),
                          BLASMatrix(pointer: vp, transposed: false, leadingDimension: p.valueDim),
                          out, ldc: p.valueDim, m: rows, n: p.valueDim, k: cols, beta: 1)
                    j0 += cols
                }
                for r in 0..<rows {
                    let o = out + r * p.valueDim
                    if !seen[r] || rowSum[r] == 0 { o.update(repeating: 0, count: p.valueDim) }
                    else { FastMath.scale(o, p.valueDim, by: 1 / rowSum[r]) }
                }
            }
        }
    }

    /// Attention with the full score matrix, for callers that ask for `qk_matmul_output`
    /// (mode 0/1: scaled and softcapped scores, 2: plus bias and masks, 3: probabilities).
    static func materialized(_ p: Problem, into y: Tensor, mode: Int) throws -> Tensor {
        let scores = Tensor(zeros: [p.batch, p.qHeads, p.qLength, p.kvLength], dtype: .float32)
        let ps = scores.pointer(as: Float.self), py = y.pointer(as: Float.self)
        let allowed = UnsafeMutablePointer<Bool>.allocate(capacity: max(p.qLength, 1))
        defer { allowed.deallocate() }
        for b in 0..<p.batch { for h in 0..<p.qHeads {
            let s = ps + (b * p.qHeads + h) * p.qLength * p.kvLength
            if mode <= 1 {
                var raw = p
                raw.bias = nil; raw.causal = false; raw.leftWindow = -1; raw.rightWindow = -1; raw.validKeys = [Int](repeating: p.kvLength, count: p.batch)
                scoreBlock(raw, b: b, h: h, i0: 0, rows: p.qLength, j0: 0, cols: p.kvLength, into: s, ld: p.kvLength, anyAllowed: allowed)
            }
            let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: max(p.qLength * p.kvLength, 1))
            defer { probabilities.deallocate() }
            allowed.update(repeating: false, count: p.qLength)
            scoreBlock(p, b: b, h: h, i0: 0, rows: p.qLength, j0: 0, cols: p.kvLength, into: probabilities, ld: p.kvLength, anyAllowed: allowed)
            if mode == 2 { s.update(from: probabilities, count: p.qLength * p.kvLength) }
            for r in 0..<p.qLength {
                let row = probabilities + r * p.kvLength
                if allowed[r] { SoftmaxKernel.softmaxRow(row, row, p.kvLength) } else { row.update(repeating: 0, count: p.kvLength) }
            }
            if mode == 3 { s.update(from: probabilities, count: p.qLength * p.kvLength) }
            let kvh = h / (p.qHeads / p.kvHeads)
            let vp = p.v.pointer(as: Float.self) + (b * p.kvHeads + kvh) * p.kvLength * p.valueDim
            sgemm(BLASMatrix(pointer: probabilities, transposed: false, leadingDimension: p.kvLength),
                  BLASMatrix(pointer: vp, transposed: false, leadingDimension: p.valueDim),
                  py + (b * p.qHeads + h) * p.qLength * p.valueDim, ldc: p.valueDim, m: p.qLength, n: p.valueDim, k: p.kvLength)
        } }
        return scores
    }
}
