import CavendishCore

/// The reference canvas of a canvas DiT (the recipe's `canvas.py`, which Swift matches bit for bit): each
/// person's first reference photo pasted into the box where that person goes, so that the denoiser can read
/// the person's colours at the place they belong (spatial control, as GLIGEN's boxes and InstantID's
/// spatial input do) instead of only through the compressed reference tokens.
///
/// The canvas is [1, 4, size, size]: channels 0-2 the photo in [-1, 1] inside a box (0 outside), channel 3
/// is 1 inside a box. Pixel (y, x) of a box (x0, y0, x1, y1), clipped to the image, takes the photo's
/// pixel `((y - y0) * Q / h, (x - x0) * Q / w)` for a photo of side Q (nearest neighbour by integer
/// division); later people are painted over earlier ones.
public enum ReferenceCanvas {
    /// Channels of a canvas.
    public static let channels = 4

    /// The world's median person box for n subjects in a row (the recipe's `canvas.planner_box`): width
    /// and top edge in a 128-pixel image, index n - 1; every box ends at y = 114.
    static let widths = [39, 36, 30, 25, 25], tops = [30, 30, 42, 53, 53], bottom = 114

    /// Where the planner puts subject `index` (0-based) of `subjects`: the world's median person box for
    /// that many subjects, centred in the subject's slot, as `[x0, y0, x1, y1]` (x1, y1 exclusive).
    public static func plannerBox(subject index: Int, subjects: Int, size: Int = 128) -> [Int] {
        let k = min(max(subjects, 1), 5) - 1
        let w = widths[k] * size / 128, top = tops[k] * size / 128
        let cx = (2 * index + 1) * size / (2 * max(subjects, 1))
        let x0 = max(0, cx - w / 2)
        return [x0, top, min(size, x0 + w), bottom * size / 128]
    }

    /// The canvas of `people`: each entry's photo ([3, Q, Q] in [-1, 1], as `ReferencePhoto.tensor`) in its
    /// box `[x0, y0, x1, y1]`.
    public static func canvas(_ people: [(photo: Tensor, box: [Int])], size: Int = 128) throws -> Tensor {
        var values = [Float](repeating: 0, count: channels * size * size)
        for (photo, box) in people {
            guard photo.shape.count == 3, photo.shape[0] == 3, photo.shape[1] == photo.shape[2], box.count == 4 else {
                throw TensorError("a canvas photo must be [3, Q, Q] and its box [x0, y0, x1, y1]; got \(photo.shape) and \(box)")
            }
            let q = photo.shape[1], pixels = try photo.floats()
            let b = box.map { min(max($0, 0), size) }
            let w = b[2] - b[0], h = b[3] - b[1]
            guard w > 0, h > 0 else { continue }
            for dy in 0..<h {
                let row = dy * q / h
                for dx in 0..<w {
                    let col = dx * q / w, y = b[1] + dy, x = b[0] + dx
                    for c in 0..<3 { values[(c * size + y) * size + x] = pixels[(c * q + row) * q + col] }
                    values[(3 * size + y) * size + x] = 1
                }
            }
        }
        return Tensor(shape: [1, channels, size, size], floats: values)
    }
}
