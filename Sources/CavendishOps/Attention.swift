import CavendishCore

/// ONNX Attention (opset 23/24), 3-D and 4-D (kernel: CavendishCPU/AttentionKernel.swift).
public struct AttentionSchema: OperatorSchema {
    public var kind: OperatorKind { .attention }
    public var category: OperatorCategory { .attention }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind), k = try inputs.input(1, kind), v = try inputs.input(2, kind)
        var y: [Int]
        if x.shape.count == 4 { y = [x.shape[0], x.shape[1], x.shape[2], v.shape[3]] }
        else {
            let hq = try a.int("q_num_heads", 1), hkv = try a.int("kv_num_heads", 1)
            y = [x.shape[0], x.shape[1], hq * (v.shape[2] / hkv)]
        }
        // The caches come back in 4-D (B, kv heads, past + new, head size).
        func present(_ t: TensorInfo, _ past: TensorInfo?) throws -> [Int] {
            var p = t.shape
            if p.count == 3 {
                let h = try a.int("kv_num_heads", 1)
                p = [p[0], h, p[1], p[2] / h]
            }
            if let past { p[2] += past.shape[2] }
            return p
        }
        var outs = [TensorInfo(shape: y, dtype: x.dtype)]
        let pastKey = inputs.optional(4), pastValue = inputs.optional(5)
        if outputCount >= 2 { outs.append(TensorInfo(shape: try present(k, pastKey), dtype: k.dtype)) }
        if outputCount >= 3 { outs.append(TensorInfo(shape: try present(v, pastValue), dtype: v.dtype)) }
        if outputCount >= 4 {
            let q = x.shape.count == 4 ? x.shape : [x.shape[0], try a.int("q_num_heads", 1), x.shape[1], 0]
            outs.append(TensorInfo(shape: [q[0], q[1], q[2], try present(k, pastKey)[2]], dtype: x.dtype))
        }
        return outs
    }

    /// (batch x query heads, query length, key length, head size, value head size).
    public static func problem(_ inputs: [TensorInfo?], _ a: Attributes) throws -> AttentionShape {
        let q = try inputs.input(0, .attention).shape, k = try inputs.input(1, .attention).shape
        let v = try inputs.input(2, .attention).shape
        if q.count == 4 { return AttentionShape(batchHeads: q[0] * q[1], sq: q[2], skv: k[2], d: q[3], dv: v[3]) }
        let hq = try a.int("q_num_heads", 1), hkv = try a.int("kv_num_heads", 1)
        return AttentionShape(batchHeads: q[0] * hq, sq: q[1], skv: k[1], d: q[2] / hq, dv: v[2] / hkv)
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        let p = try Self.problem(inputs, a)
        var c = OperatorCost(inputs, outputs)
        c.attention = p
        c.gemms = [GemmShape(count: p.batchHeads, m: p.sq, n: p.skv, k: p.d), GemmShape(count: p.batchHeads, m: p.sq, n: p.dv, k: p.skv)]
        // Online softmax per score: running max, subtract, sum, cast to the matmul type (4 vector ops; the
        // scale folds into Q) and one exp.
        let scores = Double(p.batchHeads * p.sq * p.skv)
        c.vectorOps = 4 * scores
        c.transcendentals = scores
        return c
    }

    /// Q, K, V, the caches and nonpad lengths carry the batch; a mask only when it is 4-D with it.
    public func batchInputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int) throws -> [Bool]? {
        guard let x = inputs.optional(0), x.shape.count >= 2, x.shape[0] > 1 else { return nil }
        let batch = x.shape[0]
        return inputs.enumerated().map { i, t in
            guard let t else { return false }
            return i == 3 ? (t.shape.count == 4 && t.shape[0] == batch) : t.shape.first == batch
        }
    }
}
