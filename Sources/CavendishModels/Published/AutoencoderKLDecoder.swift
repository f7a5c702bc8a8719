import CavendishCore
import CavendishGraph

/// The decoder half of diffusers' `AutoencoderKL` (Stable Diffusion and SDXL share its architecture):
/// latents [B, 4, h, w] to images [B, 3, 8h, 8w].
public struct AutoencoderKLDecoder: Sendable {
    /// `block_out_channels` of the VAE config.
    public var blockOutChannels = [128, 256, 512, 512]
    /// ResNets per up block minus one (`layers_per_block`).
    public var layersPerBlock = 2
    /// Latent channels.
    public var latentChannels = 4

    /// The SD/SDXL VAE.
    public init() {}

    /// The decoder graph.
    public func graph(batch: Int, latentSize: Int, dtype: DType) throws -> Graph {
        var b = GraphBuilder(dtype: dtype)
        let z = b.input("latent", [batch, latentChannels, latentSize, latentSize])
        var x = try b.conv2d(z, "post_quant_conv", latentChannels, latentChannels, kernel: 1)
        var ch = blockOutChannels.last!
        x = try b.conv2d(x, "decoder.conv_in", latentChannels, ch, kernel: 3, padding: 1)
        x = try Layers.resnet(&b, x, nil, "decoder.mid_block.resnets.0", ch, ch, embDim: 0, groups: 32, epsilon: 1e-6)
        x = try selfAttention(&b, x, "decoder.mid_block.attentions.0", ch)
        x = try Layers.resnet(&b, x, nil, "decoder.mid_block.resnets.1", ch, ch, embDim: 0, groups: 32, epsilon: 1e-6)
        for (u, out) in blockOutChannels.reversed().enumerated() {
            for j in 0...layersPerBlock {
                x = try Layers.resnet(&b, x, nil, "decoder.up_blocks.\(u).resnets.\(j)", ch, out, embDim: 0, groups: 32, epsilon: 1e-6)
                ch = out
            }
            if u < blockOutChannels.count - 1 { x = try Layers.upsample(&b, x, "decoder.up_blocks.\(u).upsamplers.0.conv", ch) }
        }
        x = try b.silu(try b.groupNorm(x, "decoder.conv_norm_out", groups: 32, epsilon: 1e-6))
        b.output(try b.conv2d(x, "decoder.conv_out", ch, 3, kernel: 3, padding: 1))
        return b.graph
    }

    /// The mid block's single-head attention over all pixels.
    func selfAttention(_ b: inout GraphBuilder, _ x: ValueID, _ p: String, _ ch: Int) throws -> ValueID {
        let s = b.shape(x)
        var y = try b.groupNorm(x, "\(p).group_norm", groups: 32, epsilon: 1e-6)
        y = try b.transpose(try b.reshape(y, [s[0], ch, s[2] * s[3]]), [0, 2, 1])
        let q = try b.linear(y, "\(p).to_q", ch, ch), k = try b.linear(y, "\(p).to_k", ch, ch), v = try b.linear(y, "\(p).to_v", ch, ch)
        y = try b.linear(try b.attention(q, k, v, heads: 1), "\(p).to_out.0", ch, ch)
        y = try b.reshape(try b.transpose(y, [0, 2, 1]), s)
        return try b.apply("Add", [y, x])
    }
}
