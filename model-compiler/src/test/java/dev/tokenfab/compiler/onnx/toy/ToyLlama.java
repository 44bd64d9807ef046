package dev.tokenfab.compiler.onnx.toy;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A raw (decomposed) Llama decoder in the form our synthetic writer emits: Gather embedding,
 * RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul, MatMul [in,out] weights, Reshape/Transpose heads,
 * rotate_half RoPE over Gathered cos/sin caches, past/new KV Concat → present.N.key/value, GQA by
 * Unsqueeze/Expand/Reshape, MatMul/Div/Add-mask/Softmax/MatMul attention, SwiGLU by Sigmoid/Mul,
 * final norm and an lm_head MatMul. Weights are a deterministic function of name and index.
 */
public final class ToyLlama {

    /** Toy dims; {@code tied} makes lm_head a Transpose of the embedding table. */
    public record Dims(int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate, int maxContext,
                       float theta, float eps, boolean tied) {
        public int headDim() { return hidden / heads; }
    }

    public static final Dims DEFAULT = new Dims(64, 16, 2, 4, 2, 24, 32, 10000f, 1e-5f, false);

    /** ONNX initializer name → its float values (row-major, as stored). */
    public final Map<String, float[]> values = new HashMap<>();
    public final Dims dims;
    private final ProtoBuilder b = new ProtoBuilder();

    /** cos/sin computed at run time from an inv_freq constant (HF torch export) instead of cached tables */
    private final boolean computedRope;

    public ToyLlama(Dims dims) { this(dims, false); }

    public ToyLlama(Dims dims, boolean computedRope) {
        this.dims = dims;
        this.computedRope = computedRope;
    }

    public static float weight(String name, long i) {
        return (float) (0.1 * Math.sin(name.hashCode() * 0.001 + i * 0.731));
    }

