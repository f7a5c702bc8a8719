import CavendishGraph

extension GraphBuilder {
    /// The VAE's `ResBlock` (the recipe's `models/vae.py`), shared by the encoder and the decoder so that
    /// the two cannot drift apart: GroupNorm, SiLU, 3x3 conv, twice, plus a 1x1 `skip` conv where the
    /// channel count changes.
    mutating func nbMiniVAEResBlock(_ x: ValueID, _ p: String, _ cin: Int, _ cout: Int, groups: Int) throws -> ValueID {
        var y = try conv2d(try silu(try groupNorm(x, "\(p).norm1", groups: groups, epsilon: 1e-6)), "\(p).conv1", cin, cout, kernel: 3, padding: 1)
        y = try conv2d(try silu(try groupNorm(y, "\(p).norm2", groups: groups, epsilon: 1e-6)), "\(p).conv2", cout, cout, kernel: 3, padding: 1)
        let skip = cin == cout ? x : try conv2d(x, "\(p).skip", cin, cout, kernel: 1)
        return try apply("Add", [y, skip])
    }
}
