import CavendishCore
import CavendishGraph
import Foundation

/// The NB-mini denoiser, a small DiT over the VAE latent (the recipe's `models/dit.py`), as a graph with
/// the checkpoint's weight names.
///
/// Per block: adaLN-zero modulation from the conditioning vector, self-attention, a text cross-attention
/// and a decoupled reference cross-attention sharing one query (IP-Adapter style, scaled by
/// `ref_scale`), and a GELU MLP. The conditioning is the timestep embedding plus the masked mean of the
/// text states (plus, in v2, the distilled guidance scale); v2 also adds glyph-map patches to the patch
/// embedding. Outputs the predicted velocity.
///
/// With `config.layout` and references (v2's layout-grounded personalization, as in GLIGEN and
/// MS-Diffusion), a `layout` input [B, N, P] (0/1, N image tokens, P people with references) says which
/// tokens belong to which person's region: each token's reference cross-attention sees only the tokens
/// of the people whose region it is in (and the null token), and the mean of those people's appearance
/// embeddings (an MLP of each person's mean reference token), times `ref_scale`, is added to its patch
/// embedding. A canvas model (`config.canvas`) also takes a `canvas` [B, 4, 128, 128] (the pipeline's
/// `ReferenceCanvas`: reference photos pasted into the people's boxes): its 8x8 patches go through an MLP,
/// weighted by the fraction of each patch inside a box, into the same appearance term.
public struct NBMiniDiT: Sendable {
    /// The architecture.
    public var config: DiTConfig

    /// A DiT of `config`.
    public init(config: DiTConfig) { self.config = config }

    /// What the text and the references contribute, identical at every step: the pooled-text part of
    /// the conditioning vector, each block's cross-attention keys and values, and the key masks.
    struct Conditioning {
        var textCondition: ValueID
        var keysAndValues: [(textK: ValueID, textV: ValueID, refK: ValueID, refV: ValueID)]
        var textKeys: ValueID
        var refKeys: ValueID
        /// The layout's appearance map [B, N, D], added to the patch embedding (layout models with references).
        var appearance: ValueID?
    }

    /// Whether graphs with `referenceTokens` reference tokens take a layout.
    func usesLayout(referenceTokens: Int) -> Bool { config.layout && referenceTokens > 0 }

    /// The graph for `batch` latents, `textTokens` text states and `referenceTokens` reference tokens
    /// (the always-present null reference token is added inside). Inputs, in order: `x` [B, C, S, S],
    /// `t` [B], `text` [B, L, 384], `text_mask` [B, L] bool, `ref` [B, R, ref_dim] and `ref_mask` [B, R]
    /// bool (when R > 0), `layout` [B, N, R / tokensPerPerson] (layout models, when R > 0), `canvas`
    /// [B, 4, 128, 128] (canvas layout models, when R > 0), `ref_scale` []
    /// float, then for v2 `glyph` [B, 1, 128, 128] and `guidance` [B].
    public func graph(batch: Int, textTokens: Int, referenceTokens: Int, tokensPerPerson: Int = 8, dtype: DType = .float32) throws -> Graph {
        var b = GraphBuilder(dtype: dtype)
        let x = b.input("x", [batch, config.latentChannels, config.latentSize, config.latentSize])
        let t = b.input("t", [batch])
        let conditioning = try conditioningInputs(&b, batch: batch, textTokens: textTokens, referenceTokens: referenceTokens,
                                                  tokensPerPerson: tokensPerPerson)
        b.output(try denoise(&b, x: x, t: t, conditioning: conditioning))
        return b.graph
    }

