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
