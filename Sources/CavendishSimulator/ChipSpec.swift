import CavendishCore
import Foundation

/// A TPU-like chip as the simulator sees it: matrix units, vector unit, on-chip memory and HBM.
///
/// Presets come from `docs/TPU_FACTS.md` (Google Cloud TPU documentation, `jax/_src/tpu_info.py`, the
/// scaling book). Where a figure is derived rather than published, `notes` says so. Custom chips load
/// from JSON with the same field names.
public struct ChipSpec: Codable, Sendable, Equatable {
    /// Preset or custom name.
    public var name: String
    /// TensorCores per chip; the simulator spreads each op's grid over all of them (megacore).
    public var tensorCores: Int
    /// Matrix units (systolic arrays) per TensorCore.
    public var matrixUnitsPerCore: Int
    /// Rows of one systolic array.
    public var arrayRows: Int
    /// Columns of one systolic array.
    public var arrayCols: Int
    /// Clock in Hz.
    public var clockHz: Double
    /// Peak matrix FLOP/s of the chip by element type (`bf16`, `int8`, `f32`).
    public var peakFlops: [String: Double]
    /// Vector unit elements processed per cycle per TensorCore (8 sublanes x 128 lanes on TPUs).
    public var vectorElementsPerCycle: Int
    /// Transcendental (exp, tanh, rsqrt) results per cycle per TensorCore.
    public var transcendentalsPerCycle: Int
    /// Vector memory (VMEM) per TensorCore, bytes.
    public var vmemBytes: Int
    /// HBM bandwidth, bytes per second.
    public var hbmBytesPerSecond: Double
    /// HBM capacity, bytes.
    public var hbmBytes: Double
    /// DMA engines moving data between HBM and VMEM (each direction).
    public var dmaEngines: Int
    /// Where the figures come from, and which are derived.
    public var notes: String
    /// Scalar-core seconds each grid step costs beyond its DMA and compute (DMA issue, semaphore waits,
    /// loop bookkeeping). Fitted on the Pallas TPU matmul guide's measured v5e times
    /// (`scripts/fit_simulator_constants.py`); absent in a chip file means 0.
    public var gridStepSeconds: Double?
    /// Fixed seconds per program call (one jitted function: a denoiser evaluation, a decode), fitted with
    /// `gridStepSeconds`; absent means 0.
    public var launchSeconds: Double?
    /// Transcendentals (exp, tanh, rsqrt) run on a unit of their own, in parallel with the vector ALUs;
    /// absent or false means they queue behind the ALU work.
    public var separateTranscendentalUnit: Bool
    /// The inter-chip interconnect; absent means a chip that is never used in a group.
    public var ici: Interconnect?

    /// A chip's inter-chip interconnect (ICI): a torus of links, each one way at `linkBytesPerSecond`.
    public struct Interconnect: Codable, Sendable, Equatable {
        /// One-way bandwidth of one link, bytes per second.
        public var linkBytesPerSecond: Double
        /// Torus dimensions (2 on v5e and v6e, 3 on v4 and v5p).
        public var torusDimensions: Int
        /// Latency of one hop, seconds.
        public var hopSeconds: Double
        /// The fraction of `linkBytesPerSecond` a collective achieves.
        public var efficiency: Double
        /// Creates an interconnect description.
        public init(linkBytesPerSecond: Double, torusDimensions: Int, hopSeconds: Double, efficiency: Double) {
            (self.linkBytesPerSecond, self.torusDimensions, self.hopSeconds, self.efficiency) = (linkBytesPerSecond, torusDimensions, hopSeconds, efficiency)
        }
    }

    /// `gridStepSeconds`, 0 when the chip file gives none.
    public var gridStepOverhead: Double { gridStepSeconds ?? 0 }

    enum CodingKeys: String, CodingKey {
        case name, tensorCores, matrixUnitsPerCore, arrayRows, arrayCols, clockHz, peakFlops, vectorElementsPerCycle
        case transcendentalsPerCycle, vmemBytes, hbmBytesPerSecond, hbmBytes, dmaEngines, notes, gridStepSeconds, launchSeconds
        case separateTranscendentalUnit, ici
    }

