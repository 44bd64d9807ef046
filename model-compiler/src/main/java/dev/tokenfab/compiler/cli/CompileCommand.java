package dev.tokenfab.compiler.cli;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.compiler.build.BuildConfig;
import dev.tokenfab.compiler.build.BuildDriver;
import dev.tokenfab.compiler.build.BuildModel;
import dev.tokenfab.compiler.build.Intermediate;
import dev.tokenfab.compiler.build.StepLists;
import dev.tokenfab.compiler.build.Step;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.PackageLayout;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.QuantReport;
import dev.tokenfab.compiler.quant.QuantSpec;
import dev.tokenfab.compiler.accuracy.AccuracyEvaluator;
import dev.tokenfab.compiler.accuracy.ReportSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code compile model.onnx --quant int4 --platform u280 -o model.tfpkg}: runs the build steps of
 * {@link StepLists} (import, validate, quantize, plan, write, verify) into a model package. On success
 * prints a short summary (modeled figures labeled as such); on failure one line on stderr, nothing
 * written, and the exit codes of dev.tokenfab.cli.Main: 3 for bad input (model, option), 1 for an I/O
 * failure, 2 for usage errors (picocli, unknown step names). {@code --start-step/--stop-step} run part of
 * the list; {@code --save-intermediate} saves the model after quantize and plan, from which a later
 * {@code --start-step} resumes (MODEL is then the saved {@code after-<step>} folder).
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = "Compile an ONNX decoder into a tokenfab model package (weights per HBM bank, dataflow plan, reports).")
public final class CompileCommand implements Callable<Integer> {

    /** Exit code of bad input: model, package or option (as dev.tokenfab.cli.Main). */
    public static final int EXIT_BAD_INPUT = 3;
    /** Exit code of an I/O failure while reading or writing. */
    public static final int EXIT_FAILURE = 1;

    public enum QuantChoice { fp16, int8, int4 }

    public enum MethodChoice { rtn, awq, gptq }

    public enum KvChoice { fp16, int8 }

    public enum PlatformChoice { u55c, u280, u250 }

    /** Named step lists of {@link StepLists.Named}. */
    public enum StepsChoice {
        DEFAULT("default"), IMPORT_ONLY("import-only"), ESTIMATE_ONLY("estimate-only");

        private final String label;

        StepsChoice(String label) { this.label = label; }

