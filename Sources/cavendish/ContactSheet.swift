import CavendishModels

/// A grid of generated images, each labelled underneath (seed, prompt number, the swept setting), in the
/// glyph atlas's own font, so a sheet needs nothing beyond the weights folder.
struct ContactSheet {
    /// One tile: RGB pixels of a `size` x `size` image and its label.
    struct Tile {
        var pixels: [UInt8]
        var label: String
    }

    /// Tiles in reading order.
    var tiles: [Tile] = []
    /// Tile side in pixels.
    var size = 128

    /// The sheet's RGB pixels and size: `columns` tiles a row (default: close to square), a white label
    /// strip of one text line under each tile, black ink.
    func render(font: GlyphRenderer, columns: Int? = nil) -> (pixels: [UInt8], width: Int, height: Int) {
        let n = max(tiles.count, 1)
        let cols = max(1, min(columns ?? Int(Double(n).squareRoot().rounded(.up)), n))
        let rows = (n + cols - 1) / cols
        let gap = 4, strip = font.lineHeight + 2
        let width = cols * size + (cols + 1) * gap, cellHeight = size + strip
        let height = rows * cellHeight + (rows + 1) * gap
        var out = [UInt8](repeating: 255, count: width * height * 3)
        for (i, tile) in tiles.enumerated() {
            let x0 = gap + (i % cols) * (size + gap), y0 = gap + (i / cols) * (cellHeight + gap)
            for y in 0..<size { for x in 0..<size { for c in 0..<3 {
                out[((y0 + y) * width + x0 + x) * 3 + c] = tile.pixels[(y * size + x) * 3 + c]
            } } }
            let (ink, w) = font.line(tile.label)
            // Labels wider than the tile are squeezed (nearest column), never cut.
            let drawn = min(w, size), ly = y0 + size + 1
            for y in 0..<font.lineHeight { for x in 0..<drawn where ink[y * w + (x * w) / max(drawn, 1)] != 0 {
                for c in 0..<3 { out[((ly + y) * width + x0 + x) * 3 + c] = 0 }
            } }
        }
        return (out, width, height)
    }
}
