import CavendishCore
import CavendishIO
import CavendishModels
import Foundation
import Testing

/// The Swift glyph maps must equal the training recipe's (Weights/recipe/glyph.py) exactly, as recorded
/// by scripts/glyph_reference.py: the denoiser was trained on those maps.
struct GlyphRendererTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test(arguments: [128, 64, 256])
    func mapsEqualTheRecipes(size: Int) throws {
        let renderer = try GlyphRenderer(atlasFile: Self.repo + "/Weights/glyph_atlas.h5")
        let file = try HDF5File(readingFrom: Self.repo + "/Tests/Fixtures/glyph/maps.h5")
        guard case .strings(let prompts)? = try file.attribute("prompts"), case .strings(let quoted)? = try file.attribute("quoted") else {
            Issue.record("fixture lacks prompts"); return
        }
        let expected = try file.tensor(at: "maps_\(size)").floats()
        for (i, prompt) in prompts.enumerated() {
            let text = GlyphRenderer.quotedText(prompt)
            #expect(text == quoted[i])
            let got = renderer.glyphMap(text, size: size).floats()
            let want = Array(expected[(i * size * size)..<((i + 1) * size * size)])
            let differing = zip(got, want).filter { $0 != $1 }.count
            #expect(differing == 0, "\(prompt.prefix(30)) at \(size): \(differing) pixels differ")
            if !text.isEmpty { #expect(want.contains(1)) }
        }
    }
}
