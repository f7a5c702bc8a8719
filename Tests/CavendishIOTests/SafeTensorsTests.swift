import CavendishCore
import CavendishIO
import Foundation
import Testing

/// Reading the file `safetensors.torch.save_file` wrote, and writing files it reads.
@Suite struct SafeTensorsReadTests {
    let path = Fixture.path("tensors.safetensors")

    @Test func readsEveryTensorAsRecorded() throws {
        let file = try SafeTensorsFile(readingFrom: path)
        let recorded = try Fixture.json("tensors.json")
        #expect(file.metadata == recorded["metadata"] as? [String: String])
        let tensors = try #require(recorded["tensors"] as? [String: Any])
        #expect(file.names == tensors.keys.sorted())
        for (name, entry) in tensors {
            let (dtype, shape, values) = try recordedValues(entry)
            let tensor = try file.tensor(name)
            #expect(tensor.dtype.rawValue == dtype, "\(name)")
            #expect(tensor.shape == shape, "\(name)")
            #expect(tensor.doubles() == values, "\(name)")
            #expect(file.entries[name]?.shape == shape)
        }
        expectIOError(path: path, ["no tensor 'missing'"]) { _ = try file.tensor("missing") }
    }

    @Test func tensorsViewTheMappingAndOutliveTheFile() throws {
        var file: SafeTensorsFile? = try SafeTensorsFile(readingFrom: path)
        let weight = try #require(try file?.tensor("nested.layer.weight"))
        let again = try #require(try file?.tensor("nested.layer.weight"))
        #expect(weight.rawPointer == again.rawPointer, "each read copied the data")
        file = nil
        #expect(weight.floats() == [0, 1, 2, 3, 4, 5])
        // The mapping is private: writing through a view changes neither the file nor later readers.
        weight.pointer(as: Float.self)[0] = 42
        #expect(try SafeTensorsFile(readingFrom: path).tensor("nested.layer.weight").floats()[0] == 0)
    }
}

@Suite struct SafeTensorsWriteTests {
    @Test func roundTripsEveryType() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("out.safetensors")
        var tensors = HDF5WriteTests.everyType()
        tensors["view"] = try Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]).permuted([1, 0])
        tensors["odd \"name\"\n✓"] = Tensor(shape: [1], dtype: .int8, values: [Int8(3)])
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt", "quote\"": "ü"], to: path)
        #expect(try scratch.contents() == ["out.safetensors"])

        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect((8 + headerLength) % 8 == 0, "header not padded to 8 bytes")

        let file = try SafeTensorsFile(readingFrom: path)
        #expect(file.metadata == ["format": "pt", "quote\"": "ü"])
        #expect(file.names == tensors.keys.sorted())
        for (name, tensor) in tensors {
            let back = try file.tensor(name)
            #expect(back.dtype == tensor.dtype && back.shape == tensor.shape, "\(name)")
            #expect(rawBytes(back) == rawBytes(tensor), "\(name)")
            // Laid out largest element first, every tensor is aligned and so viewed in place.
            #expect(Int(bitPattern: back.rawPointer) % tensor.dtype.byteSize == 0)
        }
    }

    @Test func refusesOverwriteAndReservedName() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("existing.safetensors", [1, 2, 3])
        let one = ["x": Tensor(scalar: 1)]
        expectIOError(path: path, ["already exists"]) { try SafeTensorsWriter.write(one, to: path) }
        try SafeTensorsWriter.write(one, to: path, overwrite: true)
        #expect(try SafeTensorsFile(readingFrom: path).tensor("x").floats() == [1])
        expectIOError(path: path, ["__metadata__"]) {
            try SafeTensorsWriter.write(["__metadata__": Tensor(scalar: 1)], to: path, overwrite: true)
        }
        #expect(try scratch.contents() == ["existing.safetensors"])
    }
}

