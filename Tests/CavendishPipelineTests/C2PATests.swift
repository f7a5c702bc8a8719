import CavendishIO
@testable import CavendishPipeline
import Foundation
import Testing

/// The C2PA writer and checker. c2pa-python, an independent implementation, verifies our manifests in
/// `scripts/check_c2pa.py`; here: CBOR against RFC 8949's own examples, our checker on a manifest c2pa-rs
/// wrote (`Tests/Fixtures/c2pa/signed-by-c2pa-rs.png`), and that each kind of tampering is caught.
struct C2PATests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/c2pa")
    static func fixture(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func signer() throws -> C2PASigner {
        try C2PASigner(keyPath: fixture("signer-key.pem"), chainPath: fixture("signer-chain.pem"))
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// RFC 8949, Appendix A: items and their encodings.
    static let rfc8949: [(CBOR, String)] = [
        (.int(0), "00"), (.int(23), "17"), (.int(24), "1818"), (.int(100), "1864"), (.int(1000), "1903e8"),
        (.int(1_000_000), "1a000f4240"), (.int(1_000_000_000_000), "1b000000e8d4a51000"),
        (.unsigned(18_446_744_073_709_551_615), "1bffffffffffffffff"),
        (.int(-1), "20"), (.int(-10), "29"), (.int(-100), "3863"), (.int(-1000), "3903e7"),
        (.double(1.1), "fb3ff199999999999a"), (.bool(false), "f4"), (.bool(true), "f5"), (.null, "f6"),
        (.tagged(1, .int(1_363_896_240)), "c11a514b67b0"),
        (.bytes([]), "40"), (.bytes([1, 2, 3, 4]), "4401020304"), (.text(""), "60"), (.text("IETF"), "6449455446"),
        (.text("\u{00fc}"), "62c3bc"), (.text("\u{6c34}"), "63e6b0b4"),
        (.array([]), "80"), (.array([.int(1), .array([.int(2), .int(3)]), .array([.int(4), .int(5)])]), "8301820203820405"),
        (.map([]), "a0"), (.map([(.int(1), .int(2)), (.int(3), .int(4))]), "a201020304"),
        (.textMap(["a": .int(1), "b": .array([.int(2), .int(3)])]), "a26161016162820203"),
    ]

    @Test func cborMatchesTheRFCsExamples() throws {
        for (item, expected) in Self.rfc8949 {
            #expect(Self.hex(item.encoded) == expected, "\(item)")
            #expect(try CBOR.decode(item.encoded) == item)
        }
    }

    @Test func hostileCBORIsAnError() {
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode([UInt8](repeating: 0x81, count: 100) + [0]) }
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode([0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode([0x9B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode([0x9F]) }
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode([0x00, 0x00]) }
    }

    static func plainPNG() throws -> Data {
        let pixels = (0..<(48 * 32 * 3)).map { UInt8(($0 * 7) % 251) }
        return try PNGImage(width: 48, height: 32, channels: 3, pixels: pixels, text: ["Software": "test"]).pngData()
    }

    static func sign(_ png: Data) throws -> (Data, String) {
        try C2PAManifest(generatorName: "cavendish", generatorVersion: "test", model: [("model", "NB-mini v2"), ("denoiser_sha256", "ab")])
            .embed(into: png, signer: signer())
    }

    @Test func aSignedPNGChecksOutAndStillDecodes() throws {
        let plain = try Self.plainPNG()
        let (signed, label) = try Self.sign(plain)
        let check = try #require(try C2PAVerification.check(png: signed))
        #expect(check.valid, "\(check.problems)")
        #expect(check.manifest == label && check.signer == "Cavendish test signer" && check.claimGenerator == "cavendish test")
        #expect(check.action == "c2pa.created" && check.digitalSourceType == C2PAManifest.trainedAlgorithmicMedia)
        #expect(check.model?["denoiser_sha256"] == "ab")
        // The hard binding excludes exactly the manifest's chunk, so it is the hash of the unsigned file.
        let chunk = try #require(PNGChunks.chunk(ofType: "caBX", in: signed))
        #expect(chunk.offset == 33 && signed.count == plain.count + chunk.length)
        #expect(try PNGImage(pngData: signed).pixels == PNGImage(pngData: plain).pixels)
        #expect(throws: C2PAManifest.Failure.self) { try Self.sign(signed) }
        #expect(try C2PAVerification.check(png: plain) == nil)
    }

    @Test func readsTheManifestC2paRsWrote() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("signed-by-c2pa-rs.png")))
        let check = try #require(try C2PAVerification.check(png: data))
        #expect(check.valid, "\(check.problems)")
        #expect(check.claimGenerator.hasPrefix("c2pa-python") && check.digitalSourceType == C2PAManifest.trainedAlgorithmicMedia)
    }

    /// Flips one byte of `data` at `offset` and, when it falls inside a chunk, mends that chunk's CRC,
    /// so that only C2PA's own checks can notice.
    static func flip(_ data: Data, at offset: Int) -> Data {
        var bytes = [UInt8](data)
        bytes[offset] ^= 0x01
        var at = 8
        while at + 12 <= bytes.count {
            let length = bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            if offset >= at + 4 && offset < at + 8 + length {
                let crc = PNGChunks.crc32(bytes[(at + 4)..<(at + 8 + length)])
                for i in 0..<4 { bytes[at + 8 + length + i] = UInt8((crc >> (24 - 8 * UInt32(i))) & 0xFF) }
            }
            at += 12 + length
        }
        return Data(bytes)
    }

    @Test func eachKindOfTamperingIsCaught() throws {
        let (signed, _) = try Self.sign(try Self.plainPNG())
        let chunk = try #require(PNGChunks.chunk(ofType: "caBX", in: signed))
        let store = chunk.body
        func find(_ text: String) -> Int {
            let needle = Array(text.utf8)
            return chunk.offset + 8 + (0...(store.count - needle.count)).first { Array(store[$0..<($0 + needle.count)]) == needle }!
        }
        // A pixel byte (in IDAT, after the manifest and the text chunks).
        let pixel = try #require(try C2PAVerification.check(png: Self.flip(signed, at: signed.count - 30)))
        #expect(!pixel.dataHashMatches && !pixel.valid && pixel.signatureValid && pixel.assertionsMatch)
        // An assertion's content: the model's name.
        let assertion = try #require(try C2PAVerification.check(png: Self.flip(signed, at: find("NB-mini v2"))))
        #expect(!assertion.assertionsMatch && !assertion.valid && assertion.signatureValid)
        // The claim: its generator's name.
        let claim = try #require(try C2PAVerification.check(png: Self.flip(signed, at: find("xmp:iid"))))
        #expect(!claim.signatureValid && !claim.valid)
    }

    @Test func damagedManifestsAreErrorsNotCrashes() throws {
        let (signed, _) = try Self.sign(try Self.plainPNG())
        let chunk = try #require(PNGChunks.chunk(ofType: "caBX", in: signed))
        var state: UInt64 = 0x5EED
        for trial in 0..<300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let offset = chunk.offset + 8 + Int((state >> 33) % UInt64(chunk.length - 12))
            var damaged = Self.flip(signed, at: offset)
            if trial % 3 == 0 {  // also cut the store short, its length and CRC mended
                var body = [UInt8](PNGChunks.chunk(ofType: "caBX", in: damaged)!.body)
                body.removeLast(Int(state % 200) + 1)
                damaged = try PNGChunks.inserting(chunk: "caBX", body: Data(body), at: 33,
                                                  into: damaged.prefix(33) + damaged.suffix(from: 33 + chunk.length))
            }
            // The one byte nothing protects: a description box's "requestable" toggle (0x03 to 0x02).
            if let check = try? C2PAVerification.check(png: damaged), check.valid { #expect(trial % 3 != 0 && signed[offset] == 0x03, "byte \(offset)") }
        }
    }

    @Test func credentialsThatDoNotFitAreRefused() throws {
        let key = try String(contentsOfFile: Self.fixture("signer-key.pem"), encoding: .utf8)
        let ca = try String(contentsOfFile: Self.fixture("ca.pem"), encoding: .utf8)
        #expect(throws: C2PASigner.CredentialError.self) { try C2PASigner(keyPEM: key, chainPEM: ca) }
        #expect(throws: C2PASigner.CredentialError.self) { try C2PASigner(keyPEM: key, chainPEM: "") }
        #expect(throws: C2PASigner.CredentialError.self) { try C2PASigner(keyPEM: ca, chainPEM: key) }
    }
}
