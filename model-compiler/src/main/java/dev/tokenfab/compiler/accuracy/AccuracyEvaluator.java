package dev.tokenfab.compiler.accuracy;

import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.compiler.quant.Calibration;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.pkg.PackageLayout;
import dev.tokenfab.compiler.quant.QuantReport;
import dev.tokenfab.compiler.reference.GreedyResult;
import dev.tokenfab.compiler.reference.Margins;
import dev.tokenfab.compiler.reference.OrtDecoderRunner;
import dev.tokenfab.compiler.reference.ReferenceException;
import dev.tokenfab.compiler.reference.ReferenceDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds an {@link AccuracyReport}: ONNX Runtime (CPU) decodes each prompt greedily on the original ONNX
 * file; the package's {@link ReferenceDecoder} is teacher-forced on the same token stream, and the two
 * output rows of every step are compared. Body-only models (no logits) get a fixed continuation and
 * their final hidden states compared.
 */
public final class AccuracyEvaluator {
    private AccuracyEvaluator() {}

    /** File names under {@code reports/}. */
    public static final String JSON = "accuracy.json";
    public static final String TEXT = "accuracy.txt";

    /**
     * @param onnx        the original ONNX model the package was compiled from
     * @param packageDir  a package directory with manifest.json and its bank files (also a compile's temporary one)
     * @param quant       the quantize pass's report for the SQNR table, or null
     * @throws CompileException FILE_NOT_FOUND / PACKAGE_CORRUPT for the package, UNSUPPORTED_MODEL when ONNX
     *                          Runtime cannot run the original, BAD_OPTION for prompts outside vocabulary or context
     */
    public static AccuracyReport evaluate(Path onnx, Path packageDir, QuantReport quant, ReportSpec spec) throws CompileException {
        if (onnx == null) {
            throw new CompileException(CompileException.ErrorCode.BAD_OPTION, "accuracy report needs the original ONNX file; the model has no source");
        }
        Manifest manifest = readManifest(packageDir);
        DecoderConfig cfg = manifest.model();
        long params = 0;
        for (Manifest.Tensor t : manifest.tensors()) params += (long) t.rows() * t.cols();
        if (params > Calibration.MAX_PARAMETERS) {
            throw new CompileException(CompileException.ErrorCode.BAD_OPTION, "accuracy report: " + params + " parameters exceed the "
                    + Calibration.MAX_PARAMETERS + " that its plain-Java fp32 reference decoder holds in memory; compile without --report");
        }
        ReferenceDecoder pkg = new ReferenceDecoder(manifest, packageDir);
        List<long[]> prompts;
        try {
            prompts = spec.promptsFor(cfg.vocabSize());
        } catch (IllegalArgumentException e) {
            throw new CompileException(CompileException.ErrorCode.BAD_OPTION, e.getMessage());
        }
        int ctx = cfg.maxContextTokens();
        int steps = spec.steps();
        String note = null;
        for (long[] p : prompts) {
            if (p.length > ctx) {
                throw new CompileException(CompileException.ErrorCode.BAD_OPTION, "report prompt of " + p.length
                        + " tokens exceeds the model's context of " + ctx + " tokens");
            }
            if (p.length + steps - 1 > ctx) {
                steps = ctx - p.length + 1;
                note = "steps clamped from " + spec.steps() + " to " + steps + " by the model's context of " + ctx + " tokens";
            }
        }
        List<AccuracyReport.PromptResult> results = new ArrayList<>();
        List<double[]> all = new ArrayList<>();
        boolean logits;
        String provider;
        try (OrtDecoderRunner ort = OrtDecoderRunner.open(onnx)) {
            logits = ort.convention().hasLogits();
            provider = ort.executionProvider();
            if (logits != cfg.hasLmHead()) {
                throw new CompileException(CompileException.ErrorCode.UNSUPPORTED_MODEL, onnx + ": ONNX output " + ort.outputName()
                        + (logits ? " is logits but the package has no LM head" : " is a hidden state but the package has an LM head"));
            }
            for (long[] prompt : prompts) {
                long[] stream;
                List<float[]> refRows;
                if (logits) {
                    GreedyResult g = ort.greedy(prompt, steps);
                    stream = g.tokens();
                    refRows = g.stepLogits();
                } else {
                    stream = continuation(prompt, steps, cfg.vocabSize());
                    List<float[]> rows = ort.teacherForced(concat(prompt, stream, steps - 1));
                    refRows = rows.subList(prompt.length - 1, prompt.length - 1 + steps);
                }
                List<double[]> stepMetrics = new ArrayList<>(steps);
                for (int pos = 0; pos < prompt.length - 1; pos++) pkg.forward(Math.toIntExact(prompt[pos]), pos);
                for (int i = 0; i < steps; i++) {
                    int pos = prompt.length - 1 + i;
                    long token = i == 0 ? prompt[prompt.length - 1] : stream[i - 1];
                    float[] a = pkg.forward(Math.toIntExact(token), pos);
                    float[] b = refRows.get(i);
                    if (a.length != b.length) {
                        throw new CompileException(CompileException.ErrorCode.UNSUPPORTED_MODEL, onnx + ": ONNX output row has "
                                + b.length + " values, the package's " + a.length);
                    }
                    stepMetrics.add(logits
                            ? new double[] {relError(a, b), klDivergence(b, a), Margins.argmax(a) == stream[i] ? 1 : 0}
                            : new double[] {relError(a, b)});
                }
                all.addAll(stepMetrics);
                results.add(new AccuracyReport.PromptResult(prompt.clone(), stream.clone(), summarize(stepMetrics, logits)));
            }
        } catch (ReferenceException e) {
            throw new CompileException(CompileException.ErrorCode.UNSUPPORTED_MODEL, "accuracy report: ONNX Runtime on "
                    + onnx + ": " + e.getMessage(), e);
        }
        if (!logits) {
            note = (note == null ? "" : note + "; ") + "body-only model (no LM head): final hidden states compared, relative error only";
        }
        List<AccuracyReport.TensorSqnr> tensors = quant == null ? List.of() : quant.tensors().stream()
                .map(t -> new AccuracyReport.TensorSqnr(t.name(), t.format().name(), t.method(), t.sqnrDb())).toList();
        Manifest.Quantization q = manifest.quant();
        // a compile measures its temporary directory: name the package it becomes
        String name = packageDir.getFileName().toString().replaceFirst("\\.tmp-[0-9a-f]+$", "");
        String candidate = "package " + name + " (" + q.scheme()
                + (q.scheme() == QuantScheme.INT4 ? " g" + q.groupSize() + " " + q.method() : "") + ")";
        return new AccuracyReport(AccuracyReport.LABEL, "ONNX Runtime " + provider + " on " + onnx.getFileName(), candidate,
                logits ? AccuracyReport.Comparison.LOGITS : AccuracyReport.Comparison.HIDDEN_STATE, note, steps,
                List.copyOf(results), summarize(all, logits), tensors);
    }

