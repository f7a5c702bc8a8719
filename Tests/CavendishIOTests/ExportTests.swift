import CavendishCore
import CavendishIO
import Foundation
import Testing

/// Writes one file per format with the values `scripts/io_fixtures.py verify` expects (SWIFT_WRITTEN).
///
/// The files always round-trip here; with CAVENDISH_IO_EXPORT_DIR set they are also kept in that
/// folder, so the Python reference readers (h5py, safetensors) can check them without the tests
/// needing Python.
@Suite struct ExportTests {
    static let tensors: [String: Tensor] = [
        "f32": Tensor(shape: [2, 3], floats: [0, 0.25, 0.5, 0.75, 1, 1.25]),
        "f16": Tensor(shape: [3], dtype: .float16, values: [Float16(0.5), Float16(-2), Float16(1024)]),
        "bf16": Tensor(shape: [2], dtype: .bfloat16, values: [ReducedPrecision.bfloat16Bits(1.5), ReducedPrecision.bfloat16Bits(-3)]),
        "f64": Tensor(shape: [], dtype: .float64, values: [2.5]),
        "i8": Tensor(shape: [2], dtype: .int8, values: [Int8(-128), 127]),
        "u8": Tensor(shape: [2], dtype: .uint8, values: [UInt8(0), 255]),
        "i32": Tensor(shape: [2], dtype: .int32, values: [Int32(-5), 6]),
        "i64": Tensor(shape: [2], dtype: .int64, values: [-(Int64(1) << 40), 7]),
        "flags": Tensor(shape: [3], dtype: .bool, values: [UInt8(1), 0, 1]),
    ]

    /// The export folder when asked for, else a scratch folder dropped after the test.
    func folder() throws -> (path: String, scratch: ScratchFolder?) {
        if let dir = ProcessInfo.processInfo.environment["CAVENDISH_IO_EXPORT_DIR"], !dir.isEmpty {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return (dir, nil)
        }
        let scratch = try ScratchFolder()
        return (scratch.url.path, scratch)
    }

    @Test func hdf5() throws {
        let (dir, scratch) = try folder()
        let path = (dir as NSString).appendingPathComponent("swift_written.h5")
        let writer = try HDF5Writer(creating: path, overwrite: true)
        try writer.setAttribute("op", to: .string("Add"))
        try writer.setAttribute("opset", to: .integer(14))
        try writer.setAttribute("rtol", to: .float(0.01))
        try writer.setAttribute("ints", to: .integers([1, 2]))
        try writer.setAttribute("floats", to: .floats([0.5]))
        try writer.setAttribute("names", to: .strings(["a", "b"]))
        for (name, tensor) in Self.tensors { try writer.write(tensor, to: "tensors/\(name)") }
        try writer.finish()
        let file = try HDF5File(readingFrom: path)
        for (name, tensor) in Self.tensors { #expect(rawBytes(try file.tensor(at: "tensors/\(name)")) == rawBytes(tensor)) }
        withExtendedLifetime(scratch) {}
    }

    @Test func safetensors() throws {
        let (dir, scratch) = try folder()
        let path = (dir as NSString).appendingPathComponent("swift_written.safetensors")
        try SafeTensorsWriter.write(Self.tensors, metadata: ["source": "swift"], to: path, overwrite: true)
        let file = try SafeTensorsFile(readingFrom: path)
        for (name, tensor) in Self.tensors { #expect(rawBytes(try file.tensor(name)) == rawBytes(tensor)) }
        withExtendedLifetime(scratch) {}
    }

    @Test func png() throws {
        let (dir, scratch) = try folder()
        let path = (dir as NSString).appendingPathComponent("swift_written.png")
        let image = try PNGImage(width: 2, height: 2, channels: 4,
                                 pixels: [0, 64, 128, 255, 255, 0, 0, 128, 0, 255, 0, 0, 1, 2, 3, 4],
                                 text: ["prompt": "a cat", "seed": "42", "caption": "été ☀"])
        try image.write(to: path, overwrite: true)
        #expect(try PNGImage(contentsOf: path) == image)
        withExtendedLifetime(scratch) {}
    }
}
