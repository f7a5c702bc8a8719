import CavendishCore

/// ONNX Conv, 1-D and 2-D, as an implicit GEMM per group; the shape arithmetic is `ConvGeometry`
/// (kernel: CavendishCPU/ConvKernel.swift).
public struct ConvSchema: OperatorSchema {
    public var kind: OperatorKind { .conv }
    public var category: OperatorCategory { .matrix }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind), w = try inputs.input(1, kind)
        let g = try ConvGeometry(attributes: a, input: x.shape, weights: w.shape)
        return [TensorInfo(shape: g.outputShape(oneD: x.shape.count == 3), dtype: x.dtype)]
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        let x = try inputs.input(0, kind), w = try inputs.input(1, kind)
        let g = try ConvGeometry(attributes: a, input: x.shape, weights: w.shape)
        var c = OperatorCost(inputs, outputs)
        // Output pixels x output channels per group, reduced over channels x taps. The input is read once
        // per block and its taps formed on chip, so A's elements are reused kh x kw / stride^2 times.
        let reuse = max(1, Double(g.kh * g.kw) / Double(g.strideH * g.strideW))
        c.gemms = [GemmShape(count: g.group, m: g.n * g.oh * g.ow, n: g.mg, k: g.columns, aReuse: reuse)]
        if inputs.optional(2) != nil { c.vectorOps = Double(outputs.first?.count ?? 0) }   // the bias
        return c
    }
}
