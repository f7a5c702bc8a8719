import Foundation

/// The DiT's shape, as the recipe's `DiTConfig` stores it in each weight file's `config` attribute.
public struct DiTConfig: Codable, Sendable, Equatable {
    public var latentChannels = 4, latentSize = 32, patch = 2, width = 256, depth = 6, heads = 4
    public var mlpRatio = 4.0
    public var textDim = 384, refDim = 256, freqDim = 256, imageSize = 128
    /// v2: glyph tokens added to the patch embedding.
    public var glyph = false
    /// v2: the distilled guidance scale is an input.
    public var guidanceEmbed = false

    enum CodingKeys: String, CodingKey {
        case latentChannels = "latent_channels", latentSize = "latent_size", patch, width, depth, heads
        case mlpRatio = "mlp_ratio", textDim = "text_dim", refDim = "ref_dim", freqDim = "freq_dim", imageSize = "image_size"
        case glyph, guidanceEmbed = "guidance_embed"
    }

    /// Patches per side.
    public var grid: Int { latentSize / patch }
}

/// The VAE's shape (`VAEConfig` of the recipe).
public struct VAEConfig: Codable, Sendable, Equatable {
    public var inChannels = 3, latentChannels = 4
    /// Channels per resolution level, full resolution first.
    public var channels = [32, 64, 128]
    public var groups = 8
    /// Denoiser latents are `(mean - shift) * scale`.
    public var scaleFactor = 1.0, shiftFactor = 0.0

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", latentChannels = "latent_channels", channels, groups
        case scaleFactor = "scale_factor", shiftFactor = "shift_factor"
    }

    /// Image size over latent size.
    public var downsampling: Int { 1 << (channels.count - 1) }
}
