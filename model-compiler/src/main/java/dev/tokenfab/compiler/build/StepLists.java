package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place the step order is written down (FINN's {@code default_build_dataflow_steps}), and the
 * named subsets built from it.
 */
public final class StepLists {
    private StepLists() {}

    /** ONNX file → verified decoder IR. */
    public static final List<Step<?, ?>> ONNX_IMPORT = List.of(
            new ReadOnnxStep(), new GraphPassesStep(), new ExtractDecoderStep(), new VerifyImportStep());

    /** Decoder IR → committed package (calibrate and accuracy only run when the config asks for them). */
    public static final List<Step<?, ?>> FROM_IR = List.of(
            new ValidateStep(), new CalibrateStep(), new QuantizeStep(), new PlanStep(),
            new WritePackageStep(), new VerifyPackageStep(), new AccuracyStep());

    /** Every step, in order. */
    public static final List<Step<?, ?>> DEFAULT = concat(ONNX_IMPORT, FROM_IR);

    /** The named step lists of {@code compile --steps}. */
    public enum Named {
        /** import → validate → calibrate → quantize → plan → write → verify_package → accuracy */
        DEFAULT(StepLists.DEFAULT),
        /** read the ONNX model into a validated decoder IR; writes nothing */
        IMPORT_ONLY(StepLists.DEFAULT.subList(0, ONNX_IMPORT.size() + 1)),
        /** everything up to the plan and its modeled estimate; writes nothing (FINN's estimate_only) */
        ESTIMATE_ONLY(upTo(StepLists.DEFAULT, "plan"));

        private final List<Step<?, ?>> steps;

        Named(List<Step<?, ?>> steps) { this.steps = steps; }

        public List<Step<?, ?>> steps() { return steps; }
    }

    /** The default list with a caller's importer in place of the four ONNX import steps. */
    public static List<Step<?, ?>> withImporter(ModelImporter importer) {
        return concat(List.of(new ImportStep(importer)), FROM_IR);
    }

    /**
     * The steps from {@code start} to {@code stop}, both included; null means the list's first or last.
     *
     * @throws CompileException BAD_OPTION naming the unknown step and listing the valid ones, or when stop precedes start
     */
    public static List<Step<?, ?>> slice(List<Step<?, ?>> steps, String start, String stop) throws CompileException {
        int from = start == null ? 0 : indexOf(steps, start);
        int to = stop == null ? steps.size() - 1 : indexOf(steps, stop);
        if (to < from) {
            throw new CompileException(ErrorCode.BAD_OPTION, "stop step " + stop + " comes before start step " + start
                    + "; the order is " + names(steps));
        }
        return steps.subList(from, to + 1);
    }

    public static List<String> names(List<Step<?, ?>> steps) {
        return steps.stream().map(Step::name).toList();
    }

    private static int indexOf(List<Step<?, ?>> steps, String name) throws CompileException {
        for (int i = 0; i < steps.size(); i++) if (steps.get(i).name().equals(name)) return i;
        throw new CompileException(ErrorCode.BAD_OPTION, "unknown step " + name + "; valid steps: " + String.join(", ", names(steps)));
    }

    private static List<Step<?, ?>> upTo(List<Step<?, ?>> steps, String last) {
        for (int i = 0; i < steps.size(); i++) if (steps.get(i).name().equals(last)) return steps.subList(0, i + 1);
        throw new IllegalStateException("no step " + last);
    }

    private static List<Step<?, ?>> concat(List<Step<?, ?>> a, List<Step<?, ?>> b) {
        List<Step<?, ?>> l = new ArrayList<>(a);
        l.addAll(b);
        return List.copyOf(l);
    }
}
