import CavendishSimulator
import Foundation
import Testing

/// `--mode scalesim` must reproduce SCALE-Sim 3.0's total cycles exactly. The expected figures were
/// produced by running the scalesim PyPI package (scripts/scalesim_fixtures.py).
struct ScaleSimTests {
    struct Case: Decodable { let m, n, k, rows, cols: Int; let dataflow: String; let total_cycles: Int }
    struct Fixture: Decodable { let generator: String; let cases: [Case] }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/scalesim/gemm_cycles.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    @Test func enoughCases() {
        #expect(Self.fixture.cases.count >= 20)
        #expect(Set(Self.fixture.cases.map(\.dataflow)) == ["ws", "os", "is"])
    }

    @Test("SCALE-Sim total cycles", arguments: fixture.cases.indices)
    func matchesScaleSim(index: Int) throws {
        let c = Self.fixture.cases[index]
        let flow = try #require(SystolicArray.Dataflow(rawValue: c.dataflow))
        let got = SystolicArray.cycles(m: c.m, n: c.n, k: c.k, rows: c.rows, cols: c.cols, dataflow: flow, mode: .scalesim)
        #expect(got == c.total_cycles, "\(c.m)x\(c.n)x\(c.k) on \(c.rows)x\(c.cols) \(c.dataflow)")
    }

    /// Double-buffering the stationary tile can only save cycles, and saves them once there are several folds.
    @Test(arguments: fixture.cases.indices)
    func pipelinedIsNeverSlower(index: Int) throws {
        let c = Self.fixture.cases[index]
        let flow = try #require(SystolicArray.Dataflow(rawValue: c.dataflow))
        let pipelined = SystolicArray.cycles(m: c.m, n: c.n, k: c.k, rows: c.rows, cols: c.cols, dataflow: flow, mode: .pipelined)
        #expect(pipelined <= c.total_cycles)
        if SystolicArray.folds(m: c.m, n: c.n, k: c.k, rows: c.rows, cols: c.cols, dataflow: flow) > 2 {
            #expect(pipelined < c.total_cycles)
        }
    }
}
