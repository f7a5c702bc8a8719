import Foundation

/// A CBOR data item (RFC 8949), the encoding of C2PA claims, assertions and COSE signatures.
///
/// Only what C2PA uses: definite lengths, integers, byte and text strings, arrays, maps with text or
/// integer keys in the order given (C2PA does not ask for canonical ordering; keeping the writer's order
/// makes our bytes reproducible), tags, booleans, null and doubles.
public indirect enum CBOR: Equatable, Sendable {
    case unsigned(UInt64)
    /// The integer -1 - n.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([(CBOR, CBOR)])
    case tagged(UInt64, CBOR)
    case bool(Bool)
    case null
    case double(Double)

    /// An integer of either sign.
    public static func int(_ value: Int) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }

    /// A map with text keys, in the order given.
    public static func textMap(_ entries: KeyValuePairs<String, CBOR>) -> CBOR {
        .map(entries.map { (.text($0.key), $0.value) })
    }

    public static func == (a: CBOR, b: CBOR) -> Bool {
        switch (a, b) {
        case let (.unsigned(x), .unsigned(y)), let (.negative(x), .negative(y)): return x == y
        case let (.bytes(x), .bytes(y)): return x == y
        case let (.text(x), .text(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.map(x), .map(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.tagged(t, x), .tagged(u, y)): return t == u && x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        case let (.double(x), .double(y)): return x.bitPattern == y.bitPattern
        default: return false
        }
    }

    /// The value under a text key of a map, nil for a missing key or a non-map.
    public subscript(key: String) -> CBOR? {
        self[.text(key)]
    }

    /// The value under a key of a map, nil for a missing key or a non-map.
    public subscript(key: CBOR) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.0 == key }?.1
    }

    /// The string of a text item.
    public var string: String? { if case .text(let s) = self { return s } else { return nil } }
    /// The bytes of a byte string.
    public var byteString: [UInt8]? { if case .bytes(let b) = self { return b } else { return nil } }
    /// The items of an array.
    public var items: [CBOR]? { if case .array(let a) = self { return a } else { return nil } }
    /// The value of a non-negative integer that fits an Int.
    public var integer: Int? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n): return n < UInt64(Int.max) ? -Int(n) - 1 : nil
        default: return nil
        }
    }

    // MARK: Encoding

    /// The item's encoding.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    private func encode(into out: inout [UInt8]) {
        switch self {
        case .unsigned(let n): Self.head(0, n, &out)
        case .negative(let n): Self.head(1, n, &out)
        case .bytes(let b): Self.head(2, UInt64(b.count), &out); out += b
        case .text(let s): let b = Array(s.utf8); Self.head(3, UInt64(b.count), &out); out += b
        case .array(let items): Self.head(4, UInt64(items.count), &out); for item in items { item.encode(into: &out) }
        case .map(let entries):
            Self.head(5, UInt64(entries.count), &out)
            for (key, value) in entries { key.encode(into: &out); value.encode(into: &out) }
        case .tagged(let tag, let item): Self.head(6, tag, &out); item.encode(into: &out)
        case .bool(let b): out.append(b ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        case .double(let d):
            out.append(0xFB)
            withUnsafeBytes(of: d.bitPattern.bigEndian) { out += $0 }
        }
    }

    private static func head(_ major: UInt8, _ value: UInt64, _ out: inout [UInt8]) {
        let m = major << 5
        switch value {
        case 0..<24: out.append(m | UInt8(value))
        case 24..<0x100: out += [m | 24, UInt8(value)]
        case 0x100..<0x1_0000: out += [m | 25, UInt8(value >> 8), UInt8(value & 0xFF)]
        case 0x1_0000..<0x1_0000_0000: out.append(m | 26); for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
        default: out.append(m | 27); for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
        }
    }

    // MARK: Decoding

    /// Why bytes are not one well-formed CBOR item.
    public struct DecodingError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Decodes exactly one item from `bytes`; trailing bytes, indefinite lengths and nesting deeper than 64
    /// are errors (a hostile file cannot recurse us off the stack).
    public static func decode(_ bytes: [UInt8]) throws -> CBOR {
        var reader = Reader(bytes: bytes)
        let item = try reader.item(depth: 0)
        guard reader.at == bytes.count else { throw DecodingError(description: "\(bytes.count - reader.at) bytes after the CBOR item") }
        return item
    }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0

        mutating func byte() throws -> UInt8 {
            guard at < bytes.count else { throw DecodingError(description: "CBOR ends early at byte \(at)") }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func take(_ count: UInt64) throws -> [UInt8] {
            guard count <= UInt64(bytes.count - at) else { throw DecodingError(description: "a CBOR string of \(count) bytes runs past the end") }
            defer { at += Int(count) }
            return Array(bytes[at..<(at + Int(count))])
        }

        mutating func argument(_ info: UInt8) throws -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24...27:
                var value: UInt64 = 0
                for _ in 0..<(1 << (info - 24)) { value = value << 8 | UInt64(try byte()) }
                return value
            default: throw DecodingError(description: "CBOR additional information \(info) (indefinite or reserved) at byte \(at - 1)")
            }
        }

        mutating func item(depth: Int) throws -> CBOR {
            guard depth < 64 else { throw DecodingError(description: "CBOR nested deeper than 64") }
            let initial = try byte()
            let major = initial >> 5, info = initial & 0x1F
            if major == 7 {
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                case 27: return .double(Double(bitPattern: try argument(27)))
                case 26: return .double(Double(Float(bitPattern: UInt32(try argument(26)))))
                default: throw DecodingError(description: "unsupported CBOR simple value \(info)")
                }
            }
            let value = try argument(info)
            switch major {
            case 0: return .unsigned(value)
            case 1: return .negative(value)
            case 2: return .bytes(try take(value))
            case 3:
                guard let s = String(bytes: try take(value), encoding: .utf8) else { throw DecodingError(description: "CBOR text is not UTF-8") }
                return .text(s)
            case 4:
                guard value <= UInt64(bytes.count - at) else { throw DecodingError(description: "a CBOR array of \(value) items runs past the end") }
                return .array(try (0..<value).map { _ in try item(depth: depth + 1) })
            case 5:
                guard value <= UInt64(bytes.count - at) else { throw DecodingError(description: "a CBOR map of \(value) entries runs past the end") }
                return .map(try (0..<value).map { _ in (try item(depth: depth + 1), try item(depth: depth + 1)) })
            default: return .tagged(value, try item(depth: depth + 1))
            }
        }
    }
}