    /// The per-image half of the split model: inputs `text`, `text_mask`, (`ref`, `ref_mask`, and for a
    /// layout model `layout`, and for a canvas model `canvas`); outputs the text condition [B, D], then for each block the text keys and
    /// values [B, L, D] and the reference keys and values [B, R+1, D], then the text and reference key
    /// masks (and the appearance map). Run once per image, it saves every step from recomputing them.
    public func conditioningGraph(batch: Int, textTokens: Int, referenceTokens: Int, tokensPerPerson: Int = 8,
                                  dtype: DType = .float32) throws -> Graph {
        var b = GraphBuilder(dtype: dtype)
        let c = try conditioningInputs(&b, batch: batch, textTokens: textTokens, referenceTokens: referenceTokens,
                                       tokensPerPerson: tokensPerPerson)
        var outputs = [c.textCondition]
        for kv in c.keysAndValues { outputs += [kv.textK, kv.textV, kv.refK, kv.refV] }
        outputs += [c.textKeys, c.refKeys]
        if let appearance = c.appearance { outputs.append(appearance) }
        for o in outputs { b.output(o) }
        return b.graph
    }

    /// The per-step half: inputs `x`, `t`, then the conditioning graph's outputs in its order, then
    /// `ref_scale` (and for v2 `glyph`, `guidance`); output the predicted velocity.
    public func stepGraph(batch: Int, textTokens: Int, referenceTokens: Int, dtype: DType = .float32) throws -> Graph {
        let c = config, D = c.width, B = batch, R = referenceTokens + 1
        var b = GraphBuilder(dtype: dtype)
        let x = b.input("x", [B, c.latentChannels, c.latentSize, c.latentSize])
        let t = b.input("t", [B])
        let textCondition = b.input("text_condition", [B, D])
        var kv: [(textK: ValueID, textV: ValueID, refK: ValueID, refV: ValueID)] = []
        for i in 0..<c.depth {
            kv.append((b.input("blocks.\(i).text_k", [B, textTokens, D]), b.input("blocks.\(i).text_v", [B, textTokens, D]),
                       b.input("blocks.\(i).ref_k", [B, R, D]), b.input("blocks.\(i).ref_v", [B, R, D])))
        }
        let textKeys = b.input("text_keys", [B, 1, 1, textTokens], .bool)
        let layout = usesLayout(referenceTokens: referenceTokens)
        let refKeys = b.input("ref_keys", [B, 1, layout ? c.grid * c.grid : 1, R], .bool)
        let appearance = layout ? b.input("appearance", [B, c.grid * c.grid, D]) : nil
        b.output(try denoise(&b, x: x, t: t, conditioning: Conditioning(textCondition: textCondition, keysAndValues: kv,
                                                                          textKeys: textKeys, refKeys: refKeys, appearance: appearance)))
        return b.graph
    }

