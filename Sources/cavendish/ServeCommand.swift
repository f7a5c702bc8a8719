import ArgumentParser
import CavendishIO
import CavendishPipeline
import Foundation

/// `cavendish serve`: one resident pipeline answering generation requests as JSON lines over standard
/// input and output, which is how the Python package (`python/`) drives it. A pipe, not a socket: the
/// process belongs to the one client that started it, so there is no port to secure or leak, and it
/// ends when the client closes its end.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Keep NB-mini loaded and generate images for JSON requests on standard input (one per line).",
        discussion: """
        The first line written is {"event": "ready", ...}. Each request is one JSON object a line:

          {"id": 1, "prompt": "a dog in the snow", "seeds": [1, 2], "preset": "v2", "steps": 8, "guidance": 3,
           "ref_scale": 1, "negative_prompt": "", "references": {"bean": ["bean-1.jpg"]}, "library": null,
           "sampler": "ddim", "schedule": "uniform", "init_image": null, "strength": null,
           "out": "dog-{seed}.png", "return_pixels": true}

        Only "prompt" is required ("seed": N or "seeds": [...]; none draws a fresh one; "steps", "guidance" and
        "ref_scale" left out take the preset's defaults). Each image answers
        {"event": "image", "id": 1, "record": {...the generate/2 record...}, "pixels_b64": "..."} (RGB bytes,
        row-major, base64), then {"event": "done", "id": 1}; a bad request answers {"event": "error", "id": 1,
        "message": "..."} and the server goes on. End of input ends the server.

          echo '{"prompt": "a dog", "seed": 3, "out": "dog.png"}' \\
            | cavendish serve --presets v2
        """
    )

    @Option(help: "Presets to load: v1, v2 or v1,v2.") var presets: String = "v1,v2"
    @Option(help: "Weights folder (default: $CAVENDISH_WEIGHTS, ./Weights, or the one beside this checkout).") var weights: String?
    @Flag(help: "Replace existing files named by a request's out.") var force = false
    @OptionGroup(title: "C2PA signing") var c2pa: C2PAOptions

    /// One request line.
    struct Request: Decodable {
        var id: JSONValue?
        var prompt: String
        var seed: Int64?
        var seeds: [Int64]?
        var preset: String?
        var steps: Int?
        var guidance: Double?
        var refScale: Double?
        var negativePrompt: String?
        var references: [String: [String]]?
        var library: String?
        var sampler: String?
        var schedule: String?
        var initImage: String?
        var strength: Double?
        var out: String?
        var returnPixels: Bool?
    }

    /// One answer line.
    struct Event: Encodable {
        var event: String
        var id: JSONValue?
        var record: GenerationRecord?
        var pixelsB64: String?
        var message: String?
        var schema: String?
        var presets: [String]?
    }

    func run() throws {
        let chosen = try presets.split(separator: ",").map { name -> NBMiniPipeline.Preset in
            guard let p = NBMiniPipeline.Preset(rawValue: String(name)) else { throw CommandError("--presets: \(name) is not v1 or v2") }
            return p
        }
        let signer = try c2pa.signer()
        let generator = try Generator(weights: weights, presets: chosen)
        generator.signer = signer
        try emit(Event(event: "ready", schema: "generate/\(JSONOutput.version)", presets: chosen.map(\.rawValue)))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var index = 0
        while let line = readLine(strippingNewline: true) {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            var id: JSONValue?
            do {
                let request = try decoder.decode(Request.self, from: Data(line.utf8))
                id = request.id
                try answer(request, generator: generator, loaded: chosen, index: &index)
            } catch {
                let message = (error as? CommandError)?.description ?? (error is DecodingError ? "not a request object: \(error)" : "\(error)")
                try emit(Event(event: "error", id: id, message: message))
            }
        }
    }

    private func answer(_ request: Request, generator: Generator, loaded: [NBMiniPipeline.Preset], index: inout Int) throws {
        let settings = GenerationSettings(preset: request.preset ?? (loaded.contains(.v2) ? "v2" : "v1"), steps: request.steps,
                                          guidance: request.guidance, refScale: request.refScale,
                                          negativePrompt: request.negativePrompt ?? "", references: GenerationSettings.references(request.references ?? [:]),
                                          library: request.library, initImage: request.initImage, strength: request.strength,
                                          sampler: request.sampler ?? "ddim", schedule: request.schedule ?? "uniform")
        try settings.validate()
        guard loaded.contains(try settings.checkedPreset()) else { throw CommandError("preset \(settings.preset) is not loaded (serve --presets)") }
        let seeds: [UInt64]
        if let list = request.seeds {
            guard request.seed == nil else { throw CommandError("give seed or seeds, not both") }
            guard list.allSatisfy({ $0 >= 0 }), !list.isEmpty else { throw CommandError("seeds must be a non-empty list of numbers 0 and up") }
            seeds = list.map { UInt64($0) }
        } else {
            seeds = try SeedList.resolve(seed: request.seed, seeds: nil, count: nil)
        }
        if let out = request.out {
            guard out.lowercased().hasSuffix(".png") else { throw CommandError("out must name a .png file") }
            guard seeds.count == 1 || out.contains("{seed}") else { throw CommandError("out needs {seed} when a request has several seeds") }
        }
        let bound = try generator.bind(request.prompt, settings)
        for seed in seeds {
            let path = request.out?.replacingOccurrences(of: "{seed}", with: String(seed)) ?? ""
            if !path.isEmpty && !force && FileManager.default.fileExists(atPath: path) {
                throw CommandError("\(path) exists; start serve with --force to replace files")
            }
            var (result, record) = try generator.generate(bound, prompt: request.prompt, seed: seed, settings: settings, index: index,
                                                          promptIndex: 0, out: path)
            index += 1
            if !path.isEmpty {
                try generator.write(result, record: &record, to: path, overwrite: force, recordPrompt: false)
            }
            try emit(Event(event: "image", id: request.id, record: record,
                           pixelsB64: request.returnPixels ?? true ? Data(result.pixels).base64EncodedString() : nil))
        }
        try emit(Event(event: "done", id: request.id))
    }

    private func emit(_ event: Event) throws {
        Swift.print(try JSONOutput.text(event))
        fflush(stdout)
    }
}
