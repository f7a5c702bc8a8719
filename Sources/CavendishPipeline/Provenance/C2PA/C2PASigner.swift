import Crypto
import Foundation

/// The user's signing credentials for C2PA manifests: an ECDSA P-256 private key and the certificate
/// chain that vouches for it (signer first, then intermediates), both PEM.
///
/// Only ES256 is offered: it is the algorithm C2PA tools default to, and its fixed 64-byte signatures
/// keep a manifest's size known before signing. Key and certificate are checked against each other
/// when loaded, so a mismatch is an error before any image is made rather than a manifest no one can verify.
public struct C2PASigner {
    private let key: P256.Signing.PrivateKey
    /// DER certificates, signer first.
    public let chain: [[UInt8]]

    /// Why credentials cannot be used.
    public struct CredentialError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads a PEM private key (PKCS#8 or SEC1) and a PEM certificate chain.
    public init(keyPath: String, chainPath: String) throws {
        func read(_ path: String, _ role: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw CredentialError(description: "\(role) \(path): cannot be read")
            }
            return text
        }
        try self.init(keyPEM: read(keyPath, "C2PA key"), chainPEM: read(chainPath, "C2PA certificate chain"))
    }

    /// Parses PEM text; throws when the key is not P-256 or does not belong to the first certificate.
    public init(keyPEM: String, chainPEM: String) throws {
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw CredentialError(description: "the C2PA key is not a PEM ECDSA P-256 private key (ES256 is the only algorithm offered): \(error)")
        }
        chain = Self.pemBlocks(chainPEM, label: "CERTIFICATE")
        guard let first = chain.first else { throw CredentialError(description: "the C2PA certificate chain holds no PEM CERTIFICATE block") }
        guard let spki = DER.subjectPublicKeyInfo(ofCertificate: first) else {
            throw CredentialError(description: "the first certificate of the C2PA chain is not a well-formed X.509 certificate")
        }
        guard spki == Array(key.publicKey.derRepresentation) else {
            throw CredentialError(description: "the C2PA key does not belong to the first certificate of the chain (the signer's certificate comes first)")
        }
    }

    /// An ES256 signature of `message`: r and s, 32 bytes each, as COSE wants them.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: message).rawRepresentation)
    }

    /// Checks an ES256 signature against the public key of a DER certificate.
    public static func verify(signature: [UInt8], of message: [UInt8], certificate: [UInt8]) -> Bool {
        guard let spki = DER.subjectPublicKeyInfo(ofCertificate: certificate),
              let publicKey = try? P256.Signing.PublicKey(derRepresentation: spki),
              let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
        return publicKey.isValidSignature(parsed, for: message)
    }

    /// The base64 payloads of the PEM blocks with this label, decoded, in order.
    static func pemBlocks(_ text: String, label: String) -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        var current: String?
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line == "-----BEGIN \(label)-----" {
                current = ""
            } else if line == "-----END \(label)-----", let body = current {
                if let der = Data(base64Encoded: body) { blocks.append(Array(der)) }
                current = nil
            } else if current != nil {
                current! += line
            }
        }
        return blocks
    }
}

/// Just enough DER (X.690) to find a certificate's public key and subject: a TLV walk, no ASN.1 schema.
enum DER {
    /// One element: its tag and the range of its contents within the parsed bytes.
    struct Element {
        let tag: UInt8
        let header: Range<Int>
        let contents: Range<Int>
        var whole: Range<Int> { header.lowerBound..<contents.upperBound }
    }

    /// The elements directly inside `range`; nil when the bytes are not well-formed DER.
    static func children(_ bytes: [UInt8], _ range: Range<Int>) -> [Element]? {
        var out: [Element] = []
        var at = range.lowerBound
        while at < range.upperBound {
            guard range.upperBound - at >= 2 else { return nil }
            let tag = bytes[at]
            var length = Int(bytes[at + 1])
            var start = at + 2
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard (1...4).contains(count), start + count <= range.upperBound else { return nil }
                length = bytes[start..<(start + count)].reduce(0) { $0 << 8 | Int($1) }
                start += count
            }
            guard length <= range.upperBound - start else { return nil }
            out.append(Element(tag: tag, header: at..<start, contents: start..<(start + length)))
            at = start + length
        }
        return out
    }

    /// The tbsCertificate's fields, after the optional explicit version.
    private static func certificateFields(_ certificate: [UInt8]) -> [Element]? {
        guard let outer = children(certificate, 0..<certificate.count), outer.count == 1, outer[0].tag == 0x30,
              let parts = children(certificate, outer[0].contents), let tbs = parts.first, tbs.tag == 0x30,
              var fields = children(certificate, tbs.contents) else { return nil }
        if fields.first?.tag == 0xA0 { fields.removeFirst() }
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
        return fields.count >= 6 ? fields : nil
    }

    /// The DER SubjectPublicKeyInfo of an X.509 certificate, the form `P256.Signing.PublicKey(derRepresentation:)` reads.
    static func subjectPublicKeyInfo(ofCertificate certificate: [UInt8]) -> [UInt8]? {
        guard let fields = certificateFields(certificate), fields[5].tag == 0x30 else { return nil }
        return Array(certificate[fields[5].whole])
    }

    /// The common name (OID 2.5.4.3) of a certificate's subject, or nil.
    static func subjectCommonName(ofCertificate certificate: [UInt8]) -> String? {
        guard let fields = certificateFields(certificate), let sets = children(certificate, fields[4].contents) else { return nil }
        let commonName: [UInt8] = [0x55, 0x04, 0x03]
        for set in sets {
            for attribute in children(certificate, set.contents) ?? [] {
                guard let pair = children(certificate, attribute.contents), pair.count == 2,
                      Array(certificate[pair[0].contents]) == commonName else { continue }
                return String(decoding: certificate[pair[1].contents], as: UTF8.self)
            }
        }
        return nil
    }
}
