package dev.tokenfab.compiler.onnx.toy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama in fused operator vocabularies (form 5 of the importer's brief):
 * <ul>
 *   <li>{@link Form#OPSET23}: RMSNormalization, RotaryEmbedding (ai.onnx, 3-D input with num_heads) and
 *       Attention (ai.onnx, q_num_heads/kv_num_heads, past/present);</li>
 *   <li>{@link Form#CONTRIB_GQA}: SimplifiedLayerNormalization + SkipSimplifiedLayerNormalization,
 *       GroupQueryAttention with do_rotary over half-width cos/sin caches and packed QKV, projections
 *       either MatMul or 4-bit MatMulNBits with zero points.</li>
 * </ul>
 */
public final class ToyFusedLlama {
    public enum Form { OPSET23, CONTRIB_GQA }

    public static final int VOCAB = 48, HIDDEN = 32, LAYERS = 2, HEADS = 4, KV_HEADS = 2, HEAD_DIM = 8, INTER = 64, CTX = 40;
    public static final float THETA = 500000f, EPS = 1e-6f;
    /** MatMulNBits block size used for the 4-bit projections. */
    public static final int BLOCK = 16;

    public final Map<String, float[]> floats = new HashMap<>();
    public final Map<String, byte[]> bytes = new HashMap<>();
    private final ProtoBuilder b = new ProtoBuilder();
    private final Form form;
    private final boolean nbits;

    public ToyFusedLlama(Form form, boolean nbits) {
        this.form = form;
        this.nbits = nbits;
    }

    private String w(String name, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) v[i] = name.contains("norm") ? 1 + ToyLlama.weight(name, i) : ToyLlama.weight(name, i);
        floats.put(name, v);
        return b.init(ProtoBuilder.floats(name, shape, v));
    }

    /** x @ W for W [in][out]: MatMul, or MatMulNBits over deterministic 4-bit codes with scales and zero points. */
    private String proj(String x, String name, int in, int out) {
        if (!nbits) return b.node("MatMul", List.of(x, w(name, in, out)));
        int blocks = in / BLOCK, blob = BLOCK / 2;
        byte[] q = new byte[out * blocks * blob];
        for (int i = 0; i < q.length; i++) q[i] = (byte) ((i * 37 + name.length()) & 0xFF);
        float[] s = new float[out * blocks];
        for (int i = 0; i < s.length; i++) s[i] = 0.01f * (1 + (i % 7));
        byte[] zp = new byte[out * ((blocks + 1) / 2)];
        for (int i = 0; i < zp.length; i++) zp[i] = (byte) ((i * 11 + 3) & 0xFF);
        bytes.put(name + ".qweight", q);
        bytes.put(name + ".zp", zp);
        floats.put(name + ".scales", s);
        b.init(ProtoBuilder.raw(name + ".qweight", ProtoBuilder.UINT8, new long[] {out, blocks, blob}, q));
        b.init(ProtoBuilder.floats(name + ".scales", new long[] {(long) out * blocks}, s));
        b.init(ProtoBuilder.raw(name + ".zp", ProtoBuilder.UINT8, new long[] {zp.length}, zp));
        String y = name + "/out";
        b.nodeTo("MatMulNBits", "com.microsoft", List.of(x, name + ".qweight", name + ".scales", name + ".zp"), List.of(y),
                "K", (long) in, "N", (long) out, "bits", 4L, "block_size", (long) BLOCK);
        return y;
    }

    public ModelProto build() {
        var g = b.graph();
        g.addInput(ProtoBuilder.value("input_ids", ProtoBuilder.INT64, "batch", "seq"));
        g.addInput(ProtoBuilder.value("position_ids", ProtoBuilder.INT64, "batch", "seq"));
        for (int l = 0; l < LAYERS; l++) {
            g.addInput(ProtoBuilder.value("past." + l + ".key", ProtoBuilder.FLOAT, "batch", (long) KV_HEADS, "past", (long) HEAD_DIM));
            g.addInput(ProtoBuilder.value("past." + l + ".value", ProtoBuilder.FLOAT, "batch", (long) KV_HEADS, "past", (long) HEAD_DIM));
        }
        // ORT caches: [ctx][rotary/2]
        float[] cos = new float[CTX * HEAD_DIM / 2], sin = new float[CTX * HEAD_DIM / 2];
        for (int p = 0; p < CTX; p++) {
            for (int i = 0; i < HEAD_DIM / 2; i++) {
                double inv = Math.pow(THETA, -2.0 * i / HEAD_DIM);
                cos[p * HEAD_DIM / 2 + i] = (float) Math.cos(p * inv);
                sin[p * HEAD_DIM / 2 + i] = (float) Math.sin(p * inv);
            }
        }
        b.init(ProtoBuilder.floats("cos_cache", new long[] {CTX, HEAD_DIM / 2}, cos));
        b.init(ProtoBuilder.floats("sin_cache", new long[] {CTX, HEAD_DIM / 2}, sin));
        String x = b.node("Gather", List.of(w("embed", VOCAB, HIDDEN), "input_ids"));
        String residual = x;
        String h = null;
        for (int l = 0; l < LAYERS; l++) {
            String p = "layers." + l + ".";
            if (form == Form.OPSET23) {
                h = b.node("RMSNormalization", List.of(x, w(p + "attn_norm", HIDDEN)), "epsilon", EPS);
            } else if (l == 0) {
                h = "l0_normed";
                b.nodeTo("SimplifiedLayerNormalization", "", List.of(x, w(p + "attn_norm", HIDDEN)), List.of(h), "epsilon", EPS);
            }
            String attn;
            String pk = "past." + l + ".key", pv = "past." + l + ".value";
            List<String> presents = List.of("present." + l + ".key", "present." + l + ".value");
            if (form == Form.OPSET23) {
                String q = proj(h, p + "wq", HIDDEN, HEADS * HEAD_DIM);
                String k = proj(h, p + "wk", HIDDEN, KV_HEADS * HEAD_DIM);
                String v = proj(h, p + "wv", HIDDEN, KV_HEADS * HEAD_DIM);
                String qr = b.node("RotaryEmbedding", List.of(q, "cos_cache", "sin_cache", "position_ids"), "num_heads", (long) HEADS);
                String kr = b.node("RotaryEmbedding", List.of(k, "cos_cache", "sin_cache", "position_ids"), "num_heads", (long) KV_HEADS);
                attn = "attn." + l;
                b.nodeTo("Attention", "", List.of(qr, kr, v, "", pk, pv), List.of(attn, presents.get(0), presents.get(1)),
                        "q_num_heads", (long) HEADS, "kv_num_heads", (long) KV_HEADS, "is_causal", 1L);
            } else {
                String qkv = proj(h, p + "wqkv", HIDDEN, (HEADS + 2 * KV_HEADS) * HEAD_DIM);
                attn = "attn." + l;
                b.nodeTo("GroupQueryAttention", "com.microsoft", List.of(qkv, "", "", pk, pv, "seqlens_k", "total_len", "cos_cache", "sin_cache"),
                        List.of(attn, presents.get(0), presents.get(1)), "num_heads", (long) HEADS, "kv_num_heads", (long) KV_HEADS,
                        "do_rotary", 1L, "rotary_interleaved", 0L);
            }
            for (String pr : presents) g.addOutput(ProtoBuilder.value(pr, ProtoBuilder.FLOAT, "batch", (long) KV_HEADS, "total", (long) HEAD_DIM));
            String o = proj(attn, p + "wo", HEADS * HEAD_DIM, HIDDEN);
            String h2;
            if (form == Form.OPSET23) {
                x = b.node("Add", List.of(x, o));
                h2 = b.node("RMSNormalization", List.of(x, w(p + "mlp_norm", HIDDEN)), "epsilon", EPS);
            } else {
                h2 = "h2." + l;
                residual = "res_mid." + l;
                b.nodeTo("SkipSimplifiedLayerNormalization", "com.microsoft", List.of(x, o, w(p + "mlp_norm", HIDDEN)),
                        List.of(h2, "", "", residual), "epsilon", EPS);
                x = residual;
            }
            String gate = proj(h2, p + "w_gate", HIDDEN, INTER);
            String up = proj(h2, p + "w_up", HIDDEN, INTER);
            String act = b.node("Mul", List.of(gate, b.node("Sigmoid", List.of(gate))));
            String down = proj(b.node("Mul", List.of(act, up)), p + "w_down", INTER, HIDDEN);
            if (form == Form.OPSET23) {
                x = b.node("Add", List.of(x, down));
            } else {
                boolean last = l == LAYERS - 1;
                String normW = last ? w("final_norm", HIDDEN) : w("layers." + (l + 1) + ".attn_norm", HIDDEN);
                h = last ? "final_normed" : "normed." + (l + 1);
                String sum = "res_out." + l;
                b.nodeTo("SkipSimplifiedLayerNormalization", "com.microsoft", List.of(x, down, normW), List.of(h, "", "", sum), "epsilon", EPS);
                x = sum;
            }
        }
        if (form == Form.OPSET23) h = b.node("RMSNormalization", List.of(x, w("final_norm", HIDDEN)), "epsilon", EPS);
        b.nodeTo("MatMul", "", List.of(h, w("lm_head", HIDDEN, VOCAB)), List.of("logits"));
        g.addOutput(ProtoBuilder.value("logits", ProtoBuilder.FLOAT, "batch", "seq", (long) VOCAB));
        g.addInput(ProtoBuilder.value("seqlens_k", ProtoBuilder.INT64, "batch"));
        g.addInput(ProtoBuilder.value("total_len", ProtoBuilder.INT64));
        ModelProto m = b.model();
        return m.toBuilder().clearOpsetImport()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(form == Form.OPSET23 ? 23 : 17))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1)).build();
    }
}
