import CavendishCore
import CavendishIO
import Foundation
import Testing

/// Reading what h5py writes (Tests/Fixtures/io/case.h5, from scripts/io_fixtures.py).
@Suite struct HDF5ReadTests {
    let path = Fixture.path("case.h5")

    @Test func listsGroupsAndDatasetsSorted() throws {
        let file = try HDF5File(readingFrom: path)
        #expect(try file.members() == [
            HDF5Member(name: "extra", kind: .group),
            HDF5Member(name: "inputs", kind: .group),
            HDF5Member(name: "outputs", kind: .group),
        ])
        #expect(try file.members(of: "inputs").map(\.name) == ["0", "1", "2", "3", "4", "5"])
        #expect(try file.members(of: "/inputs").allSatisfy { $0.kind == .dataset })
        #expect(file.contains("outputs/0"))
        #expect(!file.contains("outputs/1"))
        #expect(!file.contains("missing/deeper/path"))
        expectIOError(path: path, ["no group 'nothing'"]) { _ = try file.members(of: "nothing") }
        expectIOError(path: path, ["'inputs/0' is not a group"]) { _ = try file.members(of: "inputs/0") }
    }

    @Test func readsEveryDatasetAsRecorded() throws {
        let file = try HDF5File(readingFrom: path)
        let recorded = try #require(try Fixture.json("case.json")["datasets"] as? [String: Any])
        #expect(recorded.count == 16)
        for (name, entry) in recorded {
            let (dtype, shape, values) = try recordedValues(entry)
            let tensor = try file.tensor(at: name)
            #expect(tensor.dtype.rawValue == dtype, "\(name)")
            #expect(tensor.shape == shape, "\(name)")
            #expect(tensor.isContiguous)
            #expect(tensor.doubles() == values, "\(name)")
        }
    }

    @Test func readsKernelCaseTypesExactly() throws {
        let file = try HDF5File(readingFrom: path)
        let half = try file.tensor(at: "inputs/1")
        #expect(half.dtype == .float16)
        #expect(half.pointer(as: Float16.self)[2] == 65504)
        let bf16 = try file.tensor(at: "inputs/4")
        #expect(bf16.dtype == .bfloat16)
        #expect(bf16.floats() == [1.0, -3.140625, ReducedPrecision.float(fromBFloat16: ReducedPrecision.bfloat16Bits(1e-3))])
        let scalar = try file.tensor(at: "inputs/5")
        #expect(scalar.rank == 0 && scalar.dtype == .float64 && scalar.doubles() == [2.75])
        let flags = try file.tensor(at: "inputs/3")
        #expect(flags.dtype == .bool)
        let bigEndian = try file.tensor(at: "extra/big_endian")
        #expect(bigEndian.floats() == [1.5, -2.0])
    }

    @Test func readsAttributesOfEveryKind() throws {
        let file = try HDF5File(readingFrom: path)
        let attributes = try file.attributes()
        #expect(attributes["op"] == .string("Softmax"))
        #expect(attributes["opset"] == .integer(13))
        #expect(attributes["attributes"]?.stringValue == #"{"axis": 1}"#)
        #expect(attributes["rtol"] == .float(1e-3))
        #expect(attributes["atol"]?.doubleValue == 0.25)
        #expect(attributes["description"] == .string("fixed-length ascii"))
        #expect(attributes["unicode"] == .string("ünïcødé ✓"))
        #expect(attributes["fixed_utf8"] == .string("héllo"))
        #expect(attributes["int_array"] == .integers([1, -2, 3]))
        #expect(attributes["float_array"] == .floats([0.5, 1.5]))
        #expect(attributes["flag"] == .integer(1))
        #expect(try file.attributeNames() == attributes.keys.sorted())
        #expect(try file.attribute("opset")?.integerValue == 13)
        #expect(try file.attribute("missing") == nil)
        #expect(try file.attribute("dtype", of: "inputs/3") == .string("bool"))
        #expect(try file.attribute("note", of: "extra/int8") == .string("dataset attribute"))
        #expect(try file.attribute("group_attr", of: "extra") == .integer(7))
        expectIOError(path: path, ["no object 'nope'"]) { _ = try file.attribute("op", of: "nope") }
    }

    @Test func refusesTypesWithoutACavendishDType() throws {
        let file = try HDF5File(readingFrom: path)
        let rejected = try #require(try Fixture.json("case.json")["rejected"] as? [String: String])
        for (name, phrase) in rejected {
            expectIOError(path: path, ["'\(name)'", phrase]) { _ = try file.tensor(at: name) }
        }
        expectIOError(path: path, ["no dataset 'inputs/9'"]) { _ = try file.tensor(at: "inputs/9") }
        expectIOError(path: path, ["'inputs' is not a dataset"]) { _ = try file.tensor(at: "inputs") }
    }

    /// Issue 18, defect 7: a 7.6 kB file whose chunked dataset declares 2 GiB (only 4 kB stored, from
    /// scripts/hdf5_memory_bomb.py) is refused before anything is allocated.
    @Test func refusesADatasetThatDeclaresFarMoreThanItStores() throws {
        let path = Fixture.path("declares-2gib-stores-4kib.h5")
        let file = try HDF5File(readingFrom: path)
        expectIOError(path: path, ["declares 2147483648 bytes", "stores only 4132"]) { _ = try file.tensor(at: "x") }
    }

    @Test func closedFileThrows() throws {
        let file = try HDF5File(readingFrom: path)
        file.close()
        file.close()
        expectIOError(path: path, ["closed"]) { _ = try file.tensor(at: "inputs/0") }
        #expect(!file.contains("inputs/0"))
    }

    @Test func readsFromManyThreadsAtOnce() async throws {
        let expected = try HDF5File(readingFrom: path).tensor(at: "outputs/0").floats()
        try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<8 {
                group.addTask { try HDF5File(readingFrom: self.path).tensor(at: "outputs/0").floats() }
            }
            for try await values in group { #expect(values == expected) }
        }
    }
}

