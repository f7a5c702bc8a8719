import CavendishCore
import CavendishGraph

/// The NB-mini VAE decoder (the recipe's `models/vae.py`), as a graph: denoiser latents
/// [B, 4, S, S] (unscaled by the config's factors inside) to images [B, 3, 4S, 4S] in [-1, 1]. A
/// glyph-conditioned decoder has a second input, the glyph map `glyph` [B, 1, 4S, 4S]; an all-zero map
/// adds nothing (its branches have no bias), which is how a prompt without quoted text, and v1, decode.
public struct NBMiniVAEDecoder: Sendable {
    /// The architecture.
    public var config: VAEConfig

    /// A decoder of `config`.
    public init(config: VAEConfig) { self.config = config }

    /// The graph for `batch` latents of `latentSize` x `latentSize`.
    public func graph(batch: Int, latentSize: Int, dtype: DType = .float32) throws -> Graph {
        let c = config
        var b = GraphBuilder(dtype: dtype)
        let z = b.input("latent", [batch, c.latentChannels, latentSize, latentSize])
        // from_latent: z / scale + shift.
        var h = try b.apply("Add", [try b.apply("Mul", [z, b.scalar(Float(1 / c.scaleFactor))]), b.scalar(Float(c.shiftFactor))])
        let ch = Array(c.channels.reversed())
        let glyph = c.glyphConditioning ? b.input("glyph", [batch, 1, latentSize * c.downsampling, latentSize * c.downsampling]) : nil
        h = try b.conv2d(h, "decoder.conv_in", c.latentChannels, ch[0], kernel: 3, padding: 1)
        h = try b.nbMiniVAEResBlock(h, "decoder.mid", ch[0], ch[0], groups: c.groups)
        for i in 0..<ch.count {
            if let glyph {
                // Level i runs at 1/f of the image: a conv of kernel and stride f reads each f x f block of the map.
                let f = 1 << (ch.count - 1 - i)
                let g = f == 1 ? try b.conv2d(glyph, "decoder.glyph_in.\(i)", 1, ch[i], kernel: 3, padding: 1, bias: false)
                               : try b.conv2d(glyph, "decoder.glyph_in.\(i)", 1, ch[i], kernel: f, stride: f, bias: false)
                h = try b.apply("Add", [h, g])
            }
            h = try b.nbMiniVAEResBlock(h, "decoder.blocks.\(i)", ch[i], ch[i], groups: c.groups)
            if i + 1 < ch.count {
                h = try b.upsampleNearest2x(h)
                h = try b.conv2d(h, "decoder.ups.\(i)", ch[i], ch[i + 1], kernel: 3, padding: 1)
            }
        }
        h = try b.silu(try b.groupNorm(h, "decoder.norm_out", groups: c.groups, epsilon: 1e-6))
        b.output(try b.conv2d(h, "decoder.conv_out", ch[ch.count - 1], c.inChannels, kernel: 3, padding: 1))
        return b.graph
    }
}
