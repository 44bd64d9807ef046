package dev.tokenfab.compiler.onnx;

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
import java.util.List;

/** The import pipeline's graph passes, in order (the one place that order is written down). */
public final class ImportPasses {
    private ImportPasses() {}

    /**
     * Order matters: contrib ops are decomposed before fusion so their bias Adds meet FuseLinear; FuseRope
     * runs before FuseEmbedding so cos/sin table Gathers are not taken for embeddings; FuseAttention runs
     * last because it traces q/k/v back to Linear/Rope/Split nodes.
     */
    public static final List<GraphPass> DEFAULT = List.of(
            new CheckOpSet(),
            new FoldConstants(),
            new DecomposeContribOps(),
            new FuseNorms(),
            new FuseLinear(),
            new FuseActivations(),
            new FuseRope(),
            new FuseEmbedding(),
            new FuseAttention());
}
