import CavendishCPU
import CavendishCore
import CavendishGraph
import Testing

struct MemoryPlanTests {
    /// A small transformer-like block: enough branching for lifetimes to matter.
    func block() throws -> GraphBuilder {
        var b = GraphBuilder()
        let x = b.input("x", [2, 16, 32])
        let h = try b.layerNorm(x, "norm")
        let q = try b.linear(h, "q", 32, 32), k = try b.linear(h, "k", 32, 32), v = try b.linear(h, "v", 32, 32)
        // Reshapes return views of their input; the executor must not let the arena reuse those bytes.
        let a = try b.reshape(try b.reshape(try b.attention(q, k, v, heads: 4), [32, 32]), [2, 16, 32])
        let y = try b.apply("Add", [x, try b.linear(a, "out", 32, 32)])
        let f = try b.apply("Gelu", [try b.linear(try b.layerNorm(y, "norm2"), "fc1", 32, 64)])
        b.output(try b.apply("Add", [y, try b.linear(f, "fc2", 64, 32)]))
        return b
    }

    @Test func liveValuesNeverShareBytes() throws {
        let g = try block().graph
        let plan = MemoryPlan(graph: g)
        var first: [ValueID: Int] = [:], last: [ValueID: Int] = [:]
        for (i, n) in g.nodes.enumerated() {
            for o in n.outputs { first[o] = i; last[o] = i }
            for case let v? in n.inputs where first[v] != nil { last[v] = i }
        }
        for o in g.outputs { last[o] = g.nodes.count }
        let ids = Array(plan.offsets.keys)
        for a in ids { for b in ids where a < b {
            let liveTogether = first[a]! <= last[b]! && first[b]! <= last[a]!
            let (oa, ob) = (plan.offsets[a]!, plan.offsets[b]!)
            let overlap = oa < ob + g[b].byteCount && ob < oa + g[a].byteCount
            #expect(!(liveTogether && overlap), "\(g[a].name) and \(g[b].name) are live together and overlap")
        } }
        #expect(plan.arenaBytes < plan.naiveBytes)
        #expect(plan.offsets.values.allSatisfy { $0 % MemoryPlan.alignment == 0 })
    }

    /// Running from the plan (outputs written into the shared arena) gives the same numbers as running
    /// the same nodes one by one into fresh tensors.
    @Test func executorMatchesNodeByNodeExecution() throws {
        let g = try block().graph
        var weights: [String: Tensor] = [:]
        var rng = TorchRandomSource(seed: 5)
        for w in g.weights { weights[w.name] = rng.normalTensor(shape: w.shape, std: 0.2) }
        let x = rng.normalTensor(shape: [2, 16, 32])
        let executor = try GraphExecutor(graph: g, weights: weights, backend: CPUBackend())
        let planned = try executor.run([x])[0]
        let again = try executor.run([x])[0]

        var env: [ValueID: Tensor] = [g.inputs[0]: x]
        for (i, v) in g.values.enumerated() where v.role == .weight { env[ValueID(i)] = weights[v.name] }
        for (i, v) in g.values.enumerated() where v.role == .constant { env[ValueID(i)] = v.constant }
        let cpu = CPUBackend()
        for n in g.nodes {
            let outs = try cpu.run(KernelInvocation(op: n.op, inputs: n.inputs.map { $0.flatMap { env[$0] } }, attributes: n.attributes,
                                                    opset: n.opset, outputCount: n.outputs.count))
            for (o, t) in zip(n.outputs, outs) { env[o] = t }
        }
        let direct = env[g.outputs[0]]!
        #expect(planned.floats() == direct.floats())
        #expect(again.floats() == direct.floats())
    }

    /// float16 weights kept 16-bit and widened on use give exactly the results of weights widened at
    /// load (widening is exact), with about half the resident weight bytes.
    @Test func storedHalfPrecisionWeightsChangeNothing() throws {
        let g = try block().graph
        var weights: [String: Tensor] = [:]
        var rng = TorchRandomSource(seed: 6)
        for w in g.weights { weights[w.name] = rng.normalTensor(shape: w.shape, std: 0.2).converted(to: .float16) }
        let x = rng.normalTensor(shape: [2, 16, 32])
        let widened = try GraphExecutor(graph: g, weights: weights, backend: CPUBackend())
        let stored = try GraphExecutor(graph: g, weights: weights, backend: CPUBackend(), residency: .stored)
        #expect(try stored.run([x])[0].floats() == (try widened.run([x])[0].floats()))
        #expect(try stored.run([x])[0].floats() == (try widened.run([x])[0].floats()))
        let weightBytes = g.weights.reduce(0) { $0 + Shape.count($1.shape) }
        #expect(widened.residentBytes >= 4 * weightBytes)
        #expect(stored.residentBytes < widened.residentBytes * 6 / 10, "\(stored.residentBytes) vs \(widened.residentBytes)")
    }

    @Test func missingOrMisshapenWeightsAreClearErrors() throws {
        let g = try block().graph
        #expect(throws: GraphError.self) { try GraphExecutor(graph: g, weights: [:], backend: CPUBackend()) }
        var weights: [String: Tensor] = [:]
        for w in g.weights { weights[w.name] = Tensor(zeros: w.shape) }
        weights["q.weight"] = Tensor(zeros: [3, 3])
        do {
            _ = try GraphExecutor(graph: g, weights: weights, backend: CPUBackend())
            Issue.record("expected an error")
        } catch let e as GraphError {
            #expect(e.description.contains("q.weight"))
        }
    }
}
