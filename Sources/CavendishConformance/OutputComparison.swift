import CavendishCore

/// The pass rule of docs/KERNEL_CASES.md: shapes equal; floats within `atol + rtol * |expected|`, NaN
/// only where NaN is expected, infinities equal; integers and bools exact.
public struct OutputComparison: Sendable {
    /// Whether the output passes.
    public var passed: Bool
    /// Largest absolute difference over finite expected elements.
    public var maxAbsoluteError: Double
    /// Largest `|actual - expected| / |expected|` over finite non-zero expected elements.
    public var maxRelativeError: Double
    /// Why it failed (empty when it passed).
    public var message: String

    /// Default tolerances by expected element type.
    public static func defaultTolerance(for dtype: DType) -> (rtol: Double, atol: Double) {
        switch dtype {
        case .float16: return (1e-2, 1e-3)
        case .bfloat16: return (2e-2, 1e-2)
        default: return (1e-4, 1e-5)
        }
    }

    /// Compares `actual` with `expected`; nil tolerances take the defaults for the expected type.
    public init(actual: Tensor, expected: Tensor, rtol: Double? = nil, atol: Double? = nil) {
        maxAbsoluteError = 0
        maxRelativeError = 0
        message = ""
        passed = false
        guard actual.shape == expected.shape else {
            message = "shape \(actual.shape), expected \(expected.shape)"
            return
        }
        guard actual.dtype == expected.dtype else {
            message = "element type \(actual.dtype.rawValue), expected \(expected.dtype.rawValue)"
            return
        }
        let defaults = Self.defaultTolerance(for: expected.dtype)
        let rt = rtol ?? defaults.rtol, at = atol ?? defaults.atol
        if !expected.dtype.isFloatingPoint {
            let a = actual.int64s(), e = expected.int64s()
            if let i = a.indices.first(where: { a[$0] != e[$0] }) {
                message = "element \(i) is \(a[i]), expected \(e[i])"
                // In Double: `abs($0 &- $1)` traps at Int64.min (and wraps before that).
                maxAbsoluteError = zip(a, e).map { (Double($0) - Double($1)).magnitude }.max() ?? 0
                return
            }
            passed = true
            return
        }
        let a = actual.doubles(), e = expected.doubles()
        var firstBad: String? = nil
        for i in 0..<e.count {
            let x = a[i], y = e[i]
            if y.isNaN || x.isNaN {
                if !(y.isNaN && x.isNaN), firstBad == nil { firstBad = "element \(i) is \(x), expected \(y)" }
                continue
            }
            if y.isInfinite || x.isInfinite {
                if x != y, firstBad == nil { firstBad = "element \(i) is \(x), expected \(y)" }
                continue
            }
            let diff = abs(x - y)
            maxAbsoluteError = max(maxAbsoluteError, diff)
            if y != 0 { maxRelativeError = max(maxRelativeError, diff / abs(y)) }
            if diff > at + rt * abs(y), firstBad == nil {
                firstBad = "element \(i) is \(x), expected \(y) (|diff| \(diff) > \(at) + \(rt) * |expected|)"
            }
        }
        if let firstBad { message = firstBad } else { passed = true }
    }
}
