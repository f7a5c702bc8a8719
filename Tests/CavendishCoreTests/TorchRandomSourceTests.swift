import Foundation
import Testing
@testable import CavendishCore

/// Expected values come from scripts/torch_random_reference.py (PyTorch's CPU generator).
struct TorchRandomSourceTests {
    struct Call: Decodable { let kind: String; let count: Int; let values: [Float] }
    struct Case: Decodable { let seed: UInt64; let calls: [Call] }
    struct Document: Decodable { let cases: [Case] }

    static let document: Document = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/torch-random.json")
        return try! JSONDecoder().decode(Document.self, from: Data(contentsOf: url))
    }()

    @Test("matches torch.randn and torch.rand call for call", arguments: document.cases.indices)
    func matchesTorch(caseIndex: Int) {
        let c = Self.document.cases[caseIndex]
        var source = TorchRandomSource(seed: c.seed)
        for call in c.calls {
            let got = call.kind == "randn" ? source.normal(count: call.count) : source.uniform(count: call.count)
            #expect(got.count == call.values.count)
            var worst: Float = 0
            for (g, e) in zip(got, call.values) { worst = max(worst, abs(g - e) / max(1, abs(e))) }
            #expect(worst <= 2e-6, "seed \(c.seed) \(call.kind)(\(call.count)): worst error \(worst)")
        }
    }

    @Test func differentSeedsDiffer() {
        var a = TorchRandomSource(seed: 1), b = TorchRandomSource(seed: 2)
        #expect(a.normal(count: 32) != b.normal(count: 32))
    }
}
