import CavendishCore
import CavendishIO
import Foundation
import Testing

@Suite struct PNGTests {
    @Test(arguments: ["gray", "rgb", "rgba"])
    func decodesPNGsWrittenByPython(name: String) throws {
        let recorded = try #require(try Fixture.json("png.json")[name] as? [String: Any])
        let image = try PNGImage(contentsOf: Fixture.path("\(name).png"))
        #expect(image.width == recorded["width"] as? Int)
        #expect(image.height == recorded["height"] as? Int)
        #expect(image.channels == recorded["channels"] as? Int)
        #expect(image.pixels == (recorded["pixels"] as? [Int])?.map { UInt8($0) })
        #expect(image.text == recorded["text"] as? [String: String])
    }

    @Test(arguments: [1, 2, 3, 4])
    func roundTrips(channels: Int) throws {
        let scratch = try ScratchFolder()
        let (width, height) = (7, 5)
        let pixels = (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let text = ["Software": "Cavendish", "prompt": "a photo of a cat, ☀", "empty": ""]
        let image = try PNGImage(width: width, height: height, channels: channels, pixels: pixels, text: text)
        let path = scratch.path("image.png")
        try image.write(to: path)
        #expect(try scratch.contents() == ["image.png"])
        let back = try PNGImage(contentsOf: path)
        #expect(back == image)
        #expect(try PNGImage(pngData: try image.pngData()) == image)
    }

    @Test func convertsToAndFromTensors() throws {
        let image = try PNGImage(width: 2, height: 1, channels: 3, pixels: [0, 51, 255, 255, 102, 0])
        let tensor = image.tensor()
        #expect(tensor.shape == [3, 1, 2] && tensor.dtype == .float32)
        #expect(tensor.floats() == [0, 1, 0.2, 0.4, 1, 0])
        #expect(try PNGImage(tensor: tensor) == image)

        let wild = Tensor(shape: [1, 1, 4], floats: [-1, .nan, 2, 0.5])
        #expect(try PNGImage(tensor: wild).pixels == [0, 0, 255, 128])
        let gray = try PNGImage(tensor: Tensor(shape: [2, 2], floats: [0, 1, 1, 0]))
        #expect(gray.channels == 1 && gray.width == 2 && gray.pixels == [0, 255, 255, 0])
        #expect(throws: TensorError.self) { try PNGImage(tensor: Tensor(zeros: [5, 2, 2])) }
        #expect(throws: TensorError.self) { try PNGImage(tensor: Tensor(zeros: [3])) }
        #expect(throws: TensorError.self) { try PNGImage(width: 2, height: 2, channels: 3, pixels: [1, 2, 3]) }
        #expect(throws: TensorError.self) { try PNGImage(width: 0, height: 2, channels: 1, pixels: []) }
    }

    @Test func refusesOverwriteAndBadKeywords() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("exists.png", [1])
        let image = try PNGImage(width: 1, height: 1, channels: 1, pixels: [9])
        expectIOError(path: path, ["already exists"]) { try image.write(to: path) }
        try image.write(to: path, overwrite: true)
        #expect(try PNGImage(contentsOf: path).pixels == [9])
        var bad = image
        bad.text = ["": "x"]
        expectIOError(path: path, ["keyword"]) { try bad.write(to: path, overwrite: true) }
        bad.text = [String(repeating: "k", count: 80): "x"]
        expectIOError(path: path, ["keyword"]) { try bad.write(to: path, overwrite: true) }
        #expect(try scratch.contents() == ["exists.png"])
    }
}

@Suite struct PNGBadInputTests {
    @Test func missingAndForeignFiles() throws {
        let scratch = try ScratchFolder()
        let missing = scratch.path("missing.png")
        expectIOError(path: missing, ["no such file"]) { _ = try PNGImage(contentsOf: missing) }
        let empty = try scratch.write("empty.png", [])
        expectIOError(path: empty, ["not a readable PNG"]) { _ = try PNGImage(contentsOf: empty) }
        let hdf5 = try scratch.write("case.png", try Fixture.bytes("case.h5"))
        expectIOError(path: hdf5, ["not a readable PNG"]) { _ = try PNGImage(contentsOf: hdf5) }
    }

    /// A 228-byte mutant (found by scripts/fuzz.py) whose tEXt chunk declares 1.9 GB: libpng allocated
    /// the declared length before noticing, so it is refused before libpng sees it.
    @Test func aChunkLongerThanTheFileIsRefusedBeforeDecoding() {
        let path = Fixture.path("overlong-text-chunk.png")
        expectIOError(path: path, ["tEXt chunk at byte 68 declares 1951689076 bytes"]) { _ = try PNGImage(contentsOf: path) }
    }

    @Test func truncated() throws {
        let scratch = try ScratchFolder()
        let bytes = try Fixture.bytes("rgb.png")
        for keep in [4, 8, 20, 40, bytes.count - 30, bytes.count - 13] {
            let path = try scratch.write("truncated-\(keep).png", Array(bytes.prefix(keep)))
            expectIOError(path: path) { _ = try PNGImage(contentsOf: path) }
        }
    }

    @Test func corrupt() throws {
        let scratch = try ScratchFolder()
        let bytes = try Fixture.bytes("rgba.png")
        // Signature, IHDR fields and CRC, compressed data: every critical byte is checked.
        for offset in [0, 1, 12, 17, 24, 29, 45, bytes.count - 20] {
            var damaged = bytes
            damaged[offset] ^= 0x5A
            let path = try scratch.write("corrupt-\(offset).png", damaged)
            expectIOError(path: path) { _ = try PNGImage(contentsOf: path) }
        }
    }

    @Test func headerClaimingAHugeImage() throws {
        // A valid-CRC IHDR saying 1,000,000 x 1,000,000 RGBA, with a few bytes of image data.
        var bytes = try Fixture.bytes("rgba.png")
        let size: [UInt8] = [0x00, 0x0F, 0x42, 0x40]
        bytes.replaceSubrange(16..<20, with: size)
        bytes.replaceSubrange(20..<24, with: size)
        let crc = crc32(bytes[12..<29])
        bytes.replaceSubrange(29..<33, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32($0))) })
        let scratch = try ScratchFolder()
        let path = try scratch.write("huge.png", bytes)
        expectIOError(path: path) { _ = try PNGImage(contentsOf: path) }
    }

    private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}

/// A PNG whose header declares 40000x40000 (1.6 gigapixels) is refused before the pixels are allocated
/// (a 1.5 MB file of this kind reached 6.3 GB). The header is patched and its CRC recomputed.
struct PNGBombTests {
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test func aHeaderDeclaringAHugeImageIsRefused() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("small.png")
        try PNGImage(width: 4, height: 4, channels: 3, pixels: [UInt8](repeating: 7, count: 48)).write(to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // IHDR: length (4) at 8, "IHDR" at 12, width at 16, height at 20, ..., CRC over type + data at 29.
        for (i, v) in [UInt32(40000), 40000].enumerated() { for k in 0..<4 { bytes[16 + 4 * i + k] = UInt8((v >> (24 - 8 * UInt32(k))) & 0xFF) } }
        let crc = Self.crc32(bytes[12..<29])
        for k in 0..<4 { bytes[29 + k] = UInt8((crc >> (24 - 8 * UInt32(k))) & 0xFF) }
        do {
            _ = try PNGImage(pngData: Data(bytes), path: "bomb.png")
            Issue.record("a 40000x40000 header decoded")
        } catch { #expect("\(error)".contains("40000x40000") && "\(error)".contains("megapixels"), "\(error)") }
    }
}
