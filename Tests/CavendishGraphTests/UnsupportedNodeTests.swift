import CavendishCPU
import CavendishCore
import CavendishGraph
import Testing

/// The executor asks the backend about every node before it loads anything, and says which node, operator
/// and backend in a typed error (not a flattened message).
@Suite struct UnsupportedNodeTests {
    @Test func anUnsupportedNodeIsNamedBeforeAnyWeightIsLoaded() throws {
        var b = GraphBuilder()
        let x = b.input("x", [1, 1, 4, 4])
        let scales = b.constant(Tensor(shape: [4], floats: [1, 1, 0.5, 0.5]), "scales")
        b.output(try b.apply("Resize", [x, nil, scales], ["mode": .string("linear"), "antialias": .int(1)], name: "shrink"))
        let error = #expect(throws: UnsupportedNode.self) {
            try GraphExecutor(graph: b.graph, weights: [:], backend: CPUBackend())
        }
        #expect(error?.node == "shrink")
        #expect(error?.op == "Resize")
        #expect(error?.backend == CPUBackend().name)
        #expect(error?.reason.contains("antialias") == true)
    }
}