/// Every header defect is caught at open, with the file named.
@Suite struct SafeTensorsBadInputTests {
    /// A file with `header` (padded to 8) followed by `dataBytes` zero bytes.
    func file(_ scratch: ScratchFolder, _ header: String, dataBytes: Int = 0, declaredLength: UInt64? = nil) throws -> String {
        var json = Array(header.utf8)
        json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8)
        let length = declaredLength ?? UInt64(json.count)
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + [UInt8](repeating: 0, count: dataBytes)
        return try scratch.write("bad-\(UUID().uuidString.prefix(6)).safetensors", bytes)
    }

    @Test func missingShortAndForeignFiles() throws {
        let scratch = try ScratchFolder()
        let missing = scratch.path("missing.safetensors")
        expectIOError(path: missing, ["no such file"]) { _ = try SafeTensorsFile(readingFrom: missing) }
        let short = try scratch.write("short.safetensors", [1, 0, 0])
        expectIOError(path: short, ["too short"]) { _ = try SafeTensorsFile(readingFrom: short) }
        let hdf5 = try scratch.write("really.safetensors", try Fixture.bytes("case.h5"))
        expectIOError(path: hdf5, ["header length"]) { _ = try SafeTensorsFile(readingFrom: hdf5) }
        expectIOError(path: scratch.url.path, ["not a regular file"]) { _ = try SafeTensorsFile(readingFrom: scratch.url.path) }
    }

    @Test func truncated() throws {
        let scratch = try ScratchFolder()
        let bytes = try Fixture.bytes("tensors.safetensors")
        for keep in [8, 20, bytes.count / 2, bytes.count - 1] {
            let path = try scratch.write("truncated-\(keep).safetensors", Array(bytes.prefix(keep)))
            expectIOError(path: path, keep < 900 ? ["header length"] : ["ends at byte", "truncated"]) {
                _ = try SafeTensorsFile(readingFrom: path)
            }
        }
    }

    @Test func headerLengthTooLarge() throws {
        let scratch = try ScratchFolder()
        let path = try file(scratch, "{}", declaredLength: 1 << 40)
        expectIOError(path: path, ["header length field says 1099511627776 bytes"]) { _ = try SafeTensorsFile(readingFrom: path) }
        let huge = try file(scratch, "{}", declaredLength: UInt64.max)
        expectIOError(path: huge, ["header length"]) { _ = try SafeTensorsFile(readingFrom: huge) }
    }

    @Test func badHeaders() throws {
        let scratch = try ScratchFolder()
        let cases: [(String, Int, [String])] = [
            (#"not json at all"#, 0, ["does not start with '{'"]),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}"#, 4, ["not a valid JSON object"]),
            (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#, 4, ["tensor 'a'", "shape [2]", "needs 8 bytes", "hold 4"]),
            (#"{"a": {"dtype": "I32", "shape": [1], "data_offsets": [0, 8]}}"#, 8, ["needs 4 bytes"]),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [2, 10]}}"#, 12, ["'a'", "'b'", "overlap"]),
            (#"{"w": {"dtype": "F32", "shape": [1024], "data_offsets": [0, 4096]}}"#, 4000, ["tensor 'w' ends at byte 4096", "4000 bytes"]),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}"#, 8, ["end before they begin"]),
            (#"{"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}"#, 8, ["dtype C64"]),
            (#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, 4, ["'shape'"]),
            (#"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#, 4, ["'shape'"]),
            (#"{"a": {"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}}"#, 4, ["'shape'"]),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#, 4, ["'data_offsets'"]),
            (#"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#, 4, ["no string 'dtype'"]),
            (#"{"a": [1, 2]}"#, 0, ["'a' is a list"]),
            (#"{"__metadata__": {"k": 1}}"#, 0, ["'__metadata__'", "'k'"]),
            (#"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 4]}}"#, 4, ["too many elements"]),
        ]
        for (header, dataBytes, phrases) in cases {
            let path = try file(scratch, header, dataBytes: dataBytes)
            expectIOError(path: path, phrases) { _ = try SafeTensorsFile(readingFrom: path) }
        }
    }

    @Test func acceptsEdgeCasesTheFormatAllows() throws {
        let scratch = try ScratchFolder()
        // Empty tensors may share an offset; a misaligned F32 is copied rather than viewed.
        let path = try file(scratch, #"{"e": {"dtype": "F32", "shape": [0], "data_offsets": [1, 1]}, "m": {"dtype": "F32", "shape": [1], "data_offsets": [1, 5]}, "__metadata__": {}}"#, dataBytes: 5)
        let file = try SafeTensorsFile(readingFrom: path)
        #expect(try file.tensor("e").shape == [0])
        let misaligned = try file.tensor("m")
        #expect(misaligned.floats() == [0])
        #expect(Int(bitPattern: misaligned.rawPointer) % 4 == 0)
    }
}