    /// Declares the text and reference inputs and computes the conditioning from them.
    func conditioningInputs(_ b: inout GraphBuilder, batch B: Int, textTokens: Int, referenceTokens: Int,
                            tokensPerPerson K: Int) throws -> Conditioning {
        let c = config, D = c.width
        let text = b.input("text", [B, textTokens, c.textDim])
        let textMask = b.input("text_mask", [B, textTokens], .bool)
        var ref: ValueID?, refMask: ValueID?, layout: ValueID?, canvas: ValueID?
        if referenceTokens > 0 {
            ref = b.input("ref", [B, referenceTokens, c.refDim])
            refMask = b.input("ref_mask", [B, referenceTokens], .bool)
        }
        if usesLayout(referenceTokens: referenceTokens) {
            guard K > 0, referenceTokens % K == 0 else {
                throw GraphError("\(referenceTokens) reference tokens are not whole people of \(K) tokens")
            }
            layout = b.input("layout", [B, c.grid * c.grid, referenceTokens / K])
            if c.canvas { canvas = b.input("canvas", [B, 4, c.imageSize, c.imageSize]) }
        }
        // Masked mean of the text states.
        let m = try b.apply("Cast", [try b.reshape(textMask, [B, textTokens, 1])], ["to": .int(1)])
        let summed = try b.apply("ReduceSum", [try b.apply("Mul", [text, m]), b.ints([1])], ["keepdims": .int(0)])
        let count = try clampMin1(&b, try b.apply("ReduceSum", [m, b.ints([1])], ["keepdims": .int(0)]))
        let textCondition = try b.linear(try b.apply("Div", [summed, count]), "text_pool", c.textDim, D)
        // Reference tokens behind the learned null token, which is always attendable.
        let null = try b.apply("Expand", [b.weight("null_ref", [1, 1, c.refDim]), b.ints([B, 1, c.refDim])])
        let ones = b.constant(Tensor(shape: [B, 1], dtype: .bool, values: [UInt8](repeating: 1, count: B)), "ones")
        let refs = try ref.map { try b.apply("Concat", [null, $0], ["axis": .int(1)]) } ?? null
        let refsMask = try refMask.map { try b.apply("Concat", [ones, $0], ["axis": .int(1)]) } ?? ones
        var kv: [(textK: ValueID, textV: ValueID, refK: ValueID, refV: ValueID)] = []
        for i in 0..<c.depth {
            let p = "blocks.\(i)"
            let tkv = try b.op("Split", [try b.linear(text, "\(p).cross_kv", c.textDim, 2 * D), b.ints([D, D])], ["axis": .int(-1)], outputs: 2)
            let rkv = try b.op("Split", [try b.linear(refs, "\(p).ref_kv", c.refDim, 2 * D), b.ints([D, D])], ["axis": .int(-1)], outputs: 2)
            kv.append((tkv[0], tkv[1], rkv[0], rkv[1]))
        }
        guard let layout, let ref, let refMask else {
            return Conditioning(textCondition: textCondition, keysAndValues: kv,
                                textKeys: try b.reshape(textMask, [B, 1, 1, textTokens]),
                                refKeys: try b.reshape(refsMask, [B, 1, 1, referenceTokens + 1]))
        }
        var (refKeys, appearance) = try layoutConditioning(&b, layout: layout, ref: ref, refMask: refMask, tokensPerPerson: K)
        if let canvas { appearance = try b.apply("Add", [appearance, try canvasEmbedding(&b, canvas)]) }
        return Conditioning(textCondition: textCondition, keysAndValues: kv, textKeys: try b.reshape(textMask, [B, 1, 1, textTokens]),
                            refKeys: refKeys, appearance: appearance)
    }

    /// From the layout [B, N, P]: the per-token reference key mask [B, 1, N, 1 + P*K] (the null token
    /// always, a person's tokens where the token is in that person's region and the person has photos)
    /// and the appearance map [B, N, D] (each token's mean over its people of `app_embed(mean of the
    /// person's reference tokens)`).
    func layoutConditioning(_ b: inout GraphBuilder, layout: ValueID, ref: ValueID, refMask: ValueID,
                            tokensPerPerson K: Int) throws -> (refKeys: ValueID, appearance: ValueID) {
        let c = config, D = c.width, shape = b.shape(layout), B = shape[0], N = shape[1], P = shape[2]
        let present = try b.apply("Cast", [try b.reshape(refMask, [B, 1, P, K])], ["to": .int(1)])
        // A person is present when its first token is (the encoder masks all K or none).
        let firstToken = try b.apply("Slice", [present, b.ints([0]), b.ints([1]), b.ints([3])])
        let lay = try b.apply("Mul", [layout, try b.reshape(firstToken, [B, 1, P])])
        let count = try clampMin1(&b, try b.apply("ReduceSum", [lay, b.ints([2])], ["keepdims": .int(1)]))
        let people = try b.apply("ReduceMean", [try b.reshape(ref, [B, P, K, c.refDim]), b.ints([2])], ["keepdims": .int(0)])
        let appearance = try b.apply("MatMul", [try b.apply("Div", [lay, count]), try mlp2(&b, people, "app_embed", c.refDim, D, D)])
        let perToken = try b.apply("Expand", [try b.reshape(lay, [B, N, P, 1]), b.ints([B, N, P, K])])
        let keys = try b.apply("Cast", [try b.reshape(perToken, [B, N, P * K])], ["to": .int(9)])
        let ones = b.constant(Tensor(shape: [B, N, 1], dtype: .bool, values: [UInt8](repeating: 1, count: B * N)), "ones_per_token")
        let refKeys = try b.reshape(try b.apply("Concat", [ones, keys], ["axis": .int(2)]), [B, 1, N, P * K + 1])
        return (refKeys, appearance)
    }

