import CavendishCore
import CavendishGraph

/// The reference encoder's shape (`RefEncoderConfig` of the recipe).
public struct ReferenceEncoderConfig: Codable, Sendable, Equatable {
    public var imageSize = 64, tokens = 8, dim = 256, heads = 4, maxPeople = 5, maxRefs = 4, layers = 2

    /// The committed encoder's shape.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case imageSize = "image_size", tokens, dim, heads, maxPeople = "max_people", maxRefs = "max_refs", layers
    }
}

/// NB-mini's reference encoder (the recipe's `models/refenc.py`) for one person: 1 to 4 photos
/// [1, R, 3, 64, 64] in [-1, 1] become K tokens, plus the slot embedding of the person's placeholder.
///
/// A small CNN turns each photo into a 4x4 grid of features; learned queries attend to all of them
/// (a Perceiver-style resampler) and the slot embedding binds the tokens to `<pN>`. Running one person
/// at a time with only their real photos equals the recipe's batched, masked forward pass.
public struct NBMiniReferenceEncoder: Sendable {
    /// The architecture.
    public var config: ReferenceEncoderConfig

    /// An encoder of `config`.
    public init(config: ReferenceEncoderConfig) { self.config = config }

    /// The graph for `photos` photos of the person in slot `slot` (0-based): inputs `photos`
    /// [1, R, 3, S, S]; output tokens [1, K, dim].
    public func graph(photos: Int, slot: Int) throws -> Graph {
        let c = config
        var b = GraphBuilder(dtype: .float32)
        let x = b.input("photos", [1, photos, 3, c.imageSize, c.imageSize])
        var h = try b.reshape(x, [photos, 3, c.imageSize, c.imageSize])
        for (i, (cin, cout)) in [(3, 32), (32, 64), (64, 128), (128, 128)].enumerated() {
            let p = "cnn.\(i)"
            h = try b.conv2d(h, "\(p).down", cin, cout, kernel: 3, stride: 2, padding: 1)
            let y = try b.conv2d(try b.silu(try b.groupNorm(h, "\(p).norm", groups: 8, epsilon: 1e-6)), "\(p).conv", cout, cout, kernel: 3, padding: 1)
            h = try b.apply("Add", [h, y])
        }
        let cells = (c.imageSize / 16) * (c.imageSize / 16)
        h = try b.transpose(try b.reshape(h, [photos, 128, cells]), [0, 2, 1])
        h = try b.apply("Add", [try b.linear(h, "feat_proj", 128, c.dim), b.weight("feat_pos", [1, cells, c.dim])])
        let features = try b.reshape(h, [1, photos * cells, c.dim])
        var tok = b.weight("queries", [1, c.tokens, c.dim])
        for l in 0..<c.layers {
            let p = "layers.\(l)"
            let kv = try b.op("Split", [try b.linear(features, "\(p).kv", c.dim, 2 * c.dim), b.ints([c.dim, c.dim])], ["axis": .int(-1)], outputs: 2)
            let q = try b.linear(try b.layerNorm(tok, "\(p).norm_q", epsilon: 1e-6), "\(p).q", c.dim, c.dim)
            let a = try b.apply("Attention", [q, kv[0], kv[1]], ["q_num_heads": .int(c.heads), "kv_num_heads": .int(c.heads)])
            tok = try b.apply("Add", [tok, try b.linear(a, "\(p).proj", c.dim, c.dim)])
            let m = try b.linear(try b.apply("Gelu", [try b.linear(try b.layerNorm(tok, "\(p).norm_mlp", epsilon: 1e-6), "\(p).fc1", c.dim, 4 * c.dim)]),
                                 "\(p).fc2", 4 * c.dim, c.dim)
            tok = try b.apply("Add", [tok, m])
        }
        tok = try b.layerNorm(tok, "norm_out", epsilon: 1e-6)
        let slotVector = try b.apply("Gather", [b.weight("slot.weight", [c.maxPeople, c.dim]), b.ints([slot])])
        b.output(try b.apply("Add", [tok, slotVector]))
        return b.graph
    }
}
