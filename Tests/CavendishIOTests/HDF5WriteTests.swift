import CavendishCore
import CavendishIO
import Foundation
import Testing

/// Files written by `HDF5Writer` read back exactly, and are published atomically.
@Suite struct HDF5WriteTests {
    /// One tensor of every element type, with awkward values.
    static func everyType() -> [String: Tensor] {
        [
            "f32": Tensor(shape: [2, 3], floats: [0, 0.25, -0.5, .infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude]),
            "f64": Tensor(shape: [], dtype: .float64, values: [Double.pi]),
            "f16": Tensor(shape: [3], dtype: .float16, values: [Float16(0.1), Float16(-65504), Float16(6e-8)]),
            "bf16": Tensor(shape: [2], dtype: .bfloat16, values: [ReducedPrecision.bfloat16Bits(1.5), ReducedPrecision.bfloat16Bits(-1e30)]),
            "i8": Tensor(shape: [2], dtype: .int8, values: [Int8.min, Int8.max]),
            "u8": Tensor(shape: [1, 2], dtype: .uint8, values: [UInt8(0), UInt8.max]),
            "i32": Tensor(shape: [2], dtype: .int32, values: [Int32.min, Int32.max]),
            "i64": Tensor(shape: [2], dtype: .int64, values: [Int64.min, Int64.max]),
            "flags": Tensor(shape: [2, 2], dtype: .bool, values: [UInt8(1), 0, 0, 1]),
            "empty": Tensor(zeros: [0, 3], dtype: .float32),
        ]
    }

    @Test func roundTripsEveryTypeAndAttribute() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("written.h5")
        let writer = try HDF5Writer(creating: path)
        for (name, tensor) in Self.everyType() { try writer.write(tensor, to: "data/\(name)") }
        try writer.createGroup("empty_group/nested")
        try writer.setAttribute("op", to: .string("Conv"))
        try writer.setAttribute("opset", to: .integer(17))
        try writer.setAttribute("rtol", to: .float(1e-4))
        try writer.setAttribute("pads", to: .integers([1, 1, 0, 0]))
        try writer.setAttribute("scales", to: .floats([0.5, 2]))
        try writer.setAttribute("names", to: .strings(["ünï", "b"]))
        try writer.setAttribute("empty", to: .integers([]))
        try writer.setAttribute("opset", to: .integer(18))  // replacing is allowed
        try writer.setAttribute("note", to: .string("on a dataset"), on: "data/f32")
        try writer.setAttribute("note", to: .string("on a group"), on: "data")
        #expect(!FileManager.default.fileExists(atPath: path), "published before finish()")
        try writer.finish()
        #expect(try scratch.contents() == ["written.h5"], "temporary file left behind")

        let file = try HDF5File(readingFrom: path)
        #expect(try file.members() == [HDF5Member(name: "data", kind: .group), HDF5Member(name: "empty_group", kind: .group)])
        #expect(try file.members(of: "empty_group") == [HDF5Member(name: "nested", kind: .group)])
        for (name, tensor) in Self.everyType() {
            let back = try file.tensor(at: "data/\(name)")
            #expect(back.dtype == tensor.dtype, "\(name)")
            #expect(back.shape == tensor.shape, "\(name)")
            #expect(rawBytes(back) == rawBytes(tensor), "\(name)")
        }
        #expect(try file.attribute("dtype", of: "data/flags") == .string("bool"))
        #expect(try file.attribute("dtype", of: "data/bf16") == .string("bfloat16"))
        #expect(try file.attribute("dtype", of: "data/f16") == nil)
        #expect(try file.attributes() == [
            "op": .string("Conv"), "opset": .integer(18), "rtol": .float(1e-4), "pads": .integers([1, 1, 0, 0]),
            "scales": .floats([0.5, 2]), "names": .strings(["ünï", "b"]), "empty": .integers([]),
        ])
        #expect(try file.attribute("note", of: "data/f32") == .string("on a dataset"))
        #expect(try file.attribute("note", of: "data") == .string("on a group"))
    }

    @Test func writesStridedViewsAndCanonicalBools() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("views.h5")
        let base = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let writer = try HDF5Writer(creating: path)
        try writer.write(try base.permuted([1, 0]), to: "transposed")
        try writer.write(Tensor(shape: [3], dtype: .bool, values: [UInt8(7), 0, 255]), to: "flags")
        try writer.finish()
        let file = try HDF5File(readingFrom: path)
        let back = try file.tensor(at: "transposed")
        #expect(back.shape == [3, 2] && back.floats() == [1, 4, 2, 5, 3, 6])
        #expect(rawBytes(try file.tensor(at: "flags")) == [1, 0, 1])
    }

    @Test func refusesToOverwriteUnlessAsked() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("existing.h5", Array("keep me".utf8))
        expectIOError(path: path, ["already exists", "overwrite"]) { _ = try HDF5Writer(creating: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")

        let writer = try HDF5Writer(creating: path, overwrite: true)
        try writer.write(Tensor(scalar: 1), to: "x")
        try writer.finish()
        #expect(try HDF5File(readingFrom: path).tensor(at: "x").floats() == [1])
        #expect(try scratch.contents() == ["existing.h5"])
    }

    @Test func refusesWhenAnotherWriterPublishedFirst() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("race.h5")
        let first = try HDF5Writer(creating: path)
        let second = try HDF5Writer(creating: path)
        try first.finish()
        expectIOError(path: path, ["already exists"]) { try second.finish() }
        #expect(try scratch.contents() == ["race.h5"])
    }

    @Test func discardedWriterLeavesNothing() throws {
        let scratch = try ScratchFolder()
        do {
            let writer = try HDF5Writer(creating: scratch.path("dropped.h5"))
            try writer.write(Tensor(scalar: 1), to: "x")
        }
        let writer = try HDF5Writer(creating: scratch.path("discarded.h5"))
        writer.discard()
        expectIOError(path: scratch.path("discarded.h5"), ["finished or discarded"]) { try writer.write(Tensor(scalar: 1), to: "x") }
        #expect(try scratch.contents() == [])
    }

    @Test func reportsMisuseWithThePath() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("misuse.h5")
        let writer = try HDF5Writer(creating: path)
        try writer.write(Tensor(scalar: 1), to: "x")
        expectIOError(path: path, ["already has an object 'x'"]) { try writer.write(Tensor(scalar: 2), to: "x") }
        expectIOError(path: path, ["no object 'y'"]) { try writer.setAttribute("a", to: .integer(1), on: "y") }
        try writer.finish()
        expectIOError(path: path, ["finished"]) { try writer.finish() }
        let missingFolder = scratch.path("no/such/folder/x.h5")
        expectIOError(path: missingFolder, ["does not exist"]) { _ = try HDF5Writer(creating: missingFolder) }
    }
}

/// The bytes a tensor covers, in row-major order.
func rawBytes(_ tensor: Tensor) -> [UInt8] {
    let dense = tensor.contiguous()
    return Array(UnsafeRawBufferPointer(start: dense.rawPointer, count: dense.byteCount))
}
