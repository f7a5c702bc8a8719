import CVectorMath
import CavendishCore
import CavendishOps
import Foundation

/// Broadcasting elementwise arithmetic: Add, Sub, Mul, Div, Pow, and the ternary Where.
///
/// Float types compute in float32; integer types in 64-bit integers (division truncates toward zero,
/// division by zero gives 0 rather than trapping).
enum BinaryKernels {
    static let ops: [OperatorKind] = [.add, .sub, .mul, .div, .pow]

    static func run(_ call: KernelInvocation) throws -> Tensor {
        let a = try call.input(0), b = try call.input(1)
        guard let op = call.kind, ops.contains(op) else { throw KernelError.unsupported("binary operator \(call.op)") }
        let shape = try broadcastShape([a.shape, b.shape], call.op)
        if a.dtype.isFloatingPoint {
            guard b.dtype.isFloatingPoint || op == .pow else {
                throw KernelError.invalid("\(call.op) mixes \(a.dtype) and \(b.dtype)")
            }
            let out = try floatBinary(op, a.converted(to: .float32), b.converted(to: .float32), shape, into: call.output(0, shape: shape))
            return out.converted(to: a.dtype)
        }
        guard a.dtype.isInteger, b.dtype.isInteger || op == .pow else {
            throw KernelError.unsupported("\(call.op) on \(a.dtype) and \(b.dtype)")
        }
        if op == .pow && b.dtype.isFloatingPoint {
            let out = try floatBinary(.pow, a.converted(to: .float32), b.converted(to: .float32), shape, into: Tensor(uninitialized: shape))
            return out.converted(to: a.dtype)
        }
        let out = try intBinary(op, a.converted(to: .int64), b.converted(to: .int64), shape)
        return out.converted(to: a.dtype)
    }

    static func broadcastShape(_ shapes: [[Int]], _ op: String) throws -> [Int] {
        do { return try Shape.broadcast(shapes) } catch let e as TensorError {
            throw KernelError.invalid("\(op): \(e.description)")
        }
    }

    /// Strides of `t` (contiguous) viewed as broadcast to `shape`.
    static func broadcastStrides(_ t: Tensor, to shape: [Int]) throws -> [Int] {
        try t.expanded(to: shape).strides
    }

    /// One row of float arithmetic: `d[i] = a[i * sa] op b[i * sb]` for `n` elements.
    typealias FloatRow = (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int) -> Void

    /// The row function of `op`: Add, Sub, Mul and Div vectorized in C (`cav_binary`), Pow elementwise.
    static func floatRow(_ op: OperatorKind) throws -> FloatRow {
        if let code = vectorCode(op) {
            return { a, sa, b, sb, d, n in cav_binary(code, a, sa, b, sb, d, n) }
        }
        guard op == .pow else { throw KernelError.unsupported(op.name) }
        return { a, sa, b, sb, d, n in for i in 0..<n { d[i] = Foundation.pow(a[i * sa], b[i * sb]) } }
    }

    /// `cav_binary`'s operator code for Add, Sub, Mul and Div.
    static func vectorCode(_ op: OperatorKind) -> Int32? {
        switch op {
        case .add: return Int32(CAV_ADD)
        case .sub: return Int32(CAV_SUB)
        case .mul: return Int32(CAV_MUL)
        case .div: return Int32(CAV_DIV)
        default: return nil
        }
    }

    static func floatBinary(_ op: OperatorKind, _ a: Tensor, _ b: Tensor, _ shape: [Int], into out: Tensor) throws -> Tensor {
        let f = try floatRow(op)
        let loop = StridedLoop(shape: shape, strides: [out.strides, try broadcastStrides(a, to: shape), try broadcastStrides(b, to: shape)])
        let pa = a.pointer(as: Float.self), pb = b.pointer(as: Float.self), po = out.pointer(as: Float.self)
        let n = loop.innerCount, sa = loop.innerStrides[1], sb = loop.innerStrides[2]
        ThreadPool.parallelRanges(loop.rowCount, minimumChunk: max(1, (1 << 15) / max(n, 1))) { rows in
            loop.forRows(in: rows) { o in f(pa + o[1], sa, pb + o[2], sb, po + o[0], n) }
        }
        return out
    }

    static func intBinary(_ op: OperatorKind, _ a: Tensor, _ b: Tensor, _ shape: [Int]) throws -> Tensor {
        let f: (Int64, Int64) -> Int64
        switch op {
        case .add: f = (&+)
        case .sub: f = (&-)
        case .mul: f = (&*)
        case .div: f = { $1 == 0 ? 0 : ($0 == .min && $1 == -1 ? .min : $0 / $1) }
        case .pow: f = integerPower
        default: throw KernelError.unsupported(op.name)
        }
        let out = Tensor(uninitialized: shape, dtype: .int64)
        var loop = StridedLoop(shape: shape, strides: [out.strides, try broadcastStrides(a, to: shape), try broadcastStrides(b, to: shape)])
        let pa = a.pointer(as: Int64.self), pb = b.pointer(as: Int64.self), po = out.pointer(as: Int64.self)
        let n = loop.innerCount, sa = loop.innerStrides[1], sb = loop.innerStrides[2]
        loop.forEachRow { o in for i in 0..<n { po[o[0] + i] = f(pa[o[1] + i * sa], pb[o[2] + i * sb]) } }
        return out
    }

    static func integerPower(_ base: Int64, _ exponent: Int64) -> Int64 {
        if exponent < 0 { return base == 1 ? 1 : (base == -1 ? (exponent % 2 == 0 ? 1 : -1) : 0) }
        var result: Int64 = 1, b = base, e = exponent
        while e > 0 {
            if e & 1 == 1 { result = result &* b }
            b = b &* b
            e >>= 1
        }
        return result
    }

    /// ONNX Where: `condition ? x : y`, all three broadcast together.
    static func `where`(_ call: KernelInvocation) throws -> Tensor {
        let c = try call.input(0), x = try call.input(1), y = try call.input(2)
        guard x.dtype == y.dtype else { throw KernelError.invalid("Where mixes \(x.dtype) and \(y.dtype)") }
        let shape = try broadcastShape([c.shape, x.shape, y.shape], "Where")
        let cond = c.converted(to: .bool), xs = x.contiguous(), ys = y.contiguous()
        let out = Tensor(uninitialized: shape, dtype: x.dtype)
        var loop = StridedLoop(shape: shape, strides: [out.strides, try broadcastStrides(cond, to: shape),
                                                       try broadcastStrides(xs, to: shape), try broadcastStrides(ys, to: shape)])
        let size = x.dtype.byteSize, n = loop.innerCount, st = loop.innerStrides
        let pc = cond.pointer(as: UInt8.self), px = xs.rawPointer, py = ys.rawPointer, po = out.rawPointer
        loop.forEachRow { o in
            for i in 0..<n {
                let pick = pc[o[1] + i * st[1]] != 0
                let src = pick ? px + (o[2] + i * st[2]) * size : py + (o[3] + i * st[3]) * size
                (po + (o[0] + i) * size).copyMemory(from: src, byteCount: size)
            }
        }
        return out
    }
}
