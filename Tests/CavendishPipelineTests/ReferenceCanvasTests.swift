import CavendishCore
import CavendishIO
import Foundation
import Testing
@testable import CavendishPipeline

/// The Swift reference canvas and its planner boxes against the recipe's (`recipe/canvas.py`, written to
/// Weights/golden by the recipe's golden script): equal, value for value.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: pipelineWeightsFolder + "/golden/canvas.h5")))
struct ReferenceCanvasTests {
    /// Photos pasted into a box inside the image, one overlapping it (painted over), one partly outside
    /// (clipped) and an empty one (skipped).
    @Test func canvasMatchesTheRecipe() throws {
        let golden = try HDF5File(readingFrom: pipelineWeightsFolder + "/golden/canvas.h5")
        let photos = try golden.tensor(at: "inputs/photos"), n = photos.shape[0], q = photos.shape[1]
        let bytes = photos.int64s().map { UInt8($0) }, boxes = try golden.tensor(at: "inputs/boxes").int64s().map(Int.init)
        let people = try (0..<n).map { i in
            (try ReferencePhoto(width: q, height: q, channels: 3, pixels: Array(bytes[(i * q * q * 3)..<((i + 1) * q * q * 3)]),
                                source: "golden \(i)", size: q).tensor, Array(boxes[(i * 4)..<(i * 4 + 4)]))
        }
        let canvas = try ReferenceCanvas.canvas(people)
        let expected = try golden.tensor(at: "outputs/canvas")
        #expect(canvas.shape == [1] + expected.shape)
        #expect(canvas.floats() == expected.floats())
    }

    @Test(arguments: 1...6)
    func plannerBoxesMatchTheRecipe(subjects: Int) throws {
        let golden = try HDF5File(readingFrom: pipelineWeightsFolder + "/golden/layout.h5")
        let expected = try golden.tensor(at: "outputs/planner_boxes_\(subjects)").int64s().map(Int.init)
        #expect((0..<subjects).flatMap { ReferenceCanvas.plannerBox(subject: $0, subjects: subjects) } == expected)
    }

    /// A malformed photo is an error naming the shapes, not a crash.
    @Test func malformedPhotoIsRefused() {
        #expect(throws: TensorError.self) {
            _ = try ReferenceCanvas.canvas([(Tensor(shape: [3, 4, 5], floats: [Float](repeating: 0, count: 60)), [0, 0, 4, 4])])
        }
    }
}
