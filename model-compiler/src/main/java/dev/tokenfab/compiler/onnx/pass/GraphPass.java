package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Graph;

/** One named import step: takes a graph snapshot, returns a new one. Implementations are small final classes. */
public sealed interface GraphPass permits CheckOpSet, FoldConstants, DecomposeContribOps, FuseNorms, FuseLinear,
        FuseActivations, FuseEmbedding, FuseRope, FuseAttention {

    Graph apply(Graph graph) throws CompileException;

    default String name() { return getClass().getSimpleName(); }
}
