import CavendishConformance
import CavendishCore
import CavendishGraph
import Foundation
import Testing

/// Shape inference must predict the output shapes and types of every seeded unit case (whose expected
/// outputs come from scripts/kernel_unit_cases.py), treating all inputs as known constants.
struct ShapeInferenceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/kernel-cases").path
    static let files = ((try? ConformanceRunner.caseFiles(in: [root])) ?? []).map { String($0.dropFirst(root.count + 1)) }

    @Test(arguments: files)
    func predictsFixtureShapes(file: String) throws {
        let c = try KernelCaseFile.load(Self.root + "/" + file)
        let known = c.call.inputs.map { $0.map { ShapeInference.Input(shape: $0.shape, dtype: $0.dtype, constant: $0) } }
        let inferred = try ShapeInference.infer(c.call.op, known, c.call.attributes, opset: c.call.opset, outputCount: c.expected.count)
        for (i, e) in c.expected.enumerated() {
            guard let e else { continue }
            #expect(inferred[i].0 == e.shape, "\(file) output \(i)")
            #expect(inferred[i].1 == e.dtype, "\(file) output \(i) type")
        }
    }
}
