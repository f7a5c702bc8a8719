import CavendishCore
import CavendishGraph
import CavendishSimulator
import Foundation
import Testing

/// The published microbenchmarks the grid-step and launch costs were fitted on
/// (`scripts/fit_simulator_constants.py`, `Tests/Fixtures/tpu/microbenchmarks.json`): the v5e preset
/// must reproduce them, and XLA's own matmuls (not fitted on) with the tiler's blocks.
struct MicrobenchmarkTests {
    struct Fixture: Decodable {
        struct Matmul: Decodable { let size: Int; let blocks: [Int]?; let seconds: Double }
        struct Pallas: Decodable { let fitted_on: [Matmul]; let checked_only: [Matmul] }
        struct Gather: Decodable { let bytes: Double; let seconds: Double }
        struct AllGather: Decodable { let chips: Int; let fitted_on: [Gather] }
        let pallas_matmul_v5e: Pallas
        let allgather_v5e: AllGather
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tpu/microbenchmarks.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static func seconds(size: Int, blocks: [Int]?) throws -> Double {
        var b = GraphBuilder(dtype: .bfloat16)
        let a = b.input("a", [size, size]), w = b.weight("b", [size, size])
        b.output(try b.apply("MatMul", [a, w]))
        let fixed = blocks.map { (bm: $0[0], bk: $0[1], bn: $0[2]) }
        return try Simulator(chip: try ChipSpec.load("v5e"), gemmBlocks: fixed).simulate(b.graph, dtype: .bfloat16).seconds
    }

    @Test(arguments: fixture.pallas_matmul_v5e.fitted_on.indices)
    func pallasMatmulTimesAreReproduced(index: Int) throws {
        let c = Self.fixture.pallas_matmul_v5e.fitted_on[index]
        let s = try Self.seconds(size: c.size, blocks: c.blocks)
        #expect(abs(s / c.seconds - 1) <= 0.05, "\(c.size)^3 blocks \(c.blocks ?? []): \(s) s against \(c.seconds) s")
    }

    @Test(arguments: fixture.pallas_matmul_v5e.checked_only.indices)
    func xlaMatmulTimesAreWithinTenPercent(index: Int) throws {
        let c = Self.fixture.pallas_matmul_v5e.checked_only[index]
        let s = try Self.seconds(size: c.size, blocks: nil)
        #expect(abs(s / c.seconds - 1) <= 0.10, "\(c.size)^3: \(s) s against \(c.seconds) s")
    }

    @Test func smallBlocksPayForTheirSteps() throws {
        // 128^3 blocks: 32,768 grid steps at 4096^3, each costing the fitted overhead, against 128 large
        // steps: the published 13x difference comes from the step cost, not from the matrix units.
        let small = try Self.seconds(size: 4096, blocks: [128, 128, 128]), large = try Self.seconds(size: 4096, blocks: [512, 1024, 1024])
        #expect(small / large > 10)
    }
}

/// The ICI model against the scaling book's profiled v5e AllGathers it was fitted on, and its topology rules.
struct CollectiveTests {
    static let ici = try! ChipSpec.load("v5e").ici!

    @Test(arguments: MicrobenchmarkTests.fixture.allgather_v5e.fitted_on.indices)
    func profiledAllGathersAreReproduced(index: Int) throws {
        let c = MicrobenchmarkTests.fixture.allgather_v5e.fitted_on[index]
        let s = try Collective.allGatherSeconds(bytes: c.bytes, chips: MicrobenchmarkTests.fixture.allgather_v5e.chips, ici: Self.ici)
        #expect(abs(s / c.seconds - 1) <= 0.02, "\(c.bytes) bytes: \(s) s against \(c.seconds) s")
    }

    @Test func axesFollowTheTorus() throws {
        #expect(try Collective.axes(chips: 1, ici: Self.ici) == [])
        #expect(try Collective.axes(chips: 4, ici: Self.ici) == [4])
        #expect(try Collective.axes(chips: 64, ici: Self.ici) == [16, 4])
        let v4 = try ChipSpec.load("v4").ici!
        #expect(try Collective.axes(chips: 64, ici: v4) == [4, 4, 4])
        #expect(throws: SimulatorError.self) { try Collective.axes(chips: 17, ici: Self.ici) }      // a prime beyond an axis
        #expect(throws: SimulatorError.self) { try Collective.axes(chips: 512, ici: v4) }          // more than 3 axes of 4
    }

    @Test func aWrappedAxisMovesHalfTheBottleneckBytes() throws {
        // 16 chips wrap around on v5e (a bidirectional ring); 8 chips form a line whose middle link carries
        // half the result each way: the formulas of `Collective`, written out.
        let bytes = 1e9
        let ring = try Collective.allGatherSeconds(bytes: bytes, chips: 16, ici: Self.ici)
        let line = try Collective.allGatherSeconds(bytes: bytes, chips: 8, ici: Self.ici)
        let link = Self.ici.linkBytesPerSecond * Self.ici.efficiency
        #expect(abs(ring - (8 * Self.ici.hopSeconds + bytes * 15 / 16 / 2 / link)) < 1e-9)
        #expect(abs(line - (7 * Self.ici.hopSeconds + bytes * 4 / 8 / link)) < 1e-9)
        #expect(try Collective.allReduceSeconds(bytes: bytes, chips: 16, ici: Self.ici) == 2 * ring)
    }
}
