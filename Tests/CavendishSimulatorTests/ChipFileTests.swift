import CavendishSimulator
import Foundation
import Testing

/// A chip file is what `simulate hw --hw NAME --json` prints: a preset written out loads back equal,
/// as an object or as the one-chip array `--list --json` prints.
struct ChipFileTests {
    @Test(arguments: ["object", "array"])
    func aWrittenPresetLoadsBack(form: String) throws {
        let chip = try ChipSpec.load("v5e")
        let data = form == "object" ? try JSONEncoder().encode(chip) : try JSONEncoder().encode([chip])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chip-\(UUID().uuidString).json").path
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try ChipSpec.load(path)
        #expect(loaded == chip)
    }
}

/// Hostile chip files are refused with a message, before any formula can overflow or run for ever.
struct ChipValidationTests {
    @Test(arguments: ["clockHz", "arrayRows", "bf16"])
    func outOfRangeFiguresAreRefused(field: String) throws {
        var chip = try ChipSpec.load("v5e")
        switch field {
        case "clockHz": chip.clockHz = 1e-3                   // a near-zero clock
        case "arrayRows": chip.arrayRows = 1 << 40
        default: chip.peakFlops["bf16"] = nil                   // was force-unwrapped by the matrix model
        }
        #expect(throws: SimulatorError.self) { try chip.validate() }
    }

    @Test func everyPresetIsValid() throws {
        for chip in ChipSpec.presets { try chip.validate() }
    }
}

/// Chip files written before the overheads, the transcendental unit and the interconnect existed still load.
struct OlderChipFileTests {
    @Test func aFileWithoutTheNewFieldsLoadsWithNone() throws {
        let json = """
        {"name": "old", "tensor_cores": 1, "matrix_units_per_core": 4, "array_rows": 128, "array_cols": 128, "clock_hz": 1.5e9,
         "peak_flops": {"bf16": 1.97e14}, "vector_elements_per_cycle": 1024, "transcendentals_per_cycle": 1024,
         "vmem_bytes": 134217728, "hbm_bytes_per_second": 8.19e11, "hbm_bytes": 1.6e10, "dma_engines": 4, "notes": ""}
        """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("old-chip-\(UUID().uuidString).json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let chip = try ChipSpec.load(path)
        #expect(chip.gridStepOverhead == 0 && chip.launchSeconds == nil && chip.ici == nil && !chip.separateTranscendentalUnit)
    }
}
