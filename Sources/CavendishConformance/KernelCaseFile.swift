import CavendishCore
import CavendishIO

/// Reads a kernel case from its HDF5 file (docs/KERNEL_CASES.md).
public enum KernelCaseFile {
    /// Loads the case at `path`; a missing or malformed file throws an error naming it.
    public static func load(_ path: String) throws -> KernelCase {
        let file = try HDF5File(readingFrom: path)
        defer { file.close() }
        guard let op = try file.attribute("op")?.stringValue, !op.isEmpty else {
            throw IOError(path: path, "root attribute 'op' (the ONNX operator type) is missing")
        }
        let opset = try file.attribute("opset")?.integerValue.map(Int.init) ?? KernelInvocation.latestOpset
        let attributes: Attributes
        if let json = try file.attribute("attributes")?.stringValue, !json.isEmpty {
            do { attributes = try Attributes(json: json) } catch { throw IOError(path: path, "attribute 'attributes': \(error)") }
        } else {
            attributes = Attributes()
        }
        let rtol = try file.attribute("rtol")?.doubleValue, atol = try file.attribute("atol")?.doubleValue
        // A NaN tolerance would pass any answer (`diff > atol + NaN * |e|` is never true); a negative one
        // would fail every answer.
        for (name, value) in [("rtol", rtol), ("atol", atol)] {
            if let value, !(value.isFinite && value >= 0) {
                throw IOError(path: path, "root attribute '\(name)' is \(value); a tolerance must be a finite number >= 0")
            }
        }
        let description = try file.attribute("description")?.stringValue ?? ""
        let inputs = try positional(file, group: "inputs", path: path)
        let outputs = try positional(file, group: "outputs", path: path)
        guard !outputs.isEmpty else { throw IOError(path: path, "group 'outputs' has no datasets") }
        return KernelCase(source: path, call: KernelInvocation(op: op, inputs: inputs, attributes: attributes, opset: opset,
                                                               outputCount: outputs.count),
                          expected: outputs, rtol: rtol, atol: atol, description: description)
    }

    /// Datasets `0`, `1`, ... of a group as a position-indexed list with nil gaps.
    static func positional(_ file: HDF5File, group: String, path: String) throws -> [Tensor?] {
        guard file.contains("/\(group)") else { return [] }
        var byPosition: [Int: Tensor] = [:]
        for member in try file.members(of: "/\(group)") {
            guard let position = Int(member.name), position >= 0, position < 64 else {
                throw IOError(path: path, "\(group)/\(member.name): dataset names must be positions 0, 1, ...")
            }
            byPosition[position] = try file.tensor(at: "/\(group)/\(member.name)")
        }
        guard let last = byPosition.keys.max() else { return [] }
        return (0...last).map { byPosition[$0] }
    }
}
