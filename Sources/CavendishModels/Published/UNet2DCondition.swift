import CavendishCore
import Foundation
import CavendishGraph

/// diffusers' `UNet2DConditionModel`, as a graph with the checkpoint's weight names, for the published
/// Stable Diffusion configurations. Built shape-only: simulating it needs no checkpoint.
public struct UNet2DCondition: Sendable {
    /// The subset of `unet/config.json` that fixes the architecture.
    public struct Config: Sendable {
        public var blockOutChannels: [Int]
        /// Per level: true for `CrossAttnDownBlock2D`/`CrossAttnUpBlock2D`.
        public var crossAttention: [Bool]
        public var layersPerBlock: Int
        public var transformerLayers: [Int]
        /// Heads per level (`attention_head_dim` in diffusers' configs holds head counts for these models).
        public var heads: [Int]
        public var crossAttentionDim: Int
        public var useLinearProjection: Bool
        /// SDXL's `addition_embed_type: text_time` (pooled text + 6 size/crop ids).
        public var textTimeEmbedding: Bool
        public var textLength: Int
        public var inChannels = 4, outChannels = 4, normGroups = 32

        /// `stabilityai/stable-diffusion-xl-base-1.0`.
        public static let sdxlBase = Config(blockOutChannels: [320, 640, 1280], crossAttention: [false, true, true],
                                            layersPerBlock: 2, transformerLayers: [1, 2, 10], heads: [5, 10, 20],
                                            crossAttentionDim: 2048, useLinearProjection: true, textTimeEmbedding: true, textLength: 77)
        /// `runwayml/stable-diffusion-v1-5`.
        public static let sd15 = Config(blockOutChannels: [320, 640, 1280, 1280], crossAttention: [true, true, true, false],
                                        layersPerBlock: 2, transformerLayers: [1, 1, 1, 1], heads: [8, 8, 8, 8],
                                        crossAttentionDim: 768, useLinearProjection: false, textTimeEmbedding: false, textLength: 77)
    }

    /// The architecture.
    public var config: Config

    /// A UNet of `config`.
    public init(config: Config) { self.config = config }

    /// The denoiser graph for `batch` latents of `latentSize` x `latentSize`: inputs `sample`
    /// [B, 4, h, w], `timestep` [B], `encoder_hidden_states` [B, 77, D] (and for SDXL `text_embeds`
    /// [B, 1280], `time_ids` [B, 6]); output the predicted noise.
    public func graph(batch: Int, latentSize: Int, dtype: DType) throws -> Graph {
        var b = GraphBuilder(dtype: dtype)
        let c = config
        let sample = b.input("sample", [batch, c.inChannels, latentSize, latentSize])
        let timestep = b.input("timestep", [batch])
        let context = b.input("encoder_hidden_states", [batch, c.textLength, c.crossAttentionDim])
        let ch0 = c.blockOutChannels[0], embDim = ch0 * 4

        var t = try b.sinusoidalFeatures(timestep, dim: ch0)
        t = try b.linear(t, "time_embedding.linear_1", ch0, embDim)
        t = try b.linear(try b.silu(t), "time_embedding.linear_2", embDim, embDim)
        if c.textTimeEmbedding {
            let textEmbeds = b.input("text_embeds", [batch, 1280])
            let timeIds = b.input("time_ids", [batch * 6])
            let ids = try b.reshape(try b.sinusoidalFeatures(timeIds, dim: 256), [batch, 6 * 256])
            var add = try b.apply("Concat", [textEmbeds, ids], ["axis": .int(1)])
            add = try b.linear(add, "add_embedding.linear_1", 1280 + 6 * 256, embDim)
            add = try b.linear(try b.silu(add), "add_embedding.linear_2", embDim, embDim)
            t = try b.apply("Add", [t, add])
        }
        let emb = try b.silu(t)

        var x = try b.conv2d(sample, "conv_in", c.inChannels, ch0, kernel: 3, padding: 1)
        var skips = [(x, ch0)]
        var channels = ch0
        for (level, out) in c.blockOutChannels.enumerated() {
            for j in 0..<c.layersPerBlock {
                x = try Layers.resnet(&b, x, emb, "down_blocks.\(level).resnets.\(j)", channels, out, embDim: embDim, groups: c.normGroups)
                channels = out
                if c.crossAttention[level] {
                    x = try transformer(&b, x, context, "down_blocks.\(level).attentions.\(j)", channels, level: level)
                }
                skips.append((x, channels))
            }
            if level < c.blockOutChannels.count - 1 {
                x = try b.conv2d(x, "down_blocks.\(level).downsamplers.0.conv", channels, channels, kernel: 3, stride: 2, padding: 1)
                skips.append((x, channels))
            }
        }
        let last = c.blockOutChannels.count - 1
        x = try Layers.resnet(&b, x, emb, "mid_block.resnets.0", channels, channels, embDim: embDim, groups: c.normGroups)
        x = try transformer(&b, x, context, "mid_block.attentions.0", channels, level: last)
        x = try Layers.resnet(&b, x, emb, "mid_block.resnets.1", channels, channels, embDim: embDim, groups: c.normGroups)

        for (u, out) in c.blockOutChannels.reversed().enumerated() {
            let level = last - u
            for j in 0...c.layersPerBlock {
                let (skip, skipChannels) = skips.removeLast()
                x = try b.apply("Concat", [x, skip], ["axis": .int(1)])
                x = try Layers.resnet(&b, x, emb, "up_blocks.\(u).resnets.\(j)", channels + skipChannels, out, embDim: embDim, groups: c.normGroups)
                channels = out
                if c.crossAttention[level] {
                    x = try transformer(&b, x, context, "up_blocks.\(u).attentions.\(j)", channels, level: level)
                }
            }
            if u < last {
                x = try Layers.upsample(&b, x, "up_blocks.\(u).upsamplers.0.conv", channels)
            }
        }
        x = try b.silu(try b.groupNorm(x, "conv_norm_out", groups: c.normGroups))
        b.output(try b.conv2d(x, "conv_out", channels, c.outChannels, kernel: 3, padding: 1))
        return b.graph
    }

