import CavendishCore
import CavendishModels
import CavendishSimulator
import Foundation
import Testing

/// Simulated SDXL (diffusers' base config, shape-only) at 1024x1024, bf16, 20 steps with classifier-free
/// guidance plus one VAE decode, against the published per-chip figures in docs/TPU_FACTS.md:
/// MLPerf Inference v4.1 (v5e: 2.28 s per image) and the JAX/Hugging Face blog (v4: 2.16 s per image).
struct PublishedResultsTests {
    static let pipeline = try! ModelCatalog.pipeline("sdxl-unet", resolution: 1024, steps: 20, guidance: true, batch: 1, dtype: .bfloat16)

    static func secondsPerImage(_ chip: String) throws -> Double {
        let simulator = Simulator(chip: try ChipSpec.load(chip))
        return try pipeline.stages.map { Double($0.runs) * (try simulator.simulate($0.graph, dtype: .bfloat16)).seconds }.reduce(0, +)
    }

    @Test(arguments: [("v5e", 2.28), ("v4", 2.16)])
    func sdxlWithin25Percent(chip: String, published: Double) throws {
        let s = try Self.secondsPerImage(chip)
        #expect(abs(s - published) / published <= 0.25, "\(chip): simulated \(s) s against published \(published) s")
    }

    @Test func sdxlUNetHasThePublishedSize() throws {
        // SDXL base's UNet has 2.567 billion parameters (diffusers' checkpoint).
        let unet = Self.pipeline.stages[0].graph
        let parameters = unet.weights.map { Shape.count($0.shape) }.reduce(0, +)
        #expect(abs(Double(parameters) - 2.567e9) / 2.567e9 < 0.005, "\(parameters) parameters")
    }

    @Test func fusionSavesTimeAndTraffic() throws {
        let chip = try ChipSpec.load("v5e")
        let g = Self.pipeline.stages[0].graph
        let fused = try Simulator(chip: chip, fusion: true).simulate(g, dtype: .bfloat16)
        let unfused = try Simulator(chip: chip, fusion: false).simulate(g, dtype: .bfloat16)
        #expect(fused.seconds < unfused.seconds)
        #expect(fused.hbmBytes < unfused.hbmBytes)
    }

    @Test func traceIsValidChromeJSONWithNestedSlicesPerEngine() throws {
        let vae = Self.pipeline.stages[1].graph
        let report = try Simulator(chip: try ChipSpec.load("v5e")).simulate(vae, dtype: .bfloat16)
        let data = try ChromeTrace.json(report, process: "vae")
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(doc["traceEvents"] as? [[String: Any]]).filter { $0["ph"] as? String == "X" }
        #expect(!events.isEmpty)
        var byTid: [Int: [(Double, Double)]] = [:]
        for e in events { byTid[e["tid"] as! Int, default: []].append((e["ts"] as! Double, (e["ts"] as! Double) + (e["dur"] as! Double))) }
        for (_, spans) in byTid {
            let sorted = spans.sorted { $0.0 < $1.0 }
            for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(b.0 >= a.1 - 1e-6, "slices on one track overlap") }
        }
    }
}