    /// Memberwise initializer.
    public init(name: String, tensorCores: Int, matrixUnitsPerCore: Int, arrayRows: Int, arrayCols: Int, clockHz: Double,
                peakFlops: [String: Double], vectorElementsPerCycle: Int, transcendentalsPerCycle: Int, vmemBytes: Int,
                hbmBytesPerSecond: Double, hbmBytes: Double, dmaEngines: Int, notes: String, gridStepSeconds: Double? = nil,
                launchSeconds: Double? = nil, separateTranscendentalUnit: Bool = false, ici: Interconnect? = nil) {
        (self.name, self.tensorCores, self.matrixUnitsPerCore, self.arrayRows, self.arrayCols) = (name, tensorCores, matrixUnitsPerCore, arrayRows, arrayCols)
        (self.clockHz, self.peakFlops, self.vectorElementsPerCycle, self.transcendentalsPerCycle) = (clockHz, peakFlops, vectorElementsPerCycle, transcendentalsPerCycle)
        (self.vmemBytes, self.hbmBytesPerSecond, self.hbmBytes, self.dmaEngines, self.notes) = (vmemBytes, hbmBytesPerSecond, hbmBytes, dmaEngines, notes)
        (self.gridStepSeconds, self.launchSeconds, self.separateTranscendentalUnit, self.ici) = (gridStepSeconds, launchSeconds, separateTranscendentalUnit, ici)
    }

