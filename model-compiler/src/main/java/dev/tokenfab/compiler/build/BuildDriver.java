package dev.tokenfab.compiler.build;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.PlannedModel;
import dev.tokenfab.compiler.build.BuildModel.QuantizedIr;
import dev.tokenfab.compiler.build.BuildModel.WrittenPackage;
import dev.tokenfab.compiler.quant.QuantReport;
import dev.tokenfab.compiler.write.PackageWriter;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.plan.DataflowPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs a list of {@link Step}s on a model (FINN's {@code build_dataflow_cfg}): logs "step i/n name (ms)",
 * gathers each step's report as {@code reports/<step>.json}, stops the build at the first FAIL of a
 * step's own verification, saves the model after {@code quantize} and {@code plan} on request
 * ({@link Intermediate}), and, when a package was written, adds {@code verification.json},
 * {@code time_per_step.json} and {@code time_per_pass.json} to it and renames it into place. Any
 * failure deletes the temporary package and the scratch files: nothing is left behind.
 *
 * <p>Reports of the steps before {@code write} are files of the package (listed in its manifest with
 * their SHA-256) and carry no timings, so a package is reproducible byte for byte; reports of later
 * steps and all timings are diagnostic files beside them, not listed.
 */
public final class BuildDriver {

    /** Producer string recorded in manifests. */
    public static final String PRODUCER = "tokenfab model-compiler 0.1.0";

    /** Compile timings are measured, on the machine that compiled: said in every file that stores them. */
    public static final String TIMING_LABEL = "measured: host wall clock (System.nanoTime) of the compiling machine";

    /** Diagnostic files at the package root, and the verification record under reports/. */
    public static final String TIME_PER_STEP = "time_per_step.json";
    public static final String TIME_PER_PASS = "time_per_pass.json";
    public static final String VERIFICATION = "verification.json";
    /** The build options, always the first package report. */
    public static final String OPTIONS = "options.json";

    /** One step's verification as recorded in {@code reports/verification.json}. */
    public record StepVerification(String step, Verification.Status status, String check, String detail) {}

    /**
     * @param model          the model after the last step run
     * @param output         the committed package, or null when no step wrote one
     * @param manifest       its manifest, or null
     * @param plan           the plan, or null when no step planned
     * @param quantReport    the quantization report, or null before quantization
     * @param millisByStep   measured wall time of each step run, in order
     * @param millisByPass   the same summed by {@link Phase} (keys of time_per_pass.json)
     * @param verifications  every verification the steps ran, in order
     */
    public record Result(BuildModel model, Path output, Manifest manifest, DataflowPlan plan, QuantReport quantReport,
                         Map<String, Long> millisByStep, Map<String, Long> millisByPass, List<StepVerification> verifications) {}

    private final Consumer<String> log;

    /** @param log receives one line per step */
    public BuildDriver(Consumer<String> log) { this.log = Objects.requireNonNull(log, "log"); }

    /**
     * Runs {@code steps} (those that apply to {@code config}) on {@code input}.
     *
     * @param source the ONNX file or folder the model comes from (reports, accuracy step); may be null
     * @throws CompileException the first step's failure, or a FAIL of a step's verification (its code, the step and the check named)
     */
    public Result run(BuildModel input, List<Step<?, ?>> steps, BuildConfig config, Path source) throws CompileException {
        return run(input, steps, config, source, Map.of());
    }

    /**
     * Resumes from a model saved by {@link BuildConfig#saveIntermediate} (a folder {@code after-<step>}):
     * the reports gathered before it carry over, so the package is byte-identical to a one-shot build's.
     *
     * @throws CompileException FILE_NOT_FOUND / PACKAGE_CORRUPT / PACKAGE_VERSION for the folder, BAD_OPTION when
     *                          the options differ from the ones it was built with
     */
    public Result resume(Path intermediate, List<Step<?, ?>> steps, BuildConfig config) throws CompileException {
        try (Intermediate.Loaded l = Intermediate.load(intermediate)) {
            if (!l.options().equals(config.options())) {
                throw new CompileException(ErrorCode.BAD_OPTION, intermediate + " was built with options " + l.options()
                        + "; resuming with different ones (" + config.options() + ") would mix two builds");
            }
            return run(l.model(), steps, config, l.source(), l.reports());
        }
    }

    private Result run(BuildModel input, List<Step<?, ?>> steps, BuildConfig config, Path source, Map<String, String> earlierReports)
            throws CompileException {
        List<Step<?, ?>> run = steps.stream().filter(s -> s.appliesTo(config)).toList();
        Map<String, String> reports = new LinkedHashMap<>();
        reports.put(OPTIONS, json(config.options()));
        earlierReports.forEach((k, v) -> { if (!k.equals(OPTIONS)) reports.put(k, v); });
        Map<String, Long> millisByStep = new LinkedHashMap<>();
        Map<String, Long> millisByPass = new LinkedHashMap<>();
        Map<String, Map<String, Long>> millisByPart = new LinkedHashMap<>();
        List<StepVerification> verifications = new ArrayList<>();
        BuildModel model = input;
        WrittenPackage written = null;
        try (BuildContext ctx = new BuildContext(config, source, reports)) {
            try {
                for (int i = 0; i < run.size(); i++) {
                    Step<?, ?> step = run.get(i);
                    long t0 = System.nanoTime();
                    StepResult<?> r = apply(step, model, ctx);
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    model = r.model();
                    if (model instanceof WrittenPackage w) written = w;
                    if (r.report() != null) addReport(step.reportFile(), r.report(), reports, written);
                    for (Map.Entry<String, Object> e : r.extraReports().entrySet()) addReport(e.getKey(), e.getValue(), reports, written);
                    millisByStep.put(step.name(), ms);
                    millisByPass.merge(step.phase().key(), ms, Long::sum);
                    if (!r.millisByPart().isEmpty()) millisByPart.put(step.name(), r.millisByPart());
                    log.accept(String.format("step %d/%d %s (%d ms)", i + 1, run.size(), step.name(), ms));
                    Verification v = r.verification();
                    if (v != null) {
                        verifications.add(new StepVerification(step.name(), v.status(), v.check(), v.detail()));
                        if (v.failed()) {
                            throw new CompileException(v.failCode(), "step " + step.name() + " verification FAIL (" + v.check() + "): " + v.detail());
                        }
                    }
                    if (config.saveIntermediate() != null && Intermediate.savable(model)) {
                        Intermediate.save(model, config.saveIntermediate().resolve(Intermediate.folderName(step.name())), step.name(),
                                config.options(), source, reports);
                    }
                }
                Path output = null;
                if (written != null) {
                    Path dir = written.tempDir();
                    writeFile(dir.resolve(PackageWriter.REPORTS_DIR).resolve(VERIFICATION), json(Map.of("verifications", verifications)));
                    Map<String, Object> perStep = new LinkedHashMap<>();
                    perStep.put("label", TIMING_LABEL);
                    perStep.put("millisByStep", millisByStep);
                    perStep.put("millisByPart", millisByPart);
                    writeFile(dir.resolve(TIME_PER_STEP), json(perStep));
                    writeFile(dir.resolve(TIME_PER_PASS), json(Map.of("label", TIMING_LABEL, "millisByPass", millisByPass)));
                    PackageWriter.commit(dir, config.output());
                    output = config.output();
                }
                return new Result(model, output, written == null ? null : written.manifest(), planOf(model), quantReportOf(model),
                        millisByStep, millisByPass, List.copyOf(verifications));
            } catch (CompileException | RuntimeException | Error e) {
                if (written != null) PackageWriter.deleteTree(written.tempDir());
                throw e;
            }
        }
    }

    /** Checks the step's input stage, then applies it. */
    @SuppressWarnings("unchecked")
    private static <I extends BuildModel, O extends BuildModel> StepResult<O> apply(Step<I, O> step, BuildModel model, BuildContext ctx)
            throws CompileException {
        if (!step.input().isInstance(model)) {
            throw new CompileException(ErrorCode.BAD_OPTION, "step " + step.name() + " takes a " + step.input().getSimpleName()
                    + ", the model is a " + model.stageName() + " (start the build at the step that makes one)");
        }
        return step.apply((I) model, ctx);
    }

    /** Before write: a package file (serialized now, so it is the same bytes wherever it goes); after: straight into the package folder. */
    private static void addReport(String file, Object report, Map<String, String> reports, WrittenPackage written) throws CompileException {
        String text = report instanceof String s ? s : json(report);
        if (written == null) reports.put(file, text);
        else writeFile(written.tempDir().resolve(PackageWriter.REPORTS_DIR).resolve(file), text);
    }

    private static DataflowPlan planOf(BuildModel m) {
        return switch (m) {
            case PlannedModel p -> p.plan();
            case WrittenPackage w -> w.planned().plan();
            default -> null;
        };
    }

    private static QuantReport quantReportOf(BuildModel m) {
        return switch (m) {
            case QuantizedIr q -> q.quantized().report();
            case PlannedModel p -> p.quantized().report();
            case WrittenPackage w -> w.planned().quantized().report();
            default -> null;
        };
    }

    static String json(Object value) throws CompileException {
        try {
            return PackageJson.mapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new CompileException(ErrorCode.IO_ERROR, "cannot serialize " + value.getClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    static void writeFile(Path p, String text) throws CompileException {
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, text);
        } catch (IOException e) {
            throw CompileException.io(p, e);
        }
    }
}
