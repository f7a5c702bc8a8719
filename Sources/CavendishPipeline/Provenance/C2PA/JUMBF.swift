import Foundation

/// A JUMBF box (ISO/IEC 19566-5), the container C2PA stores its manifests in: a superbox (`jumb`)
/// opens with a description box (`jumd`: content type UUID, toggles, label) followed by its content
/// boxes, each a big-endian 32-bit length, a 4-character type and the payload.
public struct JUMBFBox: Sendable {
    /// The box's 4-character type: `jumb` for a superbox, `cbor`, `json`, `bidb` ... for content.
    public var type: String
    /// A content box's payload; for a superbox read from a file, its body as read (what C2PA hashes, kept
    /// byte for byte because other writers set other toggles, such as a salt), empty for one built here.
    public var payload: [UInt8]
    /// A superbox's description: content type and label.
    public var contentType: [UInt8]?
    public var label: String?
    /// A superbox's children after its description box.
    public var children: [JUMBFBox]

    /// The C2PA content type UUIDs: four characters followed by C2PA's common suffix.
    public static func c2paType(_ fourCharacters: String) -> [UInt8] {
        Array(fourCharacters.utf8) + [0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
    }

    /// A superbox of the given content type and label.
    public static func superbox(_ type: String, label: String, _ children: [JUMBFBox]) -> JUMBFBox {
        JUMBFBox(type: "jumb", payload: [], contentType: c2paType(type), label: label, children: children)
    }

    /// A content box.
    public static func content(_ type: String, _ payload: [UInt8]) -> JUMBFBox {
        JUMBFBox(type: type, payload: payload, contentType: nil, label: nil, children: [])
    }

    /// The box's bytes, header included.
    public var encoded: [UInt8] {
        Self.box(type, body)
    }

    /// The bytes after the box's 8-byte header; C2PA hashes a superbox's assertion through these.
    public var body: [UInt8] {
        guard type == "jumb", payload.isEmpty, let contentType, let label else { return payload }
        // Toggles 0x03: requestable, and a label follows.
        let description = Self.box("jumd", contentType + [0x03] + Array(label.utf8) + [0])
        return description + children.flatMap(\.encoded)
    }

    private static func box(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let length = UInt32(8 + body.count)
        return withUnsafeBytes(of: length.bigEndian, Array.init) + Array(type.utf8) + body
    }

    /// The child superbox with this label.
    public func child(labelled label: String) -> JUMBFBox? {
        children.first { $0.label == label }
    }

    /// The first content box of this type.
    public func content(ofType type: String) -> [UInt8]? {
        children.first { $0.type == type }?.payload
    }

    // MARK: Reading

    /// Why bytes are not well-formed JUMBF.
    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses consecutive boxes; superboxes are opened to a depth of 16.
    public static func parse(_ bytes: ArraySlice<UInt8>, depth: Int = 0) throws -> [JUMBFBox] {
        guard depth < 16 else { throw ParseError(description: "JUMBF nested deeper than 16") }
        var boxes: [JUMBFBox] = []
        var at = bytes.startIndex
        while at < bytes.endIndex {
            guard bytes.endIndex - at >= 8 else { throw ParseError(description: "a JUMBF box header is cut short") }
            let length = bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length >= 8, length <= bytes.endIndex - at else { throw ParseError(description: "a JUMBF box declares \(length) bytes, more than remain") }
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            let body = bytes[(at + 8)..<(at + length)]
            if type == "jumb" {
                var children = try parse(body, depth: depth + 1)
                guard let description = children.first, description.type == "jumd", description.payload.count >= 17 else {
                    throw ParseError(description: "a JUMBF superbox does not start with its description box")
                }
                children.removeFirst()
                let d = description.payload
                var label: String?
                if d[16] & 0x02 != 0, let end = d[17...].firstIndex(of: 0) {
                    label = String(decoding: d[17..<end], as: UTF8.self)
                }
                boxes.append(JUMBFBox(type: type, payload: Array(body), contentType: Array(d[0..<16]), label: label, children: children))
            } else {
                boxes.append(.content(type, Array(body)))
            }
            at += length
        }
        return boxes
    }
}
