import CavendishCore
import CavendishGraph

/// The NB-mini VAE encoder (the recipe's `models/vae.py`, `VAE.encode`), as a graph: images
/// [B, 3, S, S] in [-1, 1] to the posterior's `mean` and `logvar`, each [B, 4, S/4, S/4].
///
/// Both outputs are the VAE's own, unscaled: the denoiser works on `config.denoiserLatent(mean:)`,
/// z = (mean - shift_factor) * scale_factor (`VAE.to_latent`), which `NBMiniVAEDecoder` undoes. The
/// graph stops before that step so that it matches the recipe's `encode` (and its golden tensors) one to
/// one, and so that `logvar`, which has no denoiser-space meaning, is not scaled alongside.
public struct NBMiniVAEEncoder: Sendable {
    /// The architecture.
    public var config: VAEConfig

    /// An encoder of `config`.
    public init(config: VAEConfig) { self.config = config }

    /// The graph for `batch` images of `imageSize` x `imageSize` (a multiple of the downsampling); its
    /// outputs are `mean` then `logvar`.
    public func graph(batch: Int, imageSize: Int, dtype: DType = .float32) throws -> Graph {
        let c = config, ch = c.channels
        guard imageSize > 0, imageSize % c.downsampling == 0 else {
            throw GraphError("the VAE encoder needs an image size that is a multiple of \(c.downsampling), not \(imageSize)")
        }
        var b = GraphBuilder(dtype: dtype)
        let image = b.input("image", [batch, c.inChannels, imageSize, imageSize])
        var h = try b.conv2d(image, "encoder.conv_in", c.inChannels, ch[0], kernel: 3, padding: 1)
        for i in 0..<ch.count {
            h = try b.nbMiniVAEResBlock(h, "encoder.blocks.\(i)", ch[i], ch[i], groups: c.groups)
            if i + 1 < ch.count {
                h = try b.conv2d(h, "encoder.downs.\(i)", ch[i], ch[i + 1], kernel: 3, stride: 2, padding: 1)
            }
        }
        h = try b.nbMiniVAEResBlock(h, "encoder.mid", ch[ch.count - 1], ch[ch.count - 1], groups: c.groups)
        h = try b.silu(try b.groupNorm(h, "encoder.norm_out", groups: c.groups, epsilon: 1e-6))
        h = try b.conv2d(h, "encoder.conv_out", ch[ch.count - 1], 2 * c.latentChannels, kernel: 3, padding: 1)
        // m.chunk(2, dim=1): the first half of the channels is the mean, the second the log-variance.
        let halves = try b.op("Split", [h, b.ints([c.latentChannels, c.latentChannels])], ["axis": .int(1)], outputs: 2)
        // The recipe clamps the log-variance so that exp(0.5 logvar) can neither overflow nor vanish.
        let logvar = try b.apply("Clip", [halves[1], b.scalar(-30), b.scalar(20)])
        b.output(halves[0], logvar)
        return b.graph
    }
}

extension VAEConfig {
    /// The denoiser latent of a posterior mean (the recipe's `VAE.to_latent`):
    /// z = (mean - shift_factor) * scale_factor, elementwise in float32 as PyTorch computes it. The
    /// factors bring the VAE's latents to roughly unit variance, which the noise schedule assumes.
    public func denoiserLatent(mean: [Float]) -> [Float] {
        let shift = Float(shiftFactor), scale = Float(scaleFactor)
        return mean.map { ($0 - shift) * scale }
    }
}
