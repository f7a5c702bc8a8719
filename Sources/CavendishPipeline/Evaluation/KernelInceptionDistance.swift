/// Kernel Inception Distance (Bińkowski et al. 2018) between two sets of feature vectors, as the recipe's
/// `evaluate.kid` computes it: the unbiased squared MMD with the cubic polynomial kernel
/// `k(a, b) = (a.b / d + 1)^3`. The features are the NB-mini scene judge's, not Inception's; the name says
/// which network a figure used.
public enum KernelInceptionDistance {
    /// KID of `a` (m vectors) against `b` (n vectors), each of dimension d; needs m, n >= 2.
    public static func kid(_ a: [[Double]], _ b: [[Double]]) -> Double? {
        guard a.count >= 2, b.count >= 2, let d = a.first?.count, d > 0 else { return nil }
        func k(_ x: [Double], _ y: [Double]) -> Double {
            var dot = 0.0
            for i in 0..<d { dot += x[i] * y[i] }
            let v = dot / Double(d) + 1
            return v * v * v
        }
        func within(_ s: [[Double]]) -> Double {
            var total = 0.0
            for i in s.indices { for j in s.indices where i != j { total += k(s[i], s[j]) } }
            return total / Double(s.count * (s.count - 1))
        }
        var cross = 0.0
        for x in a { for y in b { cross += k(x, y) } }
        return within(a) + within(b) - 2 * cross / Double(a.count * b.count)
    }
}
