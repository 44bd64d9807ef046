package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.tokenfab.format.model.TensorNames;
import java.util.ArrayList;
import java.util.List;

/**
 * Llama in ONNX Runtime contrib ops, shaped like onnxruntime-genai's model builder output:
 * SimplifiedLayerNormalization, then SkipSimplifiedLayerNormalization carrying the residual sum,
 * com.microsoft RotaryEmbedding on [B, S, heads*D], GroupQueryAttention (kvHeads < heads, with
 * seqlens_k / total_sequence_length from attention_mask) or MultiHeadAttention (kvHeads == heads, with
 * an additive causal+padding attention_bias), and MatMul or 4-bit MatMulNBits projections.
 */
final class LlamaContribGraph extends GraphContext {

    private final boolean gqa;
    private String seqlensK, totalSeq, mask;

    LlamaContribGraph(SynthSpec spec, GraphBuilder g, WeightFactory w) {
        super(spec, g, w);
        this.gqa = spec.kvHeads() != spec.heads();
    }

    @Override
    void build() {
        DecoderIo.declare(g, s);
        String embedName = toFloat("/model/embed_tokens", g.weight(w.embedding("model.embed_tokens.weight")));
        String x = g.op("/model/embed_tokens", "Gather", List.of(embedName, DecoderIo.INPUT_IDS));
        if (gqa) {
            String sc = "/model/attn_mask_reformat/attn_mask_subgraph";
            String sum = g.op(sc, "ReduceSum", List.of(DecoderIo.ATTENTION_MASK, g.ints(1)), Attr.i("keepdims", 0));
            seqlensK = g.op(sc, "Cast", List.of(g.op(sc, "Sub", List.of(sum, g.scalarI64(1)))), Attr.i("to", DataType.INT32_VALUE));
            String total = g.op(sc, "Gather", List.of(g.op(sc, "Shape", List.of(DecoderIo.ATTENTION_MASK)), g.scalarI64(1)), Attr.i("axis", 0));
            totalSeq = g.op(sc, "Cast", List.of(total), Attr.i("to", DataType.INT32_VALUE));
        } else {
            mask = RawParts.causalPaddingMask(g);
        }
        String cos = g.weight(w.ropeCache("cos_cache", false, true));
        String sin = g.weight(w.ropeCache("sin_cache", true, true));

        TensorNames.Layer first = TensorNames.layer(0);
        String h = g.op("/model/layers.0/input_layernorm", "SimplifiedLayerNormalization",
                List.of(x, weight("/model/layers.0/input_layernorm",
                        w.normWeight("model.layers.0.input_layernorm.weight", first.attnNormWeight(), s.hidden()))),
                Attr.f("epsilon", SynthConstants.RMS_NORM_EPSILON), Attr.i("axis", -1), Attr.i("stash_type", 1));
        String residual = x;
        String out = null;
        for (int l = 0; l < s.layers(); l++) {
            TensorNames.Layer n = TensorNames.layer(l);
            String p = "/model/layers." + l;
            String hf = "model.layers." + l + ".";
            String a = p + "/attn";
            String q = linear(a + "/q_proj", h, w.projection(hf + "attn.q_proj.MatMul.weight", n.wq(), s.hidden(), s.queryDim(), false, true));
            String k = linear(a + "/k_proj", h, w.projection(hf + "attn.k_proj.MatMul.weight", n.wk(), s.hidden(), s.kvDim(), false, true));
            String v = linear(a + "/v_proj", h, w.projection(hf + "attn.v_proj.MatMul.weight", n.wv(), s.hidden(), s.kvDim(), false, true));
            q = rotary(a + "/q_rotary", q, cos, sin, s.heads());
            k = rotary(a + "/k_rotary", k, cos, sin, s.kvHeads());
            String attn;
            float scale = (float) (1.0 / Math.sqrt(s.headDim()));
            if (gqa) {
                attn = g.node(a + "/GroupQueryAttention", GraphBuilder.MS_DOMAIN, "GroupQueryAttention",
                        List.of(q, k, v, DecoderIo.pastKey(l), DecoderIo.pastValue(l), seqlensK, totalSeq),
                        List.of(a + "/GroupQueryAttention/output_0", DecoderIo.presentKey(l), DecoderIo.presentValue(l)),
                        Attr.i("num_heads", s.heads()), Attr.i("kv_num_heads", s.kvHeads()), Attr.f("scale", scale)).getFirst();
            } else {
                attn = g.node(a + "/MultiHeadAttention", GraphBuilder.MS_DOMAIN, "MultiHeadAttention",
                        List.of(q, k, v, "", "", mask, DecoderIo.pastKey(l), DecoderIo.pastValue(l)),
                        List.of(a + "/MultiHeadAttention/output_0", DecoderIo.presentKey(l), DecoderIo.presentValue(l)),
                        Attr.i("num_heads", s.heads()), Attr.f("scale", scale)).getFirst();
            }
            String o = linear(a + "/o_proj", attn, w.projection(hf + "attn.o_proj.MatMul.weight", n.wo(), s.queryDim(), s.hidden(), false, false));
            List<String> post = skipNorm(p + "/post_attention_layernorm", residual, o,
                    w.normWeight(hf + "post_attention_layernorm.weight", n.mlpNormWeight(), s.hidden()), true);
            residual = post.get(1);
            String m = p + "/mlp";
            String gate = linear(m + "/gate_proj", post.get(0), w.projection(hf + "mlp.gate_proj.MatMul.weight", n.wGate(), s.hidden(), s.intermediate(), false, true));
            String up = linear(m + "/up_proj", post.get(0), w.projection(hf + "mlp.up_proj.MatMul.weight", n.wUp(), s.hidden(), s.intermediate(), false, true));
            String act = g.op(m + "/act_fn", "Mul", List.of(gate, g.op(m + "/act_fn", "Sigmoid", List.of(gate))));
            String down = linear(m + "/down_proj", g.op(m, "Mul", List.of(act, up)),
                    w.projection(hf + "mlp.down_proj.MatMul.weight", n.wDown(), s.intermediate(), s.hidden(), false, false));
            if (l + 1 < s.layers()) {
                TensorNames.Layer next = TensorNames.layer(l + 1);
                List<String> in = skipNorm("/model/layers." + (l + 1) + "/input_layernorm", residual, down,
                        w.normWeight("model.layers." + (l + 1) + ".input_layernorm.weight", next.attnNormWeight(), s.hidden()), true);
                h = in.get(0);
                residual = in.get(1);
            } else {
                out = skipNorm("/model/layers." + s.layers() + "/final_norm_layernorm", residual, down,
                        w.normWeight("model.layers." + s.layers() + ".final_norm_layernorm.weight", TensorNames.FINAL_NORM_WEIGHT, s.hidden()), false).getFirst();
            }
        }
        String head = s.tiedEmbeddings()
                ? g.op("/lm_head", "Transpose", List.of(embedName), Attr.ints("perm", 1, 0))
                : weight("/lm_head", w.lmHead("lm_head.MatMul.weight", false));
        g.node("/lm_head/MatMul", "", "MatMul", List.of(out, head), List.of(DecoderIo.LOGITS));
    }

