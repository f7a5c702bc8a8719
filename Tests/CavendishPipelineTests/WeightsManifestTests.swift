import CavendishIO
import CavendishPipeline
import Foundation
import Testing

/// Which weights folder is used, and how the manifest's digests are checked.
struct WeightsManifestTests {
    static func folder(manifest: String?, files: [String: Data] = [:]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cavendish-weights-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let manifest { try Data(manifest.utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json")) }
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: dir + "/" + name)) }
        return dir
    }

    /// `--weights DIR` without a manifest is an error, never a silent switch to another folder.
    @Test func explicitFolderWithoutManifestIsRefusedEvenWhenAFallbackHasOne() throws {
        let empty = try Self.folder(manifest: nil), good = try Self.folder(manifest: #"{"files": []}"#)
        defer { for d in [empty, good] { try? FileManager.default.removeItem(atPath: d) } }
        #expect(throws: IOError.self) { try WeightsManifest.folder(explicit: empty, fallbacks: [good]) }
        #expect(try WeightsManifest.folder(explicit: nil, fallbacks: [empty, good]) == good)
        #expect(try WeightsManifest.folder(explicit: good, fallbacks: []) == good)
    }

    /// An upper-case SHA-256 names the same file (the digest of "abc" is FIPS 180-2's example).
    @Test func upperCaseDigestVerifies() throws {
        let sha = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
        let dir = try Self.folder(manifest: #"{"files": [{"file": "a.bin", "sha256": "\#(sha)"}]}"#, files: ["a.bin": Data("abc".utf8)])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try WeightsManifest(directory: dir).verified("a.bin") == dir + "/a.bin")
    }
}

/// The text encoder's files (fetched, not committed) are checked against the manifest like the weights,
/// and a FIFO in a file's place is refused instead of hanging the hash.
struct TextEncoderCheckTests {
    @Test func aCorruptVocabularyOrAFIFOIsRefused() throws {
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"   // SHA-256("abc")
        let manifest = #"{"files": [], "text_encoder": {"files_sha256": {"vocab.txt": "\#(sha)"}}}"#
        let dir = try WeightsManifestTests.folder(manifest: manifest, files: ["vocab.txt": Data("abc".utf8)])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = try WeightsManifest(directory: dir)
        try m.verifyTextEncoder(in: dir)
        try Data("abd".utf8).write(to: URL(fileURLWithPath: dir + "/vocab.txt"))
        #expect(throws: IOError.self) { try m.verifyTextEncoder(in: dir) }
        try FileManager.default.removeItem(atPath: dir + "/vocab.txt")
        #expect(mkfifo(dir + "/vocab.txt", 0o600) == 0)
        #expect(throws: IOError.self) { try m.verifyTextEncoder(in: dir) }
    }
}
