/// Shape arithmetic shared by the tensor core, the kernels and the graph.
public enum Shape {
    /// Number of elements of a shape (1 for a scalar).
    @inlinable
    public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major (C order) strides, in elements.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= max(shape[axis], 1)
        }
        return strides
    }

    /// NumPy/ONNX multidirectional broadcasting of several shapes.
    public static func broadcast(_ shapes: [[Int]]) throws -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        var result = [Int](repeating: 1, count: rank)
        for shape in shapes {
            let pad = rank - shape.count
            for (i, d) in shape.enumerated() {
                let r = result[pad + i]
                if r == d || d == 1 { continue }
                if r == 1 { result[pad + i] = d; continue }
                throw TensorError("shapes \(shapes.map { "\($0)" }.joined(separator: ", ")) do not broadcast: dimension \(pad + i) is \(r) in one and \(d) in another")
            }
        }
        return result
    }

    /// Normalizes a possibly negative axis against a rank, or throws naming the bad axis.
    public static func normalizeAxis(_ axis: Int, rank: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < max(rank, 1) else {
            throw TensorError("axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return a
    }
}
