package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.format.pkg.Manifest;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the quantizer is asked to do.
 *
 * @param scheme      default scheme for 2-D weights
 * @param groupSize   INT4 group size along the input dimension: one of {@link #ALLOWED_GROUP_SIZES}
 * @param zeroPoints  INT4 with per-group zero points (asymmetric); false = symmetric (zero 8)
 * @param int4Method  INT4 rounding: RTN, AWQ (activation-aware; weight-only MSE clip search without
 *                    calibration stats), GPTQ (error feedback through calibration Hessians; MSE clip
 *                    search for tensors without one)
 * @param keepFp16    canonical tensor names (or globs with {@code *}) kept in fp16
 * @param threads     worker threads for quantization (tensors and row blocks run in parallel)
 */
public record QuantSpec(QuantScheme scheme, int groupSize, boolean zeroPoints, Int4Method int4Method,
                        List<String> keepFp16, int threads) {

    public static final List<Integer> ALLOWED_GROUP_SIZES = List.of(32, 64, 128);

    public QuantSpec {
        keepFp16 = List.copyOf(keepFp16);
        if (threads <= 0) throw new IllegalArgumentException("threads must be positive, was " + threads);
    }

    public static QuantSpec int8() {
        return new QuantSpec(QuantScheme.INT8, 0, false, null, List.of(), defaultThreads());
    }

    public static QuantSpec int4(int groupSize, boolean zeroPoints, Int4Method method) {
        return new QuantSpec(QuantScheme.INT4, groupSize, zeroPoints, method, List.of(), defaultThreads());
    }

    public static QuantSpec fp16() {
        return new QuantSpec(QuantScheme.FP16, 0, false, null, List.of(), defaultThreads());
    }

    public QuantSpec withKeepFp16(List<String> names) {
        return new QuantSpec(scheme, groupSize, zeroPoints, int4Method, names, threads);
    }

    public QuantSpec withThreads(int n) {
        return new QuantSpec(scheme, groupSize, zeroPoints, int4Method, keepFp16, n);
    }

    /** Two threads: the build machines have 2 cores (working agreement); more if the JVM has them is not assumed. */
    public static int defaultThreads() {
        return Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
    }

    /** True when {@code tensor} is named by one of the keep-fp16 patterns. */
    public boolean keptFp16(String tensor) {
        for (String p : keepFp16) if (matches(p, tensor)) return true;
        return false;
    }

    static boolean matches(String pattern, String name) {
        if (!pattern.contains("*")) return pattern.equals(name);
        return Pattern.compile(Pattern.quote(pattern).replace("*", "\\E.*\\Q")).matcher(name).matches();
    }
}
