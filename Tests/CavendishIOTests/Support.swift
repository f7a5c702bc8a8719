import CavendishCore
import CavendishIO
import Foundation
import Testing

/// Locating fixtures and scratch space for the IO tests.
enum Fixture {
    /// Tests/Fixtures/io, found from this source file so tests run from any working directory.
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("io")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    /// The JSON sidecar the fixture script wrote beside a fixture.
    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

/// A fresh folder per test, removed when the test's value is dropped.
final class ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cavendish-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to a file in this folder and returns its path.
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Names of the files in this folder (to check no temporary files are left behind).
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body`, expecting an `IOError` about `path` whose message contains every one of `phrases`.
func expectIOError(path: String, _ phrases: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an IOError about \(path), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as IOError {
        #expect(error.path == path, "error names \(error.path)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix(path + ": "), sourceLocation: sourceLocation)
        for phrase in phrases {
            #expect(error.problem.contains(phrase), "\"\(error.problem)\" lacks \"\(phrase)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected an IOError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}

/// The expected values recorded by the fixture script, as doubles.
func recordedValues(_ entry: Any?) throws -> (dtype: String, shape: [Int], values: [Double]) {
    let dict = try #require(entry as? [String: Any])
    let dtype = try #require(dict["dtype"] as? String)
    let shape = try #require(dict["shape"] as? [Int])
    // Stored as decimal strings: Double(String) rounds correctly, JSON number parsing may not.
    let values = try #require(dict["values"] as? [String]).map { try #require(Double($0)) }
    return (dtype, shape, values)
}
