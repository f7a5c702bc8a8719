import CavendishCore

/// Where each subject of a prompt goes: the recipe's deterministic planner (`recipe/layout.py`), which
/// the world's scenes follow and v2's layout-grounded personalization was trained on.
///
/// The world stands its n subjects left to right, subject i centred in the i-th of n equal slots. The
/// planner gives subject i (`<p{i+1}>`) the i-th of n vertical strips of the token grid: token (row y,
/// column x) belongs to subject `(x * n) / grid`, integer arithmetic only, so Swift and PyTorch agree
/// exactly and every token belongs to exactly one subject.
public enum LayoutPlanner {
    /// Subject index (0-based) of token column `x` among `subjects` strips of a `grid`-column grid.
    public static func subject(ofColumn x: Int, subjects: Int, grid: Int) -> Int { (x * subjects) / grid }

    /// The layout input of a layout DiT: [1, grid*grid, people.count], 1 where the token lies in the strip
    /// of `people[j]` (placeholder numbers, 1-based) among `subjects` strips, tokens row-major.
    public static func layout(people: [Int], subjects: Int, grid: Int) -> Tensor {
        var values = [Float](repeating: 0, count: grid * grid * people.count)
        for y in 0..<grid { for x in 0..<grid {
            let s = subject(ofColumn: x, subjects: subjects, grid: grid)
            for (j, p) in people.enumerated() where p - 1 == s { values[(y * grid + x) * people.count + j] = 1 }
        } }
        return Tensor(shape: [1, grid * grid, people.count], floats: values)
    }

    /// Subject `index`'s strip as an image box `[x0, y0, x1, y1]` (x1, y1 exclusive) in a `size` image.
    public static func box(subject index: Int, subjects: Int, size: Int, grid: Int) -> [Int] {
        let columns = (0..<grid).filter { subject(ofColumn: $0, subjects: subjects, grid: grid) == index }
        let cell = size / grid
        guard let first = columns.first, let last = columns.last else { return [0, 0, 0, 0] }
        return [first * cell, 0, (last + 1) * cell, size]
    }
}
