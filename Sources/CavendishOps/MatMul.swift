import CavendishCore

/// MatMul's shape rule (NumPy `matmul`): a 1-D left operand gains a leading 1 and a 1-D right operand a
/// trailing 1, which the output then drops; batch dimensions broadcast. Shape inference, the cost model,
/// the CPU kernel and the simulator's tiled program all read it from here.
public struct MatMulGeometry: Sendable, Equatable {
    /// Broadcast batch dimensions.
    public var batch: [Int]
    /// Rows of A, the shared dimension, columns of B.
    public var m, k, n: Int
    /// Whether A (B) was a vector.
    public var aVector, bVector: Bool

    /// The geometry of A @ B, or `KernelError.invalid` when the shapes do not fit.
    public init(_ a0: [Int], _ b0: [Int]) throws {
        guard a0.count >= 1, b0.count >= 1 else { throw KernelError.invalid("MatMul needs operands of rank >= 1") }
        aVector = a0.count == 1
        bVector = b0.count == 1
        let a = aVector ? [1] + a0 : a0, b = bVector ? b0 + [1] : b0
        (m, k, n) = (a[a.count - 2], a[a.count - 1], b[b.count - 1])
        guard b[b.count - 2] == k else { throw KernelError.invalid("MatMul inner dimensions differ: \(a0) x \(b0)") }
        batch = try broadcast([Array(a.dropLast(2)), Array(b.dropLast(2))], .matMul)
    }

    /// Number of (M x K) @ (K x N) products.
    public var batchCount: Int { Shape.count(batch) }
    /// The output shape: batch, then M unless A was a vector, then N unless B was a vector.
    public var outputShape: [Int] { batch + (aVector ? [] : [m]) + (bVector ? [] : [n]) }
}

/// ONNX MatMul (kernel: CavendishCPU/MatMulKernel.swift).
public struct MatMulSchema: OperatorSchema {
    public var kind: OperatorKind { .matMul }
    public var category: OperatorCategory { .matrix }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind), y = try inputs.input(1, kind)
        return [TensorInfo(shape: try MatMulGeometry(x.shape, y.shape).outputShape, dtype: x.dtype)]
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        let x = try inputs.input(0, kind), y = try inputs.input(1, kind)
        let g = try MatMulGeometry(x.shape, y.shape)
        var c = OperatorCost(inputs, outputs)
        // A shared right operand folds the batch into M, as XLA does.
        c.gemms = y.shape.count <= 2 ? [GemmShape(count: 1, m: g.batchCount * g.m, n: g.n, k: g.k)]
                                     : [GemmShape(count: g.batchCount, m: g.m, n: g.n, k: g.k)]
        return c
    }
}

/// Gemm's attributes.
public struct GemmAttributes: Sendable, Equatable {
    public var transA, transB: Bool
    public var alpha, beta: Double
    /// Reads them with ONNX's defaults.
    public init(_ a: Attributes) throws {
        transA = try a.int("transA", 0) != 0
        transB = try a.int("transB", 0) != 0
        alpha = try a.float("alpha", 1)
        beta = try a.float("beta", 1)
    }
}

/// ONNX Gemm: `Y = alpha * op(A) op(B) + beta * C` (kernel: CavendishCPU/MatMulKernel.swift).
public struct GemmSchema: OperatorSchema {
    public var kind: OperatorKind { .gemm }
    public var category: OperatorCategory { .matrix }

    /// (M, K, N) of A and B after the transposes, or `KernelError.invalid`.
    public static func dimensions(_ a: [Int], _ b: [Int], _ t: GemmAttributes) throws -> (m: Int, k: Int, n: Int) {
        guard a.count == 2, b.count == 2 else { throw KernelError.invalid("Gemm needs 2-D A and B, got \(a) and \(b)") }
        let m = t.transA ? a[1] : a[0], k = t.transA ? a[0] : a[1], n = t.transB ? b[0] : b[1]
        guard (t.transB ? b[1] : b[0]) == k else {
            throw KernelError.invalid("Gemm inner dimensions differ: A \(a) transA=\(t.transA), B \(b) transB=\(t.transB)")
        }
        return (m, k, n)
    }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind), y = try inputs.input(1, kind)
        let d = try Self.dimensions(x.shape, y.shape, try GemmAttributes(a))
        return [TensorInfo(shape: [d.m, d.n], dtype: x.dtype)]
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        let x = try inputs.input(0, kind), y = try inputs.input(1, kind)
        let d = try Self.dimensions(x.shape, y.shape, try GemmAttributes(a))
        var c = OperatorCost(inputs, outputs)
        c.gemms = [GemmShape(count: 1, m: d.m, n: d.n, k: d.k)]
        c.vectorOps = Double(d.m * d.n)   // the alpha/beta epilogue
        return c
    }
}
