package dev.tokenfab.format.model;

/**
 * Canonical names of decoder weights, independent of how an exporter named them. Matrices are
 * stored [outFeatures][inFeatures] (row = output channel), i.e. transposed from ONNX MatMul's
 * [in][out]; every quantizer, packer and kernel assumes that orientation.
 */
public final class TensorNames {
    private TensorNames() {}

    /** [vocab][hidden] */
    public static final String TOKEN_EMBEDDING = "tok_embeddings";
    /** [maxContext][hidden], LEARNED positions only */
    public static final String POSITION_EMBEDDING = "pos_embeddings";
    /** [hidden] */
    public static final String FINAL_NORM_WEIGHT = "final_norm.weight";
    /** [hidden], LAYER_NORM only */
    public static final String FINAL_NORM_BIAS = "final_norm.bias";
    /** [vocab][hidden]; absent when embeddings are tied or the model has no LM head */
    public static final String LM_HEAD = "lm_head";

    /** One decoder block's tensor names. Shapes: q [numHeads*headDim][hidden], k/v [numKvHeads*headDim][hidden],
     *  o [hidden][numHeads*headDim], gate/up [intermediate][hidden], down [hidden][intermediate], norms/biases 1-D. */
    public record Layer(int index) {
        private String n(String s) { return "layers." + index + "." + s; }
        public String attnNormWeight() { return n("attn_norm.weight"); }
        public String attnNormBias() { return n("attn_norm.bias"); }
        public String wq() { return n("attn.wq"); }
        public String wk() { return n("attn.wk"); }
        public String wv() { return n("attn.wv"); }
        public String wo() { return n("attn.wo"); }
        public String bq() { return n("attn.bq"); }
        public String bk() { return n("attn.bk"); }
        public String bv() { return n("attn.bv"); }
        public String bo() { return n("attn.bo"); }
        public String mlpNormWeight() { return n("mlp_norm.weight"); }
        public String mlpNormBias() { return n("mlp_norm.bias"); }
        /** SwiGLU gate projection (SILU_GLU only) */
        public String wGate() { return n("mlp.w_gate"); }
        /** SwiGLU up projection, or the GELU MLP's first (fc) projection */
        public String wUp() { return n("mlp.w_up"); }
        /** down projection (GELU MLP: the second, "proj") */
        public String wDown() { return n("mlp.w_down"); }
        public String bGate() { return n("mlp.b_gate"); }
        public String bUp() { return n("mlp.b_up"); }
        public String bDown() { return n("mlp.b_down"); }
    }

    public static Layer layer(int index) { return new Layer(index); }
}
