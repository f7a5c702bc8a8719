/// Walks several equally shaped strided operands row by row.
///
/// Dimensions that are contiguous in every operand are merged first, so the inner row is as long as
/// possible; the body receives each operand's element offset of the row start and then steps
/// `innerStrides[k]` elements at a time for `innerCount` elements.
public struct StridedLoop {
    /// Length of each row.
    public let innerCount: Int
    /// Per operand, the element stride along the row.
    public let innerStrides: [Int]
    private let outerShape: [Int]
    private let outerStrides: [[Int]]

    /// Prepares a walk over `shape` for operands with the given strides (one array per operand).
    public init(shape: [Int], strides: [[Int]]) {
        // Drop size-1 dimensions, then merge neighbours that are contiguous in every operand.
        var dims: [(size: Int, strides: [Int])] = []
        for axis in 0..<shape.count where shape[axis] != 1 {
            dims.append((shape[axis], strides.map { $0[axis] }))
        }
        var merged: [(size: Int, strides: [Int])] = []
        for d in dims {
            if let last = merged.last,
               zip(last.strides, d.strides).allSatisfy({ $0 == $1 * d.size }) {
                merged[merged.count - 1] = (last.size * d.size, d.strides)
            } else {
                merged.append(d)
            }
        }
        if shape.contains(0) {
            innerCount = 0
            innerStrides = strides.map { _ in 1 }
            outerShape = []
            outerStrides = strides.map { _ in [] }
        } else if let last = merged.last {
            innerCount = last.size
            innerStrides = last.strides
            outerShape = merged.dropLast().map(\.size)
            outerStrides = (0..<strides.count).map { k in merged.dropLast().map { $0.strides[k] } }
        } else {
            innerCount = 1
            innerStrides = strides.map { _ in 1 }
            outerShape = []
            outerStrides = strides.map { _ in [] }
        }
    }

    /// Number of rows the walk visits.
    public var rowCount: Int { innerCount == 0 ? 0 : Shape.count(outerShape) }

    /// Calls `body` with the operands' row-start offsets for each row, in row-major order.
    public mutating func forEachRow(_ body: ([Int]) -> Void) {
        guard innerCount > 0 else { return }
        forRows(in: 0..<rowCount, body)
    }

    /// Calls `body` for rows `range` (row-major row numbers), so rows can be split across threads.
    public func forRows(in range: Range<Int>, _ body: ([Int]) -> Void) {
        guard innerCount > 0, !range.isEmpty else { return }
        let operands = innerStrides.count
        let r = outerShape.count
        var index = [Int](repeating: 0, count: r)
        var remainder = range.lowerBound
        for axis in stride(from: r - 1, through: 0, by: -1) {
            index[axis] = remainder % outerShape[axis]
            remainder /= outerShape[axis]
        }
        var offsets = [Int](repeating: 0, count: operands)
        for k in 0..<operands {
            for axis in 0..<r { offsets[k] += index[axis] * outerStrides[k][axis] }
        }
        for _ in range {
            body(offsets)
            var axis = r - 1
            while axis >= 0 {
                index[axis] += 1
                for k in 0..<operands { offsets[k] += outerStrides[k][axis] }
                if index[axis] < outerShape[axis] { break }
                for k in 0..<operands { offsets[k] -= outerStrides[k][axis] * outerShape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