    /// The canvas's contribution to the appearance term [B, N, D]: `canvas_embed` of each 8x8 patch (channel
    /// major, as the glyph map's), times the fraction of the patch inside a box (the mask channel's mean),
    /// so that tokens outside every box get exactly nothing.
    func canvasEmbedding(_ b: inout GraphBuilder, _ canvas: ValueID) throws -> ValueID {
        let c = config, channels = b.shape(canvas)[1], gp = c.imageSize / c.latentSize * c.patch, n = gp * gp
        let patches = try patchify(&b, canvas, channels: channels, size: c.imageSize, patch: gp)
        let mask = try b.apply("Slice", [patches, b.ints([(channels - 1) * n]), b.ints([channels * n]), b.ints([2])])
        let inside = try b.apply("ReduceMean", [mask, b.ints([2])], ["keepdims": .int(1)])
        return try b.apply("Mul", [inside, try mlp2(&b, patches, "canvas_embed", channels * n, c.width, c.width)])
    }

    /// One denoising evaluation given the conditioning; declares `ref_scale` (and v2's `glyph`, `guidance`).
    func denoise(_ b: inout GraphBuilder, x: ValueID, t: ValueID, conditioning k: Conditioning) throws -> ValueID {
        let c = config, D = c.width, B = b.shape(x)[0]
        let refScale = b.input("ref_scale", [])
        let glyph = c.glyph ? b.input("glyph", [B, 1, c.imageSize, c.imageSize]) : nil
        let guidance = c.guidanceEmbed ? b.input("guidance", [B]) : nil
        var h = try b.linear(try patchify(&b, x, channels: c.latentChannels, size: c.latentSize, patch: c.patch), "patch_embed",
                             c.latentChannels * c.patch * c.patch, D)
        h = try b.apply("Add", [h, b.weight("pos_embed", [c.grid * c.grid, D])])
        if let glyph {
            let gp = c.imageSize / c.latentSize * c.patch
            let patches = try patchify(&b, glyph, channels: 1, size: c.imageSize, patch: gp)
            h = try b.apply("Add", [h, try mlp2(&b, patches, "glyph_embed", gp * gp, D, D)])
        }
        // ref_scale weighs both reference paths, so that 0 switches the references off entirely.
        if let appearance = k.appearance { h = try b.apply("Add", [h, try b.apply("Mul", [refScale, appearance])]) }
        // Conditioning: timestep + pooled text (+ guidance in v2).
        var cond = try b.apply("Add", [try mlp2(&b, try b.sinusoidalFeatures(t, dim: c.freqDim, scale: 1000), "t_embed", c.freqDim, D, D), k.textCondition])
        if let guidance {
            cond = try b.apply("Add", [cond, try mlp2(&b, try b.sinusoidalFeatures(guidance, dim: c.freqDim, scale: 100), "g_embed", c.freqDim, D, D)])
        }
        let condSiLU = try b.silu(cond)
        for i in 0..<c.depth {
            let p = "blocks.\(i)", kv = k.keysAndValues[i]
            let mod = try b.op("Split", [try b.reshape(try b.linear(condSiLU, "\(p).ada", D, 6 * D), [B, 1, 6 * D]), b.ints([D, D, D, D, D, D])],
                               ["axis": .int(-1)], outputs: 6)
            var a = try modulate(&b, try b.layerNorm(h, "\(p).norm1", epsilon: 1e-6, affine: false), shift: mod[0], scale: mod[1])
            let qkv = try b.op("Split", [try b.linear(a, "\(p).qkv", D, 3 * D), b.ints([D, D, D])], ["axis": .int(-1)], outputs: 3)
            a = try b.linear(try heads(&b, qkv[0], qkv[1], qkv[2], mask: nil), "\(p).proj", D, D)
            h = try b.apply("Add", [h, try b.apply("Mul", [mod[2], a])])
            let q = try b.linear(try b.layerNorm(h, "\(p).norm_cross", epsilon: 1e-6), "\(p).cross_q", D, D)
            var y = try b.linear(try heads(&b, q, kv.textK, kv.textV, mask: k.textKeys), "\(p).cross_proj", D, D)
            let r = try b.linear(try heads(&b, q, kv.refK, kv.refV, mask: k.refKeys), "\(p).ref_proj", D, D)
            y = try b.apply("Add", [y, try b.apply("Mul", [refScale, r])])
            h = try b.apply("Add", [h, y])
            a = try modulate(&b, try b.layerNorm(h, "\(p).norm2", epsilon: 1e-6, affine: false), shift: mod[3], scale: mod[4])
            let hidden = Int(Double(D) * c.mlpRatio)
            a = try b.linear(try b.apply("Gelu", [try b.linear(a, "\(p).mlp_fc1", D, hidden)]), "\(p).mlp_fc2", hidden, D)
            h = try b.apply("Add", [h, try b.apply("Mul", [mod[5], a])])
        }
        let final = try b.op("Split", [try b.reshape(try b.linear(condSiLU, "ada_out", D, 2 * D), [B, 1, 2 * D]), b.ints([D, D])],
                             ["axis": .int(-1)], outputs: 2)
        h = try modulate(&b, try b.layerNorm(h, "norm_out", epsilon: 1e-6, affine: false), shift: final[0], scale: final[1])
        h = try b.linear(h, "out", D, c.latentChannels * c.patch * c.patch)
        return try unpatchify(&b, h)
    }

