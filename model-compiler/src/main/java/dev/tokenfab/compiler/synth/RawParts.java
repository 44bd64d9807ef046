package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import java.util.List;

/** Decomposed (standard-op) building blocks shared by the RAW graphs. */
final class RawParts {
    private RawParts() {}

    /**
     * Additive attention mask [B, 1, S, T] (0 or {@link SynthConstants#MASK_MIN}) from attention_mask
     * [B, T] and the query length S: query i sits at absolute position T - S + i and may see key j
     * iff j <= T - S + i and attention_mask[b, j] != 0. Built from Shape/Gather/Sub/Range/Unsqueeze/
     * Greater/Equal/Or/Where as exporters emit it.
     */
    static String causalPaddingMask(GraphBuilder g) {
        String sc = "/model/attn_mask";
        String one = g.scalarI64(1);
        String seq = g.op(sc, "Gather", List.of(g.op(sc, "Shape", List.of(DecoderIo.INPUT_IDS)), one), Attr.i("axis", 0));
        String total = g.op(sc, "Gather", List.of(g.op(sc, "Shape", List.of(DecoderIo.ATTENTION_MASK)), one), Attr.i("axis", 0));
        String past = g.op(sc, "Sub", List.of(total, seq));
        String rows = g.op(sc, "Range", List.of(past, total, one));               // [S] absolute query positions
        String cols = g.op(sc, "Range", List.of(g.scalarI64(0), total, one));     // [T] key positions
        String rows2 = g.op(sc, "Unsqueeze", List.of(rows, g.ints(1)));          // [S, 1]
        String future = g.op(sc, "Greater", List.of(cols, rows2));               // [S, T]
        String future4 = g.op(sc, "Unsqueeze", List.of(future, g.ints(0, 1)));   // [1, 1, S, T]
        String pad = g.op(sc, "Equal", List.of(DecoderIo.ATTENTION_MASK, g.scalarI64(0))); // [B, T]
        String pad4 = g.op(sc, "Unsqueeze", List.of(pad, g.ints(1, 2)));         // [B, 1, 1, T]
        String blocked = g.op(sc, "Or", List.of(future4, pad4));                 // [B, 1, S, T]
        return g.op(sc, "Where", List.of(blocked, g.scalarF32(SynthConstants.MASK_MIN), g.scalarF32(0f)));
    }

    /**
     * RoPE on x [B, h, S, headDim] with cos/sin [B, 1, S, rotaryDim] laid out by
     * {@link WeightFactory#ropeCache}: x*cos + rotate(x)*sin on the first rotaryDim elements.
     */
    static String rope(GraphBuilder g, SynthSpec s, String scope, String x, String cos, String sin) {
        int rd = s.rotaryDim(), d = s.headDim();
        String rot = x, pass = null;
        if (rd < d) {
            String axis3 = g.ints(3);
            rot = g.op(scope, "Slice", List.of(x, g.ints(0), g.ints(rd), axis3));
            pass = g.op(scope, "Slice", List.of(x, g.ints(rd), g.ints(d), axis3));
        }
        String rotated;
        if (s.ropeInterleaved()) {
            // GPT-J rotate_every_two as torch exports it: x[..., ::2], x[..., 1::2] by strided Slice,
            // stack((-odd, even), -1) as Unsqueeze/Concat, flatten(-2) as Reshape
            String axis3 = g.ints(3), two = g.ints(2);
            String even = g.op(scope, "Slice", List.of(rot, g.ints(0), g.ints(rd), axis3, two));
            String odd = g.op(scope, "Slice", List.of(rot, g.ints(1), g.ints(rd), axis3, two));
            String last = g.ints(-1);
            String cat = g.op(scope, "Concat", List.of(g.op(scope, "Unsqueeze", List.of(g.op(scope, "Neg", List.of(odd)), last)),
                    g.op(scope, "Unsqueeze", List.of(even, last))), Attr.i("axis", -1));
            rotated = g.op(scope, "Reshape", List.of(cat, g.ints(0, 0, 0, rd)));
        } else {
            // HF rotate_half: cat(-x2, x1)
            String axis3 = g.ints(3);
            String x1 = g.op(scope, "Slice", List.of(rot, g.ints(0), g.ints(rd / 2), axis3));
            String x2 = g.op(scope, "Slice", List.of(rot, g.ints(rd / 2), g.ints(rd), axis3));
            rotated = g.op(scope, "Concat", List.of(g.op(scope, "Neg", List.of(x2)), x1), Attr.i("axis", -1));
        }
        String out = g.op(scope, "Add", List.of(g.op(scope, "Mul", List.of(rot, cos)), g.op(scope, "Mul", List.of(rotated, sin))));
        if (pass != null) out = g.op(scope, "Concat", List.of(out, pass), Attr.i("axis", -1));
        return out;
    }

    /** HF repeat_kv: [B, kvH, T, D] -> Unsqueeze -> Expand [B, kvH, n_rep, T, D] -> Reshape [B, H, T, D]. */
    static String repeatKv(GraphBuilder g, SynthSpec s, String scope, String kv) {
        int rep = s.heads() / s.kvHeads();
        if (rep == 1) return kv;
        String u = g.op(scope, "Unsqueeze", List.of(kv, g.ints(2)));
        String e = g.op(scope, "Expand", List.of(u, g.ints(1, 1, rep, 1, 1)));
        return g.op(scope, "Reshape", List.of(e, g.ints(0, s.heads(), -1, s.headDim())));
    }

    /** softmax(q k^T / sqrt(D) + mask) v for q [B, H, S, D], k/v [B, H, T, D]; returns [B, H, S, D]. */
    static String attention(GraphBuilder g, String scope, String q, String k, String v, String mask, int headDim) {
        String kt = g.op(scope, "Transpose", List.of(k), Attr.ints("perm", 0, 1, 3, 2));
        String scores = g.op(scope, "MatMul", List.of(q, kt));
        scores = g.op(scope, "Mul", List.of(scores, g.scalarF32((float) (1.0 / Math.sqrt(headDim)))));
        scores = g.op(scope, "Add", List.of(scores, mask));
        String probs = g.op(scope, "Softmax", List.of(scores), Attr.i("axis", -1));
        return g.op(scope, "MatMul", List.of(probs, v));
    }
}
