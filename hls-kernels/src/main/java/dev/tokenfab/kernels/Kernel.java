package dev.tokenfab.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.util.List;

/**
 * The decode kernels of {@code include/tokenfab_kernels.h}, one constant per top function, with
 * the FFM descriptor of its C signature and the kind of each argument. The argument kinds are what
 * an XRT kernel's IP layout declares: POINTER args are m_axi ports wired to a memory bank,
 * scalars are s_axilite registers.
 */
public enum Kernel {
    GEMV_Q8("tf_gemv_q8", "w:P scales:P bias:P x:P y:P rows:I cols:I batch:I"),
    GEMV_Q4("tf_gemv_q4", "w:P scales:P zeros:P bias:P x:P y:P rows:I cols:I groupSize:I batch:I"),
    GEMV_F16("tf_gemv_f16", "w:P bias:P x:P y:P rows:I cols:I batch:I"),
    EMBED_Q8("tf_embed_q8", "w:P scales:P row:I out:P cols:I"),
    EMBED_Q4("tf_embed_q4", "w:P scales:P zeros:P row:I out:P cols:I groupSize:I"),
    EMBED_F16("tf_embed_f16", "w:P row:I out:P cols:I"),
    RMSNORM("tf_rmsnorm", "x:P weight:P y:P n:I eps:F batch:I"),
    LAYERNORM("tf_layernorm", "x:P weight:P bias:P y:P n:I eps:F batch:I"),
    ROPE("tf_rope", "x:P numHeads:I headDim:I rotaryDim:I position:I theta:F interleaved:I"),
    KV_WRITE("tf_kv_write", "kPool:P kScales:P vPool:P vScales:P pageTable:P position:I k:P v:P numKvHeads:I headDim:I pageTokens:I kvDtype:I"),
    ATTENTION("tf_attention", "q:P kPool:P kScales:P vPool:P vScales:P pageTable:P out:P numHeads:I numKvHeads:I headDim:I seqLen:I pageTokens:I kvDtype:I scale:F"),
    SWIGLU("tf_swiglu", "gate:P up:P out:P n:I"),
    GELU_TANH("tf_gelu_tanh", "x:P out:P n:I"),
    GELU_ERF("tf_gelu_erf", "x:P out:P n:I"),
    ADD("tf_add", "a:P b:P out:P n:I"),
    ARGMAX("tf_argmax", "x:P n:I") {
        @Override public FunctionDescriptor descriptor() { return FunctionDescriptor.of(JAVA_INT, argLayouts()); }
    };

    /** Kind of one argument: a device pointer (m_axi), a 32-bit int or a float (s_axilite). */
    public enum ArgKind { POINTER, INT, FLOAT }

    public record Arg(String name, ArgKind kind) {}

    private final String symbol;
    private final List<Arg> args;

    Kernel(String symbol, String signature) {
        this.symbol = symbol;
        this.args = java.util.Arrays.stream(signature.split(" ")).map(s -> {
            String[] nk = s.split(":");
            return new Arg(nk[0], switch (nk[1]) {
                case "P" -> ArgKind.POINTER;
                case "I" -> ArgKind.INT;
                case "F" -> ArgKind.FLOAT;
                default -> throw new AssertionError(s);
            });
        }).toList();
    }

    /** The C symbol in libtokenfab_kernels.so, also the XRT kernel (IP) name in emulation xclbins. */
    public String symbol() { return symbol; }

    public List<Arg> args() { return args; }

    MemoryLayout[] argLayouts() {
        return args.stream().map(a -> switch (a.kind()) {
            case POINTER -> (MemoryLayout) ADDRESS;
            case INT -> JAVA_INT;
            case FLOAT -> JAVA_FLOAT;
        }).toArray(MemoryLayout[]::new);
    }

    /** FFM descriptor of the C function (void return except ARGMAX). */
    public FunctionDescriptor descriptor() { return FunctionDescriptor.ofVoid(argLayouts()); }
}
