import Foundation

/// The chunk structure of a PNG stream, read and edited directly for what the simplified API lacks.
///
/// libpng's simplified API neither reads nor writes text chunks, and the full API reports errors by
/// longjmp, which must not cross Swift frames. Text chunks are simple enough (keyword, NUL, text,
/// CRC) to handle here instead. Compressed text (`zTXt`, compressed `iTXt`) is skipped on reading.
public struct PNGChunks {
    /// The 8 bytes every PNG starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Text chunks with valid CRCs, keyword to text.
    var text: [String: String] = [:]
    /// Total bytes of image data (IDAT payloads).
    var imageDataBytes = 0
    /// Fewest decompressed bytes the header's size implies (without filter bytes), or nil without IHDR.
    var minimumRawBytes: Int?
    /// A chunk whose declared length runs past the end of the data (its offset, type and length): libpng
    /// would allocate that length before finding out (1.9 GB for a 228-byte file), so it is refused first.
    var overlong: (offset: Int, type: String, length: Int)?

    /// Scans `data`; nil when it does not start with the PNG signature (libpng then reports why).
    static func scan(_ data: Data) -> PNGChunks? {
        let bytes = [UInt8](data)
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { return nil }
        var result = PNGChunks()
        var at = 8
        while at + 12 <= bytes.count {
            let length = Int(readUInt32(bytes, at))
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            guard length <= bytes.count - at - 12 else {
                result.overlong = (at, type, length)
                break
            }
            let body = Array(bytes[(at + 8)..<(at + 8 + length)])
            let stored = readUInt32(bytes, at + 8 + length)
            at += 12 + length
            guard crc32(bytes[(at - 8 - length)..<(at - 4)]) == stored else { continue }
            switch type {
            case "IHDR" where body.count == 13:
                result.minimumRawBytes = minimumRawBytes(ihdr: body)
            case "IDAT":
                result.imageDataBytes += length
            case "tEXt":
                if let (key, value) = parseText(body) { result.text[key] = value }
            case "iTXt":
                if let (key, value) = parseInternationalText(body) { result.text[key] = value }
            case "IEND":
                return result
            default:
                break
            }
        }
        return result
    }

    /// Whether the compressed image data could inflate to at least the header's size.
    ///
    /// Deflate cannot compress better than about 1032:1, so a header claiming far more pixels than the
    /// data could hold is damaged; checking this first avoids allocating for an impossible image.
    var couldHoldImage: Bool {
        guard let minimumRawBytes else { return true }
        let (capacity, overflow) = imageDataBytes.multipliedReportingOverflow(by: 1032)
        return overflow || minimumRawBytes <= capacity + 1024
    }

    private static func minimumRawBytes(ihdr: [UInt8]) -> Int? {
        let width = Int(readUInt32(ihdr, 0)), height = Int(readUInt32(ihdr, 4))
        let depth = Int(ihdr[8])
        let samples: Int
        switch ihdr[9] {
        case 0, 3: samples = 1
        case 4: samples = 2
        case 2: samples = 3
        case 6: samples = 4
        default: return nil
        }
        let (bits, o1) = width.multipliedReportingOverflow(by: depth * samples)
        let (total, o2) = ((bits + 7) / 8).multipliedReportingOverflow(by: height)
        return o1 || o2 ? Int.max : total
    }