    /// `Transformer2DModel`: norm, project in, transformer blocks (self-attention, cross-attention,
    /// GEGLU feed-forward), project out, residual.
    func transformer(_ b: inout GraphBuilder, _ x: ValueID, _ context: ValueID, _ p: String, _ ch: Int, level: Int) throws -> ValueID {
        let s = b.shape(x), (batch, h, w) = (s[0], s[2], s[3])
        let heads = config.heads[level]
        var y = try b.groupNorm(x, "\(p).norm", groups: config.normGroups, epsilon: 1e-6)
        if !config.useLinearProjection { y = try b.conv2d(y, "\(p).proj_in", ch, ch, kernel: 1) }
        y = try b.transpose(try b.reshape(y, [batch, ch, h * w]), [0, 2, 1])
        if config.useLinearProjection { y = try b.linear(y, "\(p).proj_in", ch, ch) }
        for l in 0..<config.transformerLayers[level] {
            let q = "\(p).transformer_blocks.\(l)"
            var n = try b.layerNorm(y, "\(q).norm1")
            y = try b.apply("Add", [y, try Layers.attention(&b, n, n, "\(q).attn1", ch, contextDim: ch, heads: heads)])
            n = try b.layerNorm(y, "\(q).norm2")
            y = try b.apply("Add", [y, try Layers.attention(&b, n, context, "\(q).attn2", ch, contextDim: config.crossAttentionDim, heads: heads)])
            n = try b.layerNorm(y, "\(q).norm3")
            y = try b.apply("Add", [y, try Layers.geglu(&b, n, "\(q).ff", ch)])
        }
        if config.useLinearProjection { y = try b.linear(y, "\(p).proj_out", ch, ch) }
        y = try b.reshape(try b.transpose(y, [0, 2, 1]), [batch, ch, h, w])
        if !config.useLinearProjection { y = try b.conv2d(y, "\(p).proj_out", ch, ch, kernel: 1) }
        return try b.apply("Add", [y, x])
    }
}

/// Layers shared by the published models, lowered to ONNX operators.
enum Layers {
    /// `ResnetBlock2D`: two GroupNorm-SiLU-conv stages, the time embedding added in between, and a 1x1
    /// shortcut when the channel count changes. `emb` nil means no time embedding (the VAE's blocks).
    static func resnet(_ b: inout GraphBuilder, _ x: ValueID, _ emb: ValueID?, _ p: String, _ cin: Int, _ cout: Int,
                       embDim: Int, groups: Int, epsilon: Double = 1e-5) throws -> ValueID {
        var h = try b.silu(try b.groupNorm(x, "\(p).norm1", groups: groups, epsilon: epsilon))
        h = try b.conv2d(h, "\(p).conv1", cin, cout, kernel: 3, padding: 1)
        if let emb {
            let t = try b.linear(emb, "\(p).time_emb_proj", embDim, cout)
            h = try b.apply("Add", [h, try b.reshape(t, [b.shape(t)[0], cout, 1, 1])])
        }
        h = try b.silu(try b.groupNorm(h, "\(p).norm2", groups: groups, epsilon: epsilon))
        h = try b.conv2d(h, "\(p).conv2", cout, cout, kernel: 3, padding: 1)
        let shortcut = cin == cout ? x : try b.conv2d(x, "\(p).conv_shortcut", cin, cout, kernel: 1)
        return try b.apply("Add", [shortcut, h])
    }

    /// `Attention` with separate q/k/v projections (no bias) and an output projection.
    static func attention(_ b: inout GraphBuilder, _ x: ValueID, _ context: ValueID, _ p: String, _ dim: Int,
                          contextDim: Int, heads: Int) throws -> ValueID {
        let q = try b.linear(x, "\(p).to_q", dim, dim, bias: false)
        let k = try b.linear(context, "\(p).to_k", contextDim, dim, bias: false)
        let v = try b.linear(context, "\(p).to_v", contextDim, dim, bias: false)
        return try b.linear(try b.attention(q, k, v, heads: heads, name: "\(p).sdpa"), "\(p).to_out.0", dim, dim)
    }

    /// `FeedForward` with GEGLU: project to 2 x 4 x dim, gate one half with GELU of the other, project back.
    static func geglu(_ b: inout GraphBuilder, _ x: ValueID, _ p: String, _ dim: Int) throws -> ValueID {
        let inner = 4 * dim
        let proj = try b.linear(x, "\(p).net.0.proj", dim, 2 * inner)
        let halves = try b.op("Split", [proj, b.ints([inner, inner])], ["axis": .int(-1)], outputs: 2)
        let gated = try b.apply("Mul", [halves[0], try b.apply("Gelu", [halves[1]])])
        return try b.linear(gated, "\(p).net.2", inner, dim)
    }

    /// `Upsample2D`: nearest 2x, then a 3x3 conv.
    static func upsample(_ b: inout GraphBuilder, _ x: ValueID, _ p: String, _ ch: Int) throws -> ValueID {
        try b.conv2d(try b.upsampleNearest2x(x), p, ch, ch, kernel: 3, padding: 1)
    }
}
