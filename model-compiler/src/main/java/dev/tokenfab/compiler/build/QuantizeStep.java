package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.DecoderIr;
import dev.tokenfab.compiler.build.BuildModel.QuantizedIr;
import dev.tokenfab.compiler.quant.PackedStore;
import dev.tokenfab.compiler.quant.QuantReport;
import dev.tokenfab.compiler.quant.QuantizedModel;
import dev.tokenfab.compiler.quant.Quantizer;
import dev.tokenfab.format.FormatException.ErrorCode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Dense weights → packed formats ({@link Quantizer}); verifies every quantized tensor's SQNR against its
 * dense original (measured by the quantizer in the weight's own domain) above {@link #MIN_SQNR_DB}.
 */
public final class QuantizeStep implements Step<DecoderIr, QuantizedIr> {

    /**
     * Floor on each tensor's SQNR: the quantization noise must stay below the weight's own power. Working
     * schemes sit far above it (uniform b-bit quantization gives about 6.02 b + 1.76 dB on a full-scale
     * uniform signal: ~26 dB at 4 bits; B. Widrow and I. Kollár, "Quantization Noise", Cambridge UP 2008,
     * ch. 5), so a tensor under it means a broken packer or scale, not a coarse scheme.
     */
    public static final double MIN_SQNR_DB = 0.0;

    static final String CHECK = String.format(Locale.ROOT, "per-tensor SQNR of dequantized vs dense weights >= %.1f dB", MIN_SQNR_DB);

    /** Packed models up to this size quantize into native memory (off-heap: -Xmx does not limit it);
     *  larger ones into a memory-mapped scratch file beside the output, whose dirty pages the kernel
     *  may write back to disk (slower: measured ~2x on the 1 B benchmark). */
    static final long IN_MEMORY_LIMIT_BYTES = 2L << 30;

    @Override public String name() { return "quantize"; }

    @Override public Class<DecoderIr> input() { return DecoderIr.class; }

    @Override public Phase phase() { return Phase.QUANTIZE; }

    /** @throws CompileException NON_FINITE_WEIGHT naming the tensor, BAD_OPTION for a spec outside the allowed values */
    @Override
    public StepResult<QuantizedIr> apply(DecoderIr model, BuildContext context) throws CompileException {
        Quantizer q = new Quantizer(context.config().options().quantSpec(), model.stats());
        long capacity = PackedStore.capacityFor(Quantizer.partSizes(model.model(), q.chooseFormats(model.model())));
        PackedStore store = context.own(capacity <= IN_MEMORY_LIMIT_BYTES ? PackedStore.inMemory()
                : PackedStore.mappedFile(scratchPath(context), capacity));
        QuantizedModel quantized = q.quantize(model.model(), store);
        return new StepResult<>(new QuantizedIr(quantized), quantized.report(),
                Map.of("quantize.txt", quantized.report().toTable()), verify(quantized.report()), null);
    }

    /** SUCCESS when every measured SQNR is a number at or above {@link #MIN_SQNR_DB}; FAIL names the first culprit. */
    public static Verification verify(QuantReport report) {
        for (QuantReport.TensorReport t : report.tensors()) {
            if (t.sqnrDb() != null && !(t.sqnrDb() >= MIN_SQNR_DB)) {
                return Verification.fail(CHECK, String.format(Locale.ROOT, "tensor %s (%s, %s) has SQNR %s dB", t.name(), t.format(),
                        t.method(), t.sqnrDb()), ErrorCode.BAD_TENSOR);
            }
        }
        return Verification.success(CHECK, report.minSqnrDb() == null ? "no tensor quantized (kept or imported)"
                : String.format(Locale.ROOT, "min SQNR %.2f dB", report.minSqnrDb()));
    }

    /** Beside the output (same file system as the package), or in the temporary folder when nothing is written. */
    private static Path scratchPath(BuildContext context) {
        Path out = context.config().output();
        if (out == null) out = Path.of(System.getProperty("java.io.tmpdir"), "tokenfab-build");
        out = out.toAbsolutePath().normalize();
        return out.resolveSibling(out.getFileName() + ".scratch-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }
}
