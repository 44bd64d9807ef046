package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gather(table, indices) over a constant 2-D float table along axis 0 becomes tokenfab
 * {@code Embedding(table, indices)}. Which embedding holds tokens and which positions is decided by
 * the decoder extraction (the token one is indexed from the ids input).
 */
public final class FuseEmbedding implements GraphPass {
    @Override
    public Graph apply(Graph graph) throws CompileException {
        GraphEditor edit = new GraphEditor(graph);
        Graph.Index idx = graph.index();
        for (Node n : graph.nodes()) {
            if (!n.is("Gather") || n.intAttr("axis", 0) != 0 || !n.domain().isEmpty()) continue;
            Optional<Tensor> table = idx.constant(Patterns.skipCasts(idx, n.input(0)));
            if (table.isEmpty() || table.get().rank() != 2 || !table.get().dtype().isFloat()) continue;
            if (idx.constant(n.input(1)).isPresent()) continue; // a constant row is a folded constant, not a lookup
            edit.remove(n);
            edit.add(GraphEditor.tf(n.name() + "/embedding", "Embedding", List.of(Patterns.skipCasts(idx, n.input(0)), n.input(1)),
                    List.of(n.output(0)), Map.of()));
        }
        return edit.build();
    }
}