    /** com.microsoft RotaryEmbedding on [B, S, heads*D]; num_heads/rotary_embedding_dim only for partial rotary. */
    private String rotary(String scope, String x, String cos, String sin, int heads) {
        boolean partial = s.rotaryDim() < s.headDim();
        return g.msOp(scope, "RotaryEmbedding", List.of(x, DecoderIo.POSITION_IDS, cos, sin),
                Attr.i("interleaved", s.ropeInterleaved() ? 1 : 0),
                Attr.i("num_heads", partial ? heads : 0), Attr.i("rotary_embedding_dim", partial ? s.rotaryDim() : 0));
    }

    /** SkipSimplifiedLayerNormalization(input, skip, gamma): [normed, input+skip] (or just normed). */
    private List<String> skipNorm(String scope, String input, String skip, SynthWeight gamma, boolean wantSum) {
        String node = scope + "/SkipLayerNorm";
        List<String> outs = new ArrayList<>(List.of(scope + "/output_0"));
        if (wantSum) outs.addAll(List.of("", "", scope + "/output_3"));
        List<String> r = g.node(node, GraphBuilder.MS_DOMAIN, "SkipSimplifiedLayerNormalization",
                List.of(input, skip, weight(scope, gamma)), outs, Attr.f("epsilon", SynthConstants.RMS_NORM_EPSILON));
        return wantSum ? List.of(r.get(0), r.get(3)) : List.of(r.get(0));
    }

    private String linear(String scope, String x, SynthWeight weight) {
        return NBits.linear(this, scope, x, weight);
    }
}
