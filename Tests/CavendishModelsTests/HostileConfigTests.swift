import CavendishModels
import Foundation
import Testing

/// Configs that a hostile weights folder (with a manifest made to match) could carry: each is refused with
/// the field named, never built into a graph (issue 18, defect 9).
@Suite struct HostileConfigTests {
    func refused(_ config: some ValidatedConfig, _ field: String) {
        let error = #expect(throws: (any Error).self) { try config.validate() }
        #expect(error.map { "\($0)".contains(field) } == true, "\(field): \(String(describing: error))")
    }

    @Test func ditConfigsOutOfRangeAreRefused() {
        let edits: [(String, (inout DiTConfig) -> Void)] = [
            ("patch", { $0.patch = 0 }), ("heads", { $0.heads = 0 }), ("depth", { $0.depth = 10_000_000 }), ("width", { $0.width = 250 }),
            ("latent_size", { $0.latentSize = 33 }), ("mlp_ratio", { $0.mlpRatio = -1 }), ("freq_dim", { $0.freqDim = 3 }),
            ("image_size", { $0.imageSize = 100 }),
        ]
        for (field, edit) in edits { var c = DiTConfig(); edit(&c); refused(c, field) }
    }

    @Test func vaeConfigsOutOfRangeAreRefused() {
        let edits: [(String, (inout VAEConfig) -> Void)] = [
            ("channels", { $0.channels = [] }), ("groups", { $0.groups = 0 }), ("channels", { $0.channels = [30, 64] }),
            ("scale_factor", { $0.scaleFactor = 0 }), ("shift_factor", { $0.shiftFactor = .nan }),
        ]
        for (field, edit) in edits { var c = VAEConfig(); edit(&c); refused(c, field) }
    }

    @Test func referenceEncoderConfigsOutOfRangeAreRefused() {
        let edits: [(String, (inout ReferenceEncoderConfig) -> Void)] = [
            ("image_size", { $0.imageSize = 60 }), ("heads", { $0.heads = 0 }), ("max_people", { $0.maxPeople = 9 }),
            ("layers", { $0.layers = 1000 }), ("dim", { $0.dim = 255 }),
        ]
        for (field, edit) in edits { var c = ReferenceEncoderConfig(); edit(&c); refused(c, field) }
    }

    /// The committed weights' own configs pass (the bounds are not so tight that they refuse the real model).
    @Test func theDefaultsAndTheCommittedConfigsPass() throws {
        try DiTConfig().validate()
        try VAEConfig().validate()
        try ReferenceEncoderConfig().validate()
        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Weights").path
        for (file, check) in [("nb-mini-v2.h5", { (f: NBMiniWeightFile) in _ = try f.config(DiTConfig.self) }),
                              ("nb-mini-vae.h5", { _ = try $0.config(VAEConfig.self) }),
                              ("nb-mini-refenc.h5", { _ = try $0.config(ReferenceEncoderConfig.self) })] {
            try check(try NBMiniWeightFile(path: weights + "/" + file, loadingTensors: false))
        }
    }
}