    /** Writes {@code reports/accuracy.json} and {@code reports/accuracy.txt} into {@code packageDir}. */
    public static void write(AccuracyReport report, Path packageDir) throws CompileException {
        Path dir = packageDir.resolve(PackageLayout.REPORTS_DIR);
        Path json = dir.resolve(JSON);
        try {
            Files.createDirectories(dir);
            Files.write(json, PackageJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
            Files.writeString(dir.resolve(TEXT), report.toTable(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CompileException.io(json, e);
        }
    }

    /** Reads {@code reports/accuracy.json} back. */
    public static AccuracyReport read(Path packageDir) throws CompileException {
        Path json = packageDir.resolve(PackageLayout.REPORTS_DIR).resolve(JSON);
        try {
            return PackageJson.mapper().readValue(json.toFile(), AccuracyReport.class);
        } catch (IOException e) {
            throw CompileException.io(json, e);
        }
    }

    /** ||a - b|| / ||b||. */
    static double relError(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
    }

    /** KL(softmax(p) || softmax(q)) in nats, by log-sum-exp in double. */
    static double klDivergence(float[] pLogits, float[] qLogits) {
        double lp = logSumExp(pLogits), lq = logSumExp(qLogits);
        double kl = 0;
        for (int i = 0; i < pLogits.length; i++) {
            double logP = pLogits[i] - lp;
            kl += Math.exp(logP) * (logP - (qLogits[i] - lq));
        }
        return Math.max(0, kl); // rounding can leave a tiny negative for identical inputs
    }

    private static double logSumExp(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double s = 0;
        for (float v : x) s += Math.exp(v - max);
        return max + Math.log(s);
    }

    private static AccuracyReport.Metrics summarize(List<double[]> steps, boolean logits) {
        double relSum = 0, relMax = 0, klSum = 0, klMax = 0, agree = 0;
        for (double[] s : steps) {
            relSum += s[0];
            relMax = Math.max(relMax, s[0]);
            if (logits) {
                klSum += s[1];
                klMax = Math.max(klMax, s[1]);
                agree += s[2];
            }
        }
        int n = steps.size();
        return new AccuracyReport.Metrics(relSum / n, relMax, logits ? klSum / n : null, logits ? klMax : null,
                logits ? agree / n : null, n);
    }

    /** Body-only models: a fixed continuation of {@code steps} ids (the last one is never fed). */
    private static long[] continuation(long[] prompt, int steps, int vocab) {
        long[] c = new long[steps];
        long prev = prompt[prompt.length - 1];
        for (int i = 0; i < steps; i++) c[i] = prev = (prev * 31 + 7) % vocab;
        return c;
    }

    private static long[] concat(long[] a, long[] b, int bCount) {
        long[] r = new long[a.length + bCount];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, bCount);
        return r;
    }

    private static Manifest readManifest(Path dir) throws CompileException {
        Path p = dir.resolve(PackageLayout.MANIFEST);
        if (!Files.isRegularFile(p)) throw new CompileException(CompileException.ErrorCode.FILE_NOT_FOUND, "package " + dir + " has no " + PackageLayout.MANIFEST);
        try {
            return PackageJson.mapper().readValue(p.toFile(), Manifest.class);
        } catch (IOException e) {
            throw new CompileException(CompileException.ErrorCode.PACKAGE_CORRUPT, p + ": " + e.getMessage(), e);
        }
    }
}
