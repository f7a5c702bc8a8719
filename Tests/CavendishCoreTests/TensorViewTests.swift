import Testing
@testable import CavendishCore

/// Views are checked against index arithmetic written out by hand: element (i, j) of a permuted view is
/// element (j, i) of the source, and so on.
struct TensorViewTests {
    func iota(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, floats: (0..<Shape.count(shape)).map(Float.init))
    }

    @Test func permuteSharesStorageAndCopiesOnDemand() throws {
        let x = iota([2, 3, 4])
        let p = try x.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        #expect(p.storage === x.storage)
        #expect(!p.isContiguous)
        let v = p.floats()
        for a in 0..<4 { for b in 0..<2 { for c in 0..<3 {
            #expect(v[(a * 2 + b) * 3 + c] == Float((b * 3 + c) * 4 + a))
        } } }
    }

    @Test func sliceWithNegativeStep() throws {
        let x = iota([10])
        #expect(try x.sliced(axis: 0, start: 8, end: 1, step: -3).floats() == [8, 5, 2])
        #expect(try x.sliced(axis: 0, start: 1, end: 10, step: 4).floats() == [1, 5, 9])
        #expect(try x.sliced(axis: 0, start: 5, end: 5).count == 0)
        #expect(throws: TensorError.self) { try x.sliced(axis: 0, start: 0, end: 3, step: 0) }
    }

    @Test func expandUsesZeroStrides() throws {
        let x = iota([3, 1])
        let e = try x.expanded(to: [2, 3, 4])
        #expect(e.strides == [0, 1, 0])
        #expect(e.floats() == (0..<24).map { Float(($0 / 4) % 3) })
        #expect(throws: TensorError.self) { try x.expanded(to: [2, 4]) }
    }

    @Test func reshapeIsAViewWhenContiguousAndCopiesOtherwise() throws {
        let x = iota([4, 6])
        let r = try x.reshaped([2, -1, 3])
        #expect(r.shape == [2, 4, 3])
        #expect(r.storage === x.storage)
        let t = try x.permuted([1, 0])
        let rt = try t.reshaped([24])
        #expect(rt.storage !== x.storage)
        #expect(rt.floats() == t.floats())
        #expect(throws: TensorError.self) { try x.reshaped([5, -1]) }
    }

    @Test func broadcastShapes() throws {
        #expect(try Shape.broadcast([[2, 1, 5], [3, 1], [5]]) == [2, 3, 5])
        #expect(throws: TensorError.self) { try Shape.broadcast([[2, 3], [4, 3]]) }
    }

    @Test func stridedLoopVisitsEveryElementOnce() throws {
        let x = try iota([3, 4, 5]).permuted([2, 0, 1]).sliced(axis: 1, start: 2, end: -1, step: -1)
        let loop = StridedLoop(shape: x.shape, strides: [x.strides])
        let inner = loop.innerCount, step = loop.innerStrides[0]
        var seen: [Int] = []
        loop.forRows(in: 0..<loop.rowCount) { o in for i in 0..<inner { seen.append(x.offset + o[0] + i * step) } }
        #expect(seen.map(Float.init) == x.floats())
    }
}
