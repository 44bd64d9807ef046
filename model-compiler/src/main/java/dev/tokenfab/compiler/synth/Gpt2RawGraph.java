package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import dev.tokenfab.format.model.TensorNames;
import java.util.List;

/**
 * GPT-2 in standard ONNX ops (opset 17) as torch.onnx exports Hugging Face's GPT2LMHeadModel:
 * wte + wpe Gathers; LayerNorm decomposed (ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add);
 * Conv1D projections as Reshape-to-2D + Gemm([in, out] weight, bias) + Reshape back, with the fused
 * c_attn split into q/k/v; multi-head attention with Concat(past, new) KV and the shared mask chain;
 * GELU-tanh ("gelu_new") decomposed; LM head = MatMul with the transposed wte (tied) or its own weight.
 */
final class Gpt2RawGraph extends GraphContext {
    /** sqrt(2/pi), the GELU tanh approximation's constant (Hendrycks and Gimpel 2016). */
    static final float GELU_SQRT_2_OVER_PI = 0.7978845608028654f;
    /** The cubic coefficient of the GELU tanh approximation (Hendrycks and Gimpel 2016). */
    static final float GELU_CUBIC = 0.044715f;

    Gpt2RawGraph(SynthSpec spec, GraphBuilder g, WeightFactory w) {
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

        for (int l = 0; l < s.layers(); l++) {
            TensorNames.Layer n = TensorNames.layer(l);
            String p = "/transformer/h." + l;
            String hf = "transformer.h." + l + ".";
            String h = layerNorm(p + "/ln_1", x, w.normWeight(hf + "ln_1.weight", n.attnNormWeight(), hidden),
                    w.bias(hf + "ln_1.bias", n.attnNormBias(), hidden));
            String a = p + "/attn";
            SynthWeight cAttn = w.concat(hf + "attn.c_attn.weight", new long[] {hidden, 3L * hidden}, List.of(
                    w.projectionValues(n.wq(), hidden, hidden, true), w.projectionValues(n.wk(), hidden, hidden, true),
                    w.projectionValues(n.wv(), hidden, hidden, true)));
            SynthWeight cAttnBias = w.concat(hf + "attn.c_attn.bias", new long[] {3L * hidden}, List.of(
                    w.biasValues(n.bq(), hidden), w.biasValues(n.bk(), hidden), w.biasValues(n.bv(), hidden)));
            String qkv = conv1d(a + "/c_attn", h, cAttn, cAttnBias, 3 * hidden);
            List<String> parts = g.opN(a, "", "Split", 3, List.of(qkv, g.ints(hidden, hidden, hidden)), Attr.i("axis", -1));
            String q = heads(a + "/q", parts.get(0));
            String k = heads(a + "/k", parts.get(1));
            String v = heads(a + "/v", parts.get(2));
            String presentK = g.node(a + "/key_cache/Concat", "", "Concat", List.of(DecoderIo.pastKey(l), k),
                    List.of(DecoderIo.presentKey(l)), Attr.i("axis", 2)).getFirst();
            String presentV = g.node(a + "/value_cache/Concat", "", "Concat", List.of(DecoderIo.pastValue(l), v),
                    List.of(DecoderIo.presentValue(l)), Attr.i("axis", 2)).getFirst();
            String ctx = RawParts.attention(g, a, q, presentK, presentV, mask, s.headDim());
            ctx = g.op(a, "Reshape", List.of(g.op(a, "Transpose", List.of(ctx), Attr.ints("perm", 0, 2, 1, 3)), g.ints(0, 0, hidden)));
            String o = conv1d(a + "/c_proj", ctx, w.projection(hf + "attn.c_proj.weight", n.wo(), hidden, hidden, false, false),
                    w.bias(hf + "attn.c_proj.bias", n.bo(), hidden), hidden);
            x = g.op(p, "Add", List.of(x, o));

            String h2 = layerNorm(p + "/ln_2", x, w.normWeight(hf + "ln_2.weight", n.mlpNormWeight(), hidden),
                    w.bias(hf + "ln_2.bias", n.mlpNormBias(), hidden));
            String m = p + "/mlp";
            String fc = conv1d(m + "/c_fc", h2, w.projection(hf + "mlp.c_fc.weight", n.wUp(), hidden, s.intermediate(), false, true),
                    w.bias(hf + "mlp.c_fc.bias", n.bUp(), s.intermediate()), s.intermediate());
            String act = geluTanh(m + "/act", fc);
            String down = conv1d(m + "/c_proj", act, w.projection(hf + "mlp.c_proj.weight", n.wDown(), s.intermediate(), hidden, false, false),
                    w.bias(hf + "mlp.c_proj.bias", n.bDown(), hidden), hidden);
            x = g.op(p, "Add", List.of(x, down));
        }
        String out = layerNorm("/transformer/ln_f", x, w.normWeight("transformer.ln_f.weight", TensorNames.FINAL_NORM_WEIGHT, hidden),
                w.bias("transformer.ln_f.bias", TensorNames.FINAL_NORM_BIAS, hidden));
        String head = s.tiedEmbeddings()
                ? g.op("/lm_head", "Transpose", List.of(wte), Attr.ints("perm", 1, 0))
                : weight("/lm_head", w.lmHead("lm_head.weight", false));
        g.node("/lm_head/MatMul", "", "MatMul", List.of(out, head), List.of(DecoderIo.LOGITS));
    }

