import CavendishCore
import CavendishIO
import Foundation
import Testing
@testable import CavendishPipeline

/// The Swift layout planner against the recipe's (`recipe/layout.py`, written to Weights/golden/layout.h5
/// by the recipe's golden script): the token strips and image boxes for 1 to 5 subjects must be equal.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: pipelineWeightsFolder + "/golden/layout.h5")))
struct LayoutPlannerTests {
    @Test(arguments: 1...5)
    func stripsAndBoxesMatchTheRecipe(subjects: Int) throws {
        let golden = try HDF5File(readingFrom: pipelineWeightsFolder + "/golden/layout.h5")
        let strips = LayoutPlanner.layout(people: Array(1...subjects), subjects: subjects, grid: 16)
        let expected = try golden.tensor(at: "outputs/strips_\(subjects)")
        #expect(strips.shape == [1] + expected.shape)
        #expect(strips.floats() == expected.floats())
        let boxes = try golden.tensor(at: "outputs/boxes_\(subjects)").int64s().map(Int.init)
        let ours = (0..<subjects).flatMap { LayoutPlanner.box(subject: $0, subjects: subjects, size: 128, grid: 16) }
        #expect(ours == boxes)
    }

    /// People without photos get no column: with only <p2> of three subjects given photos, the one column
    /// is <p2>'s strip, token columns 6 to 10 (16 / 3 = 5.33 columns a strip).
    @Test func peopleWithoutPhotosHaveNoColumn() {
        let lay = LayoutPlanner.layout(people: [2], subjects: 3, grid: 16)
        #expect(lay.shape == [1, 256, 1])
        let values = lay.floats()
        for y in 0..<16 { for x in 0..<16 {
            #expect(values[y * 16 + x] == ((6...10).contains(x) ? 1 : 0))
        } }
    }
}