    private String weightInit(String name, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) v[i] = name.contains("norm") ? 1f + weight(name, i) : weight(name, i);
        values.put(name, v);
        return b.init(ProtoBuilder.floats(name, shape, v));
    }

    public ModelProto build() {
        Dims d = dims;
        int hd = d.headDim();
        var g = b.graph();
        g.addInput(ProtoBuilder.value("input_ids", ProtoBuilder.INT64, "batch", "seq"));
        g.addInput(ProtoBuilder.value("attention_mask", ProtoBuilder.INT64, "batch", "total"));
        g.addInput(ProtoBuilder.value("position_ids", ProtoBuilder.INT64, "batch", "seq"));
        for (int l = 0; l < d.layers(); l++) {
            g.addInput(ProtoBuilder.value("past_key_values." + l + ".key", ProtoBuilder.FLOAT, "batch", (long) d.kvHeads(), "past", (long) hd));
            g.addInput(ProtoBuilder.value("past_key_values." + l + ".value", ProtoBuilder.FLOAT, "batch", (long) d.kvHeads(), "past", (long) hd));
        }
        String embed = weightInit("model.embed_tokens.weight", d.vocab(), d.hidden());
        // HF cat(freqs, freqs) cos/sin tables [maxContext, headDim]
        float[] cos = new float[d.maxContext() * hd], sin = new float[d.maxContext() * hd];
        for (int p = 0; p < d.maxContext(); p++) {
            for (int i = 0; i < hd; i++) {
                double inv = Math.pow(d.theta(), -2.0 * (i % (hd / 2)) / hd);
                cos[p * hd + i] = (float) Math.cos(p * inv);
                sin[p * hd + i] = (float) Math.sin(p * inv);
            }
        }
        b.init(ProtoBuilder.floats("cos_cached", new long[] {d.maxContext(), hd}, cos));
        b.init(ProtoBuilder.floats("sin_cached", new long[] {d.maxContext(), hd}, sin));
        b.scalar("two", 2f);
        b.scalar("eps", d.eps());
        b.scalar("one", 1f);
        b.scalar("mask_min", -1e4f);
        b.scalar("sqrt_hd", (float) Math.sqrt(hd));
        b.constLongs("axes_1", 1);
        b.constLongs("axes_2", 2);
        b.constLongs("axes_m1", -1);
        b.constLongs("zero", 0);
        b.constLongs("half", hd / 2);
        b.constLongs("big", Long.MAX_VALUE);
        b.constLongs("q_shape", 0, 0, d.heads(), hd);
        b.constLongs("kv_shape", 0, 0, d.kvHeads(), hd);
        b.constLongs("merge_shape", 0, 0, (long) d.heads() * hd);
        b.constLongs("gqa_expand", 1, 1, d.heads() / d.kvHeads(), 1, 1);
        b.constLongs("gqa_shape", 0, d.heads(), -1, hd);

        String x = b.node("Gather", List.of(embed, "input_ids"));
        // mask [B,1,1,T] = (1 - mask) * -1e4
        String m = b.node("Unsqueeze", List.of("attention_mask", "axes_1"));
        m = b.node("Unsqueeze", List.of(m, "axes_2"));
        m = b.node("Cast", List.of(m), "to", 1L);
        m = b.node("Sub", List.of("one", m));
        String mask = b.node("Mul", List.of(m, "mask_min"));
        String cosT, sinT;
        if (computedRope) {
            // HF LlamaRotaryEmbedding: freqs = (inv_freq[None, :, None] @ positions[:, None, :]).T; emb = cat(freqs, freqs)
            float[] inv = new float[hd / 2];
            for (int i = 0; i < hd / 2; i++) inv[i] = (float) Math.pow(d.theta(), -2.0 * i / hd);
            b.init(ProtoBuilder.floats("inv_freq", new long[] {1, hd / 2, 1}, inv));
            String pos = b.node("Cast", List.of(b.node("Unsqueeze", List.of("position_ids", "axes_1"))), "to", 1L);
            String freqs = b.node("Transpose", List.of(b.node("MatMul", List.of("inv_freq", pos))), "perm", new long[] {0, 2, 1});
            String emb = b.node("Concat", List.of(freqs, freqs), "axis", -1L);
            cosT = b.node("Unsqueeze", List.of(b.node("Cos", List.of(emb)), "axes_1"));
            sinT = b.node("Unsqueeze", List.of(b.node("Sin", List.of(emb)), "axes_1"));
        } else {
            cosT = b.node("Unsqueeze", List.of(b.node("Gather", List.of("cos_cached", "position_ids")), "axes_1"));
            sinT = b.node("Unsqueeze", List.of(b.node("Gather", List.of("sin_cached", "position_ids")), "axes_1"));
        }

        for (int l = 0; l < d.layers(); l++) {
            String p = "model.layers." + l + ".";
            String h = rms(x, weightInit(p + "input_layernorm.weight", d.hidden()));
            String q = b.node("MatMul", List.of(h, weightInit(p + "self_attn.q_proj.weight", d.hidden(), (long) d.heads() * hd)));
            String k = b.node("MatMul", List.of(h, weightInit(p + "self_attn.k_proj.weight", d.hidden(), (long) d.kvHeads() * hd)));
            String v = b.node("MatMul", List.of(h, weightInit(p + "self_attn.v_proj.weight", d.hidden(), (long) d.kvHeads() * hd)));
            String q4 = b.node("Transpose", List.of(b.node("Reshape", List.of(q, "q_shape"))), "perm", new long[] {0, 2, 1, 3});
            String k4 = b.node("Transpose", List.of(b.node("Reshape", List.of(k, "kv_shape"))), "perm", new long[] {0, 2, 1, 3});
            String v4 = b.node("Transpose", List.of(b.node("Reshape", List.of(v, "kv_shape"))), "perm", new long[] {0, 2, 1, 3});
            String qr = rope(q4, cosT, sinT);
            String kr = rope(k4, cosT, sinT);
            String presentK = "present." + l + ".key", presentV = "present." + l + ".value";
            b.nodeTo("Concat", "", List.of("past_key_values." + l + ".key", kr), List.of(presentK), "axis", 2L);
            b.nodeTo("Concat", "", List.of("past_key_values." + l + ".value", v4), List.of(presentV), "axis", 2L);
            String kE = repeatKv(presentK), vE = repeatKv(presentV);
            String s = b.node("MatMul", List.of(qr, b.node("Transpose", List.of(kE), "perm", new long[] {0, 1, 3, 2})));
            s = b.node("Div", List.of(s, "sqrt_hd"));
            s = b.node("Add", List.of(s, mask));
            s = b.node("Softmax", List.of(s), "axis", -1L);
            String ctx = b.node("MatMul", List.of(s, vE));
            ctx = b.node("Transpose", List.of(ctx), "perm", new long[] {0, 2, 1, 3});
            ctx = b.node("Reshape", List.of(ctx, "merge_shape"));
            String o = b.node("MatMul", List.of(ctx, weightInit(p + "self_attn.o_proj.weight", (long) d.heads() * hd, d.hidden())));
            x = b.node("Add", List.of(x, o));
            String h2 = rms(x, weightInit(p + "post_attention_layernorm.weight", d.hidden()));
            String gate = b.node("MatMul", List.of(h2, weightInit(p + "mlp.gate_proj.weight", d.hidden(), d.intermediate())));
            String up = b.node("MatMul", List.of(h2, weightInit(p + "mlp.up_proj.weight", d.hidden(), d.intermediate())));
            String act = b.node("Mul", List.of(gate, b.node("Sigmoid", List.of(gate))));
            String down = b.node("MatMul", List.of(b.node("Mul", List.of(act, up)),
                    weightInit(p + "mlp.down_proj.weight", d.intermediate(), d.hidden())));
            x = b.node("Add", List.of(x, down));
            g.addOutput(ProtoBuilder.value(presentK, ProtoBuilder.FLOAT, "batch", (long) d.kvHeads(), "total", (long) hd));
            g.addOutput(ProtoBuilder.value(presentV, ProtoBuilder.FLOAT, "batch", (long) d.kvHeads(), "total", (long) hd));
        }
        String out = rms(x, weightInit("model.norm.weight", d.hidden()));
        String head = d.tied() ? b.node("Transpose", List.of(embed), "perm", new long[] {1, 0})
                : weightInit("lm_head.weight", d.hidden(), d.vocab());
        b.nodeTo("MatMul", "", List.of(out, head), List.of("logits"));
        g.addOutput(ProtoBuilder.value("logits", ProtoBuilder.FLOAT, "batch", "seq", (long) d.vocab()));
        return b.model();
    }

    private String rms(String x, String w) {
        String ms = b.node("ReduceMean", List.of(b.node("Pow", List.of(x, "two"))), "axes", new long[] {-1}, "keepdims", 1L);
        String r = b.node("Sqrt", List.of(b.node("Add", List.of(ms, "eps"))));
        return b.node("Mul", List.of(b.node("Div", List.of(x, r)), w));
    }

    private String rope(String x4, String cos, String sin) {
        String x1 = b.node("Slice", List.of(x4, "zero", "half", "axes_m1"));
        String x2 = b.node("Slice", List.of(x4, "half", "big", "axes_m1"));
        String rot = b.node("Concat", List.of(b.node("Neg", List.of(x2)), x1), "axis", -1L);
        return b.node("Add", List.of(b.node("Mul", List.of(x4, cos)), b.node("Mul", List.of(rot, sin))));
    }

    private String repeatKv(String kv) {
        if (dims.heads() == dims.kvHeads()) return kv;
        String u = b.node("Unsqueeze", List.of(kv, "axes_2"));
        return b.node("Reshape", List.of(b.node("Expand", List.of(u, "gqa_expand")), "gqa_shape"));
    }
}
