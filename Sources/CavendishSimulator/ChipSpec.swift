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

    /// The built-in chips.
    public static let presets: [ChipSpec] = {
        func chip(_ name: String, cores: Int, units: Int, size: Int, bf16: Double, int8: Double, vmemMiB: Int,
                  hbmGBs: Double, hbmGiB: Double, clock: Double?, notes: String) -> ChipSpec {
            let derived = derivedClock(peakBF16: bf16 * 1e12, units: cores * units, rows: size, cols: size)
            return ChipSpec(name: name, tensorCores: cores, matrixUnitsPerCore: units, arrayRows: size, arrayCols: size,
                            clockHz: clock ?? derived, peakFlops: ["bf16": bf16 * 1e12, "int8": int8 * 1e12, "f32": bf16 * 1e12 / 3],
                            vectorElementsPerCycle: 8 * 128, transcendentalsPerCycle: 8 * 128, vmemBytes: vmemMiB << 20,
                            hbmBytesPerSecond: hbmGBs * 1e9, hbmBytes: hbmGiB * 1_073_741_824, dmaEngines: 4, notes: notes)
        }
        let vpu = "Vector unit: one 8x128 vreg per cycle per core (the public Pallas/scaling-book description, not a "
            + "per-generation figure); transcendentals assumed at the same rate (not published)."
        return [
            chip("v4", cores: 2, units: 4, size: 128, bf16: 275, int8: 275, vmemMiB: 16, hbmGBs: 1200, hbmGiB: 32, clock: nil,
                 notes: "Clock derived from the 275 TFLOP/s peak: about 1.05 GHz. " + vpu),
            chip("v5e", cores: 1, units: 4, size: 128, bf16: 197, int8: 393, vmemMiB: 128, hbmGBs: 819, hbmGiB: 16 / 1.073741824,
                 clock: 1.5e9, notes: "Published 1.5 GHz clock. " + vpu),
            chip("v5p", cores: 2, units: 4, size: 128, bf16: 459, int8: 918, vmemMiB: 64, hbmGBs: 2765, hbmGiB: 95, clock: nil,
                 notes: "Clock derived from the 459 TFLOP/s peak: about 1.75 GHz. " + vpu),
            chip("v6e", cores: 1, units: 2, size: 256, bf16: 918, int8: 1836, vmemMiB: 128, hbmGBs: 1638, hbmGiB: 32 / 1.073741824,
                 clock: nil, notes: "2 x 256x256 matrix units per the current documentation; clock not published, derived "
                    + "from the 918 TFLOP/s peak (3.5 GHz, so the figure really bounds units x clock). " + vpu),
            chip("tpu7x", cores: 2, units: 2, size: 256, bf16: 2307, int8: 4614, vmemMiB: 64, hbmGBs: 7380, hbmGiB: 192, clock: nil,
                 notes: "Clock and unit count not published; derived from the 2307 TFLOP/s bf16 peak with 2 x 2 x 256x256 "
                    + "units. int8 entry holds the fp8 peak. " + vpu),
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
            ("dmaEngines", Double(dmaEngines), 1...1024)]
        for (field, v, range) in bounded where !range.contains(v) {
            throw SimulatorError("chip '\(name)': \(field) must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
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
