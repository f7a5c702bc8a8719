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
