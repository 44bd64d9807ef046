package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.OnnxGraph;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.pass.CheckOpSet;
import dev.tokenfab.compiler.onnx.pass.DecomposeContribOps;
import dev.tokenfab.compiler.onnx.pass.FoldConstants;
import dev.tokenfab.compiler.onnx.pass.FuseActivations;
import dev.tokenfab.compiler.onnx.pass.FuseAttention;
import dev.tokenfab.compiler.onnx.pass.FuseEmbedding;
import dev.tokenfab.compiler.onnx.pass.FuseLinear;
import dev.tokenfab.compiler.onnx.pass.FuseNorms;
import dev.tokenfab.compiler.onnx.pass.FuseRope;
import dev.tokenfab.compiler.onnx.pass.GraphPass;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs the graph passes in their one order, each reported with the node count it left. */
public final class GraphPassesStep implements Step<OnnxGraph, OnnxGraph> {

    /**
     * Order matters: contrib ops are decomposed before fusion so their bias Adds meet FuseLinear; FuseRope
     * runs before FuseEmbedding so cos/sin table Gathers are not taken for embeddings; FuseAttention runs
     * last because it traces q/k/v back to Linear/Rope/Split nodes.
     */
    public static final List<GraphPass> PASSES = List.of(
            new CheckOpSet(),
            new FoldConstants(),
            new DecomposeContribOps(),
            new FuseNorms(),
            new FuseLinear(),
            new FuseActivations(),
            new FuseRope(),
            new FuseEmbedding(),
            new FuseAttention());

    /** One pass's effect on the graph. */
    public record PassReport(String pass, int nodesBefore, int nodesAfter) {}

    @Override public String name() { return "graph_passes"; }

    @Override public Class<OnnxGraph> input() { return OnnxGraph.class; }

    @Override public Phase phase() { return Phase.IMPORT; }

    /** @throws CompileException UNSUPPORTED_OP naming op, domain and node; BAD_TENSOR for unusable constants */
    @Override
    public StepResult<OnnxGraph> apply(OnnxGraph model, BuildContext context) throws CompileException {
        Graph graph = model.graph();
        List<PassReport> reports = new ArrayList<>();
        Map<String, Long> millis = new LinkedHashMap<>();
        for (GraphPass pass : PASSES) {
            long t0 = System.nanoTime();
            int before = graph.nodes().size();
            graph = pass.apply(graph);
            reports.add(new PassReport(pass.name(), before, graph.nodes().size()));
            millis.put(pass.name(), (System.nanoTime() - t0) / 1_000_000);
        }
        return new StepResult<>(new OnnxGraph(model.folder(), graph), reports, null, null, millis);
    }
}
