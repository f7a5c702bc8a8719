import CavendishIO
import Foundation

/// `Weights/manifest.json`: every exported file with its SHA-256, checked before a file is used.
public struct WeightsManifest: Sendable {
    /// SHA-256 by file name.
    public let digests: [String: String]
    /// SHA-256 of the text encoder's files (`model.safetensors`, `vocab.txt`), which are fetched, not committed.
    public let textEncoderDigests: [String: String]
    /// The folder the manifest is in.
    public let directory: String

    /// Reads the manifest in `directory`.
    public init(directory: String) throws {
        let path = directory + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IOError(path: path, "is missing; the weights folder must hold the manifest written by Weights/recipe/export.py")
        }
        guard let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let files = doc["files"] as? [[String: Any]] else {
            throw IOError(path: path, "is not a weights manifest (no \"files\" list)")
        }
        var digests: [String: String] = [:]
        // Hex digests compare case-insensitively: an upper-case SHA-256 names the same file.
        for f in files { if let name = f["file"] as? String, let sha = f["sha256"] as? String { digests[name] = sha.lowercased() } }
        if let atlas = doc["glyph_atlas"] as? [String: Any], let name = atlas["file"] as? String, let sha = atlas["sha256"] as? String {
            digests[name] = sha.lowercased()
        }
        self.digests = digests
        let encoder = (doc["text_encoder"] as? [String: Any])?["files_sha256"] as? [String: String] ?? [:]
        textEncoderDigests = encoder.mapValues { $0.lowercased() }
        self.directory = directory
    }

    /// The weights folder to use: `explicit` (a `--weights` option or `$CAVENDISH_WEIGHTS`) when given,
    /// which must hold a manifest (never silently another folder), else the first of `fallbacks` that does.
    public static func folder(explicit: String?, fallbacks: [String]) throws -> String {
        let hasManifest = { (folder: String) in FileManager.default.fileExists(atPath: folder + "/manifest.json") }
        if let explicit {
            guard hasManifest(explicit) else {
                throw IOError(path: explicit, "has no manifest.json: not an NB-mini weights folder (Weights/ of a checkout is one)")
            }
            return explicit
        }
        guard let found = fallbacks.first(where: hasManifest) else {
            throw IOError(path: fallbacks.first ?? "Weights", "no NB-mini weights found (looked in \(fallbacks.joined(separator: ", "))); pass --weights DIR")
        }
        return found
    }

    /// The path of `file` after checking its SHA-256 against the manifest.
    public func verified(_ file: String) throws -> String {
        let path = directory + "/" + file
        guard let want = digests[file] else { throw IOError(path: path, "is not listed in manifest.json") }
        try Self.check(path, against: want, fix: "restore it (git checkout) or re-export")
        return path
    }

    /// Checks the text encoder's files in `folder` against the manifest's `text_encoder.files_sha256`.
    public func verifyTextEncoder(in folder: String) throws {
        guard !textEncoderDigests.isEmpty else { throw IOError(path: directory + "/manifest.json", "lists no text_encoder.files_sha256") }
        for (file, want) in textEncoderDigests.sorted(by: { $0.key < $1.key }) {
            try Self.check(folder + "/" + file, against: want, fix: "fetch it again with scripts/fetch-text-encoder.sh")
        }
    }

    /// Throws unless `path` is a regular file (a FIFO or a device would hang the hash) whose SHA-256 is `want`.
    static func check(_ path: String, against want: String, fix: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw IOError(path: path, "is missing (listed in manifest.json); \(fix)") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw IOError(path: path, "is not a regular file; \(fix)") }
        let got = try SHA256.hex(ofFile: path)
        guard got == want else {
            throw IOError(path: path, "SHA-256 is \(got) but manifest.json says \(want): the file is corrupt or from another export; \(fix)")
        }
    }
}
