import CavendishCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes safetensors files that the `safetensors` Python package (and `SafeTensorsFile`) read.
///
/// The file is written beside `path` and renamed into place when complete. Tensors are laid out in
/// decreasing element size, then by name, with no gaps (the reference reader rejects gaps), which
/// keeps every tensor aligned to its element size because the header is padded with spaces to a
/// multiple of 8 bytes.
public enum SafeTensorsWriter {
    /// Writes `tensors` (by name) and optional `metadata` to `path`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:],
                             to path: String, overwrite: Bool = false) throws {
        if tensors["__metadata__"] != nil {
            throw IOError(path: path, "cannot name a tensor '__metadata__'; the format reserves that key")
        }
        try AtomicFile.checkDestination(path, overwrite: overwrite)

        let order = tensors.keys.sorted {
            let (a, b) = (tensors[$0]!.dtype.byteSize, tensors[$1]!.dtype.byteSize)
            return a != b ? a > b : $0 < $1
        }
        var offsets: [String: (Int, Int)] = [:]
        var cursor = 0
        for name in order {
            let bytes = tensors[name]!.byteCount
            offsets[name] = (cursor, cursor + bytes)
            cursor += bytes
        }

        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        for name in tensors.keys.sorted() {
            let tensor = tensors[name]!, (begin, end) = offsets[name]!
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"\(SafeTensorsDType.name(of: tensor.dtype))\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(end)]}")
        }
        var header = Data("{\(fields.joined(separator: ","))}".utf8)
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))

        let temporary = AtomicFile.temporaryPath(for: path)
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw IOError(path: path, "cannot create temporary file \(temporary)")
        }
        do {
            defer { try? handle.close() }
            var length = UInt64(header.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: header)
            for name in order {
                let dense = tensors[name]!.contiguous()
                guard dense.byteCount > 0 else { continue }
                try handle.write(contentsOf: Data(bytesNoCopy: dense.rawPointer, count: dense.byteCount, deallocator: .none))
                withExtendedLifetime(dense) {}
            }
            try handle.synchronize()
        } catch {
            unlink(temporary)
            throw IOError(path: path, "cannot write: \(error.localizedDescription)")
        }
        try AtomicFile.publish(temporary, to: path, overwrite: overwrite)
    }

    /// A JSON string literal; non-ASCII stays as UTF-8, which JSON allows.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
