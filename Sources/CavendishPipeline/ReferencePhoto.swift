import CavendishCore
import CavendishIO

/// A reference photo prepared for the reference encoder: centre-cropped to a square, resized to
/// 64 x 64 with PIL's antialiased bilinear filter (as the recipe's `prepare_photo` does), and scaled to
/// [-1, 1] as [3, 64, 64].
public struct ReferencePhoto: Sendable {
    /// Pixels [3, size, size] in [-1, 1].
    public let tensor: Tensor
    /// Where it came from, for provenance and audit.
    public let source: String

    /// Prepares an 8-bit image (gray, gray+alpha, RGB or RGBA; alpha is dropped).
    public init(image: PNGImage, source: String, size: Int = 64) throws {
        try self.init(width: image.width, height: image.height, channels: image.channels, pixels: image.pixels, source: source, size: size)
    }

    /// Prepares interleaved 8-bit pixels.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], source: String, size: Int = 64) throws {
        tensor = try Self.planar(width: width, height: height, channels: channels, pixels: pixels, source: source, size: size)
        self.source = source
    }

    /// Interleaved 8-bit pixels (gray, gray+alpha, RGB or RGBA; alpha is dropped) centre-cropped to a
    /// square, resized to `size` with Pillow's bilinear filter (`PILResize`), as [3, size, size] in [-1, 1]: the recipe's
    /// `prepare_photo`, which reference photos and img2img's init images (`InitImage`) both go through.
    static func planar(width: Int, height: Int, channels: Int, pixels: [UInt8], source: String, size: Int) throws -> Tensor {
        guard width > 0, height > 0, [1, 2, 3, 4].contains(channels), pixels.count == width * height * channels else {
            throw TensorError("\(source): not an image (\(width)x\(height), \(channels) channels, \(pixels.count) bytes)")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            for c in 0..<3 { rgb[i * 3 + c] = pixels[i * channels + (channels >= 3 ? c : 0)] }
        }
        let s = min(width, height), x0 = (width - s) / 2, y0 = (height - s) / 2
        var square = [UInt8](repeating: 0, count: s * s * 3)
        for y in 0..<s { for x in 0..<s { for c in 0..<3 { square[(y * s + x) * 3 + c] = rgb[((y0 + y) * width + x0 + x) * 3 + c] } } }
        let resized = s == size ? square : PILResize.resize(square, width: s, height: s, toWidth: size, toHeight: size, filter: .bilinear)
        var values = [Float](repeating: 0, count: 3 * size * size)
        for y in 0..<size { for x in 0..<size { for c in 0..<3 {
            values[(c * size + y) * size + x] = Float(resized[(y * size + x) * 3 + c]) / 127.5 - 1
        } } }
        return Tensor(shape: [3, size, size], floats: values)
    }
}
