import Foundation

/// ONNX node attributes: integers, floats, strings and lists of them, read with ONNX's defaults.
public struct Attributes: Sendable {
    /// One attribute value.
    public enum Value: Sendable, Equatable {
        case int(Int), float(Double), string(String), ints([Int]), floats([Double]), strings([String])
    }

    /// The attributes by name.
    public var values: [String: Value]

    /// Attributes from a dictionary.
    public init(_ values: [String: Value] = [:]) { self.values = values }

    /// Attributes from the JSON object of a kernel case file (`{"axis": 1, "pads": [1,1,1,1]}`).
    public init(json: String) throws {
        guard let data = json.data(using: .utf8),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw KernelError.invalid("attributes are not a JSON object: \(json)")
        }
        var values: [String: Value] = [:]
        for (key, raw) in object {
            values[key] = try Self.value(raw, key: key)
        }
        self.values = values
    }

    private static func isFloat(_ n: NSNumber) -> Bool {
        let type = String(cString: n.objCType)
        return type == "d" || type == "f"
    }

    /// The largest magnitude an integer attribute may have. Axes, pads, strides, dilations, perms and
    /// sizes never come near it, and bounding them here keeps every kernel's index arithmetic (a pad
    /// times a stride, a dilation times a kernel extent) far from overflow.
    public static let maximumIntegerMagnitude = 1 << 40

    private static func value(_ raw: Any, key: String) throws -> Value {
        if let s = raw as? String { return .string(s) }
        if let n = raw as? NSNumber {
            // JSON integers arrive as NSNumber without a fractional part; keep them integers.
            if isFloat(n) { return .float(n.doubleValue) }
            return .int(try checked(n.int64Value, n, key))
        }
        if let list = raw as? [Any] {
            if list.isEmpty { return .ints([]) }
            if list.allSatisfy({ $0 is String }) { return .strings(list.map { $0 as! String }) }
            let numbers = list.compactMap { $0 as? NSNumber }
            guard numbers.count == list.count else { throw KernelError.invalid("attribute \(key) has a mixed list") }
            if numbers.contains(where: isFloat) { return .floats(numbers.map(\.doubleValue)) }
            return .ints(try numbers.map { try checked($0.int64Value, $0, key) })
        }
        throw KernelError.invalid("attribute \(key) has an unsupported value \(raw)")
    }

    /// A JSON integer within `maximumIntegerMagnitude` (NSNumber saturates or wraps what Int64 cannot hold,
    /// so the value is compared with the number's own text too).
    private static func checked(_ value: Int64, _ number: NSNumber, _ key: String) throws -> Int {
        guard number.stringValue == String(value) else {
            throw KernelError.invalid("attribute \(key) is \(number.stringValue), which is not a 64-bit integer")
        }
        return try bounded(Int(value), key)
    }

    private static func bounded(_ value: Int, _ key: String) throws -> Int {
        guard value.magnitude <= UInt(maximumIntegerMagnitude) else {
            throw KernelError.invalid("attribute \(key) is \(value); integer attributes are limited to +-2^40, which no tensor dimension reaches")
        }
        return value
    }

    /// A float that is a whole number an integer attribute may take, or nil.
    private static func integral(_ value: Double) -> Int? {
        guard value == value.rounded(), value.magnitude <= Double(maximumIntegerMagnitude) else { return nil }
        return Int(value)
    }

    /// An integer attribute, or `defaultValue` when absent.
    public func int(_ name: String, _ defaultValue: Int) throws -> Int {
        switch values[name] {
        case nil: return defaultValue
        case .int(let v)?: return try Self.bounded(v, name)
        case .float(let v)?:
            guard let i = Self.integral(v) else { throw KernelError.invalid("attribute \(name) is \(v); it must be an integer within +-2^40") }
            return i
        default: throw KernelError.invalid("attribute \(name) must be an integer")
        }
    }

    /// A float attribute, or `defaultValue` when absent.
    public func float(_ name: String, _ defaultValue: Double) throws -> Double {
        switch values[name] {
        case nil: return defaultValue
        case .float(let v)?: return v
        case .int(let v)?: return Double(v)
        default: throw KernelError.invalid("attribute \(name) must be a float")
        }
    }

    /// A float attribute, or nil when absent.
    public func optionalFloat(_ name: String) throws -> Double? {
        values[name] == nil ? nil : try float(name, 0)
    }

    /// A string attribute, or `defaultValue` when absent.
    public func string(_ name: String, _ defaultValue: String) throws -> String {
        switch values[name] {
        case nil: return defaultValue
        case .string(let v)?: return v
        default: throw KernelError.invalid("attribute \(name) must be a string")
        }
    }

    /// An integer-list attribute, or nil when absent.
    public func ints(_ name: String) throws -> [Int]? {
        switch values[name] {
        case nil: return nil
        case .ints(let v)?: return try v.map { try Self.bounded($0, name) }
        case .int(let v)?: return [try Self.bounded(v, name)]
        case .floats(let v)?:
            let ints = v.compactMap(Self.integral)
            guard ints.count == v.count else { throw KernelError.invalid("attribute \(name) must be a list of integers within +-2^40") }
            return ints
        default: throw KernelError.invalid("attribute \(name) must be a list of integers")
        }
    }

    /// A float-list attribute, or nil when absent.
    public func floats(_ name: String) throws -> [Double]? {
        switch values[name] {
        case nil: return nil
        case .floats(let v)?: return v
        case .ints(let v)?: return v.map(Double.init)
        case .float(let v)?: return [v]
        default: throw KernelError.invalid("attribute \(name) must be a list of floats")
        }
    }
}
