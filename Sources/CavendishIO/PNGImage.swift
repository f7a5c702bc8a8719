import CPNG
import CavendishCore
import Foundation

/// An 8-bit PNG image: gray (1 channel), gray+alpha (2), RGB (3) or RGBA (4), plus its text chunks.
///
/// Decoding and encoding use libpng's simplified API, which contains libpng's longjmp error handling
/// inside C and reports failure through a return value and a message, so a bad file can never jump
/// over Swift frames. Files with a palette or 16-bit samples are read as 8-bit gray/RGB(A).
public struct PNGImage: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Samples per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public let channels: Int
    /// Samples in row-major order, channels interleaved (`(y * width + x) * channels + c`).
    public let pixels: [UInt8]
    /// Text chunks (`tEXt`, and uncompressed `iTXt`), keyword to text; written with the image.
    public var text: [String: String]

    /// Creates an image from interleaved samples; throws when the count does not match the size.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], text: [String: String] = [:]) throws {
        guard (1...4).contains(channels) else {
            throw TensorError("a PNG image has 1 to 4 channels, not \(channels)")
        }
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw TensorError("a PNG image needs a positive width and height, not \(width)x\(height)")
        }
        let (rows, o1) = width.multipliedReportingOverflow(by: height)
        let (expected, o2) = rows.multipliedReportingOverflow(by: channels)
        guard !o1, !o2, pixels.count == expected else {
            throw TensorError("\(width)x\(height) with \(channels) channels needs \(expected) samples, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.text = text
    }

    /// Reads a PNG file.
    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read: \(error.localizedDescription)" : "no such file"
            throw IOError(path: path, reason)
        }
        try self.init(pngData: data, path: path)
    }

    /// Decodes PNG bytes; `path` names the source in error messages.
    public init(pngData data: Data, path: String = "(PNG data)") throws {
        let chunks = PNGChunks.scan(data)
        if let (offset, type, length) = chunks?.overlong {
            throw IOError(path: path, "is a damaged PNG: its \(type) chunk at byte \(offset) declares \(length) bytes, more than the file holds; refused before decoding")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { bytes in
            png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count)
        }
        guard begun != 0 else { throw IOError(path: path, "is not a readable PNG: \(Self.message(of: &image))") }

        let alpha = image.format & PNG_FORMAT_FLAG_ALPHA != 0
        let color = image.format & PNG_FORMAT_FLAG_COLOR != 0
        let channels = (color ? 3 : 1) + (alpha ? 1 : 0)
        // Keep the file's gray/color and alpha, but always 8-bit, non-palette samples.
        image.format = (color ? PNG_FORMAT_FLAG_COLOR : 0) | (alpha ? PNG_FORMAT_FLAG_ALPHA : 0)
        let width = Int(image.width), height = Int(image.height)
        let (rowBytes, o1) = width.multipliedReportingOverflow(by: channels)
        let (byteCount, o2) = rowBytes.multipliedReportingOverflow(by: height)
        // A damaged header can claim an enormous image; refuse before allocating the output.
        let plausible = chunks?.couldHoldImage ?? true
        guard ImageLimits.allows(width: width, height: height) else {
            png_image_free(&image)
            throw IOError(path: path, "header claims a \(width)x\(height) image, more than \(ImageLimits.maximumPixels / 1_000_000) megapixels; refused before decoding")
        }
        guard !o1, !o2, byteCount <= Self.maximumBytes, plausible else {
            png_image_free(&image)
            throw IOError(path: path, "header claims a \(width)x\(height) image, which the file's data cannot hold; the file is truncated or corrupt")
        }
        var pixels = [UInt8](repeating: 0, count: byteCount)
        let finished = pixels.withUnsafeMutableBytes { buffer in
            png_image_finish_read(&image, nil, buffer.baseAddress, Int32(rowBytes), nil)
        }
        guard finished != 0, image.warning_or_error & 0x03 <= 1 else {
            let message = Self.message(of: &image)
            png_image_free(&image)
            throw IOError(path: path, "is a damaged PNG: \(message)")
        }
        png_image_free(&image)
        try self.init(width: width, height: height, channels: channels, pixels: pixels, text: chunks?.text ?? [:])
    }

    /// The image encoded as PNG bytes, with its text chunks.
    public func pngData() throws -> Data {
        try encode(path: "(PNG data)")
    }

    /// Writes the image to `path` through a temporary file; refuses to replace a file unless `overwrite`.
    public func write(to path: String, overwrite: Bool = false) throws {
        try AtomicFile.write(encode(path: path), to: path, overwrite: overwrite)
    }

    private func encode(path: String) throws -> Data {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = (channels >= 3 ? PNG_FORMAT_FLAG_COLOR : 0) | (channels % 2 == 0 ? PNG_FORMAT_FLAG_ALPHA : 0)
        var size = 0
        let sized = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard sized != 0 else { throw IOError(path: path, "cannot encode PNG: \(Self.message(of: &image))") }
        var encoded = [UInt8](repeating: 0, count: size)
        let written = pixels.withUnsafeBytes { source in
            encoded.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, source.baseAddress, 0, nil) }
        }
        guard written != 0 else { throw IOError(path: path, "cannot encode PNG: \(Self.message(of: &image))") }
        return try PNGChunks.inserting(text: text, into: Data(encoded.prefix(size)), path: path)
    }

    /// The largest decoded image we allocate: half of memory, and libpng's own 4 GiB limit.
    private static var maximumBytes: Int {
        Int(min(ProcessInfo.processInfo.physicalMemory / 2, UInt64(UInt32.max)))
    }

    private static func message(of image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "libpng gave no reason" : text
    }
}

extension PNGImage {
    /// A float32 tensor of shape `[channels, height, width]` with samples scaled to [0, 1].
    public func tensor() -> Tensor {
        let out = Tensor(zeros: [channels, height, width], dtype: .float32)
        let dst = out.pointer(as: Float.self)
        let plane = width * height
        for p in 0..<plane {
            for c in 0..<channels { dst[c * plane + p] = Float(pixels[p * channels + c]) / 255 }
        }
        return out
    }

    /// Quantizes a `[channels, height, width]` (or `[height, width]` gray) tensor in [0, 1] to 8 bits.
    ///
    /// Values are clamped to [0, 1] and rounded to the nearest step; NaN becomes 0.
    public init(tensor: Tensor, text: [String: String] = [:]) throws {
        let shape = tensor.rank == 2 ? [1] + tensor.shape : tensor.shape
        guard shape.count == 3 else {
            throw TensorError("an image tensor has shape [channels, height, width], not \(tensor.shape)")
        }
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        guard (1...4).contains(channels) else {
            throw TensorError("an image tensor has 1 to 4 channels, not \(channels) (shape \(tensor.shape))")
        }
        let values = tensor.floats()
        let plane = width * height
        var pixels = [UInt8](repeating: 0, count: values.count)
        for c in 0..<channels {
            for p in 0..<plane {
                let v = values[c * plane + p]
                let clamped = v.isNaN ? 0 : min(max(v, 0), 1)
                pixels[p * channels + c] = UInt8((clamped * 255).rounded())
            }
        }
        try self.init(width: width, height: height, channels: channels, pixels: pixels, text: text)
    }
}