/// Missing, foreign, truncated and corrupted files each give an IOError naming the file.
@Suite struct HDF5BadInputTests {
    @Test func missingFile() {
        let path = "/nonexistent/folder/case.h5"
        expectIOError(path: path, ["no such file"]) { _ = try HDF5File(readingFrom: path) }
    }

    @Test func folderInsteadOfFile() throws {
        let scratch = try ScratchFolder()
        expectIOError(path: scratch.url.path, ["folder"]) { _ = try HDF5File(readingFrom: scratch.url.path) }
    }

    @Test func notHDF5() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("text.h5", Array("this is not an HDF5 file at all\n".utf8))
        expectIOError(path: path, ["not an HDF5 file"]) { _ = try HDF5File(readingFrom: path) }
        let empty = try scratch.write("empty.h5", [])
        expectIOError(path: empty, ["not an HDF5 file"]) { _ = try HDF5File(readingFrom: empty) }
        let png = try scratch.write("image.h5", try Fixture.bytes("rgb.png"))
        expectIOError(path: png, ["not an HDF5 file"]) { _ = try HDF5File(readingFrom: png) }
    }

    @Test(arguments: [8, 100, 800, 2048, 8000, 16000])
    func truncated(keeping count: Int) throws {
        let scratch = try ScratchFolder()
        let bytes = try Fixture.bytes("case.h5")
        let path = try scratch.write("truncated.h5", Array(bytes.prefix(count)))
        expectIOError(path: path) {
            // Opening may succeed when the damage is past what open reads; reading everything must not.
            let file = try HDF5File(readingFrom: path)
            for group in ["inputs", "outputs", "extra"] {
                for member in try file.members(of: group) where member.kind == .dataset {
                    _ = try file.tensor(at: "\(group)/\(member.name)")
                }
            }
        }
    }

    /// Signature, versions, field sizes, B-tree K, end-of-file address, driver block, root object address.
    /// (Reserved bytes and cached addresses HDF5 does not rely on are left out: flipping them is harmless.)
    @Test(arguments: [0, 3, 8, 9, 10, 13, 14, 16, 40, 48, 64, 72])
    func corruptSuperblock(flipping offset: Int) throws {
        let scratch = try ScratchFolder()
        var bytes = try Fixture.bytes("case.h5")
        bytes[offset] ^= 0xFF
        let path = try scratch.write("corrupt.h5", bytes)
        expectIOError(path: path) {
            let file = try HDF5File(readingFrom: path)
            for group in ["inputs", "outputs"] {
                for member in try file.members(of: group) { _ = try file.tensor(at: "\(group)/\(member.name)") }
            }
            _ = try file.attributes()
        }
    }
}
