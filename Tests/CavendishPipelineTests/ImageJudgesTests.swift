import CavendishCPU
import CavendishCore
import CavendishIO
import Foundation
import CavendishModels
import Testing
@testable import CavendishPipeline

/// The judges, subject crops and KID on the Swift runtime against the recipe's (Weights/golden/judges.h5,
/// written by the recipe's golden script from the committed nb-mini-judges.h5): logits within 1e-3 of the
/// largest, crops equal to `data.crop_subject`'s byte for byte, KID equal to `evaluate.kid`'s.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: pipelineWeightsFolder + "/golden/judges.h5")))
struct ImageJudgesTests {
    static let golden = pipelineWeightsFolder + "/golden/judges.h5"

    static func judges() throws -> ImageJudges {
        let manifest = try WeightsManifest(directory: pipelineWeightsFolder)
        return try ImageJudges(path: try manifest.verified("nb-mini-judges.h5"), sha256: manifest.digests["nb-mini-judges.h5"] ?? "",
                               backend: CPUBackend())
    }

    static func bytes(_ t: Tensor) -> [UInt8] { t.int64s().map { UInt8($0) } }

    static func relativeError(_ a: [Float], _ e: [Float]) -> Float {
        let scale = max(e.map { abs($0) }.max() ?? 1, 1e-12)
        return zip(a, e).map { abs($0 - $1) }.max()! / scale
    }

    @Test func cropsMatchTheRecipe() throws {
        let g = try HDF5File(readingFrom: Self.golden)
        let images = try g.tensor(at: "inputs/images"), crops = try g.tensor(at: "outputs/crops")
        let boxes = try g.tensor(at: "inputs/boxes").int64s().map(Int.init), source = try g.tensor(at: "inputs/box_image").int64s().map(Int.init)
        let side = images.shape[1], all = Self.bytes(images), want = Self.bytes(crops)
        for (m, i) in source.enumerated() {
            let image = Array(all[(i * side * side * 3)..<((i + 1) * side * side * 3)])
            let crop = SubjectCrop.crop(image, side: side, box: Array(boxes[(4 * m)..<(4 * m + 4)]))
            #expect(crop == Array(want[(m * 64 * 64 * 3)..<((m + 1) * 64 * 64 * 3)]), "crop \(m) differs from data.crop_subject")
        }
    }

    @Test func judgesMatchTheRecipe() throws {
        let g = try HDF5File(readingFrom: Self.golden), judges = try Self.judges()
        let images = try g.tensor(at: "inputs/images"), crops = try g.tensor(at: "outputs/crops")
        let settings = try g.tensor(at: "outputs/setting").floats(), styles = try g.tensor(at: "outputs/style").floats()
        let identity = try g.tensor(at: "outputs/identity").floats(), features = try g.tensor(at: "outputs/features").floats()
        let side = images.shape[1], all = Self.bytes(images), allCrops = Self.bytes(crops)
        for i in 0..<images.shape[0] {
            let out = try judges.scene.run([try ImageJudges.planar(Array(all[(i * side * side * 3)..<((i + 1) * side * side * 3)]), side: side)])
            let s = judges.settings.count, t = judges.styles.count, f = out[2].count
            #expect(Self.relativeError(out[0].floats(), Array(settings[(i * s)..<((i + 1) * s)])) <= 1e-3)
            #expect(Self.relativeError(out[1].floats(), Array(styles[(i * t)..<((i + 1) * t)])) <= 1e-3)
            #expect(Self.relativeError(out[2].floats(), Array(features[(i * f)..<((i + 1) * f)])) <= 1e-3)
        }
        let n = judges.identities.count
        for m in 0..<crops.shape[0] {
            let out = try judges.identity.run([try ImageJudges.planar(Array(allCrops[(m * 64 * 64 * 3)..<((m + 1) * 64 * 64 * 3)]), side: 64)])
            #expect(Self.relativeError(out[0].floats(), Array(identity[(m * n)..<((m + 1) * n)])) <= 1e-3)
        }
    }

    /// Tesseract on the text box, upscaled as the recipe does, reads what the recipe's `measure.ocr_word` read.
    @Test(.enabled(if: TextRecognition.available)) func ocrReadsWhatTheRecipeRead() throws {
        let g = try HDF5File(readingFrom: Self.golden)
        let images = try g.tensor(at: "inputs/images"), texts = try g.strings(at: "inputs/texts"), reads = try g.strings(at: "outputs/ocr")
        let glyphs = try GlyphRenderer(atlasFile: pipelineWeightsFolder + "/glyph_atlas.h5")
        let side = images.shape[1], all = Self.bytes(images)
        for (i, text) in texts.enumerated() {
            let box = try #require(glyphs.textBox(text))
            let read = try TextRecognition.read(Array(all[(i * side * side * 3)..<((i + 1) * side * side * 3)]), side: side, box: box)
            #expect(read == reads[i], "image \(i): Tesseract read \(read ?? "nothing"), the recipe \(reads[i])")
        }
        #expect(TextRecognition.characterAccuracy("HELO", "HELLO") == 0.8)
        #expect(TextRecognition.characterAccuracy("", "HI") == 0)
    }

    @Test func kidMatchesTheRecipe() throws {
        let g = try HDF5File(readingFrom: Self.golden)
        let a = try g.tensor(at: "inputs/kid_a"), b = try g.tensor(at: "inputs/kid_b")
        let rows = { (t: Tensor) in stride(from: 0, to: t.count, by: t.shape[1]).map { Array(t.doubles()[$0..<($0 + t.shape[1])]) } }
        let expected = try g.tensor(at: "outputs/kid").doubles()[0]
        let kid = try #require(KernelInceptionDistance.kid(rows(a), rows(b)))
        #expect(abs(kid - expected) <= 1e-9 * max(1, abs(expected)), "KID \(kid), recipe \(expected)")
        #expect(KernelInceptionDistance.kid([[1]], rows(b)) == nil)
    }
}
