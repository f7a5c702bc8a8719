import Foundation

/// The one form every `--json` output of the tool takes (the README's "JSON outputs" section):
/// Codable values, snake_case keys, sorted, no escaped slashes, dates in ISO 8601, and fractional
/// numbers at six significant digits, so that a float widened to a double or a timing does not carry
/// digits that mean nothing. Each top-level object names its `schema` (for example `generate/2`).
enum JSONOutput {
    /// The version of every schema below; it changes when a key is renamed, removed or changes meaning.
    static let version = 2

    /// The encoder every command uses.
    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// `value` as JSON text in the tool's form (one line unless `pretty`).
    static func text<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        roundingFractions(String(decoding: try encoder(pretty: pretty).encode(value), as: UTF8.self))
    }

    /// Prints `value` on standard output.
    static func print<T: Encodable>(_ value: T, pretty: Bool = false) throws {
        Swift.print(try text(value, pretty: pretty))
    }

    /// The JSON text with every number that has a fraction or an exponent rewritten at six significant
    /// digits; integers (seeds, byte counts, cycles) and everything inside strings stay as they are.
    static func roundingFractions(_ json: String) -> String {
        var out = "", token = "", inString = false, escaped = false
        func flush() {
            if token.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let value = Double(token), value.isFinite {
                let rounded = Double(String(format: "%.6g", value)) ?? value
                out += rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : "\(rounded)"
            } else {
                out += token
            }
            token = ""
        }
        for ch in json {
            if inString {
                out.append(ch)
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
            } else if ch.isNumber || ch == "-" || ch == "+" || ch == "." || ch == "e" || ch == "E" {
                token.append(ch)
            } else {
                flush()
                if ch == "\"" { inString = true }
                out.append(ch)
            }
        }
        flush()
        return out
    }
}

/// Any JSON value, for the parts of an output that arrive as JSON from elsewhere (the peers' benchmark
/// script, a client's request id) and are passed through as they came.
indirect enum JSONValue: Codable, Sendable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    /// The numbers of an object's members that are numbers (a peer's timings by name).
    var numbers: [String: Double] {
        guard case .object(let o) = self else { return [:] }
        return o.compactMapValues { if case .number(let d) = $0 { return d } else { return nil } }
    }

    /// Member `key` of an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let o) = self else { return nil }
        return o[key]
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
