package dev.tokenfab.compiler.onnx.graph;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The closed set of operators the importer knows, by (domain, op type). Every node of an input graph
 * must classify into one of these, or the import stops with UNSUPPORTED_OP naming the node. The
 * {@link Kind} says what role the op plays for the decoder recognizer.
 */
public enum Op {
    // ---- ai.onnx: shape / index plumbing (folded when constant, otherwise treated as structure)
    CONSTANT("", "Constant", Kind.SHAPE), SHAPE("", "Shape", Kind.SHAPE), GATHER("", "Gather", Kind.SHAPE),
    CONCAT("", "Concat", Kind.SHAPE), UNSQUEEZE("", "Unsqueeze", Kind.SHAPE), SQUEEZE("", "Squeeze", Kind.SHAPE),
    SLICE("", "Slice", Kind.SHAPE), CAST("", "Cast", Kind.SHAPE), RANGE("", "Range", Kind.SHAPE),
    CONSTANT_OF_SHAPE("", "ConstantOfShape", Kind.SHAPE), RESHAPE("", "Reshape", Kind.SHAPE),
    TRANSPOSE("", "Transpose", Kind.SHAPE), EXPAND("", "Expand", Kind.SHAPE), SPLIT("", "Split", Kind.SHAPE),
    TILE("", "Tile", Kind.SHAPE), IDENTITY("", "Identity", Kind.SHAPE), FLATTEN("", "Flatten", Kind.SHAPE),
    EQUAL("", "Equal", Kind.SHAPE), LESS("", "Less", Kind.SHAPE), GREATER("", "Greater", Kind.SHAPE),
    LESS_OR_EQUAL("", "LessOrEqual", Kind.SHAPE), GREATER_OR_EQUAL("", "GreaterOrEqual", Kind.SHAPE),
    WHERE("", "Where", Kind.SHAPE), AND("", "And", Kind.SHAPE), OR("", "Or", Kind.SHAPE), NOT("", "Not", Kind.SHAPE),
    TRILU("", "Trilu", Kind.SHAPE), CUM_SUM("", "CumSum", Kind.SHAPE), DROPOUT("", "Dropout", Kind.SHAPE),
    // ---- ai.onnx: arithmetic
    ADD("", "Add", Kind.MATH), SUB("", "Sub", Kind.MATH), MUL("", "Mul", Kind.MATH), DIV("", "Div", Kind.MATH),
    POW("", "Pow", Kind.MATH), SQRT("", "Sqrt", Kind.MATH), RECIPROCAL("", "Reciprocal", Kind.MATH),
    NEG("", "Neg", Kind.MATH), MAX("", "Max", Kind.MATH), MIN("", "Min", Kind.MATH), COS("", "Cos", Kind.MATH),
    SIN("", "Sin", Kind.MATH), REDUCE_MEAN("", "ReduceMean", Kind.MATH), REDUCE_SUM("", "ReduceSum", Kind.MATH),
    SOFTMAX("", "Softmax", Kind.MATH), TANH("", "Tanh", Kind.MATH), SIGMOID("", "Sigmoid", Kind.MATH),
    ERF("", "Erf", Kind.MATH), EXP("", "Exp", Kind.MATH), MATMUL("", "MatMul", Kind.MATH), GEMM("", "Gemm", Kind.MATH),
    // ---- ai.onnx: fused LLM ops (opset 17 / 20 / 23)
    LAYER_NORMALIZATION("", "LayerNormalization", Kind.FUSED_STANDARD),
    RMS_NORMALIZATION("", "RMSNormalization", Kind.FUSED_STANDARD),
    SIMPLIFIED_LAYER_NORMALIZATION("", "SimplifiedLayerNormalization", Kind.FUSED_STANDARD), // ORT registers it in ai.onnx
    GELU("", "Gelu", Kind.FUSED_STANDARD),
    ROTARY_EMBEDDING("", "RotaryEmbedding", Kind.FUSED_STANDARD),
    ATTENTION("", "Attention", Kind.FUSED_STANDARD),
    DEQUANTIZE_LINEAR("", "DequantizeLinear", Kind.FUSED_STANDARD),
    // ---- com.microsoft contrib ops (onnxruntime docs/ContribOperators.md)
    MS_SKIP_LAYER_NORMALIZATION(Op.MICROSOFT_DOMAIN, "SkipLayerNormalization", Kind.CONTRIB),
    MS_SKIP_SIMPLIFIED_LAYER_NORMALIZATION(Op.MICROSOFT_DOMAIN, "SkipSimplifiedLayerNormalization", Kind.CONTRIB),
    MS_SIMPLIFIED_LAYER_NORMALIZATION(Op.MICROSOFT_DOMAIN, "SimplifiedLayerNormalization", Kind.CONTRIB),
    MS_EMBED_LAYER_NORMALIZATION(Op.MICROSOFT_DOMAIN, "EmbedLayerNormalization", Kind.CONTRIB),
    MS_ATTENTION(Op.MICROSOFT_DOMAIN, "Attention", Kind.CONTRIB),
    MS_MULTI_HEAD_ATTENTION(Op.MICROSOFT_DOMAIN, "MultiHeadAttention", Kind.CONTRIB),
    MS_GROUP_QUERY_ATTENTION(Op.MICROSOFT_DOMAIN, "GroupQueryAttention", Kind.CONTRIB),
    MS_ROTARY_EMBEDDING(Op.MICROSOFT_DOMAIN, "RotaryEmbedding", Kind.CONTRIB),
    MS_FAST_GELU(Op.MICROSOFT_DOMAIN, "FastGelu", Kind.CONTRIB),
    MS_BIAS_GELU(Op.MICROSOFT_DOMAIN, "BiasGelu", Kind.CONTRIB),
    MS_GELU(Op.MICROSOFT_DOMAIN, "Gelu", Kind.CONTRIB),
    MS_MATMUL_NBITS(Op.MICROSOFT_DOMAIN, "MatMulNBits", Kind.CONTRIB),
    // ---- tokenfab semantic ops, produced by the passes (never read from a file)
    TF_RMS_NORM(Op.TOKENFAB_DOMAIN, "RmsNorm", Kind.SEMANTIC),
    TF_LAYER_NORM(Op.TOKENFAB_DOMAIN, "LayerNorm", Kind.SEMANTIC),
    TF_LINEAR(Op.TOKENFAB_DOMAIN, "Linear", Kind.SEMANTIC),
    TF_EMBEDDING(Op.TOKENFAB_DOMAIN, "Embedding", Kind.SEMANTIC),
    TF_POSITION_EMBEDDING(Op.TOKENFAB_DOMAIN, "PositionEmbedding", Kind.SEMANTIC),
    TF_SILU(Op.TOKENFAB_DOMAIN, "Silu", Kind.SEMANTIC),
    TF_SWIGLU(Op.TOKENFAB_DOMAIN, "SwiGlu", Kind.SEMANTIC),
    TF_GELU_TANH(Op.TOKENFAB_DOMAIN, "GeluTanh", Kind.SEMANTIC),
    TF_GELU_ERF(Op.TOKENFAB_DOMAIN, "GeluErf", Kind.SEMANTIC),
    TF_ROPE(Op.TOKENFAB_DOMAIN, "Rope", Kind.SEMANTIC),
    TF_ATTENTION(Op.TOKENFAB_DOMAIN, "Attention", Kind.SEMANTIC),
    TF_RESIDUAL(Op.TOKENFAB_DOMAIN, "Residual", Kind.SEMANTIC);

