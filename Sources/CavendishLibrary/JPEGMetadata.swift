import Foundation

/// What a JPEG's header segments say, read without decoding any pixels.
///
/// The marker segments are walked from SOI to the first SOS: APP1 `Exif` (orientation, date taken),
/// APP1 XMP (`http://ns.adobe.com/xap/1.0/` followed by a NUL), and the SOF frame size.
public struct JPEGMetadata: Sendable, Equatable {
    /// Stored width from the SOF segment.
    public var storedWidth: Int?
    /// Stored height from the SOF segment.
    public var storedHeight: Int?
    /// EXIF IFD0 Orientation (1-8), 1 when absent or out of range.
    public var orientation: Int = 1
    /// EXIF DateTimeOriginal (read as UTC, since EXIF keeps no zone), if present.
    public var dateTaken: Date?
    /// The XMP packet, if the file embeds one.
    public var xmp: String?

    /// Equality over all fields.
    public static func == (a: JPEGMetadata, b: JPEGMetadata) -> Bool {
        a.storedWidth == b.storedWidth && a.storedHeight == b.storedHeight && a.orientation == b.orientation
            && a.dateTaken == b.dateTaken && a.xmp == b.xmp
    }

    /// Reads the header of JPEG bytes; nil when they do not start like a JPEG (SOI marker).
    public init?(jpegData data: Data) {
        guard data.count >= 4, data[data.startIndex] == 0xFF, data[data.startIndex + 1] == 0xD8 else { return nil }
        let bytes = [UInt8](data)
        var i = 2
        while i + 4 <= bytes.count {
            guard bytes[i] == 0xFF else { i += 1; continue }  // tolerate junk between segments
            var marker = bytes[i + 1]
            var j = i + 1
            while marker == 0xFF, j + 1 < bytes.count { j += 1; marker = bytes[j] }  // fill bytes
            i = j + 1
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { continue }
            if marker == 0xD9 || marker == 0xDA { break }  // EOI, SOS: no more header segments
            guard i + 2 <= bytes.count else { break }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard length >= 2, i + length <= bytes.count else { break }
            let body = (i + 2)..<(i + length)
            if marker == 0xE1 { readAPP1(bytes[body]) }
            if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC, body.count >= 5 {
                let b = body.lowerBound
                storedHeight = Int(bytes[b + 1]) << 8 | Int(bytes[b + 2])
                storedWidth = Int(bytes[b + 3]) << 8 | Int(bytes[b + 4])
            }
            i += length
        }
    }

    /// Width and height as displayed (swapped for orientations 5-8).
    public var displayedSize: (width: Int, height: Int)? {
        guard let w = storedWidth, let h = storedHeight else { return nil }
        return orientation >= 5 ? (h, w) : (w, h)
    }

    private static let xmpSignature = Array("http://ns.adobe.com/xap/1.0/\u{0}".utf8)
    private static let exifSignature: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]

    private mutating func readAPP1(_ body: ArraySlice<UInt8>) {
        if body.starts(with: Self.exifSignature) {
            let tiff = Array(body.dropFirst(6))
            if let exif = EXIFReader(tiff: tiff) {
                orientation = exif.orientation
                dateTaken = exif.dateTaken
            }
        } else if body.starts(with: Self.xmpSignature), xmp == nil {
            xmp = String(decoding: body.dropFirst(Self.xmpSignature.count), as: UTF8.self)
        }
    }
}

/// The two EXIF fields a library needs, from a TIFF-structured EXIF block.
struct EXIFReader {
    /// IFD0 Orientation (1-8), 1 when absent or invalid.
    var orientation = 1
    /// Exif IFD DateTimeOriginal, read as UTC.
    var dateTaken: Date?

    private let tiff: [UInt8]
    private let little: Bool

    /// Parses a TIFF header and IFD0; nil when the bytes are not TIFF.
    init?(tiff: [UInt8]) {
        guard tiff.count >= 8 else { return nil }
        if tiff[0] == 0x49, tiff[1] == 0x49 { little = true } else if tiff[0] == 0x4D, tiff[1] == 0x4D { little = false } else { return nil }
        self.tiff = tiff
        guard u16(2) == 42, let ifd0 = u32(4) else { return nil }
        var exifIFD: Int?
        forEachEntry(Int(ifd0)) { tag, type, count, valueOffset in
            if tag == 0x0112, type == 3, count >= 1, let v = u16(valueOffset), (1...8).contains(v) { orientation = Int(v) }
            if tag == 0x8769, type == 4 || type == 13, let v = u32(valueOffset) { exifIFD = Int(v) }
        }
        if let exifIFD {
            forEachEntry(exifIFD) { tag, type, count, valueOffset in
                guard tag == 0x9003, type == 2, count >= 19, let start = count > 4 ? u32(valueOffset).map(Int.init) : valueOffset,
                      start + 19 <= tiff.count else { return }
                let text = String(decoding: tiff[start..<(start + 19)], as: UTF8.self)
                dateTaken = EXIFReader.parseDate(text)
            }
        }
    }

    /// "YYYY:MM:DD HH:MM:SS" as a UTC date.
    static func parseDate(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == " " }).compactMap { Int($0) }
        guard parts.count == 6, parts[0] > 1800 else { return nil }
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: c)
    }

    private func forEachEntry(_ offset: Int, _ body: (Int, Int, Int, Int) -> Void) {
        guard let n = u16(offset), n < 1000 else { return }
        for k in 0..<Int(n) {
            let e = offset + 2 + k * 12
            guard e + 12 <= tiff.count, let tag = u16(e), let type = u16(e + 2), let count = u32(e + 4) else { return }
            body(Int(tag), Int(type), Int(count), e + 8)
        }
    }

    private func u16(_ at: Int) -> UInt16? {
        guard at >= 0, at + 2 <= tiff.count else { return nil }
        return little ? UInt16(tiff[at]) | UInt16(tiff[at + 1]) << 8 : UInt16(tiff[at]) << 8 | UInt16(tiff[at + 1])
    }

    private func u32(_ at: Int) -> UInt32? {
        guard at >= 0, at + 4 <= tiff.count else { return nil }
        let b = (UInt32(tiff[at]), UInt32(tiff[at + 1]), UInt32(tiff[at + 2]), UInt32(tiff[at + 3]))
        return little ? b.0 | b.1 << 8 | b.2 << 16 | b.3 << 24 : b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3
    }
}
