import CavendishCPU
import CavendishCore
import CavendishGraph
import CavendishModels
import CavendishPipeline
import Foundation
import Testing

/// The graphs `generate` executes are the graphs `simulate model` costs (issue 13): a short generation's
/// every executor run is recorded and compared, node for node and run for run, with the workload that
/// `simulate model nb-mini-v1|nb-mini-v2` builds from the weight files' configs for the same shape.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: pipelineWeightsFolder + "/manifest.json")))
struct RunPlanTests {
    static let pipeline = Result {
        try NBMiniPipeline(weightsDirectory: pipelineWeightsFolder, textEncoderDirectory: pipelineWeightsFolder + "/text-encoder",
                           backend: CPUBackend())
    }

    /// Every graph run by any executor while `body` runs in this task, in run order.
    static func recordRuns(_ body: () throws -> Void) rethrows -> [Graph] {
        final class Runs: @unchecked Sendable {
            let lock = NSLock()
            var graphs: [Graph] = []
        }
        let runs = Runs()
        try GraphExecutor.$runObserver.withValue({ graph in runs.lock.lock(); runs.graphs.append(graph); runs.lock.unlock() }) { try body() }
        return runs.graphs
    }

    /// A graph, one line per node: op, opset, attributes, and each input's and output's role, name, shape and
    /// element type (constants with a digest of their data); then the graph's inputs and outputs.
    /// `elementTypes: false` leaves the types out.
    static func nodes(_ graph: Graph, elementTypes: Bool = true) -> [String] {
        func value(_ id: ValueID?) -> String {
            guard let id else { return "-" }
            let v = graph[id]
            var s = "\(v.role) \(v.name) \(v.shape)" + (elementTypes ? " \(v.dtype)" : "")
            if let t = v.constant { s += " #\(digest(t))" }
            return s
        }
        var lines = graph.nodes.map { node in
            let attributes = node.attributes.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            return "\(node.op)/\(node.opset) {\(attributes)} (\(node.inputs.map(value).joined(separator: "; "))) -> (\(node.outputs.map(value).joined(separator: "; ")))"
        }
        lines.append("inputs (\(graph.inputs.map(value).joined(separator: "; "))) outputs (\(graph.outputs.map(value).joined(separator: "; ")))")
        return lines
    }

    /// FNV-1a of a tensor's bytes.
    static func digest(_ t: Tensor) -> UInt64 {
        let c = t.contiguous()
        let bytes = UnsafeRawBufferPointer(start: c.rawPointer, count: c.byteCount)
        return bytes.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// The distinct graphs of `runs` in the order they first ran, each with its run count.
    static func grouped(_ runs: [Graph]) -> [(nodes: [String], runs: Int)] {
        var groups: [(nodes: [String], runs: Int)] = []
        for g in runs {
            let n = nodes(g)
            if let i = groups.firstIndex(where: { $0.nodes == n }) { groups[i].runs += 1 } else { groups.append((n, 1)) }
        }
        return groups
    }

    /// Where two graphs' node lists first differ (nil where they do not), for a failure short enough to read.
    static func firstDifference(_ a: [String], _ b: [String]) -> String? {
        guard let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) else {
            return a.count == b.count ? nil : "\(a.count) against \(b.count) lines"
        }
        return "line \(i): \(a[i])\n    against: \(b[i])"
    }

    /// One generation of `preset` against `simulate model`'s workload for the same shape: the plan built
    /// as the command builds it (configs read from the weight files, people numbered 1...n).
    func check(_ preset: NBMiniPipeline.Preset, steps: Int, people: Int, photos: Int, strength: Double? = nil,
               cacheConditioning: Bool = true) throws {
        let pipeline = try Self.pipeline.get()
        var request = NBMiniPipeline.Request(prompt: "<p1> and <p2> holding a sign that says \"HI\"")
        request.preset = preset
        request.steps = steps
        request.seed = 3
        request.cacheConditioning = cacheConditioning
        for p in 0..<people {
            request.references[p + 1] = try (0..<photos).map { i in
                try ReferencePhoto(width: 64, height: 64, channels: 3, pixels: (0..<(64 * 64 * 3)).map { UInt8(($0 * (5 + p) + 17 * i) % 256) },
                                   source: "pattern \(p) \(i)")
            }
        }
        if let strength {
            request.initImage = try InitImage(width: 40, height: 40, channels: 3, pixels: (0..<(40 * 40 * 3)).map { UInt8($0 % 251) },
                                              source: "pattern")
            request.strength = strength
        }

        var shape = RunPlan.Shape(steps: steps, people: people, photosPerPerson: photos, strength: strength)
        shape.cacheConditioning = cacheConditioning
        #expect(RunPlan.Shape(request) == shape, "the request's shape is not the one simulate model is asked for")
        let architecture = try NBMiniArchitecture(weightsDirectory: pipelineWeightsFolder, presets: [preset])
        #expect(architecture.dit[preset] == pipeline.architecture.dit[preset] && architecture.vae == pipeline.architecture.vae
                && architecture.referenceEncoder == pipeline.architecture.referenceEncoder)
        let plan = try RunPlan(preset: preset, shape: shape, architecture: architecture)
        let costed = plan.workload()

        let executed = Self.grouped(try Self.recordRuns { _ = try pipeline.generate(request) })
        let labels = costed.stages.map(\.label).joined(separator: ", ")
        #expect(executed.count == costed.stages.count, "generate ran \(executed.count) distinct graphs, simulate model costs \(costed.stages.count): \(labels)")
        for (i, (ran, stage)) in zip(executed, costed.stages).enumerated() {
            #expect(Self.firstDifference(Self.nodes(stage.graph), ran.nodes) == nil, "graph \(i) (\(stage.label)) is not the one generate ran")
            #expect(ran.runs == stage.runs, "\(stage.label): generate ran it \(ran.runs) times, simulate model counts \(stage.runs)")
        }
        // At another precision the simulator costs the same graphs, only their float values typed differently.
        for (a, b) in zip(costed.stages, plan.workload(dtype: .bfloat16).stages) {
            #expect(Self.nodes(a.graph, elementTypes: false) == Self.nodes(b.graph, elementTypes: false))
            #expect(MemoryPlan(graph: b.graph).naiveBytes < MemoryPlan(graph: a.graph).naiveBytes)
        }
    }

    /// v1 without references: both guidance branches share one conditioning and one step graph.
    @Test func v1WithoutReferences() throws { try check(.v1, steps: 2, people: 0, photos: 1) }

    /// v1 with references: the unconditional branch has its own graphs, without reference tokens.
    @Test func v1WithReferences() throws { try check(.v1, steps: 2, people: 2, photos: 2) }

    @Test func v2WithoutReferences() throws { try check(.v2, steps: 2, people: 0, photos: 1) }

    /// v2 with two people, so that the layout input is part of the graphs.
    @Test func v2WithReferences() throws { try check(.v2, steps: 2, people: 2, photos: 1) }

    /// img2img runs the VAE encoder and skips steps; without caching the whole denoiser runs per step.
    @Test func v2ImageToImageWithoutCaching() throws { try check(.v2, steps: 4, people: 1, photos: 3, strength: 0.5, cacheConditioning: false) }
}
