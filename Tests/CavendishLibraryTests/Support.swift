import CavendishIO
import CavendishLibrary
import Foundation
import Testing

/// Tests/Fixtures/library, found from this source file so tests run from any working directory.
enum LibraryFixture {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("library")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }
}

/// A scratch area per test: a photo library folder and a separate Cavendish data folder.
final class Sandbox {
    let root: URL
    /// The photo library.
    var library: String { root.appendingPathComponent("library").path }
    /// The data folder (never inside the library).
    let data: CavendishDataFolder

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cavendish-lib-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("library"), withIntermediateDirectories: true)
        data = CavendishDataFolder(path: root.appendingPathComponent("data").path)
    }

    deinit {
        _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", root.path]).waitUntilExit()
        try? FileManager.default.removeItem(at: root)
    }

    /// Writes `text` at `relative` inside the library, creating folders.
    func write(_ relative: String, _ text: String) throws {
        try write(relative, Data(text.utf8))
    }

    /// Writes `data` at `relative` inside the library, creating folders.
    func write(_ relative: String, _ data: Data) throws {
        let url = URL(fileURLWithPath: library).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// Writes a PNG photo: a seeded pattern, sharp (pixel noise) or soft (smooth gradient).
    func photo(_ relative: String, width: Int = 64, height: Int = 48, seed: UInt64 = 1, sharp: Bool = true) throws {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let noise = UInt8(truncatingIfNeeded: state >> 56)
                    let smooth = UInt8(min(255, x * 200 / max(1, width - 1) + c * 20 + Int(seed % 8)))
                    pixels[(y * width + x) * 3 + c] = sharp ? noise : smooth
                }
            }
        }
        try write(relative, try PNGImage(width: width, height: height, channels: 3, pixels: pixels).pngData())
    }

    /// Records consent and opens the library.
    func connect(counter: LibraryAccessCounter = LibraryAccessCounter()) throws -> PhotoLibrary {
        try ConsentRegistry(dataFolder: data).connect(LibraryLocation(path: library), method: "flag")
        return try PhotoLibrary(path: library, dataFolder: data, counter: counter)
    }

    /// Every file under `folder` with its bytes and modification time, for before/after comparisons.
    static func snapshot(_ folder: String) throws -> [String: (Data, Date)] {
        var out: [String: (Data, Date)] = [:]
        let walker = FileManager.default.enumerator(atPath: folder)!
        for case let item as String in walker {
            let path = folder + "/" + item
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if attributes[.type] as? FileAttributeType == .typeDirectory {
                out[item + "/"] = (Data(), attributes[.modificationDate] as! Date)
            } else {
                out[item] = (try Data(contentsOf: URL(fileURLWithPath: path)), attributes[.modificationDate] as! Date)
            }
        }
        return out
    }

    /// Every file under the data folder (relative paths).
    func derivedFiles() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: data.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: data.path + "/" + $0, isDirectory: &isFolder)
            return !isFolder.boolValue
        }.sorted()
    }
}

/// A labels.json body for `entries` (photo path to subjects as JSON text).
func labelsJSON(_ entries: [String: String]) -> String {
    "{\"version\": 1, \"photos\": {" + entries.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}}"
}

/// Runs `body` expecting a `LibraryError` equal to `expected`-like by predicate; returns the error.
@discardableResult
func expectLibraryError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void,
                        where check: (LibraryError) -> Bool = { _ in true }) -> LibraryError? {
    do {
        try body()
        Issue.record("expected a LibraryError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as LibraryError {
        #expect(check(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a LibraryError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