    /// Decodes a chip file; the fields added after the first chip files (overheads, the transcendental
    /// unit, the interconnect) may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), tensorCores: try c.decode(Int.self, forKey: .tensorCores),
                  matrixUnitsPerCore: try c.decode(Int.self, forKey: .matrixUnitsPerCore), arrayRows: try c.decode(Int.self, forKey: .arrayRows),
                  arrayCols: try c.decode(Int.self, forKey: .arrayCols), clockHz: try c.decode(Double.self, forKey: .clockHz),
                  peakFlops: try c.decode([String: Double].self, forKey: .peakFlops),
                  vectorElementsPerCycle: try c.decode(Int.self, forKey: .vectorElementsPerCycle),
                  transcendentalsPerCycle: try c.decode(Int.self, forKey: .transcendentalsPerCycle),
                  vmemBytes: try c.decode(Int.self, forKey: .vmemBytes), hbmBytesPerSecond: try c.decode(Double.self, forKey: .hbmBytesPerSecond),
                  hbmBytes: try c.decode(Double.self, forKey: .hbmBytes), dmaEngines: try c.decode(Int.self, forKey: .dmaEngines),
                  notes: try c.decodeIfPresent(String.self, forKey: .notes) ?? "",
                  gridStepSeconds: try c.decodeIfPresent(Double.self, forKey: .gridStepSeconds),
                  launchSeconds: try c.decodeIfPresent(Double.self, forKey: .launchSeconds),
                  separateTranscendentalUnit: try c.decodeIfPresent(Bool.self, forKey: .separateTranscendentalUnit) ?? false,
                  ici: try c.decodeIfPresent(Interconnect.self, forKey: .ici))
    }

    /// Matrix units on the chip.
    /// Peak matrix FLOP/s for an element type: int8's, f32's, or bf16's for the 16-bit types and any
    /// type the chip file gives no figure for (bf16 is required of every chip).
    public func peakFlops(for dtype: DType) -> Double {
        peakFlops[dtype == .int8 ? "int8" : (dtype == .float32 ? "f32" : "bf16")] ?? peakFlops["bf16"] ?? 1
    }

    public var matrixUnits: Int { tensorCores * matrixUnitsPerCore }

    /// Matrix-unit MAC passes needed per element type: the arrays multiply bf16; int8 runs at the published
    /// int8/bf16 peak ratio; f32 is emulated with 3 bf16 passes (bf16x3), as XLA does by default for f32.
    public func passes(for dtype: DType) -> Double {
        switch dtype {
        case .int8, .uint8:
            let ratio = (peakFlops["int8"] ?? 0) / (peakFlops["bf16"] ?? 1)
            return ratio > 0 ? 1 / ratio : 1
        case .float32, .float64: return 3
        default: return 1
        }
    }

    /// Element size the simulator moves for `dtype`.
    public static func bytes(_ dtype: DType) -> Int { dtype.byteSize }

    static func derivedClock(peakBF16: Double, units: Int, rows: Int, cols: Int) -> Double {
        peakBF16 / Double(units * rows * cols * 2)
    }

    /// The grid-step and launch costs fitted on the Pallas TPU matmul guide's v5e measurements by
    /// `scripts/fit_simulator_constants.py` (the only chip with published per-step timings; the other
    /// presets use the same figures, which the notes say).
    public static let fittedGridStepSeconds = 0.2682e-6, fittedLaunchSeconds = 111.6e-6

    /// The ICI efficiency and per-hop latency fitted on the scaling book's profiled v5e AllGathers by the
    /// same script (one efficiency and one hop latency for every chip: no other generation's are published).
    public static let fittedICIEfficiency = 0.5526, fittedHopSeconds = 1.788e-6

    /// The built-in chips.
    public static let presets: [ChipSpec] = {
        func chip(_ name: String, cores: Int, units: Int, size: Int, bf16: Double, int8: Double, vmemMiB: Int,
                  hbmGBs: Double, hbmGiB: Double, clock: Double?, alus: Int, ici: Interconnect, notes: String) -> ChipSpec {
            let derived = derivedClock(peakBF16: bf16 * 1e12, units: cores * units, rows: size, cols: size)
            return ChipSpec(name: name, tensorCores: cores, matrixUnitsPerCore: units, arrayRows: size, arrayCols: size,
                            clockHz: clock ?? derived, peakFlops: ["bf16": bf16 * 1e12, "int8": int8 * 1e12, "f32": bf16 * 1e12 / 3],
                            vectorElementsPerCycle: alus * 8 * 128, transcendentalsPerCycle: 8 * 128, vmemBytes: vmemMiB << 20,
                            hbmBytesPerSecond: hbmGBs * 1e9, hbmBytes: hbmGiB * 1_073_741_824, dmaEngines: 4, notes: notes,
                            gridStepSeconds: fittedGridStepSeconds, launchSeconds: fittedLaunchSeconds,
                            separateTranscendentalUnit: true, ici: ici)
        }
        let vpu = "Vector unit: 8 sublanes x 128 lanes with the ALUs per cell the scaling book gives (2 on v4, 4 from v5 on; "
            + "v6e and tpu7x assumed as v5); transcendentals on their own unit, one 8x128 vreg per cycle (rate not published), "
            + "in parallel with the ALUs. Grid-step and launch costs fitted on v5e (Pallas matmul guide) and used for every chip."
        func link(_ bytesPerSecond: Double, _ dims: Int) -> Interconnect {
            Interconnect(linkBytesPerSecond: bytesPerSecond, torusDimensions: dims, hopSeconds: fittedHopSeconds, efficiency: fittedICIEfficiency)
        }
        return [
            chip("v4", cores: 2, units: 4, size: 128, bf16: 275, int8: 275, vmemMiB: 16, hbmGBs: 1200, hbmGiB: 32, clock: nil, alus: 2,
                 ici: link(4.5e10, 3),
                 notes: "Clock derived from the 275 TFLOP/s peak: about 1.05 GHz. Megacore: two TensorCores sharing HBM. ICI 4.5e10 B/s one way per link (scaling book), 3-D torus. " + vpu),
            chip("v5e", cores: 1, units: 4, size: 128, bf16: 197, int8: 393, vmemMiB: 128, hbmGBs: 819, hbmGiB: 16 / 1.073741824,
                 clock: 1.5e9, alus: 4, ici: link(4.5e10, 2),
                 notes: "Published 1.5 GHz clock. ICI 4.5e10 B/s one way per link (scaling book), 2-D torus. " + vpu),
            chip("v5p", cores: 2, units: 4, size: 128, bf16: 459, int8: 918, vmemMiB: 64, hbmGBs: 2765, hbmGiB: 95, clock: nil, alus: 4,
                 ici: link(9e10, 3),
                 notes: "Clock derived from the 459 TFLOP/s peak: about 1.75 GHz. ICI 9e10 B/s one way per link (scaling book), 3-D torus. " + vpu),
            chip("v6e", cores: 1, units: 2, size: 256, bf16: 918, int8: 1836, vmemMiB: 128, hbmGBs: 1638, hbmGiB: 32 / 1.073741824,
                 clock: nil, alus: 4, ici: link(9e10, 2),
                 notes: "2 x 256x256 matrix units per the current documentation; clock not published, derived "
                    + "from the 918 TFLOP/s peak (3.5 GHz, so the figure really bounds units x clock). ICI 9e10 B/s one way per link (scaling book), 2-D torus. " + vpu),
            chip("tpu7x", cores: 2, units: 2, size: 256, bf16: 2307, int8: 4614, vmemMiB: 64, hbmGBs: 7380, hbmGiB: 192, clock: nil, alus: 4,
                 ici: link(9e10, 3),
                 notes: "Clock and unit count not published; derived from the 2307 TFLOP/s bf16 peak with 2 x 2 x 256x256 "
                    + "units. int8 entry holds the fp8 peak. ICI assumed as v5p's: 9e10 B/s one way per link, 3-D torus. " + vpu),
        ]
    }()

    /// A preset by name, or a chip from a JSON file when `nameOrPath` ends in `.json`.
    public static func load(_ nameOrPath: String) throws -> ChipSpec {
        if nameOrPath.hasSuffix(".json") {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: nameOrPath))
                // A chip object, or a one-chip array as `simulate hw --list --json` prints them.
                // snake_case (what `simulate hw --json` prints) and the camelCase of older chip files both read.
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                let chip = try (try? decoder.decode([ChipSpec].self, from: data)).flatMap { $0.count == 1 ? $0[0] : nil }
                    ?? decoder.decode(ChipSpec.self, from: data)
                try chip.validate()
                return chip
            } catch let e as SimulatorError { throw e } catch {
                throw SimulatorError("\(nameOrPath): not a chip description (\(error)); see `cavendish simulate hw --list --json` for the fields")
            }
        }
        guard let chip = presets.first(where: { $0.name == nameOrPath }) else {
            throw SimulatorError("unknown chip '\(nameOrPath)'; presets: \(presets.map(\.name).joined(separator: ", ")), or a .json file")
        }
        return chip
    }

    /// Checks that every figure is positive and within what a chip could have (so that no formula
    /// overflows or runs for ever on a hostile file), and that the bf16 peak the matrix model falls back
    /// on is given.
    public func validate() throws {
        let bounded: [(String, Double, ClosedRange<Double>)] = [
            ("tensorCores", Double(tensorCores), 1...1024), ("matrixUnitsPerCore", Double(matrixUnitsPerCore), 1...1024),
            ("arrayRows", Double(arrayRows), 1...65536), ("arrayCols", Double(arrayCols), 1...65536), ("clockHz", clockHz, 1e6...1e11),
            ("vectorElementsPerCycle", Double(vectorElementsPerCycle), 1...1e9),
            ("transcendentalsPerCycle", Double(transcendentalsPerCycle), 1...1e9),
            ("vmemBytes", Double(vmemBytes), 1...Double(1 << 40)), ("hbmBytesPerSecond", hbmBytesPerSecond, 1e6...1e16),
            ("dmaEngines", Double(dmaEngines), 1...1024), ("gridStepSeconds", gridStepSeconds ?? 0, 0...1),
            ("launchSeconds", launchSeconds ?? 0, 0...10)]
        for (field, v, range) in bounded where !range.contains(v) {
            throw SimulatorError("chip '\(name)': \(field) must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
        }
        if let ici {
            for (field, v, range) in [("ici.linkBytesPerSecond", ici.linkBytesPerSecond, 1e6...1e15),
                                      ("ici.torusDimensions", Double(ici.torusDimensions), 1...4), ("ici.hopSeconds", ici.hopSeconds, 0...1),
                                      ("ici.efficiency", ici.efficiency, 0.01...1)]
            where !range.contains(v) {
                throw SimulatorError("chip '\(name)': \(field) must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
            }
        }
        guard let bf16 = peakFlops["bf16"], bf16 > 0, bf16.isFinite else {
            throw SimulatorError("chip '\(name)': peakFlops needs a positive \"bf16\" entry (other types fall back on it)")
        }
        for (type, v) in peakFlops where !(v > 0 && v.isFinite) { throw SimulatorError("chip '\(name)': peakFlops[\(type)] must be positive, got \(v)") }
    }
}

/// A simulator error with a message for the user.
public struct SimulatorError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