    public static final String MICROSOFT_DOMAIN = "com.microsoft";
    public static final String TOKENFAB_DOMAIN = "dev.tokenfab";

    /** What an op is to the recognizer. */
    public enum Kind { SHAPE, MATH, FUSED_STANDARD, CONTRIB, SEMANTIC }

    private final String domain;
    private final String opType;
    private final Kind kind;

    Op(String domain, String opType, Kind kind) {
        this.domain = domain;
        this.opType = opType;
        this.kind = kind;
    }

    public String domain() { return domain; }

    public String opType() { return opType; }

    public Kind kind() { return kind; }

    private static final Map<String, Op> BY_KEY = new HashMap<>();

    static {
        for (Op op : values()) BY_KEY.put(op.domain + "::" + op.opType, op);
    }

    /**
     * The op of a node.
     *
     * @throws CompileException UNSUPPORTED_OP naming op type, domain and node, with the supported set
     */
    public static Op classify(Node node) throws CompileException {
        Op op = BY_KEY.get(node.domain() + "::" + node.opType());
        if (op == null || op.kind == Kind.SEMANTIC) {
            String hint = node.domain().isEmpty() || node.domain().equals(MICROSOFT_DOMAIN)
                    ? "supported ops in that domain: " + supportedIn(node.domain())
                    : "only the ai.onnx and com.microsoft domains are read; re-export without custom ops "
                      + "(e.g. torch.onnx.export with operator_export_type=ONNX, or onnxruntime-genai's builder)";
            throw new CompileException(ErrorCode.UNSUPPORTED_OP, "unsupported op " + node.opType() + " (domain '"
                    + (node.domain().isEmpty() ? "ai.onnx" : node.domain()) + "') at node '" + node.name() + "'; " + hint);
        }
        return op;
    }

    static String supportedIn(String domain) {
        return Arrays.stream(values()).filter(o -> o.domain.equals(domain) && o.kind != Kind.SEMANTIC)
                .map(Op::opType).sorted().collect(Collectors.joining(", "));
    }
}
