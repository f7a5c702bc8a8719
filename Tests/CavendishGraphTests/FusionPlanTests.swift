import CavendishCPU
import CavendishCore
import CavendishGraph
import Testing

/// The executor's fusion of elementwise chains: which chains it fuses, that fused runs give the same bytes
/// as unfused ones, and that the memory plan keeps everything a fused call reads alive until the call runs.
struct FusionPlanTests {
    /// The NB-mini patterns: a bias and GELU after a MatMul, adaLN's `LayerNorm * (1 + scale) + shift` (whose
    /// `1 + scale` comes after the LayerNorm in graph order), a gated residual, and the VAE's residual block
    /// whose skip convolution is built after the main path's convolution.
    func graph() throws -> Graph {
        var b = GraphBuilder()
        let x = b.input("x", [2, 16, 32]), c = b.input("c", [2, 1, 64]), img = b.input("img", [1, 4, 8, 8])
        let mod = try b.op("Split", [c, b.ints([32, 32])], ["axis": .int(-1)], outputs: 2)
        let norm = try b.layerNorm(x, "norm", affine: false)
        let modulated = try b.apply("Add", [try b.apply("Mul", [norm, try b.apply("Add", [mod[1], b.scalar(1)])]), mod[0]])
        let f = try b.apply("Gelu", [try b.linear(modulated, "fc1", 32, 64)])
        b.output(try b.apply("Add", [x, try b.apply("Mul", [mod[0], try b.linear(f, "fc2", 64, 32)])]))
        let main = try b.conv2d(img, "conv", 4, 8, kernel: 3, padding: 1)
        let summed = try b.apply("Add", [main, try b.apply("Sigmoid", [main])])
        let skip = try b.conv2d(img, "skip", 4, 8, kernel: 1, padding: 0)
        b.output(try b.apply("Add", [summed, skip]))
        return b.graph
    }

    func inputsAndWeights(_ g: Graph) -> ([Tensor], [String: Tensor]) {
        var rng = TorchRandomSource(seed: 11)
        var weights: [String: Tensor] = [:]
        for w in g.weights { weights[w.name] = rng.normalTensor(shape: w.shape, std: 0.3) }
        return (g.inputs.map { rng.normalTensor(shape: g[$0].shape) }, weights)
    }

    @Test func fusesTheModelsChains() throws {
        let g = try graph()
        let (_, weights) = inputsAndWeights(g)
        let plan = try GraphExecutor(graph: g, weights: weights, backend: CPUBackend(), fusion: true).fusion
        let calls = plan.calls
        #expect(calls.contains { $0.hasPrefix("LayerNormalization + Mul + Add") })
        #expect(calls.contains { $0.hasPrefix("MatMul + Add + Gelu") })
        #expect(calls.contains { $0.hasPrefix("MatMul + Add + Mul + Add") })
        // The Sigmoid reads the convolution too, so the convolution's output has two readers and stays a call.
        #expect(calls.contains { $0.hasPrefix("Sigmoid + Add + Add") })
        #expect(plan.groups.contains { $0.at > $0.head }, "a chain that waits for an operand built after its head")
        // Off in the backend, or asked off: no fused call.
        var off = CPUBackend.Options()
        off.fusedEpilogues = false
        #expect(try GraphExecutor(graph: g, weights: weights, backend: CPUBackend(options: off)).fusion.groups.isEmpty)
        #expect(try GraphExecutor(graph: g, weights: weights, backend: CPUBackend(), fusion: false).fusion.groups.isEmpty)
    }

    /// Fused steps run the unfused kernels' own row functions: the outputs are identical, byte for byte.
    @Test func fusedRunsGiveTheUnfusedBytes() throws {
        let g = try graph()
        let (inputs, weights) = inputsAndWeights(g)
        let fused = try GraphExecutor(graph: g, weights: weights, backend: CPUBackend(), fusion: true)
        let unfused = try GraphExecutor(graph: g, weights: weights, backend: CPUBackend(), fusion: false)
        #expect(!fused.fusion.groups.isEmpty)
        for _ in 0..<2 {
            let a = try fused.run(inputs), b = try unfused.run(inputs)
            for (x, y) in zip(a, b) { #expect(x.floats() == y.floats()) }
        }
    }

    /// In the order the calls really run (a fused call at its group's `at`, reading the head's inputs and
    /// every step's operand there), no two values that share arena bytes are ever live together.
    @Test func planKeepsWhatAFusedCallReadsAlive() throws {
        let g = try graph()
        let (_, weights) = inputsAndWeights(g)
        let executor = try GraphExecutor(graph: g, weights: weights, backend: CPUBackend(), fusion: true)
        let fusion = executor.fusion, plan = executor.plan
        let stepNodes = fusion.fusedSteps
        var written: [ValueID: Int] = [:], read: [ValueID: Int] = [:]
        for (i, node) in g.nodes.enumerated() where !stepNodes.contains(i) {
            if let group = fusion.groups.first(where: { $0.head == i }) {
                written[group.output] = group.at
                for n in [i] + group.steps { for case let v? in g.nodes[n].inputs { read[v] = max(read[v] ?? 0, group.at) } }
            } else {
                for o in node.outputs { written[o] = i }
                for case let v? in node.inputs { read[v] = max(read[v] ?? 0, i) }
            }
        }
        for o in g.outputs { read[o] = g.nodes.count }
        let ids = Array(plan.offsets.keys)
        for a in ids { for b in ids where a < b {
            guard let wa = written[a], let wb = written[b] else { continue }
            let together = wa <= (read[b] ?? wb) && wb <= (read[a] ?? wa)
            let (oa, ob) = (plan.offsets[a]!, plan.offsets[b]!)
            let overlap = oa < ob + g[b].byteCount && ob < oa + g[a].byteCount
            #expect(!(together && overlap), "\(a) and \(b) share bytes while both are live")
        } }
        #expect(Set(plan.offsets.keys).isDisjoint(with: fusion.fusedAway))
    }
}
