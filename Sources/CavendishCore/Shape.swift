/// Shape arithmetic shared by the tensor core, the kernels and the graph.
public enum Shape {
    /// Number of elements of a shape (1 for a scalar); `Int.max` when the product overflows, so that a
    /// hostile shape fails a size check instead of trapping.
    @inlinable
    public static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            let (product, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return .max }
            n = product
        }
        return n
    }

    /// The most elements one tensor computed from a case's data may hold (2^28, 1 GiB of float32): far
    /// above any real case, far below what would exhaust memory before an allocation failed.
    public static let maximumElementCount = 1 << 28

    /// `shape` itself when every dimension is >= 0 and the element count is at most
    /// `maximumElementCount`; otherwise an error naming `what`.
    public static func validated(_ shape: [Int], _ what: String) throws -> [Int] {
        if let d = shape.first(where: { $0 < 0 }) {
            throw TensorError("\(what) has shape \(shape), with a negative dimension \(d)")
        }
        guard count(shape) <= maximumElementCount else {
            throw TensorError("\(what) would have shape \(shape), more than 2^28 elements; refused before allocating")
        }
        return shape
    }

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

    /// ONNX Slice on one axis of `size` elements: the clamped start and end, the step, and how many
    /// elements they select. The step is clamped to +-(size + 1), which selects the same elements and
    /// keeps every sum and product in range whatever 64-bit values a case gives (+-2^63 steps trapped).
    public static func sliceRange(start: Int, end: Int, step: Int, size n: Int) throws -> (start: Int, end: Int, step: Int, length: Int) {
        guard step != 0 else { throw TensorError("Slice step is 0") }
        let step = max(min(step, n + 1), -(n + 1))
        var b = start < 0 ? start + n : start, e = end < 0 ? end + n : end
        if step > 0 {
            b = min(max(b, 0), n); e = min(max(e, 0), n)
            return (b, e, step, b < e ? (e - b + step - 1) / step : 0)
        }
        b = min(max(b, -1), n - 1); e = min(max(e, -1), n - 1)
        return (b, e, step, b > e ? (b - e - step - 1) / (-step) : 0)
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