    /** (x - mean) / sqrt(var + eps) * gamma + beta, decomposed as torch exported it before opset 17. */
    private String layerNorm(String scope, String x, SynthWeight gamma, SynthWeight beta) {
        String mean = g.op(scope, "ReduceMean", List.of(x), Attr.ints("axes", -1), Attr.i("keepdims", 1));
        String d = g.op(scope, "Sub", List.of(x, mean));
        String var = g.op(scope, "ReduceMean", List.of(g.op(scope, "Pow", List.of(d, g.scalarF32(2f)))),
                Attr.ints("axes", -1), Attr.i("keepdims", 1));
        String std = g.op(scope, "Sqrt", List.of(g.op(scope, "Add", List.of(var, g.scalarF32(SynthConstants.LAYER_NORM_EPSILON)))));
        String y = g.op(scope, "Div", List.of(d, std));
        return g.op(scope, "Add", List.of(g.op(scope, "Mul", List.of(y, weight(scope, gamma))), weight(scope, beta)));
    }

    /** HF Conv1D: Reshape [B*S, in] -> Gemm(W [in, out], b) -> Reshape [B, S, out] (shape from a Shape/Slice/Concat chain). */
    private String conv1d(String scope, String x, SynthWeight weight, SynthWeight bias, int outFeatures) {
        String lead = g.op(scope, "Slice", List.of(g.op(scope, "Shape", List.of(x)), g.ints(0), g.ints(2), g.ints(0)));
        String outShape = g.op(scope, "Concat", List.of(lead, g.ints(outFeatures)), Attr.i("axis", 0));
        long in = weight.dims()[0];
        String flat = g.op(scope, "Reshape", List.of(x, g.ints(-1, in)));
        String y = g.op(scope, "Gemm", List.of(flat, weight(scope, weight), weight(scope, bias)),
                Attr.f("alpha", 1f), Attr.f("beta", 1f));
        return g.op(scope, "Reshape", List.of(y, outShape));
    }

    /** [B, S, hidden] -> [B, heads, S, D] */
    private String heads(String scope, String x) {
        String r = g.op(scope, "Reshape", List.of(x, g.ints(0, 0, s.heads(), s.headDim())));
        return g.op(scope, "Transpose", List.of(r), Attr.ints("perm", 0, 2, 1, 3));
    }

    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), HF "gelu_new". */
    private String geluTanh(String scope, String x) {
        String cube = g.op(scope, "Pow", List.of(x, g.scalarF32(3f)));
        String inner = g.op(scope, "Add", List.of(x, g.op(scope, "Mul", List.of(cube, g.scalarF32(GELU_CUBIC)))));
        String t = g.op(scope, "Tanh", List.of(g.op(scope, "Mul", List.of(inner, g.scalarF32(GELU_SQRT_2_OVER_PI)))));
        String onePlus = g.op(scope, "Add", List.of(t, g.scalarF32(1f)));
        return g.op(scope, "Mul", List.of(g.op(scope, "Mul", List.of(x, g.scalarF32(0.5f))), onePlus));
    }
}
