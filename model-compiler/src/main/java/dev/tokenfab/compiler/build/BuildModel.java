package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.onnx.ModelFolder;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.QuantizedModel;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.DataflowPlan;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The model as it flows between build steps: one immutable record per stage, so a step's signature says
 * which stage it takes and which it returns (ONNX file → ONNX graph → decoder IR → quantized IR →
 * planned model → written package).
 */
public sealed interface BuildModel {

    /** Stage name as printed in errors and stored in saved intermediates. */
    default String stageName() { return getClass().getSimpleName(); }

    /** @param path a .onnx file or a model folder holding one */
    record OnnxSource(Path path) implements BuildModel {
        public OnnxSource { Objects.requireNonNull(path, "path"); }
    }

    /** @param folder configs found beside the model; @param graph the ONNX graph (after the passes run so far) */
    record OnnxGraph(ModelFolder folder, Graph graph) implements BuildModel {}

    /**
     * @param model the decoder IR (weights memory-mapped from the source)
     * @param stats calibration statistics for AWQ/GPTQ (empty when none are given or needed)
     */
    record DecoderIr(DecoderModel model, CalibrationStats stats) implements BuildModel {
        public DecoderIr { stats = stats == null ? CalibrationStats.none() : stats; }
    }

    /** @param quantized every weight in its package byte layout, with the per-tensor quantization report */
    record QuantizedIr(QuantizedModel quantized) implements BuildModel {}

    /** @param plan bank placement and modeled estimates of {@code quantized} */
    record PlannedModel(QuantizedModel quantized, DataflowPlan plan) implements BuildModel {}

    /**
     * A package written into a temporary folder, not yet renamed to the output (the driver commits it
     * after the last step, so a failing verification leaves nothing behind).
     *
     * @param tempDir  the temporary package folder
     * @param manifest the manifest written there
     */
    record WrittenPackage(Path tempDir, Manifest manifest, PlannedModel planned) implements BuildModel {}
}
