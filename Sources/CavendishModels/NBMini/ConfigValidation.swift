import CavendishCore

/// A model config that can say whether it describes a buildable model. Weight files are checked against
/// their manifest, but a manifest can be made to match anything: a config with zero heads, an empty
/// channel list or a depth of ten million would otherwise divide by zero, index out of range or try to
/// build a graph that never fits in memory. `NBMiniWeightFile.config` calls `validate()` on every config
/// it decodes, so no hostile number reaches a graph builder.
public protocol ValidatedConfig {
    /// Throws, naming the field and its allowed range, when the config cannot describe a real model.
    func validate() throws
}

/// The range check every config uses.
func require(_ ok: Bool, _ field: String, _ rule: String, _ value: Any) throws {
    guard ok else { throw TensorError("model config: \(field) = \(value) is not allowed (\(rule))") }
}

extension DiTConfig: ValidatedConfig {
    /// The bounds are generous (many times NB-mini's sizes) and exist to keep arithmetic and memory finite.
    public func validate() throws {
        try require((1...64).contains(latentChannels), "latent_channels", "1...64", latentChannels)
        try require((1...16).contains(patch), "patch", "1...16", patch)
        try require((1...256).contains(latentSize) && latentSize % patch == 0, "latent_size", "1...256 and a multiple of patch", latentSize)
        try require((1...64).contains(heads), "heads", "1...64", heads)
        try require((1...8192).contains(width) && width % heads == 0, "width", "1...8192 and a multiple of heads", width)
        try require((1...64).contains(depth), "depth", "1...64", depth)
        try require(mlpRatio.isFinite && mlpRatio > 0 && mlpRatio <= 16, "mlp_ratio", "(0, 16]", mlpRatio)
        for (name, v) in [("text_dim", textDim), ("ref_dim", refDim)] { try require((1...8192).contains(v), name, "1...8192", v) }
        try require((2...8192).contains(freqDim) && freqDim % 2 == 0, "freq_dim", "2...8192 and even", freqDim)
        try require(imageSize >= latentSize && imageSize % latentSize == 0 && imageSize <= 4096, "image_size",
                    "a multiple of latent_size up to 4096", imageSize)
    }
}

extension VAEConfig: ValidatedConfig {
    public func validate() throws {
        try require((1...4).contains(inChannels), "in_channels", "1...4", inChannels)
        try require((1...64).contains(latentChannels), "latent_channels", "1...64", latentChannels)
        try require((1...8).contains(channels.count), "channels", "1 to 8 levels", channels)
        try require((1...1024).contains(groups), "groups", "1...1024", groups)
        for c in channels { try require((1...4096).contains(c) && c % groups == 0, "channels", "each 1...4096 and a multiple of groups", channels) }
        try require(scaleFactor.isFinite && scaleFactor != 0, "scale_factor", "finite and non-zero", scaleFactor)
        try require(shiftFactor.isFinite, "shift_factor", "finite", shiftFactor)
    }
}

extension ReferenceEncoderConfig: ValidatedConfig {
    public func validate() throws {
        // Four stride-2 blocks down to a grid: the image side must divide by 16.
        try require((16...1024).contains(imageSize) && imageSize % 16 == 0, "image_size", "16...1024 and a multiple of 16", imageSize)
        try require((1...64).contains(tokens), "tokens", "1...64", tokens)
        try require((1...64).contains(heads), "heads", "1...64", heads)
        try require((1...8192).contains(dim) && dim % heads == 0, "dim", "1...8192 and a multiple of heads", dim)
        try require((1...Placeholder.limit).contains(maxPeople), "max_people", "1...\(Placeholder.limit)", maxPeople)
        try require((1...16).contains(maxRefs), "max_refs", "1...16", maxRefs)
        try require((1...16).contains(layers), "layers", "1...16", layers)
    }
}
