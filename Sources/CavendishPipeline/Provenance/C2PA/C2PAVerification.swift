import CavendishIO
import Foundation

/// What a PNG's C2PA manifest says and whether it holds: the claim's signature, every assertion the
/// claim hashes, and the hard binding to the file's bytes.
///
/// The signer's certificate is not checked against a trust list here: that needs the trust anchors a
/// verifier chooses, which is what c2patool and c2pa-python do (`scripts/check_c2pa.py` uses the latter
/// with our test CA). `valid` means the file is unchanged since it was signed by the key of `signer`.
public struct C2PAVerification: Encodable, Sendable {
    /// The active manifest's label.
    public var manifest: String
    /// The claim generator's name and version.
    public var claimGenerator: String
    /// The first action and its digital source type.
    public var action: String?
    public var digitalSourceType: String?
    /// Cavendish's model assertion, when present.
    public var model: [String: String]?
    /// The signing certificate's common name.
    public var signer: String?
    public var signatureValid: Bool
    public var assertionsMatch: Bool
    public var dataHashMatches: Bool
    /// Everything that failed, in words.
    public var problems: [String]
    /// True when the signature, the assertions and the hard binding all hold.
    public var valid: Bool { problems.isEmpty }

    enum CodingKeys: String, CodingKey {
        case manifest, claimGenerator = "claim_generator", action, digitalSourceType = "digital_source_type", model, signer
        case signatureValid = "signature_valid", assertionsMatch = "assertions_match", dataHashMatches = "data_hash_matches", problems, valid
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(manifest, forKey: .manifest)
        try c.encode(claimGenerator, forKey: .claimGenerator)
        try c.encode(action, forKey: .action)
        try c.encode(digitalSourceType, forKey: .digitalSourceType)
        try c.encode(model, forKey: .model)
        try c.encode(signer, forKey: .signer)
        try c.encode(signatureValid, forKey: .signatureValid)
        try c.encode(assertionsMatch, forKey: .assertionsMatch)
        try c.encode(dataHashMatches, forKey: .dataHashMatches)
        try c.encode(problems, forKey: .problems)
        try c.encode(valid, forKey: .valid)
    }

