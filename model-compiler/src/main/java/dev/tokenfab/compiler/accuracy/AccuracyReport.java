package dev.tokenfab.compiler.accuracy;

import java.util.List;
import java.util.Locale;

/**
 * Measured numerical accuracy of a compiled package against ONNX Runtime running the original ONNX
 * file ({@code reports/accuracy.json}; {@link #toTable()} is {@code reports/accuracy.txt}). Not a
 * performance figure. The package side is {@code ReferenceDecoder}: fp32 math over the package's
 * dequantized weights, so the numbers measure quantization (plus import), not the kernels.
 *
 * @param label          what the numbers are, in words
 * @param reference      the reference run: ONNX Runtime, execution provider, file
 * @param candidate      the compared run: the package directory and its precision
 * @param comparison     LOGITS, or HIDDEN_STATE for body-only models (relative error only)
 * @param note           why a metric is absent, or how steps were clamped; null when nothing to say
 * @param stepsPerPrompt compared positions per prompt
 * @param prompts        one entry per prompt
 * @param overall        the same metrics over all steps of all prompts
 * @param tensors        per-tensor SQNR from the quantize pass
 */
public record AccuracyReport(String label, String reference, String candidate, Comparison comparison, String note,
                             int stepsPerPrompt, List<PromptResult> prompts, Metrics overall, List<TensorSqnr> tensors) {

    public static final String LABEL = "measured numerical accuracy (not performance): package via fp32 ReferenceDecoder "
            + "over dequantized weights vs ONNX Runtime on the original ONNX";

    public enum Comparison { LOGITS, HIDDEN_STATE }

    /**
     * @param relErrorMean  mean over steps of ||a - b|| / ||b|| (a = package, b = ONNX Runtime)
     * @param relErrorMax   its maximum
     * @param klMean        mean over steps of KL(softmax(ORT) || softmax(package)) in nats; null without logits
     * @param klMax         its maximum; null without logits
     * @param top1Agreement fraction of steps where the package's argmax equals ORT's greedy token, the package
     *                      teacher-forced on ORT's tokens; null without logits
     * @param steps         steps compared
     */
    public record Metrics(double relErrorMean, double relErrorMax, Double klMean, Double klMax, Double top1Agreement, int steps) {}

    /**
     * @param prompt          the prompt ids
     * @param referenceTokens ONNX Runtime's greedy tokens (the teacher-forced stream); for body-only models the
     *                        fixed continuation fed to both
     */
    public record PromptResult(long[] prompt, long[] referenceTokens, Metrics metrics) {}

    /** One row of the quantize pass's report. */
    public record TensorSqnr(String name, String format, String method, Double sqnrDb) {}

    /** A fixed-width table for terminals and {@code reports/accuracy.txt}. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(label).append('\n');
        sb.append("reference: ").append(reference).append('\n');
        sb.append("candidate: ").append(candidate).append('\n');
        sb.append("compared:  ").append(comparison == Comparison.LOGITS ? "logits" : "final hidden state (body-only model: relative error only)")
                .append(", ").append(stepsPerPrompt).append(" steps per prompt\n");
        if (note != null) sb.append("note:      ").append(note).append('\n');
        sb.append(String.format(Locale.ROOT, "%-30s %6s %12s %12s %12s %12s %8s%n",
                "prompt", "steps", "relErr mean", "relErr max", "KL mean", "KL max", "top-1"));
        for (PromptResult p : prompts) row(sb, shorten(java.util.Arrays.toString(p.prompt())), p.metrics());
        row(sb, "all", overall);
        if (!tensors.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%n%-28s %-10s %-14s %9s%n", "tensor", "format", "method", "SQNR dB"));
            for (TensorSqnr t : tensors) {
                sb.append(String.format(Locale.ROOT, "%-28s %-10s %-14s %9s%n", t.name(), t.format(), t.method(),
                        t.sqnrDb() == null ? "-" : String.format(Locale.ROOT, "%.2f", t.sqnrDb())));
            }
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, Metrics m) {
        sb.append(String.format(Locale.ROOT, "%-30s %6d %12.3e %12.3e %12s %12s %8s%n", name, m.steps(), m.relErrorMean(),
                m.relErrorMax(), m.klMean() == null ? "-" : String.format(Locale.ROOT, "%.3e", m.klMean()),
                m.klMax() == null ? "-" : String.format(Locale.ROOT, "%.3e", m.klMax()),
                m.top1Agreement() == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * m.top1Agreement())));
    }

    private static String shorten(String s) { return s.length() <= 30 ? s : s.substring(0, 27) + "..."; }
}
