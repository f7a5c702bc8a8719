import CavendishCore
import CavendishGraph
import CavendishIO
import CavendishModels
import Foundation

/// NB-mini's evaluation judges (`nb-mini-judges.h5`), run on the Swift runtime: the scene judge names a
/// 128x128 image's setting and style and gives its pooled features (KID's), and the identity judge names
/// the held-out person or pet in a subject's crop. Their labels come from the file's config.
public final class ImageJudges: @unchecked Sendable {
    /// Class names of each head, in logit order.
    public let settings: [String], styles: [String], identities: [String]
    /// The judges file's SHA-256 (KID's reference features are tied to it).
    public let sha256: String
    let scene: GraphExecutor, identity: GraphExecutor
    let sceneSize: Int, cropSize: Int

    struct Labels: Decodable {
        struct Judge: Decodable {
            var heads: [String: [String]]
            var imageSize: Int
            enum CodingKeys: String, CodingKey { case heads, imageSize = "image_size" }
        }
        var scene: Judge
        var identity: Judge
        var width: Int, levels: Int
    }

    /// Loads the judges from `path` (checked against the manifest beside it when there is one).
    public init(path: String, sha256: String, backend: any KernelBackend) throws {
        let file = try NBMiniWeightFile(path: path)
        guard let labels = try? file.config(Labels.self), let setting = labels.scene.heads["setting"],
              let style = labels.scene.heads["style"], let ids = labels.identity.heads["identity"] else {
            throw PipelineError.judgesWithoutLabels(path)
        }
        settings = setting
        styles = style
        identities = ids
        self.sha256 = sha256
        sceneSize = labels.scene.imageSize
        cropSize = labels.identity.imageSize
        var sceneJudge = NBMiniJudge(name: "scene", heads: [("setting", setting.count), ("style", style.count)])
        sceneJudge.width = labels.width
        sceneJudge.levels = labels.levels
        sceneJudge.outputsFeatures = true
        var identityJudge = NBMiniJudge(name: "identity", heads: [("identity", ids.count)])
        identityJudge.width = labels.width
        identityJudge.levels = labels.levels
        scene = try GraphExecutor(graph: try sceneJudge.graph(batch: 1, imageSize: sceneSize), weights: file.tensors, backend: backend)
        identity = try GraphExecutor(graph: try identityJudge.graph(batch: 1, imageSize: cropSize), weights: file.tensors, backend: backend)
    }

    /// What the scene judge says of an image.
    public struct SceneVerdict: Sendable {
        public var setting: String, settingProbability: Double
        public var style: String, styleProbability: Double
        /// The pooled features, for KID.
        public var features: [Double]
    }

    /// The scene judge on an RGB image of the judge's size (interleaved bytes).
    public func scene(_ pixels: [UInt8]) throws -> SceneVerdict {
        let out = try scene.run([try Self.planar(pixels, side: sceneSize)])
        let (s, sp) = Self.top(out[0].floats()), (t, tp) = Self.top(out[1].floats())
        return SceneVerdict(setting: settings[s], settingProbability: sp, style: styles[t], styleProbability: tp,
                            features: out[2].floats().map(Double.init))
    }

    /// The identity judge's top-1 identity and its probability for the subject in `box` of a square RGB image.
    public func identity(_ pixels: [UInt8], side: Int, box: [Int]) throws -> (name: String, probability: Double) {
        let crop = SubjectCrop.crop(pixels, side: side, box: box, size: cropSize)
        let (i, p) = Self.top(try identity.run([try Self.planar(crop, side: cropSize)])[0].floats())
        return (identities[i], p)
    }

    /// Interleaved RGB bytes as [1, 3, side, side] in [-1, 1] (the recipe's `data.to_tensor`; a square image
    /// at its own size goes through `ReferencePhoto.planar` unresized).
    static func planar(_ pixels: [UInt8], side: Int) throws -> Tensor {
        try ReferencePhoto.planar(width: side, height: side, channels: 3, pixels: pixels, source: "judged image", size: side)
            .reshaped([1, 3, side, side])
    }

    /// The arg-max and its softmax probability.
    static func top(_ logits: [Float]) -> (Int, Double) {
        let m = logits.max() ?? 0
        let e = logits.map { exp(Double($0 - m)) }
        let i = logits.indices.max { logits[$0] < logits[$1] } ?? 0
        return (i, e[i] / e.reduce(0, +))
    }
}
