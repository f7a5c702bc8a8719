import CavendishIO
import Foundation

/// The photo formats a library may hold.
public enum PhotoFormat: String, Codable, Sendable, CaseIterable {
    /// JPEG, decoded with libjpeg-turbo; EXIF orientation honoured.
    case jpeg
    /// PNG, decoded with libpng through `CavendishIO.PNGImage`.
    case png
    /// HEIC/HEIF, decoded with libheif.
    case heic

    /// The format a file name's extension suggests (case-insensitive), or nil for non-photos.
    public init?(fileName: String) {
        switch (fileName as NSString).pathExtension.lowercased() {
        case "jpg", "jpeg", "jpe": self = .jpeg
        case "png": self = .png
        case "heic", "heif", "hif": self = .heic
        default: return nil
        }
    }

    /// The format the first bytes show, or nil when they match none.
    public init?(sniffing data: Data) {
        let b = [UInt8](data.prefix(12))
        if b.count >= 3, b[0] == 0xFF, b[1] == 0xD8, b[2] == 0xFF { self = .jpeg; return }
        if b.count >= 8, b[0...7] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { self = .png; return }
        if b.count >= 12, b[4...7] == Array("ftyp".utf8)[...] {
            let brand = String(decoding: b[8...11], as: UTF8.self)
            if ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].contains(brand) { self = .heic; return }
        }
        return nil
    }
}

/// A photo's size, orientation and embedded metadata, read from its header without decoding pixels.
public struct PhotoProbe: Sendable, Equatable, Codable {
    /// The format found in the bytes.
    public var format: PhotoFormat
    /// Displayed width (orientation applied).
    public var width: Int
    /// Displayed height (orientation applied).
    public var height: Int
    /// EXIF orientation (1-8) that decoding applies; 1 for PNG and HEIC (libheif applies its own).
    public var orientation: Int
    /// EXIF DateTimeOriginal, if any.
    public var dateTaken: Date?
    /// The embedded XMP packet, if any.
    public var xmp: String?

    /// Creates a probe result.
    public init(format: PhotoFormat, width: Int, height: Int, orientation: Int, dateTaken: Date? = nil, xmp: String? = nil) {
        self.format = format
        self.width = width
        self.height = height
        self.orientation = orientation
        self.dateTaken = dateTaken
        self.xmp = xmp
    }
}

/// Decoding of library photos: JPEG (libjpeg-turbo), PNG (libpng) and HEIC (libheif), always to RGB in
/// the displayed orientation. A file that cannot be decoded gives a `DecodeFailure`, never a crash.
public enum PhotoDecoder {
    /// Where HEIF bytes are parsed when set: somewhere a crash cannot take the caller down. The command
    /// line sets a child process, because libheif 1.15 with libde265 starts thousands of threads on some
    /// damaged 1 kB files and aborts the process when thread creation fails (found by fuzzing). Nil:
    /// in this process, as the tests and the worker child itself do.
    nonisolated(unsafe) public static var heifIsolation: (any HEIFIsolation)?

    /// HEIF parsing in this process, whatever `heifIsolation` says (what the isolating child runs).
    public static func probeHEIFInProcess(_ data: Data) -> Result<PhotoProbe, DecodeFailure> { HEIFDecoder.probe(data) }
    /// HEIF decoding in this process, whatever `heifIsolation` says (what the isolating child runs).
    public static func decodeHEIFInProcess(_ data: Data) -> Result<RGBImage, DecodeFailure> { HEIFDecoder.decode(data) }

    /// Size, orientation and embedded metadata of photo bytes; `name` is used only in messages.
    public static func probe(_ data: Data) -> Result<PhotoProbe, DecodeFailure> {
        guard let format = PhotoFormat(sniffing: data) else {
            return .failure(DecodeFailure(data.isEmpty ? "the file is empty" : "not a JPEG, PNG or HEIC file (unknown first bytes)"))
        }
        switch format {
        case .jpeg:
            guard let meta = JPEGMetadata(jpegData: data), let size = meta.displayedSize, size.width > 0, size.height > 0 else {
                return .failure(DecodeFailure("a JPEG without a readable frame header (SOF)"))
            }
            return .success(PhotoProbe(format: .jpeg, width: size.width, height: size.height, orientation: meta.orientation,
                                       dateTaken: meta.dateTaken, xmp: meta.xmp))
        case .png:
            return PNGHeader.probe(data)
        case .heic:
            return heifIsolation?.probe(data) ?? HEIFDecoder.probe(data)
        }
    }

    /// The pixels of photo bytes, oriented as displayed.
    public static func decode(_ data: Data) -> Result<RGBImage, DecodeFailure> {
        guard let format = PhotoFormat(sniffing: data) else {
            return .failure(DecodeFailure(data.isEmpty ? "the file is empty" : "not a JPEG, PNG or HEIC file (unknown first bytes)"))
        }
        switch format {
        case .jpeg:
            let orientation = JPEGMetadata(jpegData: data)?.orientation ?? 1
            return JPEGDecoder.decode(data).map { $0.oriented(orientation) }
        case .png:
            do {
                return .success(RGBImage(try PNGImage(pngData: data)))
            } catch {
                return .failure(DecodeFailure("libpng: \(error)"))
            }
        case .heic:
            return heifIsolation?.decode(data) ?? HEIFDecoder.decode(data)
        }
    }
}

/// Parses HEIF bytes out of the calling process (see `PhotoDecoder.heifIsolation`).
public protocol HEIFIsolation: AnyObject, Sendable {
    /// As `PhotoDecoder.probe`, for HEIF bytes.
    func probe(_ data: Data) -> Result<PhotoProbe, DecodeFailure>
    /// As `PhotoDecoder.decode`, for HEIF bytes.
    func decode(_ data: Data) -> Result<RGBImage, DecodeFailure>
}

/// PNG's IHDR size and its uncompressed XMP `iTXt` chunk, read without decoding.
enum PNGHeader {
    static func probe(_ data: Data) -> Result<PhotoProbe, DecodeFailure> {
        let b = [UInt8](data)
        func u32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        guard b.count >= 33, String(decoding: b[12..<16], as: UTF8.self) == "IHDR" else {
            return .failure(DecodeFailure("a PNG without an IHDR header"))
        }
        let width = u32(16), height = u32(20)
        guard width > 0, height > 0 else { return .failure(DecodeFailure("a PNG with an empty size")) }
        var probe = PhotoProbe(format: .png, width: width, height: height, orientation: 1)
        var i = 8
        while i + 12 <= b.count {
            let length = u32(i)
            let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            guard length >= 0, i + 12 + length <= b.count else { break }
            if type == "iTXt" {
                let body = b[(i + 8)..<(i + 8 + length)]
                let keyword = "XML:com.adobe.xmp"
                if body.starts(with: Array(keyword.utf8) + [0]) {
                    // keyword NUL, compression flag, method, language NUL, translated keyword NUL, text
                    let rest = body.dropFirst(keyword.utf8.count + 1)
                    if rest.first == 0, let langEnd = rest.dropFirst(2).firstIndex(of: 0),
                       let transEnd = b[(langEnd + 1)..<body.endIndex].firstIndex(of: 0) {
                        probe.xmp = String(decoding: b[(transEnd + 1)..<body.endIndex], as: UTF8.self)
                    }
                }
            }
            if type == "IEND" { break }
            i += 12 + length
        }
        return .success(probe)
    }
}
