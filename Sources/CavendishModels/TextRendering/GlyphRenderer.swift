import CavendishCore
import CavendishIO
import Foundation

/// NB-mini v2's text-rendering module: the quoted text of a prompt laid out into a glyph map.
///
/// A port of the training recipe's `Weights/recipe/glyph.py`, bit for bit: the glyphs come from the
/// committed atlas (`Weights/glyph_atlas.h5`, DejaVu Sans Bold rendered once by the recipe), and the
/// layout is integer arithmetic: the text is set on one line at atlas scale, scaled by the largest
/// whole factor that fits the band's height (shrunk to the band's width if it is too long), sampled
/// nearest-neighbour, and centred in the band at 5/8 of the image height. A test compares the maps with
/// the recipe's own.
public struct GlyphRenderer: Sendable {
    /// Glyph bitmaps, 0/1, [characters, height, cell width].
    let bitmaps: [UInt8]
    /// Pen advance per character.
    let advance: [Int]
    let count: Int, height: Int, cellWidth: Int, originX: Int, firstChar: Int

    /// Loads the atlas.
    public init(atlasFile path: String) throws {
        let file = try HDF5File(readingFrom: path)
        defer { file.close() }
        let b = try file.tensor(at: "bitmaps"), a = try file.tensor(at: "advance")
        guard b.rank == 3, a.rank == 1, a.shape[0] == b.shape[0] else {
            throw IOError(path: path, "not a glyph atlas (bitmaps \(b.shape), advance \(a.shape))")
        }
        bitmaps = b.int64s().map { $0 != 0 ? 1 : 0 }
        advance = a.int64s().map(Int.init)
        (count, height, cellWidth) = (b.shape[0], b.shape[1], b.shape[2])
        originX = Int(try file.attribute("origin_x")?.integerValue ?? 2)
        firstChar = Int(try file.attribute("first_char")?.integerValue ?? 32)
        // A manifest can be made to match a hostile atlas: every size that indexes or allocates is bounded,
        // and "?" (what unknown characters become) must be in it.
        let question = Int(("?" as Unicode.Scalar).value) - firstChar
        guard (1...1024).contains(count), (1...256).contains(height), (1...256).contains(cellWidth), (0...cellWidth).contains(originX),
              (0...0x10FFFF).contains(firstChar), (0..<count).contains(question), advance.allSatisfy({ (0...1024).contains($0) }) else {
            throw IOError(path: path, "not a usable glyph atlas (\(count) glyphs of \(height)x\(cellWidth) from U+\(String(firstChar, radix: 16)), origin \(originX); it must hold '?' and sizes up to 256)")
        }
    }

    /// The first double-quoted part of a prompt ("" when none); curly quotes count as straight ones.
    public static func quotedText(_ prompt: String) -> String {
        let straight = prompt.replacingOccurrences(of: "\u{201C}", with: "\"").replacingOccurrences(of: "\u{201D}", with: "\"")
        let parts = straight.split(separator: "\"", omittingEmptySubsequences: false)
        return parts.count >= 3 ? String(parts[1]) : ""
    }

    /// (x0, y0, width, height) of the text band in a size x size image.
    public static func band(_ size: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let x0 = size / 32
        return (x0, size * 5 / 8, size - 2 * x0, size * 3 / 16)
    }

    func codes(_ text: String) -> [Int] {
        let question = Int(("?" as Unicode.Scalar).value) - firstChar
        return text.unicodeScalars.map { s in
            let c = Int(s.value) - firstChar
            return c >= 0 && c < count ? c : question
        }
    }

    /// Rows of a line of text at atlas scale.
    public var lineHeight: Int { height }

    /// The text on one line at atlas scale: 0/1 values, `lineHeight` rows of `width` columns (also what
    /// labels a contact sheet).
    public func line(_ text: String) -> (pixels: [UInt8], width: Int) {
        let cs = codes(text)
        let width = cs.map { advance[$0] }.reduce(0, +)
        var pixels = [UInt8](repeating: 0, count: height * max(width, 0))
        var pen = 0
        for c in cs {
            for col in 0..<cellWidth {
                let x = pen + col - originX
                guard x >= 0 && x < width else { continue }
                for y in 0..<height where bitmaps[(c * height + y) * cellWidth + col] != 0 { pixels[y * width + x] = 1 }
            }
            pen += advance[c]
        }
        return (pixels, width)
    }

    static func floorHalf(_ v: Int) -> Int { v >= 0 ? v / 2 : -((-v + 1) / 2) }

    /// Where `text` is laid out in a `size` image: (x0, y0, width, height) of its rectangle, for a line
    /// `lineWidth` pixels wide (the recipe's `glyph._layout`).
    func layout(lineWidth w: Int, size: Int) -> (x0: Int, y0: Int, width: Int, height: Int) {
        let band = Self.band(size), h = height
        let k = max(1, band.height / h)
        var (tw, th) = (w * k, h * k)
        if tw > band.width { (tw, th) = (band.width, (h * k * band.width) / (w * k)) }
        th = max(th, 1)
        // Python's floor division: the text can be taller than a small band, and then it is centred upward.
        return (band.x + Self.floorHalf(band.width - tw), band.y + Self.floorHalf(band.height - th), tw, th)
    }

    /// The rectangle `[x0, y0, x1, y1]` (x1, y1 exclusive) that `text` is laid out in (the recipe's
    /// `glyph.glyph_box`), or nil for no text: where the evaluation reads the rendered text.
    public func textBox(_ text: String, size: Int = 128) -> [Int]? {
        let (_, w) = line(text)
        guard !text.isEmpty, w > 0 else { return nil }
        let r = layout(lineWidth: w, size: size)
        return [r.x0, r.y0, r.x0 + r.width, r.y0 + r.height]
    }

    /// The glyph map of `text`: [size, size], 1 where the text's ink is, else 0.
    public func glyphMap(_ text: String, size: Int = 128) -> Tensor {
        var out = [Float](repeating: 0, count: size * size)
        let (pixels, w) = line(text)
        let h = height
        if !text.isEmpty && w > 0 {
            let (x0, y0, tw, th) = layout(lineWidth: w, size: size)
            for y in 0..<th where y0 + y >= 0 && y0 + y < size {
                let sy = (y * h) / th
                for x in 0..<tw where x0 + x >= 0 && x0 + x < size {
                    out[(y0 + y) * size + x0 + x] = Float(pixels[sy * w + (x * w) / tw])
                }
            }
        }
        return Tensor(shape: [size, size], floats: out)
    }
}
