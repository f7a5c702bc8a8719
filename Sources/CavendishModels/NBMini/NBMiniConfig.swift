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
    /// v2: layout-grounded personalization; with references, a `layout` input [B, tokens, people] says
    /// which image tokens belong to which person (see `NBMiniDiT`).
    public var layout = false
    /// v2 with layout: a `canvas` input [B, 4, image, image] (each person's first reference photo pasted
    /// into that person's box, and a box mask) also feeds the patch embedding (see `NBMiniDiT`).
    public var canvas = false

    enum CodingKeys: String, CodingKey {
        case latentChannels = "latent_channels", latentSize = "latent_size", patch, width, depth, heads
        case mlpRatio = "mlp_ratio", textDim = "text_dim", refDim = "ref_dim", freqDim = "freq_dim", imageSize = "image_size"
        case glyph, guidanceEmbed = "guidance_embed", layout, canvas
    }

    /// A default (v1-shaped) DiT.
    public init() {}

    /// Decodes a recipe config; `layout` and `canvas` are absent from configs written before they existed.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latentChannels = try c.decode(Int.self, forKey: .latentChannels)
        latentSize = try c.decode(Int.self, forKey: .latentSize)
        patch = try c.decode(Int.self, forKey: .patch)
        width = try c.decode(Int.self, forKey: .width)
        depth = try c.decode(Int.self, forKey: .depth)
        heads = try c.decode(Int.self, forKey: .heads)
        mlpRatio = try c.decode(Double.self, forKey: .mlpRatio)
        textDim = try c.decode(Int.self, forKey: .textDim)
        refDim = try c.decode(Int.self, forKey: .refDim)
        freqDim = try c.decode(Int.self, forKey: .freqDim)
        imageSize = try c.decode(Int.self, forKey: .imageSize)
        glyph = try c.decode(Bool.self, forKey: .glyph)
        guidanceEmbed = try c.decode(Bool.self, forKey: .guidanceEmbed)
        layout = try c.decodeIfPresent(Bool.self, forKey: .layout) ?? false
        canvas = try c.decodeIfPresent(Bool.self, forKey: .canvas) ?? false
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
    /// The decoder also takes the glyph map of the quoted text ([B, 1, image, image], 0/1) and adds it at
    /// every resolution level, so that letters the latent has blurred come out sharp.
    public var glyphConditioning = false

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", latentChannels = "latent_channels", channels, groups
        case scaleFactor = "scale_factor", shiftFactor = "shift_factor", glyphConditioning = "glyph_conditioning"
    }

    /// A default VAE.
    public init() {}

    /// Decodes a recipe config; `glyph_conditioning` is absent from configs written before it existed.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inChannels = try c.decode(Int.self, forKey: .inChannels)
        latentChannels = try c.decode(Int.self, forKey: .latentChannels)
        channels = try c.decode([Int].self, forKey: .channels)
        groups = try c.decode(Int.self, forKey: .groups)
        scaleFactor = try c.decode(Double.self, forKey: .scaleFactor)
        shiftFactor = try c.decode(Double.self, forKey: .shiftFactor)
        glyphConditioning = try c.decodeIfPresent(Bool.self, forKey: .glyphConditioning) ?? false
    }

    /// Image size over latent size.
    public var downsampling: Int { 1 << (channels.count - 1) }
}
