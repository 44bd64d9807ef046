package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;

/** First pass: every node must be an op the importer knows ({@link Op}); otherwise UNSUPPORTED_OP names it. */
public final class CheckOpSet implements GraphPass {
    @Override
    public Graph apply(Graph graph) throws CompileException {
        for (Node n : graph.nodes()) Op.classify(n);
        return graph;
    }
}
