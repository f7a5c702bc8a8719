import CavendishIO
import Foundation

/// A decoded photo: 8-bit RGB, row-major, channels interleaved, in its displayed orientation.
public struct RGBImage: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `(y * width + x) * 3 + c` for c in R, G, B.
    public let pixels: [UInt8]

    /// An image from interleaved RGB samples; nil when the count does not match the size.
    public init?(width: Int, height: Int, pixels: [UInt8]) {
        guard width > 0, height > 0, pixels.count == width * height * 3 else { return nil }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The RGB sample at column `x`, row `y`.
    public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The image as displayed for an EXIF orientation (1-8; anything else is treated as 1).
    ///
    /// Orientation says how the stored rows map to the displayed picture: 2 mirrors left-right, 3 turns
    /// 180 degrees, 4 mirrors top-bottom, 5 transposes, 6 turns 90 degrees clockwise, 7 transverses,
    /// 8 turns 90 degrees counter-clockwise.
    public func oriented(_ orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation) else { return self }
        let w = width, h = height
        let swaps = orientation >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let (ix, iy): (Int, Int)
                        switch orientation {
                        case 2: (ix, iy) = (w - 1 - ox, oy)
                        case 3: (ix, iy) = (w - 1 - ox, h - 1 - oy)
                        case 4: (ix, iy) = (ox, h - 1 - oy)
                        case 5: (ix, iy) = (oy, ox)
                        case 6: (ix, iy) = (oy, h - 1 - ox)
                        case 7: (ix, iy) = (w - 1 - oy, h - 1 - ox)
                        default: (ix, iy) = (w - 1 - oy, ox)
                        }
                        let s = (iy * w + ix) * 3, d = (oy * ow + ox) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)!
    }

    /// The pixel rectangle a box covers, clipped to the frame; nil when less than one pixel remains.
    public func pixelRect(_ box: NormalizedBox) -> (x: Int, y: Int, width: Int, height: Int)? {
        let x0 = max(0, Int((box.x * Double(width)).rounded(.down)))
        let y0 = max(0, Int((box.y * Double(height)).rounded(.down)))
        let x1 = min(width, Int(((box.x + box.width) * Double(width)).rounded(.up)))
        let y1 = min(height, Int(((box.y + box.height) * Double(height)).rounded(.up)))
        guard x1 > x0, y1 > y0 else { return nil }
        return (x0, y0, x1 - x0, y1 - y0)
    }

    /// The part of the image inside `box` (clipped to the frame), or nil when nothing is inside.
    public func cropped(to box: NormalizedBox) -> RGBImage? {
        guard let r = pixelRect(box) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(r.width * r.height * 3)
        for y in r.y..<(r.y + r.height) {
            let start = (y * width + r.x) * 3
            out.append(contentsOf: pixels[start..<(start + r.width * 3)])
        }
        return RGBImage(width: r.width, height: r.height, pixels: out)
    }

    /// The image shrunk by box averaging so that its longer side is at most `maxSide` (never enlarged).
    public func shrunk(toMaxSide maxSide: Int) -> RGBImage {
        let side = max(width, height)
        guard maxSide > 0, side > maxSide else { return self }
        let ow = max(1, width * maxSide / side), oh = max(1, height * maxSide / side)
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        for oy in 0..<oh {
            let y0 = oy * height / oh, y1 = max(y0 + 1, (oy + 1) * height / oh)
            for ox in 0..<ow {
                let x0 = ox * width / ow, x1 = max(x0 + 1, (ox + 1) * width / ow)
                var sum = (0, 0, 0)
                for y in y0..<y1 {
                    for x in x0..<x1 {
                        let i = (y * width + x) * 3
                        sum.0 += Int(pixels[i]); sum.1 += Int(pixels[i + 1]); sum.2 += Int(pixels[i + 2])
                    }
                }
                let n = (y1 - y0) * (x1 - x0), d = (oy * ow + ox) * 3
                out[d] = UInt8(sum.0 / n); out[d + 1] = UInt8(sum.1 / n); out[d + 2] = UInt8(sum.2 / n)
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)!
    }

    /// Sharpness: the variance of the 4-neighbour Laplacian of the luma (0 for images under 3x3).
    ///
    /// A blurred crop has weak second derivatives and a low variance; a crisp one a high variance. Compare
    /// crops at the same size (`shrunk(toMaxSide:)` first), since the value depends on scale.
    public func laplacianVariance() -> Double {
        guard width >= 3, height >= 3 else { return 0 }
        var luma = [Double](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            luma[i] = 0.299 * Double(pixels[i * 3]) + 0.587 * Double(pixels[i * 3 + 1]) + 0.114 * Double(pixels[i * 3 + 2])
        }
        var sum = 0.0, sumSq = 0.0, n = 0.0
        for y in 1..<(height - 1) {
            for x in 1..<(width - 1) {
                let c = y * width + x
                let l = luma[c - 1] + luma[c + 1] + luma[c - width] + luma[c + width] - 4 * luma[c]
                sum += l; sumSq += l * l; n += 1
            }
        }
        let mean = sum / n
        return max(0, sumSq / n - mean * mean)
    }

    /// The image as a 3-channel `PNGImage` (what the generation pipeline takes as a reference photo).
    public func pngImage() throws -> PNGImage {
        try PNGImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// PNG bytes of the image.
    public func pngData() throws -> Data {
        try pngImage().pngData()
    }

    /// The image of a decoded PNG (gray, gray+alpha, RGB or RGBA; alpha is dropped).
    public init(_ png: PNGImage) {
        let n = png.width * png.height
        var out = [UInt8](repeating: 0, count: n * 3)
        let c = png.channels
        for i in 0..<n {
            if c >= 3 {
                out[i * 3] = png.pixels[i * c]; out[i * 3 + 1] = png.pixels[i * c + 1]; out[i * 3 + 2] = png.pixels[i * c + 2]
            } else {
                let v = png.pixels[i * c]
                out[i * 3] = v; out[i * 3 + 1] = v; out[i * 3 + 2] = v
            }
        }
        self.init(width: png.width, height: png.height, pixels: out)!
    }
}