    /// Returns `png` with one text chunk per entry placed before the first IDAT, sorted by keyword.
    ///
    /// Latin-1 text goes in `tEXt` (readable by every PNG tool); anything else in uncompressed `iTXt`,
    /// which carries UTF-8.
    static func inserting(text: [String: String], into png: Data, path: String) throws -> Data {
        guard !text.isEmpty else { return png }
        var chunks = Data()
        for key in text.keys.sorted() {
            guard let keyword = key.data(using: .isoLatin1), (1...79).contains(keyword.count), !keyword.contains(0),
                  key.first != " ", key.last != " " else {
                throw IOError(path: path, "PNG text keyword '\(key)' must be 1 to 79 Latin-1 characters without NUL or leading/trailing spaces")
            }
            let value = text[key]!
            if let latin1 = value.data(using: .isoLatin1), !latin1.contains(0) {
                chunks.append(chunk("tEXt", keyword + [0] + latin1))
            } else {
                // keyword, NUL, compression flag 0, method 0, empty language tag, empty translated keyword.
                chunks.append(chunk("iTXt", keyword + [0, 0, 0, 0, 0] + Data(value.utf8)))
            }
        }
        let bytes = [UInt8](png)
        var at = 8
        while at + 12 <= bytes.count {
            let length = Int(readUInt32(bytes, at))
            if String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self) == "IDAT" { break }
            at += 12 + length
        }
        var out = Data(bytes[0..<min(at, bytes.count)])
        out.append(chunks)
        out.append(contentsOf: bytes[min(at, bytes.count)...])
        return out
    }

    /// The first chunk of this type with a valid CRC: its offset in the file, its whole length (length,
    /// type, data and CRC) and its data; nil when there is none.
    public static func chunk(ofType type: String, in png: Data) -> (offset: Int, length: Int, body: [UInt8])? {
        let bytes = [UInt8](png)
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { return nil }
        var at = 8
        while at + 12 <= bytes.count {
            let length = Int(readUInt32(bytes, at))
            guard length <= bytes.count - at - 12 else { return nil }
            if String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self) == type,
               crc32(bytes[(at + 4)..<(at + 8 + length)]) == readUInt32(bytes, at + 8 + length) {
                return (at, length + 12, Array(bytes[(at + 8)..<(at + 8 + length)]))
            }
            at += 12 + length
        }
        return nil
    }

    /// Returns `png` with one chunk inserted at byte `offset`, which must be a chunk boundary.
    public static func inserting(chunk type: String, body: Data, at offset: Int, into png: Data) throws -> Data {
        guard type.utf8.count == 4, offset >= 8, offset <= png.count, body.count < Int(Int32.max) else {
            throw IOError(path: "(PNG data)", "cannot insert a \(type) chunk of \(body.count) bytes at byte \(offset)")
        }
        var out = Data(png.prefix(offset))
        out.append(chunk(type, body))
        out.append(png.suffix(from: png.startIndex + offset))
        return out
    }

    private static func chunk(_ type: String, _ body: Data) -> Data {
        var out = Data()
        var length = UInt32(body.count).bigEndian
        out.append(Data(bytes: &length, count: 4))
        let typed = Data(type.utf8) + body
        out.append(typed)
        var crc = crc32(typed).bigEndian
        out.append(Data(bytes: &crc, count: 4))
        return out
    }

    private static func parseText(_ body: [UInt8]) -> (String, String)? {
        guard let nul = body.firstIndex(of: 0), nul > 0 else { return nil }
        let key = String(bytes: body[..<nul], encoding: .isoLatin1)
        let value = String(bytes: body[(nul + 1)...], encoding: .isoLatin1)
        guard let key, let value else { return nil }
        return (key, value)
    }

    private static func parseInternationalText(_ body: [UInt8]) -> (String, String)? {
        guard let nul = body.firstIndex(of: 0), nul > 0, body.count >= nul + 3, body[nul + 1] == 0 else { return nil }
        var at = nul + 3
        guard let languageEnd = body[at...].firstIndex(of: 0) else { return nil }
        at = languageEnd + 1
        guard let translatedEnd = body[at...].firstIndex(of: 0) else { return nil }
        guard let key = String(bytes: body[..<nul], encoding: .isoLatin1) else { return nil }
        return (key, String(decoding: body[(translatedEnd + 1)...], as: UTF8.self))
    }

    private static func readUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 PNG chunks carry (over type and data).
    public static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
