package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import dev.tokenfab.format.model.TensorNames;
import java.util.List;

/**
 * GPT-2 in opset-24 standard ops: LayerNormalization, MatMul + Add projections (q/k/v separate),
 * Attention with past_key/past_value and an additive causal+padding mask, Gelu(approximate="tanh").
 */
final class Gpt2Opset24Graph extends GraphContext {

    Gpt2Opset24Graph(SynthSpec spec, GraphBuilder g, WeightFactory w) {
        super(spec, g, w);
    }

    @Override
    void build() {
        DecoderIo.declare(g, s);
        int hidden = s.hidden();
        Gpt2Input in = gpt2Input();
        String wte = in.wte();
        String x = in.x();
        String mask = RawParts.causalPaddingMask(g);
        float scale = (float) (1.0 / Math.sqrt(s.headDim()));
        for (int l = 0; l < s.layers(); l++) {
            TensorNames.Layer n = TensorNames.layer(l);
            String p = "/transformer/h." + l;
            String hf = "transformer.h." + l + ".";
            String h = layerNorm(p + "/ln_1", x, w.normWeight(hf + "ln_1.weight", n.attnNormWeight(), hidden),
                    w.bias(hf + "ln_1.bias", n.attnNormBias(), hidden));
            String a = p + "/attn";
            String q = linear(a + "/q_proj", h, w.projection(hf + "attn.q_proj.weight", n.wq(), hidden, hidden, false, true), w.bias(hf + "attn.q_proj.bias", n.bq(), hidden));
            String k = linear(a + "/k_proj", h, w.projection(hf + "attn.k_proj.weight", n.wk(), hidden, hidden, false, true), w.bias(hf + "attn.k_proj.bias", n.bk(), hidden));
            String v = linear(a + "/v_proj", h, w.projection(hf + "attn.v_proj.weight", n.wv(), hidden, hidden, false, true), w.bias(hf + "attn.v_proj.bias", n.bv(), hidden));
            String attn = g.node(a + "/Attention", "", "Attention",
                    List.of(q, k, v, mask, DecoderIo.pastKey(l), DecoderIo.pastValue(l)),
                    List.of(a + "/Attention/output_0", DecoderIo.presentKey(l), DecoderIo.presentValue(l)),
                    Attr.i("q_num_heads", s.heads()), Attr.i("kv_num_heads", s.kvHeads()), Attr.f("scale", scale)).getFirst();
            String o = linear(a + "/c_proj", attn, w.projection(hf + "attn.c_proj.weight", n.wo(), hidden, hidden, false, false),
                    w.bias(hf + "attn.c_proj.bias", n.bo(), hidden));
            x = g.op(p, "Add", List.of(x, o));
            String h2 = layerNorm(p + "/ln_2", x, w.normWeight(hf + "ln_2.weight", n.mlpNormWeight(), hidden),
                    w.bias(hf + "ln_2.bias", n.mlpNormBias(), hidden));
            String m = p + "/mlp";
            String fc = linear(m + "/c_fc", h2, w.projection(hf + "mlp.c_fc.weight", n.wUp(), hidden, s.intermediate(), false, true),
                    w.bias(hf + "mlp.c_fc.bias", n.bUp(), s.intermediate()));
            String act = g.op(m + "/act", "Gelu", List.of(fc), Attr.s("approximate", "tanh"));
            String down = linear(m + "/c_proj", act, w.projection(hf + "mlp.c_proj.weight", n.wDown(), s.intermediate(), hidden, false, false),
                    w.bias(hf + "mlp.c_proj.bias", n.bDown(), hidden));
            x = g.op(p, "Add", List.of(x, down));
        }
        String out = layerNorm("/transformer/ln_f", x, w.normWeight("transformer.ln_f.weight", TensorNames.FINAL_NORM_WEIGHT, hidden),
                w.bias("transformer.ln_f.bias", TensorNames.FINAL_NORM_BIAS, hidden));
        String head = s.tiedEmbeddings()
                ? g.op("/lm_head", "Transpose", List.of(wte), Attr.ints("perm", 1, 0))
                : weight("/lm_head", w.lmHead("lm_head.weight", false));
        g.node("/lm_head/MatMul", "", "MatMul", List.of(out, head), List.of(DecoderIo.LOGITS));
    }

    private String layerNorm(String scope, String x, SynthWeight gamma, SynthWeight beta) {
        return g.op(scope, "LayerNormalization", List.of(x, weight(scope, gamma), weight(scope, beta)),
                Attr.i("axis", -1), Attr.f("epsilon", SynthConstants.LAYER_NORM_EPSILON));
    }

    private String linear(String scope, String x, SynthWeight weight, SynthWeight bias) {
        return g.op(scope, "Add", List.of(matmul(scope, x, weight), weight(scope, bias)));
    }
}
