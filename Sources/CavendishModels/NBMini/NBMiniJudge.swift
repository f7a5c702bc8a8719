import CavendishCore
import CavendishGraph

/// One of NB-mini's evaluation judges (the recipe's `models/judge.py`), small CNN classifiers trained on
/// ground-truth world renders only: four levels of (3x3 conv stride 2, GroupNorm(8), SiLU, 3x3 conv,
/// GroupNorm(8), SiLU) at widths 32, 64, 128, 128, a spatial mean, and one linear head per label set.
/// `nb-mini-judges.h5` holds two: `scene` (heads `setting`, `style`) on whole 128x128 images and
/// `identity` (head `identity`, the held-out people and pets) on 64x64 crops at a subject's box.
public struct NBMiniJudge: Sendable {
    /// The weight-name prefix (`scene` or `identity`).
    public var name: String
    /// Head names and their class counts, in output order.
    public var heads: [(name: String, classes: Int)]
    /// Channels of the first level, and levels.
    public var width = 32, levels = 4
    /// Also output the pooled features [B, 4 * width] after the heads (KID's feature vectors).
    public var outputsFeatures = false

    /// A judge named `name` with `heads`.
    public init(name: String, heads: [(name: String, classes: Int)]) {
        self.name = name
        self.heads = heads
    }

    /// The graph for `batch` images [B, 3, size, size] in [-1, 1]: one output of logits [B, classes] per head.
    public func graph(batch: Int, imageSize: Int) throws -> Graph {
        var b = GraphBuilder()
        var h = b.input("image", [batch, 3, imageSize, imageSize])
        var c = 3
        for i in 0..<levels {
            let co = width * min(1 << i, 4), p = "\(name).features.\(6 * i)"
            h = try b.silu(try b.groupNorm(try b.conv2d(h, p, c, co, kernel: 3, stride: 2, padding: 1), "\(name).features.\(6 * i + 1)", groups: 8))
            h = try b.silu(try b.groupNorm(try b.conv2d(h, "\(name).features.\(6 * i + 3)", co, co, kernel: 3, padding: 1),
                                          "\(name).features.\(6 * i + 4)", groups: 8))
            c = co
        }
        let pooled = try b.apply("ReduceMean", [h, b.ints([2, 3])], ["keepdims": .int(0)])
        for head in heads { b.output(try b.linear(pooled, "\(name).heads.\(head.name)", c, head.classes)) }
        if outputsFeatures { b.output(pooled) }
        return b.graph
    }
}
