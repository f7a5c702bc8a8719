/// How one GEMM is blocked for the chip: the Pallas BlockSpec model.
///
/// The grid is (batch, M/bm, N/bn, K/bk), walked in lexicographic order with the reduction innermost;
/// each step multiplies an (bm x bk) block of A with a (bk x bn) block of B into an f32 accumulator and
/// writes the (bm x bn) output block after the last reduction step. Input blocks are double-buffered
/// in VMEM, and a block is not copied again when the next step uses the same one (A when K fits one
/// block, B when it is the only block of its column...). The block shape is the candidate with the least
/// estimated time that fits VMEM.
struct GemmTiling: Hashable {
    var m, n, k, count: Int
    var bm, bn, bk: Int
    var elementBytes: Int
    /// Times each element of A's backing tensor appears in A (implicit-GEMM convolutions).
    var aReuse: Double = 1

    var gridM: Int { (m + bm - 1) / bm }
    var gridN: Int { (n + bn - 1) / bn }
    var gridK: Int { (k + bk - 1) / bk }
    var steps: Int { count * gridM * gridN * gridK }

    /// VMEM bytes in use: two buffers per input block, two per output block, one f32 accumulator.
    var vmemBytes: Int { 2 * (bm * bk + bk * bn) * elementBytes + 2 * bm * bn * elementBytes + bm * bn * 4 }

    /// HBM bytes moved, counting skipped copies (Pallas: `(m*k*n/bn + k*n*m/bm + m*n) * bytes` for one GEMM).
    var hbmBytes: Double {
        let aReads = (gridK == 1 ? Double(m * k) : Double(m * k) * Double(gridN)) / aReuse
        let bReads = (gridK == 1 && gridN == 1) ? Double(k * n) : Double(k * n) * Double(gridM)
        return Double(count) * (aReads + bReads + Double(m * n)) * Double(elementBytes)
    }

    /// Matrix-unit cycles of one grid step on `units` arrays of rows x cols: the block's folds are shared
    /// among the units; each fold streams bm rows, and at least `rows` cycles go by so that the next
    /// stationary tile can load behind it (weight double buffering).
    func stepCycles(rows: Int, cols: Int, units: Int, passes: Double) -> Double {
        let folds = ((bk + rows - 1) / rows) * ((bn + cols - 1) / cols)
        let rounds = (folds + units - 1) / units
        return Double(rounds * max(bm, rows)) * passes
    }

    /// Block sizes tried: 1 to 32 times the array's dimension.
    static func candidates(_ arrayDim: Int) -> [Int] { [1, 2, 4, 8, 16, 32].map { $0 * arrayDim } }

    /// The best-estimated blocking of (count x) M x N x K for `chip`.
    ///
    /// The estimate counts the grid-step cost, so that small blocks pay for their many steps, and shares
    /// the output blocks among the TensorCores. `blocks` (bm, bk, bn) fixes the block shape instead, as a
    /// Pallas kernel's BlockSpecs do; each is clipped to its padded dimension.
    static func choose(m: Int, n: Int, k: Int, count: Int, elementBytes: Int, aReuse: Double = 1, chip: ChipSpec,
                       passes: Double, blocks: (bm: Int, bk: Int, bn: Int)? = nil) -> GemmTiling {
        if let blocks {
            return GemmTiling(m: m, n: n, k: k, count: count, bm: min(blocks.bm, (m + 7) / 8 * 8),
                              bn: min(blocks.bn, (n + chip.arrayCols - 1) / chip.arrayCols * chip.arrayCols),
                              bk: min(blocks.bk, (k + chip.arrayRows - 1) / chip.arrayRows * chip.arrayRows),
                              elementBytes: elementBytes, aReuse: aReuse)
        }
        let budget = chip.vmemBytes * 3 / 4
        func options(_ full: Int, align: Int, array: Int) -> [Int] {
            let rounded = (full + align - 1) / align * align
            return Array(Set(candidates(array).filter { $0 < rounded } + [rounded])).sorted()
        }
        var best: GemmTiling?
        var bestTime = Double.infinity
        let units = chip.matrixUnitsPerCore, cores = Double(chip.tensorCores)
        for bm in options(m, align: 8, array: chip.arrayRows) { for bn in options(n, align: chip.arrayCols, array: chip.arrayCols) {
        for bk in options(k, align: chip.arrayRows, array: chip.arrayRows) {
            let t = GemmTiling(m: m, n: n, k: k, count: count, bm: bm, bn: bn, bk: bk, elementBytes: elementBytes, aReuse: aReuse)
            if t.vmemBytes > budget && best != nil { continue }
            let step = t.stepCycles(rows: chip.arrayRows, cols: chip.arrayCols, units: units, passes: passes) / chip.clockHz
            let blocksPerCore = (Double(t.count * t.gridM * t.gridN) / cores).rounded(.up)
            let compute = blocksPerCore * Double(t.gridK) * (step + chip.gridStepOverhead)
            let memory = t.hbmBytes / chip.hbmBytesPerSecond
            // The first step's load and the last block's store are not hidden behind other steps.
            let (em, en, ek) = (min(bm, m), min(bn, n), min(bk, k))
            let firstLoad = (Double(em * ek) / aReuse + Double(ek * en)) * Double(elementBytes) / chip.hbmBytesPerSecond
            let lastStore = Double(em * en * elementBytes) / chip.hbmBytesPerSecond
            let time = max(compute, memory) + firstLoad + step + lastStore
            if time < bestTime || (t.vmemBytes <= budget && (best?.vmemBytes ?? 0) > budget) {
                best = t
                bestTime = time
            }
        } } }
        return best!
    }
}
