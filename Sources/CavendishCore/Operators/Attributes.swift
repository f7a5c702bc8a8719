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

    private static func value(_ raw: Any, key: String) throws -> Value {
        if let s = raw as? String { return .string(s) }
        if let n = raw as? NSNumber {
            // JSON integers arrive as NSNumber without a fractional part; keep them integers.
            if isFloat(n) { return .float(n.doubleValue) }
            return .int(n.intValue)
        }
        if let list = raw as? [Any] {
            if list.isEmpty { return .ints([]) }
            if list.allSatisfy({ $0 is String }) { return .strings(list.map { $0 as! String }) }
            let numbers = list.compactMap { $0 as? NSNumber }
            guard numbers.count == list.count else { throw KernelError.invalid("attribute \(key) has a mixed list") }
            if numbers.contains(where: isFloat) { return .floats(numbers.map(\.doubleValue)) }
            return .ints(numbers.map(\.intValue))
        }
        throw KernelError.invalid("attribute \(key) has an unsupported value \(raw)")
    }

    /// An integer attribute, or `defaultValue` when absent.
    public func int(_ name: String, _ defaultValue: Int) throws -> Int {
        switch values[name] {
        case nil: return defaultValue
        case .int(let v)?: return v
        case .float(let v)? where v == v.rounded(): return Int(v)
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
        case .ints(let v)?: return v
        case .int(let v)?: return [v]
        case .floats(let v)? where v.allSatisfy({ $0 == $0.rounded() }): return v.map { Int($0) }
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
