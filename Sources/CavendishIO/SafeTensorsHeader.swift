import CavendishCore
import Foundation

/// One tensor listed in a safetensors header.
public struct SafeTensorsEntry: Sendable, Equatable {
    /// The tensor's key in the file.
    public let name: String
    /// Element type.
    public let dtype: DType
    /// Extent of each dimension; `[]` is a scalar.
    public let shape: [Int]
    /// Where the elements lie, in bytes from the start of the data section (after the header).
    public let byteRange: Range<Int>
}

/// The dtype names the safetensors format uses, for the types Cavendish has.
enum SafeTensorsDType {
    static let byName: [String: DType] = [
        "F32": .float32, "F64": .float64, "F16": .float16, "BF16": .bfloat16,
        "I8": .int8, "U8": .uint8, "I32": .int32, "I64": .int64, "BOOL": .bool,
    ]

    static func name(of dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .float64: return "F64"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .int32: return "I32"
        case .int64: return "I64"
        case .bool: return "BOOL"
        }
    }
}

/// A parsed and fully checked safetensors header.
///
/// Every check a reader relies on is made here, before any tensor is handed out, so a view can never
/// reach past the file or alias another tensor: offsets within the data section, sizes matching the
/// shape, no overlaps.
struct SafeTensorsHeader {
    /// The largest header we accept; the reference implementation refuses more than 100 MB too.
    static let maximumHeaderBytes = 100_000_000

    let headerBytes: Int
    let entries: [String: SafeTensorsEntry]
    let metadata: [String: String]

    /// Parses the header at the start of a file of `fileSize` bytes whose first bytes are `bytes`.
    init(bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws {
        guard fileSize >= 8 else {
            throw IOError(path: path, "is \(fileSize) bytes, too short for a safetensors file (the header length alone is 8 bytes)")
        }
        let declared = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard declared <= UInt64(fileSize - 8) else {
            throw IOError(path: path, "header length field says \(declared) bytes but the file has only \(fileSize - 8) bytes after it; the file is truncated or not safetensors")
        }
        guard declared <= UInt64(Self.maximumHeaderBytes) else {
            throw IOError(path: path, "header length field says \(declared) bytes, more than the \(Self.maximumHeaderBytes) allowed")
        }
        headerBytes = Int(declared)
        let dataSize = fileSize - 8 - headerBytes
        let json = Data(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerBytes)]))
        guard json.first == UInt8(ascii: "{") else {
            throw IOError(path: path, "header does not start with '{'; the file is not safetensors")
        }
        let root: [String: JSONValue]
        do {
            root = try JSONDecoder().decode([String: JSONValue].self, from: json)
        } catch {
            throw IOError(path: path, "header is not a valid JSON object: \(Self.summarize(error))")
        }

        var metadata: [String: String] = [:]
        if let raw = root["__metadata__"] {
            guard case .object(let fields) = raw else {
                throw IOError(path: path, "header '__metadata__' is not an object of strings")
            }
            for (key, value) in fields {
                guard case .string(let text) = value else {
                    throw IOError(path: path, "header '__metadata__' entry '\(key)' is \(value.kind), not a string")
                }
                metadata[key] = text
            }
        }
        self.metadata = metadata

        var entries: [String: SafeTensorsEntry] = [:]
        for name in root.keys.sorted() where name != "__metadata__" {
            entries[name] = try Self.entry(name, root[name]!, dataSize: dataSize, path: path)
        }
        self.entries = entries
        try Self.checkOverlaps(entries, path: path)
    }

    private static func entry(_ name: String, _ value: JSONValue, dataSize: Int, path: String) throws -> SafeTensorsEntry {
        guard case .object(let fields) = value else {
            throw IOError(path: path, "header entry '\(name)' is \(value.kind), not an object")
        }
        guard case .string(let dtypeName)? = fields["dtype"] else {
            throw IOError(path: path, "tensor '\(name)' has no string 'dtype'")
        }
        guard let dtype = SafeTensorsDType.byName[dtypeName] else {
            throw IOError(path: path, "tensor '\(name)' has dtype \(dtypeName), which Cavendish does not support (supported: \(SafeTensorsDType.byName.keys.sorted().joined(separator: ", ")))")
        }
        guard case .array(let dims)? = fields["shape"], let shape = nonNegativeIntegers(dims) else {
            throw IOError(path: path, "tensor '\(name)' has no 'shape' list of non-negative integers")
        }
        guard case .array(let offsets)? = fields["data_offsets"], let pair = nonNegativeIntegers(offsets), pair.count == 2 else {
            throw IOError(path: path, "tensor '\(name)' has no 'data_offsets' pair of non-negative integers")
        }
        let (begin, end) = (pair[0], pair[1])
        guard begin <= end else {
            throw IOError(path: path, "tensor '\(name)' has data_offsets [\(begin), \(end)] that end before they begin")
        }
        guard end <= dataSize else {
            throw IOError(path: path, "header says tensor '\(name)' ends at byte \(end) of the data section but the file has \(dataSize) bytes of data; the file is truncated")
        }
        var bytes = dtype.byteSize
        for d in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: d)
            guard !overflow else { throw IOError(path: path, "tensor '\(name)' has shape \(shape), too many elements") }
            bytes = product
        }
        guard bytes == end - begin else {
            throw IOError(path: path, "tensor '\(name)' is \(dtypeName) with shape \(shape), which needs \(bytes) bytes, but its data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    private static func nonNegativeIntegers(_ values: [JSONValue]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard case .integer(let v) = value, v >= 0, v <= Int64(Int.max) else { return nil }
            result.append(Int(v))
        }
        return result
    }

    private static func checkOverlaps(_ entries: [String: SafeTensorsEntry], path: String) throws {
        let sorted = entries.values.filter { !$0.byteRange.isEmpty }
            .sorted { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw IOError(path: path, "tensors '\(previous.name)' (bytes \(previous.byteRange.lowerBound)..<\(previous.byteRange.upperBound)) and '\(next.name)' (bytes \(next.byteRange.lowerBound)..<\(next.byteRange.upperBound)) overlap")
        }
    }

    /// DecodingError's description is long and internal; the underlying reason is what helps.
    private static func summarize(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError as NSError? {
                return underlying.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
            }
            return context.debugDescription
        }
        return "\(error)"
    }
}

/// A JSON value, decoded strictly: integers are kept apart from fractions and from booleans.
enum JSONValue: Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// "a string", "a number", ... for messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}