    /// [B, C, S, S] -> [B, (S/p)^2, C*p*p], (C, py, px) innermost.
    func patchify(_ b: inout GraphBuilder, _ x: ValueID, channels: Int, size: Int, patch p: Int) throws -> ValueID {
        let B = b.shape(x)[0], g = size / p
        let r = try b.reshape(x, [B, channels, g, p, g, p])
        return try b.reshape(try b.transpose(r, [0, 2, 4, 1, 3, 5]), [B, g * g, channels * p * p])
    }

    func unpatchify(_ b: inout GraphBuilder, _ x: ValueID) throws -> ValueID {
        let c = config, B = b.shape(x)[0], g = c.grid, p = c.patch
        let r = try b.reshape(x, [B, g, g, c.latentChannels, p, p])
        return try b.reshape(try b.transpose(r, [0, 3, 1, 4, 2, 5]), [B, c.latentChannels, g * p, g * p])
    }

    /// `fc2(silu(fc1(x)))`.
    func mlp2(_ b: inout GraphBuilder, _ x: ValueID, _ p: String, _ din: Int, _ dh: Int, _ dout: Int) throws -> ValueID {
        try b.linear(try b.silu(try b.linear(x, "\(p).fc1", din, dh)), "\(p).fc2", dh, dout)
    }

    /// `x * (1 + scale) + shift`.
    func modulate(_ b: inout GraphBuilder, _ x: ValueID, shift: ValueID, scale: ValueID) throws -> ValueID {
        try b.apply("Add", [try b.apply("Mul", [x, try b.apply("Add", [scale, b.scalar(1)])]), shift])
    }

    /// `max(x, 1)` from the available operators: `(x + 1 + sqrt((x - 1)^2)) / 2`.
    func clampMin1(_ b: inout GraphBuilder, _ x: ValueID) throws -> ValueID {
        let d = try b.apply("Sub", [x, b.scalar(1)])
        let abs = try b.apply("Sqrt", [try b.apply("Mul", [d, d])])
        return try b.apply("Mul", [try b.apply("Add", [try b.apply("Add", [x, b.scalar(1)]), abs]), b.scalar(0.5)])
    }

    func heads(_ b: inout GraphBuilder, _ q: ValueID, _ k: ValueID, _ v: ValueID, mask: ValueID?) throws -> ValueID {
        try b.apply("Attention", [q, k, v, mask], ["q_num_heads": .int(config.heads), "kv_num_heads": .int(config.heads)])
    }
}
