package dev.tokenfab.compiler.onnx;

import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.pass.GraphPass;
import java.nio.file.Path;

/** Developer aid: prints the graph after the fusion passes (not a test). */
final class DumpFusedMain {
    public static void main(String[] args) throws Exception {
        Graph g = new OnnxReader().read(Path.of(args[0]));
        for (GraphPass p : ImportPasses.DEFAULT) g = p.apply(g);
        for (Node n : g.nodes()) {
            if (args.length > 1 && !n.opType().matches(args[1])) continue;
            System.out.println(n.opType() + (n.domain().isEmpty() ? "" : "@" + n.domain()) + " [" + n.name() + "] " + n.inputs() + " -> " + n.outputs() + " " + n.attributes());
        }
    }
}