    /// Reads and checks the manifest of a PNG; nil when it has none; throws when the manifest store is
    /// not well-formed.
    public static func check(png: Data) throws -> C2PAVerification? {
        guard let store = PNGChunks.chunk(ofType: "caBX", in: png) else { return nil }
        let fail = { (why: String) in C2PAManifest.Failure(description: "damaged C2PA manifest: \(why)") }
        let boxes: [JUMBFBox]
        do { boxes = try JUMBFBox.parse(ArraySlice(store.body)) } catch { throw fail("\(error)") }
        guard let root = boxes.first, root.label == "c2pa", root.contentType == JUMBFBox.c2paType("c2pa"),
              let active = root.children.last(where: { $0.type == "jumb" }), active.contentType == JUMBFBox.c2paType("c2ma"),
              let label = active.label else { throw fail("no manifest in the store") }
        guard let claimBox = active.child(labelled: "c2pa.claim.v2") ?? active.child(labelled: "c2pa.claim"),
              claimBox.contentType == JUMBFBox.c2paType("c2cl"), let claimBytes = claimBox.content(ofType: "cbor"),
              let signatureBox = active.child(labelled: "c2pa.signature"), signatureBox.contentType == JUMBFBox.c2paType("c2cs"),
              let signatureBytes = signatureBox.content(ofType: "cbor") else { throw fail("no claim or no signature") }
        let claim: CBOR, cose: CBOR
        do { (claim, cose) = (try CBOR.decode(claimBytes), try CBOR.decode(signatureBytes)) } catch { throw fail("\(error)") }
        var problems: [String] = []
        // The signature and assertions are found by label; the signed claim must name this very manifest.
        if claim["signature"]?.string != "self#jumbf=/c2pa/\(label)/c2pa.signature" {
            problems.append("the claim's signature reference does not name this manifest's signature")
        }

        // The claim's signature.
        var signatureValid = false, signer: String?
        if case .tagged(18, .array(let parts)) = cose, parts.count == 4, let protectedBytes = parts[0].byteString,
           let signature = parts[3].byteString, let protected = try? CBOR.decode(protectedBytes) {
            let chain = protected[.int(33)].flatMap { $0.byteString.map { [$0] } ?? $0.items?.compactMap(\.byteString) } ?? []
            if protected[.int(1)] != .int(-7) {
                problems.append("the signature's algorithm is not ES256, the only one checked here")
            } else if let certificate = chain.first {
                signer = DER.subjectCommonName(ofCertificate: certificate)
                let toBeSigned = CBOR.array([.text("Signature1"), .bytes(protectedBytes), .bytes([]), .bytes(claimBytes)]).encoded
                signatureValid = C2PASigner.verify(signature: signature, of: toBeSigned, certificate: certificate)
                if !signatureValid { problems.append("the claim's signature does not verify against the signer's certificate") }
            } else {
                problems.append("the signature carries no certificate")
            }
        } else {
            problems.append("the signature is not a COSE_Sign1 structure")
        }

        // Every assertion the claim hashes.
        let assertionStore = active.child(labelled: "c2pa.assertions").flatMap { $0.contentType == JUMBFBox.c2paType("c2as") ? $0 : nil }
        let references = ["created_assertions", "gathered_assertions", "assertions"].flatMap { claim[$0]?.items ?? [] }
        var assertionsMatch = !references.isEmpty
        var assertions: [String: CBOR] = [:]
        for reference in references {
            guard let url = reference["url"]?.string, let hash = reference["hash"]?.byteString,
                  let name = url.split(whereSeparator: { $0 == "/" || $0 == "=" }).last.map(String.init),
                  let box = assertionStore?.child(labelled: name) else {
                assertionsMatch = false
                problems.append("an assertion the claim names is missing")
                continue
            }
            if SHA256.digest(Data(box.body)) != hash {
                assertionsMatch = false
                problems.append("assertion \(name) does not match its hash in the claim")
            }
            if let payload = box.content(ofType: "cbor"), let value = try? CBOR.decode(payload) { assertions[box.label ?? name] = value }
        }
        if references.isEmpty { problems.append("the claim names no assertions") }

        // The hard binding: the file's bytes outside the exclusions.
        var dataHashMatches = false
        if let binding = assertions["c2pa.hash.data"], let expected = binding["hash"]?.byteString {
            let bytes = [UInt8](png)
            var kept = [UInt8]()
            var at = 0
            for exclusion in binding["exclusions"]?.items ?? [] {
                guard let start = exclusion["start"]?.integer, let length = exclusion["length"]?.integer,
                      start >= at, length >= 0, start <= bytes.count - length else { kept = []; at = -1; break }
                kept += bytes[at..<start]
                at = start + length
            }
            if at >= 0 {
                kept += bytes[at...]
                dataHashMatches = SHA256.digest(Data(kept)) == expected
            }
            if !dataHashMatches { problems.append("the image's bytes changed since it was signed (c2pa.hash.data does not match)") }
        } else {
            problems.append("no hard binding (c2pa.hash.data) to the file's bytes")
        }

        let generator = claim["claim_generator_info"].map { info in
            [info["name"]?.string, info["version"]?.string].compactMap { $0 }.joined(separator: " ")
        } ?? claim["claim_generator"]?.string ?? ""
        let firstAction = (assertions["c2pa.actions.v2"] ?? assertions["c2pa.actions"])?["actions"]?.items?.first
        var model: [String: String]?
        if case .map(let entries)? = assertions[C2PAManifest.modelAssertionLabel] {
            model = Dictionary(entries.compactMap { key, value in key.string.flatMap { k in value.string.map { (k, $0) } } }) { a, _ in a }
        }
        return C2PAVerification(manifest: label, claimGenerator: generator, action: firstAction?["action"]?.string,
                                digitalSourceType: firstAction?["digitalSourceType"]?.string, model: model, signer: signer,
                                signatureValid: signatureValid, assertionsMatch: assertionsMatch, dataHashMatches: dataHashMatches,
                                problems: problems)
    }
}
