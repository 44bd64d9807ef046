package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.tokenfab.format.model.TensorNames;
import java.util.List;

/**
 * Llama in standard ONNX ops (opset 17), decomposed the way torch.onnx exports Hugging Face's
 * LlamaForCausalLM: Gather embedding; RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul; MatMul
 * projections with [in, out] initializers; Reshape+Transpose to heads; RoPE from cos/sin caches
 * gathered by position_ids with rotate_half as Slice/Neg/Concat; Concat(past, new) KV; GQA by
 * Unsqueeze/Expand/Reshape; causal+padding mask from a Shape/Gather/Range/Greater/Or/Where chain;
 * SwiGLU as Sigmoid/Mul; lm_head MatMul (tied: MatMul with Transpose of the embedding).
 */
final class LlamaRawGraph extends GraphContext {

    LlamaRawGraph(SynthSpec spec, GraphBuilder g, WeightFactory w) {
        super(spec, g, w);
    }

    @Override
    void build() {
        DecoderIo.declare(g, s);
        // fp16/bf16: the table is Cast to float32 before use, like every other weight
        String embedName = toFloat("/model/embed_tokens", g.weight(w.embedding("model.embed_tokens.weight")));
        String x = g.op("/model/embed_tokens", "Gather", List.of(embedName, DecoderIo.INPUT_IDS));

        String mask = RawParts.causalPaddingMask(g);
        // cos/sin: [maxContext, rd] gathered by position_ids -> [B, S, rd] -> [B, 1, S, rd]
        String cosCache = g.weight(w.ropeCache("model.rotary_emb.cos_cache", false, false));
        String sinCache = g.weight(w.ropeCache("model.rotary_emb.sin_cache", true, false));
        String axis1 = g.ints(1);
        String cos = g.op("/model/rotary_emb", "Unsqueeze",
                List.of(g.op("/model/rotary_emb", "Gather", List.of(cosCache, DecoderIo.POSITION_IDS)), axis1));
        String sin = g.op("/model/rotary_emb", "Unsqueeze",
                List.of(g.op("/model/rotary_emb", "Gather", List.of(sinCache, DecoderIo.POSITION_IDS)), axis1));

        for (int l = 0; l < s.layers(); l++) x = layer(l, x, mask, cos, sin);

        String h = rmsNorm("/model/norm", x, w.normWeight("model.norm.weight", TensorNames.FINAL_NORM_WEIGHT, s.hidden()));
        String head;
        if (s.tiedEmbeddings()) {
            head = g.op("/lm_head", "Transpose", List.of(embedName), Attr.ints("perm", 1, 0));
        } else {
            head = weight("/lm_head", w.lmHead("lm_head.weight", false));
        }
        g.node("/lm_head/MatMul", "", "MatMul", List.of(h, head), List.of(DecoderIo.LOGITS));
    }

    private String layer(int l, String x, String mask, String cos, String sin) {
        TensorNames.Layer n = TensorNames.layer(l);
        String p = "/model/layers." + l;
        String hf = "model.layers." + l + ".";
        int hidden = s.hidden(), q = s.queryDim(), kv = s.kvDim(), d = s.headDim();

        String h = rmsNorm(p + "/input_layernorm", x, w.normWeight(hf + "input_layernorm.weight", n.attnNormWeight(), hidden));
        String a = p + "/self_attn";
        String qh = heads(a + "/q_proj", linear(a + "/q_proj", h, w.projection(hf + "self_attn.q_proj.weight", n.wq(), hidden, q, false, true)), s.heads());
        String kh = heads(a + "/k_proj", linear(a + "/k_proj", h, w.projection(hf + "self_attn.k_proj.weight", n.wk(), hidden, kv, false, true)), s.kvHeads());
        String vh = heads(a + "/v_proj", linear(a + "/v_proj", h, w.projection(hf + "self_attn.v_proj.weight", n.wv(), hidden, kv, false, true)), s.kvHeads());
        qh = RawParts.rope(g, s, a + "/rotary_q", qh, cos, sin);
        kh = RawParts.rope(g, s, a + "/rotary_k", kh, cos, sin);

        String presentK = g.node(a + "/key_cache/Concat", "", "Concat", List.of(DecoderIo.pastKey(l), kh),
                List.of(DecoderIo.presentKey(l)), Attr.i("axis", 2)).getFirst();
        String presentV = g.node(a + "/value_cache/Concat", "", "Concat", List.of(DecoderIo.pastValue(l), vh),
                List.of(DecoderIo.presentValue(l)), Attr.i("axis", 2)).getFirst();
        String keys = RawParts.repeatKv(g, s, a + "/repeat_k", presentK);
        String values = RawParts.repeatKv(g, s, a + "/repeat_v", presentV);

        String ctx = RawParts.attention(g, a, qh, keys, values, mask, d);
        // [B, H, S, D] -> [B, S, H*D]
        ctx = g.op(a, "Transpose", List.of(ctx), Attr.ints("perm", 0, 2, 1, 3));
        ctx = g.op(a, "Reshape", List.of(ctx, g.ints(0, 0, q)));
        String o = linear(a + "/o_proj", ctx, w.projection(hf + "self_attn.o_proj.weight", n.wo(), q, hidden, false, false));
        x = g.op(p, "Add", List.of(x, o));

        String h2 = rmsNorm(p + "/post_attention_layernorm", x,
                w.normWeight(hf + "post_attention_layernorm.weight", n.mlpNormWeight(), hidden));
        String m = p + "/mlp";
        String gate = linear(m + "/gate_proj", h2, w.projection(hf + "mlp.gate_proj.weight", n.wGate(), hidden, s.intermediate(), false, true));
        String up = linear(m + "/up_proj", h2, w.projection(hf + "mlp.up_proj.weight", n.wUp(), hidden, s.intermediate(), false, true));
        String act = g.op(m + "/act_fn", "Mul", List.of(gate, g.op(m + "/act_fn", "Sigmoid", List.of(gate))));
        String prod = g.op(m, "Mul", List.of(act, up));
        String down = linear(m + "/down_proj", prod, w.projection(hf + "mlp.down_proj.weight", n.wDown(), s.intermediate(), hidden, false, false));
        return g.op(p, "Add", List.of(x, down));
    }

    /** x / sqrt(mean(x^2) + eps) * weight, as torch exports HF LlamaRMSNorm. */
    private String rmsNorm(String scope, String x, SynthWeight weight) {
        String sq = g.op(scope, "Pow", List.of(x, g.scalarF32(2f)));
        String mean = g.op(scope, "ReduceMean", List.of(sq), Attr.ints("axes", -1), Attr.i("keepdims", 1));
        String var = g.op(scope, "Add", List.of(mean, g.scalarF32(SynthConstants.RMS_NORM_EPSILON)));
        String normed = g.op(scope, "Div", List.of(x, g.op(scope, "Sqrt", List.of(var))));
        return g.op(scope, "Mul", List.of(weight(scope, weight), normed));
    }

    /** [B, S, heads*D] -> [B, heads, S, D] */
    private String heads(String scope, String x, int count) {
        String r = g.op(scope, "Reshape", List.of(x, g.ints(0, 0, count, s.headDim())));
        return g.op(scope, "Transpose", List.of(r), Attr.ints("perm", 0, 2, 1, 3));
    }

    private String linear(String scope, String x, SynthWeight weight) {
        return matmul(scope, x, weight);
    }
}
