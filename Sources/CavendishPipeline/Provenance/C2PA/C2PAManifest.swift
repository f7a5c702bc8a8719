import CavendishIO
import Foundation

/// A C2PA manifest (C2PA 2.1, claim v2) embedded in a PNG: who made the image, that it was made by a
/// trained model, and which model, signed with the user's key.
///
/// The manifest store goes in a `caBX` chunk right after IHDR, the place C2PA's PNG binding names. The
/// hard binding (`c2pa.hash.data`) hashes the whole file except that chunk, so it is the SHA-256 of the
/// PNG as it was before signing. Because every other size is fixed (SHA-256 hashes, 64-byte ES256
/// signatures), only the exclusion's length can change the manifest's size, and a few rounds settle it.
public struct C2PAManifest: Sendable {
    /// The claim generator: the software that made the claim.
    public var generatorName: String
    public var generatorVersion: String
    /// Entries of the `org.cavendish.model` assertion: the model and its weights' SHA-256.
    public var model: [(String, String)]

    /// IPTC's digital source type for media made by a trained model.
    public static let trainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    /// The label of Cavendish's own assertion.
    public static let modelAssertionLabel = "org.cavendish.model"

    public init(generatorName: String, generatorVersion: String, model: [(String, String)]) {
        self.generatorName = generatorName
        self.generatorVersion = generatorVersion
        self.model = model
    }

    /// Why a PNG cannot be signed or its manifest read.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `png` with the signed manifest store embedded, and the manifest's label.
    public func embed(into png: Data, signer: C2PASigner) throws -> (png: Data, label: String) {
        let bytes = [UInt8](png)
        guard bytes.count >= 33, Array(bytes[0..<8]) == PNGChunks.signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else {
            throw Failure(description: "not a PNG that starts with its IHDR chunk")
        }
        guard PNGChunks.chunk(ofType: "caBX", in: png) == nil else { throw Failure(description: "the PNG already holds a C2PA manifest") }
        let insertAt = 33
        let dataHash = SHA256.digest(png)
        let label = "urn:c2pa:\(UUID().uuidString.lowercased())"
        let instanceID = "xmp:iid:\(UUID().uuidString.lowercased())"
        var exclusionLength = 0
        for _ in 0..<8 {
            let store = try self.store(label: label, instanceID: instanceID, dataHash: dataHash, exclusion: (insertAt, exclusionLength), signer: signer)
            let chunkLength = store.count + 12
            if chunkLength == exclusionLength {
                return (try PNGChunks.inserting(chunk: "caBX", body: Data(store), at: insertAt, into: png), label)
            }
            exclusionLength = chunkLength
        }
        throw Failure(description: "the manifest's size did not settle")
    }

    /// The manifest store's JUMBF bytes: one manifest holding the assertions, the claim and its signature.
    private func store(label: String, instanceID: String, dataHash: [UInt8], exclusion: (start: Int, length: Int), signer: C2PASigner) throws -> [UInt8] {
        let actions = CBOR.textMap([
            "actions": .array([.textMap([
                "action": .text("c2pa.created"),
                "digitalSourceType": .text(Self.trainedAlgorithmicMedia),
                "softwareAgent": .textMap(["name": .text(generatorName), "version": .text(generatorVersion)]),
            ])]),
        ])
        let modelAssertion = CBOR.map(model.map { (.text($0.0), .text($0.1)) })
        let hashData = CBOR.textMap([
            "exclusions": .array([.textMap(["start": .int(exclusion.start), "length": .int(exclusion.length)])]),
            "name": .text("jumbf manifest"),
            "alg": .text("sha256"),
            "hash": .bytes(dataHash),
            "pad": .bytes([]),
        ])
        let assertions = [("c2pa.actions.v2", actions), (Self.modelAssertionLabel, modelAssertion), ("c2pa.hash.data", hashData)].map { name, value in
            JUMBFBox(type: "jumb", payload: [], contentType: JUMBFBox.c2paType("cbor"), label: name, children: [.content("cbor", value.encoded)])
        }
        let claim = CBOR.textMap([
            "instanceID": .text(instanceID),
            "claim_generator_info": .textMap(["name": .text(generatorName), "version": .text(generatorVersion)]),
            "signature": .text("self#jumbf=/c2pa/\(label)/c2pa.signature"),
            "created_assertions": .array(assertions.map { box in
                .textMap(["url": .text("self#jumbf=c2pa.assertions/\(box.label!)"), "hash": .bytes(SHA256.digest(Data(box.body)))])
            }),
            "alg": .text("sha256"),
        ]).encoded
        let signature = try Self.coseSign1(claim, signer: signer)
        let manifest = JUMBFBox.superbox("c2ma", label: label, [
            .superbox("c2as", label: "c2pa.assertions", assertions),
            .superbox("c2cl", label: "c2pa.claim.v2", [.content("cbor", claim)]),
            .superbox("c2cs", label: "c2pa.signature", [.content("cbor", signature)]),
        ])
        return JUMBFBox.superbox("c2pa", label: "c2pa", [manifest]).encoded
    }

    /// COSE_Sign1 (RFC 9052) with a detached payload, the claim: protected header ES256 and the chain.
    private static func coseSign1(_ claim: [UInt8], signer: C2PASigner) throws -> [UInt8] {
        let chain: CBOR = signer.chain.count == 1 ? .bytes(signer.chain[0]) : .array(signer.chain.map { .bytes($0) })
        let protected = CBOR.map([(.int(1), .int(-7)), (.int(33), chain)]).encoded
        let toBeSigned = CBOR.array([.text("Signature1"), .bytes(protected), .bytes([]), .bytes(claim)]).encoded
        let signature = try signer.sign(toBeSigned)
        return CBOR.tagged(18, .array([.bytes(protected), .map([]), .null, .bytes(signature)])).encoded
    }
}
