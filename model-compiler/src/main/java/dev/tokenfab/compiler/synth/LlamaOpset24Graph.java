package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import dev.tokenfab.format.model.TensorNames;
import java.util.List;

/**
 * Llama in the standard LLM ops of opset 23/24: RMSNormalization, RotaryEmbedding (3-D input with
 * num_heads) and Attention (q_num_heads/kv_num_heads for GQA, past_key/past_value -> present, an
 * additive causal+padding attn_mask built as in the raw form).
 */
final class LlamaOpset24Graph extends GraphContext {

    LlamaOpset24Graph(SynthSpec spec, GraphBuilder g, WeightFactory w) {
        super(spec, g, w);
    }

    @Override
    void build() {
        DecoderIo.declare(g, s);
        String embedName = toFloat("/model/embed_tokens", g.weight(w.embedding("model.embed_tokens.weight")));
        String x = g.op("/model/embed_tokens", "Gather", List.of(embedName, DecoderIo.INPUT_IDS));
        String mask = RawParts.causalPaddingMask(g);
        String cos = g.weight(w.ropeCache("model.rotary_emb.cos_cache", false, true));
        String sin = g.weight(w.ropeCache("model.rotary_emb.sin_cache", true, true));
        float scale = (float) (1.0 / Math.sqrt(s.headDim()));
        for (int l = 0; l < s.layers(); l++) {
            TensorNames.Layer n = TensorNames.layer(l);
            String p = "/model/layers." + l;
            String hf = "model.layers." + l + ".";
            String h = rmsNorm(p + "/input_layernorm", x, w.normWeight(hf + "input_layernorm.weight", n.attnNormWeight(), s.hidden()));
            String a = p + "/self_attn";
            String q = matmul(a + "/q_proj", h, w.projection(hf + "self_attn.q_proj.weight", n.wq(), s.hidden(), s.queryDim(), false, true));
            String k = matmul(a + "/k_proj", h, w.projection(hf + "self_attn.k_proj.weight", n.wk(), s.hidden(), s.kvDim(), false, true));
            String v = matmul(a + "/v_proj", h, w.projection(hf + "self_attn.v_proj.weight", n.wv(), s.hidden(), s.kvDim(), false, true));
            q = rotary(a + "/q_rotary", q, cos, sin, s.heads());
            k = rotary(a + "/k_rotary", k, cos, sin, s.kvHeads());
            String attn = g.node(a + "/Attention", "", "Attention",
                    List.of(q, k, v, mask, DecoderIo.pastKey(l), DecoderIo.pastValue(l)),
                    List.of(a + "/Attention/output_0", DecoderIo.presentKey(l), DecoderIo.presentValue(l)),
                    Attr.i("q_num_heads", s.heads()), Attr.i("kv_num_heads", s.kvHeads()), Attr.f("scale", scale)).getFirst();
            String o = matmul(a + "/o_proj", attn, w.projection(hf + "self_attn.o_proj.weight", n.wo(), s.queryDim(), s.hidden(), false, false));
            x = g.op(p, "Add", List.of(x, o));
            String h2 = rmsNorm(p + "/post_attention_layernorm", x, w.normWeight(hf + "post_attention_layernorm.weight", n.mlpNormWeight(), s.hidden()));
            String m = p + "/mlp";
            String gate = matmul(m + "/gate_proj", h2, w.projection(hf + "mlp.gate_proj.weight", n.wGate(), s.hidden(), s.intermediate(), false, true));
            String up = matmul(m + "/up_proj", h2, w.projection(hf + "mlp.up_proj.weight", n.wUp(), s.hidden(), s.intermediate(), false, true));
            String act = g.op(m + "/act_fn", "Mul", List.of(gate, g.op(m + "/act_fn", "Sigmoid", List.of(gate))));
            String down = matmul(m + "/down_proj", g.op(m, "Mul", List.of(act, up)),
                    w.projection(hf + "mlp.down_proj.weight", n.wDown(), s.intermediate(), s.hidden(), false, false));
            x = g.op(p, "Add", List.of(x, down));
        }
        String out = rmsNorm("/model/norm", x, w.normWeight("model.norm.weight", TensorNames.FINAL_NORM_WEIGHT, s.hidden()));
        String head = s.tiedEmbeddings()
                ? g.op("/lm_head", "Transpose", List.of(embedName), Attr.ints("perm", 1, 0))
                : weight("/lm_head", w.lmHead("lm_head.weight", false));
        g.node("/lm_head/MatMul", "", "MatMul", List.of(out, head), List.of(DecoderIo.LOGITS));
    }

    private String rmsNorm(String scope, String x, SynthWeight weight) {
        return g.op(scope, "RMSNormalization", List.of(x, weight(scope, weight)),
                Attr.i("axis", -1), Attr.f("epsilon", SynthConstants.RMS_NORM_EPSILON), Attr.i("stash_type", 1));
    }

    private String rotary(String scope, String x, String cos, String sin, int heads) {
        boolean partial = s.rotaryDim() < s.headDim();
        return g.op(scope, "RotaryEmbedding", List.of(x, cos, sin, DecoderIo.POSITION_IDS),
                Attr.i("interleaved", s.ropeInterleaved() ? 1 : 0), Attr.i("num_heads", heads),
                Attr.i("rotary_embedding_dim", partial ? s.rotaryDim() : 0));
    }
}
