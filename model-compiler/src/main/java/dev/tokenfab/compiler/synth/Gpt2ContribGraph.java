package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import dev.tokenfab.format.model.TensorNames;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2 in ONNX Runtime contrib ops, as ORT's GPT-2 fusions shape it: LayerNormalization once, then
 * SkipLayerNormalization (input, skip, gamma, beta, bias) carrying the residual sum; q/k/v MatMuls
 * (or MatMulNBits) into MultiHeadAttention with the packed q/k/v bias and an additive mask;
 * FastGelu with the c_fc bias; the projection biases folded into the next SkipLayerNormalization.
 */
final class Gpt2ContribGraph extends GraphContext {

    Gpt2ContribGraph(SynthSpec spec, GraphBuilder g, WeightFactory w) {
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

        TensorNames.Layer first = TensorNames.layer(0);
        String h = g.op("/transformer/h.0/ln_1", "LayerNormalization", List.of(x,
                        weight("/transformer/h.0/ln_1", w.normWeight("transformer.h.0.ln_1.weight", first.attnNormWeight(), hidden)),
                        weight("/transformer/h.0/ln_1", w.bias("transformer.h.0.ln_1.bias", first.attnNormBias(), hidden))),
                Attr.i("axis", -1), Attr.f("epsilon", SynthConstants.LAYER_NORM_EPSILON));
        String residual = x;
        String out = null;
        for (int l = 0; l < s.layers(); l++) {
            TensorNames.Layer n = TensorNames.layer(l);
            String p = "/transformer/h." + l;
            String hf = "transformer.h." + l + ".";
            String a = p + "/attn";
            String q = linear(a + "/q_proj", h, w.projection(hf + "attn.q_proj.weight", n.wq(), hidden, hidden, false, true));
            String k = linear(a + "/k_proj", h, w.projection(hf + "attn.k_proj.weight", n.wk(), hidden, hidden, false, true));
            String v = linear(a + "/v_proj", h, w.projection(hf + "attn.v_proj.weight", n.wv(), hidden, hidden, false, true));
            String qkvBias = weight(a, w.concat(hf + "attn.qkv_bias", new long[] {3L * hidden},
                    List.of(w.biasValues(n.bq(), hidden), w.biasValues(n.bk(), hidden), w.biasValues(n.bv(), hidden))));
            String attn = g.node(a + "/MultiHeadAttention", GraphBuilder.MS_DOMAIN, "MultiHeadAttention",
                    List.of(q, k, v, qkvBias, "", mask, DecoderIo.pastKey(l), DecoderIo.pastValue(l)),
                    List.of(a + "/MultiHeadAttention/output_0", DecoderIo.presentKey(l), DecoderIo.presentValue(l)),
                    Attr.i("num_heads", s.heads()), Attr.f("scale", scale)).getFirst();
            String o = linear(a + "/c_proj", attn, w.projection(hf + "attn.c_proj.weight", n.wo(), hidden, hidden, false, false));
            List<String> ln2 = skipNorm(p + "/ln_2", residual, o,
                    w.normWeight(hf + "ln_2.weight", n.mlpNormWeight(), hidden), w.bias(hf + "ln_2.bias", n.mlpNormBias(), hidden),
                    w.bias(hf + "attn.c_proj.bias", n.bo(), hidden), true);
            residual = ln2.get(1);
            String m = p + "/mlp";
            String fc = linear(m + "/c_fc", ln2.get(0), w.projection(hf + "mlp.c_fc.weight", n.wUp(), hidden, s.intermediate(), false, true));
            String act = g.msOp(m + "/act", "FastGelu", List.of(fc, weight(m, w.bias(hf + "mlp.c_fc.bias", n.bUp(), s.intermediate()))));
            String down = linear(m + "/c_proj", act, w.projection(hf + "mlp.c_proj.weight", n.wDown(), s.intermediate(), hidden, false, false));
            SynthWeight downBias = w.bias(hf + "mlp.c_proj.bias", n.bDown(), hidden);
            if (l + 1 < s.layers()) {
                TensorNames.Layer next = TensorNames.layer(l + 1);
                String nf = "transformer.h." + (l + 1) + ".";
                List<String> ln1 = skipNorm("/transformer/h." + (l + 1) + "/ln_1", residual, down,
                        w.normWeight(nf + "ln_1.weight", next.attnNormWeight(), hidden), w.bias(nf + "ln_1.bias", next.attnNormBias(), hidden),
                        downBias, true);
                h = ln1.get(0);
                residual = ln1.get(1);
            } else {
                out = skipNorm("/transformer/ln_f", residual, down,
                        w.normWeight("transformer.ln_f.weight", TensorNames.FINAL_NORM_WEIGHT, hidden),
                        w.bias("transformer.ln_f.bias", TensorNames.FINAL_NORM_BIAS, hidden), downBias, false).getFirst();
            }
        }
        String head = s.tiedEmbeddings()
                ? g.op("/lm_head", "Transpose", List.of(wte), Attr.ints("perm", 1, 0))
                : weight("/lm_head", w.lmHead("lm_head.weight", false));
        g.node("/lm_head/MatMul", "", "MatMul", List.of(out, head), List.of(DecoderIo.LOGITS));
    }

    /** SkipLayerNormalization(input, skip, gamma, beta, bias): [normed, input+skip+bias] (or just normed). */
    private List<String> skipNorm(String scope, String input, String skip, SynthWeight gamma, SynthWeight beta, SynthWeight bias,
                                  boolean wantSum) {
        List<String> outs = new ArrayList<>(List.of(scope + "/output_0"));
        if (wantSum) outs.addAll(List.of("", "", scope + "/output_3"));
        List<String> r = g.node(scope + "/SkipLayerNorm", GraphBuilder.MS_DOMAIN, "SkipLayerNormalization",
                List.of(input, skip, weight(scope, gamma), weight(scope, beta), weight(scope, bias)), outs,
                Attr.f("epsilon", SynthConstants.LAYER_NORM_EPSILON));
        return wantSum ? List.of(r.get(0), r.get(3)) : List.of(r.get(0));
    }

    private String linear(String scope, String x, SynthWeight weight) {
        return NBits.linear(this, scope, x, weight);
    }
}
