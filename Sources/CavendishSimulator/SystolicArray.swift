/// Cycle counts of one GEMM on one R x C systolic array.
///
/// GEMM (M, N, K) means what it means in SCALE-Sim's topology file: A is M x K, B is K x N, the
/// output M x N. `scalesim` mode reproduces SCALE-Sim 3.0's "Total Cycles" exactly (no stalls): each
/// fold loads its stationary tile (R cycles), streams, then drains the skew, and folds never overlap.
/// `pipelined` mode models what a real matrix unit does: the next fold's stationary tile loads into a
/// second buffer while the current fold streams, and consecutive folds' wavefronts follow each other,
/// so the first load and the final skew are paid once rather than per fold (a fold still lasts at least
/// R cycles, the time to load the next tile). With one fold the two modes agree.
public enum SystolicArray {
    /// Which operand stays in the array.
    public enum Dataflow: String, Sendable, CaseIterable, Codable {
        /// Weight (B) stationary.
        case ws
        /// Output stationary.
        case os
        /// Input (A) stationary.
        case `is`
    }

    /// Timing model.
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// SCALE-Sim's, fold by fold without overlap.
        case scalesim
        /// Double-buffered stationary tiles, folds back to back.
        case pipelined
    }

    /// Number of folds (array-sized tiles of the stationary operand).
    public static func folds(m: Int, n: Int, k: Int, rows: Int, cols: Int, dataflow: Dataflow) -> Int {
        func c(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
        switch dataflow {
        case .ws: return c(k, rows) * c(n, cols)
        case .os: return c(m, rows) * c(n, cols)
        case .is: return c(k, rows) * c(m, cols)
        }
    }

    /// Total cycles of the GEMM.
    public static func cycles(m: Int, n: Int, k: Int, rows r: Int, cols c: Int, dataflow: Dataflow, mode: Mode) -> Int {
        let f = folds(m: m, n: n, k: k, rows: r, cols: c, dataflow: dataflow)
        // Streamed length per fold: A's rows (ws), the reduction (os), B's columns (is).
        let stream = dataflow == .ws ? m : (dataflow == .os ? k : n)
        switch (mode, dataflow) {
        case (.scalesim, .os): return f * (r + c + stream - 2) - 1
        case (.scalesim, _): return f * (2 * r + c + stream - 2) - 1
        // Every fold but the last hides the next fold's tile load (or, for os, the previous fold's drain)
        // behind its own streaming, so it lasts max(stream, R); the last pays the skew once. One fold
        // costs exactly what SCALE-Sim charges.
        case (.pipelined, .os): return (f - 1) * max(stream, r) + stream + r + c - 3
        case (.pipelined, _): return r + (f - 1) * max(stream, r) + stream + r + c - 3
        }
    }

    /// MACs over (cycles x cells).
    public static func utilization(m: Int, n: Int, k: Int, rows: Int, cols: Int, cycles: Int) -> Double {
        Double(m) * Double(n) * Double(k) / (Double(max(cycles, 1)) * Double(rows * cols))
    }
}