        @Override public String toString() { return label; }
    }

    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model file (external data beside it is followed), "
            + "or with --start-step after import a folder saved by --save-intermediate")
    Path model;

    @Option(names = "--quant", required = true, description = "weight precision: ${COMPLETION-CANDIDATES}")
    QuantChoice quant;

    @Option(names = "--group-size", defaultValue = "128", description = "int4 group size: 32, 64 or 128 (default ${DEFAULT-VALUE})")
    int groupSize;

    @Option(names = "--zero-points", description = "int4 with per-group zero points (default symmetric)")
    boolean zeroPoints;

    @Option(names = "--int4-method", defaultValue = "rtn", description = "int4 rounding: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    MethodChoice int4Method;

    @Option(names = "--calibration", paramLabel = "FILE",
            description = "JSON calibration stats for awq (meanAbsByTensor) and gptq (hessianByTensor); without it they are measured on the fp32 reference decoder")
    Path calibration;

    @Option(names = "--keep-fp16", split = ",", paramLabel = "NAME", description = "tensors kept in fp16, e.g. tok_embeddings,lm_head")
    List<String> keepFp16 = new ArrayList<>();

    @Option(names = "--kv-cache", defaultValue = "fp16", description = "KV-cache precision: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    KvChoice kvCache;

    @Option(names = "--platform", required = true, description = "target card: ${COMPLETION-CANDIDATES}")
    PlatformChoice platform;

    @Option(names = "--context", defaultValue = "0", description = "context (tokens) for modeled KV reads; 0 = min(1024, model max)")
    int contextTokens;

    @Option(names = {"-o", "--output"}, description = "package directory to write (e.g. model.tfpkg); required when the steps include write")
    Path output;

    @Option(names = "--steps", defaultValue = "default", converter = StepsConverter.class,
            description = "step list: default, import-only, estimate-only (import → plan, writes nothing) (default ${DEFAULT-VALUE})")
    StepsChoice steps;

    @Option(names = "--start-step", paramLabel = "STEP", description = "first step to run; after import, MODEL is a folder saved by --save-intermediate")
    String startStep;

    @Option(names = "--stop-step", paramLabel = "STEP", description = "last step to run")
    String stopStep;

    @Option(names = "--save-intermediate", paramLabel = "DIR", description = "save the model after quantize and plan as DIR/after-<step>/, to resume from with --start-step")
    Path saveIntermediate;

    @Option(names = "--report", description = "print the per-tensor quantization table (SQNR dB) and measure the package's accuracy "
            + "against ONNX Runtime on MODEL (logits rel. error, KL, top-1) into reports/accuracy.{json,txt}")
    boolean report;

    @Option(names = "--report-steps", defaultValue = "16", paramLabel = "N", description = "compared steps per prompt of --report (default ${DEFAULT-VALUE})")
    int reportSteps;

    @Option(names = "--report-prompts", paramLabel = "IDS", description = "token-id prompts of --report, e.g. 1,2,3,4;5,6,7 (default: three derived from the vocabulary)")
    String reportPrompts;

    @Option(names = "--verbose", description = "log every step and print stack traces on errors")
    boolean verbose;

    private final ModelImporter importer;

    /** Uses the ONNX importer. */
    public CompileCommand() { this(ModelImporter.onnx()); }

    /** For tests and embedding: any source of decoder IR. */
    public CompileCommand(ModelImporter importer) { this.importer = importer; }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CompileOptions options = new CompileOptions(
                QuantScheme.valueOf(quant.name().toUpperCase(Locale.ROOT)), groupSize, zeroPoints,
                Int4Method.valueOf(int4Method.name().toUpperCase(Locale.ROOT)), keepFp16,
                KvCacheDtype.valueOf(kvCache.name().toUpperCase(Locale.ROOT)),
                Platform.valueOf(platform.name().toUpperCase(Locale.ROOT)), contextTokens, 1, QuantSpec.defaultThreads());
        List<Step<?, ?>> list = stepList();
        boolean resume = list.getFirst().input() != BuildModel.OnnxSource.class;
        if (output == null && list.stream().anyMatch(s -> s.name().equals("write"))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--output=<output>' (the steps include write)");
        }
        try {
            CalibrationStats stats = calibration == null ? CalibrationStats.none() : CalibrationStats.read(calibration);
            BuildConfig config = BuildConfig.of(options, output).withStats(stats).withAutoCalibration(true)
                    .withAccuracy(accuracySpec(resume, out)).withSaveIntermediate(saveIntermediate);
            BuildDriver driver = new BuildDriver(verbose ? err::println : line -> { });
            BuildDriver.Result r = resume ? driver.resume(model, list, config)
                    : driver.run(new BuildModel.OnnxSource(model), list, config, model);
            printSummary(r, list.getLast().name(), out);
            out.flush();
            return 0;
        } catch (CompileException e) {
            err.println("compile: " + e.code() + ": " + e.getMessage());
            if (verbose) e.printStackTrace(err);
            err.flush();
            return e.code() == CompileException.ErrorCode.IO_ERROR ? EXIT_FAILURE : EXIT_BAD_INPUT;
        }
    }

    /** The chosen list cut to --start-step/--stop-step; an unknown name is a usage error listing the valid ones. */
    private List<Step<?, ?>> stepList() {
        List<Step<?, ?>> all = importer == ModelImporter.ONNX ? StepLists.Named.valueOf(steps.name()).steps() : StepLists.withImporter(importer);
        try {
            return StepLists.slice(all, startStep, stopStep);
        } catch (CompileException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private void printSummary(BuildDriver.Result r, String lastStep, PrintWriter out) throws CompileException {
        QuantReport q = r.quantReport();
        if (report && q != null) out.print(q.toTable());
        if (r.output() != null) {
            printAccuracyTable(r.output(), out);
            out.printf(Locale.ROOT, "compiled %s -> %s%n", model, r.output());
        } else {
            out.printf(Locale.ROOT, "built %s through step %s (%s); no package written%n", model, lastStep, r.model().stageName());
        }
        if (q != null) {
            out.printf(Locale.ROOT, "  parameters %,d; packed %,d bytes (%s%s); min SQNR %s dB%n", q.parameters(),
                    q.packedBytes(), quant, quant == QuantChoice.int4 ? " g" + groupSize + " " + int4Method : "",
                    q.minSqnrDb() == null ? "-" : String.format(Locale.ROOT, "%.1f", q.minSqnrDb()));
        }
        if (r.plan() != null) {
            DataflowPlan.EstimateModeled e = r.plan().estimateModeled();
            out.printf(Locale.ROOT, "  %s: %d banks used, %d tensors%n", r.plan().platform(), r.plan().banks().size(), r.plan().placements().size());
            out.printf(Locale.ROOT, "  modeled (not measured), batch 1, context %d: %.1f tokens/s (%s-bound; HBM roofline %.1f tokens/s), %.1f W, %.2f tokens/J%n",
                    e.contextTokens(), e.tokensPerSecond(), e.bound(), e.rooflineTokensPerSecond(), e.boardWatts(), e.tokensPerJoule());
        }
        if (saveIntermediate != null) out.printf(Locale.ROOT, "  intermediates saved under %s (%s<step>)%n", saveIntermediate, Intermediate.folderName(""));
    }

    /** Package-relative path of the accuracy table that --report writes. */
    static final String ACCURACY_TABLE = PackageLayout.REPORTS_DIR + "/" + AccuracyEvaluator.TEXT;

    private void printAccuracyTable(Path pkg, PrintWriter out) throws CompileException {
        Path table = pkg.resolve(ACCURACY_TABLE);
        if (!report || !Files.isRegularFile(table)) return;
        try {
            out.print(Files.readString(table));
        } catch (IOException e) {
            throw CompileException.io(table, e);
        }
    }

    /**
     * With --report, the accuracy step's prompts; a MODEL that is no file (a custom importer) has no ONNX to
     * run, while a resumed build takes the ONNX path its intermediate recorded.
     */
    private ReportSpec accuracySpec(boolean resume, PrintWriter out) {
        if (!report) return null;
        if (!resume && !Files.isRegularFile(model)) {
            out.println("accuracy report skipped: " + model + " is not an ONNX file ONNX Runtime can run");
            return null;
        }
        try {
            return new ReportSpec(reportPrompts == null ? List.of() : ReportSpec.parsePrompts(reportPrompts), reportSteps);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Accepts the labels (import-only) and the enum names. */
    static final class StepsConverter implements CommandLine.ITypeConverter<StepsChoice> {
        @Override
        public StepsChoice convert(String value) {
            for (StepsChoice c : StepsChoice.values()) if (c.label.equals(value) || c.name().equalsIgnoreCase(value)) return c;
            throw new CommandLine.TypeConversionException("unknown step list " + value + "; valid: default, import-only, estimate-only");
        }
    }
}
