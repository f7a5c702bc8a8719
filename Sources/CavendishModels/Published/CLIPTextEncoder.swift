import CavendishCore
import CavendishGraph

/// The CLIP text transformers SDXL conditions on (shape only, for the simulator): token and position
/// embeddings, pre-norm blocks of self-attention and a GELU MLP, a final LayerNorm. The causal mask and
/// the pooled projection cost next to nothing and are left out.
public struct CLIPTextEncoder: Sendable {
    /// Sizes of one encoder.
    public struct Config: Sendable {
        /// Transformer blocks, width, heads, MLP width, vocabulary, tokens.
        public var layers: Int, hidden: Int, heads: Int, intermediate: Int, vocabulary = 49408, tokens = 77
        /// CLIP ViT-L/14's text tower (SDXL's `text_encoder`).
        public static let vitL14 = Config(layers: 12, hidden: 768, heads: 12, intermediate: 3072)
        /// OpenCLIP ViT-bigG/14's text tower (SDXL's `text_encoder_2`).
        public static let vitBigG14 = Config(layers: 32, hidden: 1280, heads: 20, intermediate: 5120)
    }

    /// The encoder's sizes.
    public var config: Config

    /// An encoder of `config`.
    public init(config: Config) { self.config = config }

    /// The graph for `batch` prompts: input `input_ids` [B, 77] (int64), output the last hidden states.
    public func graph(batch: Int, dtype: DType) throws -> Graph {
        var b = GraphBuilder(dtype: dtype)
        let c = config
        let ids = b.input("input_ids", [batch, c.tokens], .int64)
        let table = b.weight("embeddings.token_embedding.weight", [c.vocabulary, c.hidden])
        var x = try b.apply("Gather", [table, ids], ["axis": .int(0)])
        x = try b.apply("Add", [x, b.weight("embeddings.position_embedding.weight", [c.tokens, c.hidden])])
        for l in 0..<c.layers {
            let p = "encoder.layers.\(l)"
            let n = try b.layerNorm(x, "\(p).layer_norm1")
            let q = try b.linear(n, "\(p).self_attn.q_proj", c.hidden, c.hidden)
            let k = try b.linear(n, "\(p).self_attn.k_proj", c.hidden, c.hidden)
            let v = try b.linear(n, "\(p).self_attn.v_proj", c.hidden, c.hidden)
            let a = try b.linear(try b.attention(q, k, v, heads: c.heads, name: "\(p).self_attn"), "\(p).self_attn.out_proj", c.hidden, c.hidden)
            x = try b.apply("Add", [x, a])
            let m = try b.layerNorm(x, "\(p).layer_norm2")
            let h = try b.apply("Gelu", [try b.linear(m, "\(p).mlp.fc1", c.hidden, c.intermediate)])
            x = try b.apply("Add", [x, try b.linear(h, "\(p).mlp.fc2", c.intermediate, c.hidden)])
        }
        b.output(try b.layerNorm(x, "final_layer_norm"))
        return b.graph
    }
}
