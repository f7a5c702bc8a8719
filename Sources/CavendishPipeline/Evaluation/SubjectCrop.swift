/// The identity judge's view of a subject (the recipe's `data.crop_subject`): a square around the subject's
/// box, as wide as the box's longer side (at least 8 pixels), centred on it, with the image's edge pixels
/// repeated beyond its border, resized to `size` with Pillow's bilinear filter.
public enum SubjectCrop {
    /// The crop of `box` `[x0, y0, x1, y1]` from a square RGB image (`side` x `side`, interleaved), as RGB
    /// bytes [size, size, 3].
    public static func crop(_ pixels: [UInt8], side: Int, box: [Int], size: Int = 64) -> [UInt8] {
        let s = max(box[2] - box[0], box[3] - box[1], 8)
        let cx = Double(box[0] + box[2]) / 2, cy = Double(box[1] + box[3]) / 2
        // Python's round() rounds halves to even.
        let top = Int((cy - Double(s) / 2).rounded(.toNearestOrEven)), left = Int((cx - Double(s) / 2).rounded(.toNearestOrEven))
        var square = [UInt8](repeating: 0, count: s * s * 3)
        for y in 0..<s {
            let sy = min(max(top + y, 0), side - 1)
            for x in 0..<s {
                let sx = min(max(left + x, 0), side - 1)
                for c in 0..<3 { square[(y * s + x) * 3 + c] = pixels[(sy * side + sx) * 3 + c] }
            }
        }
        return PILResize.resize(square, width: s, height: s, toWidth: size, toHeight: size, filter: .bilinear)
    }
}
