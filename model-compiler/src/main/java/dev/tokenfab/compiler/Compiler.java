package dev.tokenfab.compiler;

import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.compiler.write.PackageInput;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.compiler.write.PackageWriter;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.compiler.plan.DataflowPlanner;
import dev.tokenfab.compiler.plan.PackedShape;
import dev.tokenfab.compiler.plan.PlanOptions;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.PackedStore;
import dev.tokenfab.compiler.quant.QuantReport;
import dev.tokenfab.compiler.quant.QuantizedModel;
import dev.tokenfab.compiler.quant.Quantizer;
import dev.tokenfab.compiler.report.AccuracyEvaluator;
import dev.tokenfab.compiler.quant.Calibration;
import dev.tokenfab.compiler.report.ReportSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The compile driver: runs the passes of {@link #DEFAULT_PASSES} in order on one {@link State}, logs
 * "pass i/n name (ms)", and writes each pass's report to {@code reports/<pass>.json} plus
 * {@code time_per_pass.json} into the package. The passes themselves ({@link ModelValidator},
 * {@link Quantizer}, {@link DataflowPlanner}, {@link PackageWriter}) know nothing of each other or of
 * the driver.
 */
public final class Compiler {

    /** Compile timings are measured, on the machine that compiled: said in every file that stores them. */
    static final String TIMING_LABEL = "measured: host wall clock (System.nanoTime) of the compiling machine";

    /** The passes, in their one order. */
    public enum Pass {
        /** ONNX → decoder IR (or a model given directly) */
        IMPORT("import"),
        /** canonical tensors present with the config's shapes */
        VALIDATE("validate"),
        /** dense weights → packed formats, SQNR per tensor */
        QUANTIZE("quantize"),
        /** bank placement and modeled estimates */
        PLAN("plan"),
        /** package directory, atomically */
        WRITE("write");

        private final String passName;

        Pass(String passName) { this.passName = passName; }

        public String passName() { return passName; }
    }

    public static final List<Pass> DEFAULT_PASSES = List.of(Pass.values());

    /** Producer string recorded in manifests. */
    public static final String PRODUCER = "tokenfab model-compiler 0.1.0";

    /** Packed models up to this size quantize into native memory (off-heap: -Xmx does not limit it);
     *  larger ones into a memory-mapped scratch file beside the output, whose dirty pages the kernel
     *  may write back to disk (slower: measured ~2x on the 1 B benchmark). */
    static final long IN_MEMORY_LIMIT_BYTES = 2L << 30;

    /**
     * @param output          the package directory written
     * @param millisPerPass   wall time of every pass, in order
     */
    public record Result(Path output, Manifest manifest, DataflowPlan plan, QuantReport quantReport,
                         Map<String, Long> millisPerPass) {}

    /** What the passes hand each other. */
    private static final class State {
        final Path modelPath;
        final Path out;
        final CompileOptions options;
        final CalibrationStats stats;
        DecoderModel model;
        QuantizedModel quantized;
        DataflowPlan plan;
        Manifest manifest;
        PackedStore store;
        final Map<String, Object> reports = new LinkedHashMap<>();
        final Map<String, Long> millis = new LinkedHashMap<>();

        State(Path modelPath, DecoderModel model, Path out, CompileOptions options, CalibrationStats stats) {
            this.modelPath = modelPath;
            this.model = model;
            this.out = out;
            this.options = options;
            this.stats = stats;
        }
    }

    private final ModelImporter importer;
    private final Consumer<String> log;
    /** Accuracy report measured on the written package before its rename; null = none. */
    private ReportSpec accuracy;
    /** AWQ/GPTQ without caller stats: calibrate on the fp32 reference (the compile command turns this on). */
    private boolean autoCalibration;

    /** @param log receives one line per pass */
    public Compiler(ModelImporter importer, Consumer<String> log) {
        this.importer = importer;
        this.log = log;
    }

    public Compiler(ModelImporter importer) {
        this(importer, line -> System.getLogger(Compiler.class.getName()).log(System.Logger.Level.INFO, line));
    }

    /** Also measures the package against ONNX Runtime on the source model into reports/accuracy.{json,txt}. */
    public Compiler withAccuracyReport(ReportSpec spec) {
        this.accuracy = spec;
        return this;
    }

    /**
     * For INT4 AWQ/GPTQ compiles given empty stats, computes them from the fp32 reference decoder on
     * deterministic calibration prompts ({@link Calibration#forCompile}); off by default, so a library
     * caller's empty stats mean the quantizer's weight-only fallback.
     */
    public Compiler withAutoCalibration(boolean on) {
        this.autoCalibration = on;
        return this;
    }

    /** Compiles the ONNX model at {@code model} into the package {@code out}. */
    public Result compile(Path model, Path out, CompileOptions options, CalibrationStats stats) throws CompileException {
        return run(new State(model, null, out, options, stats));
    }

    /** Compiles an already-imported decoder IR (the import pass records it as given). */
    public Result compile(DecoderModel model, Path out, CompileOptions options, CalibrationStats stats) throws CompileException {
        return run(new State(model.source(), model, out, options, stats));
    }

    private Result run(State s) throws CompileException {
        List<Pass> passes = DEFAULT_PASSES;
        s.reports.put("options.json", s.options);
        try {
            for (int i = 0; i < passes.size(); i++) {
                Pass p = passes.get(i);
                long t0 = System.nanoTime();
                Object report = runPass(p, s, i, passes.size(), t0);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (p != Pass.WRITE) {
                    s.millis.put(p.passName(), ms);
                    s.reports.put(p.passName() + ".json", report);
                }
                log.accept(String.format("pass %d/%d %s (%d ms)", i + 1, passes.size(), p.passName(), ms));
            }
        } finally {
            if (s.store != null) s.store.close();
        }
        return new Result(s.out, s.manifest, s.plan, s.quantized.report(), s.millis);
    }

    private Object runPass(Pass p, State s, int index, int count, long t0) throws CompileException {
        return switch (p) {
            case IMPORT -> {
                boolean given = s.model != null;
                if (!given) s.model = importer.importModel(s.modelPath);
                yield Map.of("source", String.valueOf(s.model.source()), "family", s.model.config().family(),
                        "tensors", s.model.weights().size(), "config", s.model.config(), "irGivenByCaller", given);
            }
            case VALIDATE -> ModelValidator.validate(s.model);
            case QUANTIZE -> {
                Quantizer q = new Quantizer(s.options.quantSpec(), autoCalibration ? calibrated(s) : s.stats);
                long capacity = PackedStore.capacityFor(Quantizer.partSizes(s.model, q.chooseFormats(s.model)));
                Path abs = s.out.toAbsolutePath().normalize();
                s.store = capacity <= IN_MEMORY_LIMIT_BYTES ? PackedStore.inMemory()
                        : PackedStore.mappedFile(scratchPath(abs), capacity);
                s.quantized = q.quantize(s.model, s.store);
                s.reports.put("quantize.txt", s.quantized.report().toTable());
                yield s.quantized.report();
            }
            case PLAN -> {
                int ctx = s.options.contextTokens() > 0 ? s.options.contextTokens()
                        : PlanOptions.defaults(s.model.config().maxContextTokens()).contextTokens();
                s.plan = DataflowPlanner.plan(s.model.config(), PackedShape.of(s.quantized), s.options.platform(),
                        new PlanOptions(s.options.kvCache(), ctx, s.options.maxBatch()));
                yield Map.of("estimateModeled", s.plan.estimateModeled(), "banks", s.plan.banks(), "kernels", s.plan.kernels());
            }
            case WRITE -> {
                PackageInput in = new PackageInput(s.quantized, s.plan, s.options.manifestQuantization(), PRODUCER, s.reports);
                s.manifest = PackageWriter.write(s.out, in, (tmp, manifest) -> {
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    s.millis.put(p.passName(), ms);
                    writeJson(tmp.resolve(PackageWriter.REPORTS_DIR).resolve("write.json"), Map.of(
                            "files", manifest.files().size(),
                            "bytes", manifest.files().stream().mapToLong(Manifest.FileEntry::sizeBytes).sum(),
                            "bankFiles", manifest.files().stream().filter(f -> f.path().startsWith("weights/")).count(),
                            "millisBeforeCommit", ms,
                            "label", TIMING_LABEL));
                    writeJson(tmp.resolve("time_per_pass.json"), Map.of("label", TIMING_LABEL, "millisByPass", s.millis));
                    if (accuracy != null) AccuracyEvaluator.write(AccuracyEvaluator.evaluate(s.modelPath, tmp, s.quantized.report(), accuracy), tmp);
                }, s.options.threads());
                yield null;
            }
        };
    }

    /** The caller's stats, or for AWQ/GPTQ without any, stats from the fp32 reference on calibration prompts. */
    private static CalibrationStats calibrated(State s) {
        if ((s.stats != null && !s.stats.isEmpty()) || !Calibration.wanted(s.options.quantSpec())) return s.stats;
        Calibration.Result c = Calibration.forCompile(s.model, s.options.quantSpec());
        s.reports.put("calibration.json", c.summary());
        return c.stats();
    }

    private static Path scratchPath(Path out) {
        return out.resolveSibling(out.getFileName() + ".scratch-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    private static void writeJson(Path p, Object value) throws CompileException {
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, PackageJson.mapper().writeValueAsBytes(value));
        } catch (IOException e) {
            throw CompileException.io(p, e);
        }
    }
}
