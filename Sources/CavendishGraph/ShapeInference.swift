import CavendishCore

/// Output shapes and element types of an operator from its input shapes, types, attributes and any
/// constant inputs. This is what makes shape-only graphs possible: nothing is computed.
public enum ShapeInference {
    /// What is known about one input.
    public struct Input {
        /// Shape.
        public var shape: [Int]
        /// Element type.
        public var dtype: DType
        /// The data, when the input is a graph constant.
        public var constant: Tensor?
        /// Describes an input.
        public init(shape: [Int], dtype: DType, constant: Tensor? = nil) {
            self.shape = shape
            self.dtype = dtype
            self.constant = constant
        }
    }

    /// Output (shape, dtype) pairs; `outputCount` is how many the caller wants (Split, Attention, LayerNorm).
    public static func infer(_ op: String, _ inputs: [Input?], _ a: Attributes, opset: Int,
                             outputCount: Int = 1) throws -> [([Int], DType)] {
        func input(_ i: Int) throws -> Input {
            guard i < inputs.count, let x = inputs[i] else { throw KernelError.invalid("\(op) needs input \(i)") }
            return x
        }
        func ints(_ i: Int) -> [Int]? {
            guard i < inputs.count, let c = inputs[i]?.constant else { return nil }
            return c.int64s().map(Int.init)
        }
        let x = try input(0)
        switch op {
        case "Sigmoid", "Tanh", "Erf", "Exp", "Sqrt", "Sin", "Cos", "Gelu", "Clip", "Softmax", "GroupNormalization", "RMSNormalization":
            return [(x.shape, x.dtype)]
        case "Add", "Sub", "Mul", "Div", "Pow":
            return [(try Shape.broadcast([x.shape, try input(1).shape]), x.dtype)]
        case "Where":
            let t = try input(1)
            return [(try Shape.broadcast([x.shape, t.shape, try input(2).shape]), t.dtype)]
        case "Cast":
            guard let t = OnnxElementType.dtype(onnxCode: try a.int("to", 1)) else { throw KernelError.unsupported("Cast target") }
            return [(x.shape, t)]
        case "MatMul":
            var sa = x.shape, sb = try input(1).shape
            let av = sa.count == 1, bv = sb.count == 1
            if av { sa = [1] + sa }
            if bv { sb = sb + [1] }
            guard sa.last == sb[sb.count - 2] else { throw KernelError.invalid("MatMul \(x.shape) x \(try input(1).shape)") }
            var out = try Shape.broadcast([Array(sa.dropLast(2)), Array(sb.dropLast(2))])
            if !av { out.append(sa[sa.count - 2]) }
            if !bv { out.append(sb.last!) }
            return [(out, x.dtype)]
        case "Gemm":
            let b = try input(1).shape
            let m = try a.int("transA", 0) != 0 ? x.shape[1] : x.shape[0]
            let n = try a.int("transB", 0) != 0 ? b[0] : b[1]
            return [([m, n], x.dtype)]
        case "Conv":
            let g = try ConvGeometry(attributes: a, input: x.shape, weights: try input(1).shape)
            return [(g.outputShape(oneD: x.shape.count == 3), x.dtype)]
        case "LayerNormalization":
            let axis = try Shape.normalizeAxis(try a.int("axis", -1), rank: x.shape.count)
            let stat = Array(x.shape.prefix(axis)) + [Int](repeating: 1, count: x.shape.count - axis)
            return Array([(x.shape, x.dtype), (stat, DType.float32), (stat, DType.float32)].prefix(max(outputCount, 1)))
        case "Transpose":
            let perm = try a.ints("perm") ?? Array((0..<x.shape.count).reversed())
            return [(perm.map { x.shape[$0] }, x.dtype)]
        case "Reshape":
            guard var s = ints(1) else { throw KernelError.unsupported("Reshape with a computed shape in a shape-only graph") }
            let allowZero = try a.int("allowzero", 0) != 0
            for i in s.indices where s[i] == 0 && !allowZero { s[i] = x.shape[i] }
            if let j = s.firstIndex(of: -1) {
                let known = s.enumerated().filter { $0.offset != j }.map(\.element).reduce(1, *)
                s[j] = Shape.count(x.shape) / max(known, 1)
            }
            guard Shape.count(s) == Shape.count(x.shape) else { throw KernelError.invalid("Reshape \(x.shape) to \(s)") }
            return [(s, x.dtype)]
        case "Expand":
            guard let s = ints(1) else { throw KernelError.unsupported("Expand with a computed shape") }
            return [(try Shape.broadcast([x.shape, s]), x.dtype)]
        case "Concat":
            let parts = inputs.compactMap { $0 }
            let axis = try Shape.normalizeAxis(try a.int("axis", 0), rank: x.shape.count)
            var s = x.shape
            s[axis] = parts.map { $0.shape[axis] }.reduce(0, +)
            return [(s, x.dtype)]
        case "Split":
            let axis = try Shape.normalizeAxis(try a.int("axis", 0), rank: x.shape.count)
            let sizes: [Int]
            if let s = try ints(1) ?? a.ints("split") { sizes = s } else {
                let parts = try a.int("num_outputs", outputCount)
                let chunk = (x.shape[axis] + parts - 1) / parts
                sizes = (0..<parts).map { min(chunk, max(0, x.shape[axis] - $0 * chunk)) }
            }
            return sizes.map { var s = x.shape; s[axis] = $0; return (s, x.dtype) }
        case "Slice":
            guard let starts = ints(1), let ends = ints(2) else { throw KernelError.unsupported("Slice with computed bounds") }
            let axes = ints(3) ?? Array(0..<starts.count), steps = ints(4) ?? starts.map { _ in 1 }
            var s = x.shape
            for (i, axis0) in axes.enumerated() {
                let axis = try Shape.normalizeAxis(axis0, rank: s.count), n = x.shape[axis], step = steps[i]
                var b = starts[i] < 0 ? starts[i] + n : starts[i], e = ends[i] < 0 ? ends[i] + n : ends[i]
                if step > 0 { b = min(max(b, 0), n); e = min(max(e, 0), n); s[axis] = b < e ? (e - b + step - 1) / step : 0 }
                else { b = min(max(b, -1), n - 1); e = min(max(e, -1), n - 1); s[axis] = b > e ? (b - e - step - 1) / (-step) : 0 }
            }
            return [(s, x.dtype)]
        case "Gather":
            let axis = try Shape.normalizeAxis(try a.int("axis", 0), rank: x.shape.count)
            return [(Array(x.shape.prefix(axis)) + (try input(1).shape) + Array(x.shape.dropFirst(axis + 1)), x.dtype)]
        case "ReduceMean", "ReduceSum":
            let fromInput = op == "ReduceSum" ? opset >= 13 : opset >= 18
            var axes = try (fromInput ? ints(1) : a.ints("axes")) ?? []
            if axes.isEmpty { if try a.int("noop_with_empty_axes", 0) != 0 { return [(x.shape, x.dtype)] }; axes = Array(x.shape.indices) }
            let set = Set(try axes.map { try Shape.normalizeAxis($0, rank: x.shape.count) })
            let keep = try a.int("keepdims", 1) != 0
            let s = x.shape.enumerated().compactMap { set.contains($0.offset) ? (keep ? 1 : nil) : $0.element }
            return [(s, x.dtype)]
        case "Resize":
            var s = x.shape
            let axes = try (a.ints("axes") ?? Array(x.shape.indices)).map { try Shape.normalizeAxis($0, rank: x.shape.count) }
            if let sizes = ints(3), !sizes.isEmpty {
                for (i, axis) in axes.enumerated() { s[axis] = sizes[i] }
            } else if let scales = inputs.count > 2 ? inputs[2]?.constant?.doubles() : nil, !scales.isEmpty {
                for (i, axis) in axes.enumerated() { s[axis] = Int((Double(x.shape[axis]) * Double(Float(scales[i]))).rounded(.down)) }
            } else { throw KernelError.unsupported("Resize with computed scales") }
            return [(s, x.dtype)]
        case "Attention":
            let k = try input(1), v = try input(2)
            var y: [Int]
            if x.shape.count == 4 { y = [x.shape[0], x.shape[1], x.shape[2], v.shape[3]] }
            else {
                let hq = try a.int("q_num_heads", 1), hkv = try a.int("kv_num_heads", 1)
                y = [x.shape[0], x.shape[1], hq * (v.shape[2] / hkv)]
            }
            // The caches come back in 4-D (B, kv heads, past + new, head size).
            func present(_ t: Input, _ past: Input?) throws -> [Int] {
                var p = t.shape
                if p.count == 3 {
                    let h = try a.int("kv_num_heads", 1)
                    p = [p[0], h, p[1], p[2] / h]
                }
                if let past { p[2] += past.shape[2] }
                return p
            }
            var outs: [([Int], DType)] = [(y, x.dtype)]
            let pastKey = inputs.count > 4 ? inputs[4] : nil, pastValue = inputs.count > 5 ? inputs[5] : nil
            if outputCount >= 2 { outs.append((try present(k, pastKey), k.dtype)) }
            if outputCount >= 3 { outs.append((try present(v, pastValue), v.dtype)) }
            if outputCount >= 4 {
                let q = x.shape.count == 4 ? x.shape : [x.shape[0], try a.int("q_num_heads", 1), x.shape[1], 0]
                outs.append(([q[0], q[1], q[2], try present(k, pastKey)[2]], x.dtype))
            }
            return outs
        default:
            throw KernelError.unsupported("no shape inference for \(op)")
        }
    }
}
