package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.compiler.reference.ReferenceDecoder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calibration statistics for AWQ (mean |x| per input channel) and GPTQ (E[x x^T]) from the fp32
 * {@link ReferenceDecoder} over the model's own (unquantized) weights, fed deterministic calibration
 * prompts token by token. Consumers of one input (q/k/v, gate/up) share one accumulator and so one
 * array, as {@link CalibrationStats} asks.
 */
public final class Calibration {
    private Calibration() {}

    /** Calibration prompts used by the compiler when none are given. */
    public static final int DEFAULT_PROMPTS = 4;
    /** Tokens per calibration prompt. */
    public static final int DEFAULT_PROMPT_TOKENS = 16;
    /** GPTQ inverts E[x x^T] ([cols][cols]): with fewer tokens than cols it is rank-deficient and GPTQ overfits
     *  the calibration subspace (measured: worse than RTN with 64 tokens at hidden 512), so it gets more and
     *  longer prompts (GPTQ itself uses 128 x 2048 tokens). */
    public static final int GPTQ_PROMPTS = 16;
    public static final int GPTQ_PROMPT_TOKENS = 64;
    /** The reference decoder holds 4 bytes per parameter on the heap: above this the compiler skips calibration
     *  (256 Mi parameters = 1 GiB of floats) and the quantizer falls back to its weight-only clip search. */
    public static final long MAX_PARAMETERS = 256L << 20;

    /** True when {@code spec} asks for a method that uses calibration statistics. */
    public static boolean wanted(QuantSpec spec) {
        return spec.scheme() == QuantScheme.INT4
                && (spec.int4Method() == Int4Method.AWQ || spec.int4Method() == Int4Method.GPTQ);
    }

    /** What was collected, for {@code reports/calibration.json}. */
    public record Summary(String source, int prompts, int tokens, int tensors, boolean hessians, long millis, String note) {}

    /** Statistics and their summary. */
    public record Result(CalibrationStats stats, Summary summary) {}

    /**
     * The compiler's automatic calibration for {@code spec}: AWQ gets mean |x|, GPTQ also E[x x^T], from
     * {@link #prompts} of the model's vocabulary; nothing (with a note) when the model
     * exceeds {@link #MAX_PARAMETERS}.
     */
    public static Result forCompile(DecoderModel model, QuantSpec spec) {
        long params = DenseWeights.parameters(model);
        if (params > MAX_PARAMETERS) {
            return new Result(CalibrationStats.none(), new Summary("none", 0, 0, 0, false, 0,
                    params + " parameters exceed the plain-Java reference limit " + MAX_PARAMETERS + ": weight-only clip search"));
        }
        int ctx = model.config().maxContextTokens();
        boolean gptq = spec.int4Method() == Int4Method.GPTQ;
        List<long[]> prompts = prompts(model.config().vocabSize(), gptq ? GPTQ_PROMPTS : DEFAULT_PROMPTS,
                Math.min(gptq ? GPTQ_PROMPT_TOKENS : DEFAULT_PROMPT_TOKENS, ctx));
        return collect(model, prompts, gptq);
    }

    /** Runs {@code prompts} through the fp32 reference of {@code model} and records every matrix input. */
    public static Result collect(DecoderModel model, List<long[]> prompts, boolean hessians) {
        long t0 = System.nanoTime();
        ReferenceDecoder ref = new ReferenceDecoder(model.config(), DenseWeights.of(model));
        Recorder rec = new Recorder(hessians);
        ref.observeInputs(rec);
        int tokens = 0;
        for (long[] p : prompts) {
            if (p.length > model.config().maxContextTokens()) {
                throw new IllegalArgumentException("calibration prompt of " + p.length + " tokens exceeds the context "
                        + model.config().maxContextTokens());
            }
            for (int pos = 0; pos < p.length; pos++) {
                rec.nextCall();
                ref.forward(Math.toIntExact(p[pos]), pos);
                tokens++;
            }
        }
        ref.observeInputs(null);
        CalibrationStats stats = rec.stats();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        return new Result(stats, new Summary("fp32 reference decoder over the model's weights", prompts.size(), tokens,
                stats.meanAbsByTensor().size(), hessians, ms, null));
    }

    /** Accumulates per shared input: sum |x| and, optionally, sum x x^T. */
    static final class Recorder implements ReferenceDecoder.InputObserver {
        private final boolean hessians;
        private final Map<String, Acc> byTensor = new LinkedHashMap<>();
        /** Inputs of the current forward call, by identity, so consumers of one array share an accumulator. */
        private final Map<float[], Acc> current = new IdentityHashMap<>();

        Recorder(boolean hessians) { this.hessians = hessians; }

        void nextCall() { current.clear(); }

        @Override
        public void accept(String tensor, float[] x) {
            Acc acc = byTensor.get(tensor);
            Acc shared = current.get(x);
            if (acc == null) {
                acc = shared != null ? shared : new Acc(x.length, hessians);
                byTensor.put(tensor, acc);
            }
            if (shared == null) {
                current.put(x, acc);
                acc.add(x);
            }
        }

        CalibrationStats stats() {
            Map<Acc, float[]> means = new IdentityHashMap<>();
            Map<Acc, float[]> hs = new IdentityHashMap<>();
            Map<String, float[]> meanAbs = new HashMap<>();
            Map<String, float[]> hessian = new HashMap<>();
            for (Map.Entry<String, Acc> e : byTensor.entrySet()) {
                Acc a = e.getValue();
                meanAbs.put(e.getKey(), means.computeIfAbsent(a, Acc::meanAbs));
                if (hessians) hessian.put(e.getKey(), hs.computeIfAbsent(a, Acc::hessian));
            }
            return new CalibrationStats(meanAbs, hessian);
        }
    }

    private static final class Acc {
        final double[] sumAbs;
        final double[] sumOuter;
        long count;

        Acc(int n, boolean hessian) {
            sumAbs = new double[n];
            sumOuter = hessian ? new double[n * n] : null;
        }

        void add(float[] x) {
            int n = sumAbs.length;
            if (x.length != n) throw new IllegalStateException("input width changed from " + n + " to " + x.length);
            for (int i = 0; i < n; i++) sumAbs[i] += Math.abs(x[i]);
            if (sumOuter != null) {
                for (int i = 0; i < n; i++) {
                    double xi = x[i];
                    int base = i * n;
                    for (int j = 0; j < n; j++) sumOuter[base + j] += xi * x[j];
                }
            }
            count++;
        }

        float[] meanAbs() {
            float[] m = new float[sumAbs.length];
            for (int i = 0; i < m.length; i++) m[i] = (float) (sumAbs[i] / count);
            return m;
        }

        float[] hessian() {
            float[] h = new float[sumOuter.length];
            for (int i = 0; i < h.length; i++) h[i] = (float) (sumOuter[i] / count);
            return h;
        }
    }

    /**
     * Calibration prompts: {@code count} prompts of {@code length} ids below {@code vocab} from a 64-bit LCG
     * (Knuth's MMIX constants), deterministic so every compile calibrates alike, and built apart from the
     * accuracy report's evaluation prompts.
     */
    public static List<long[]> prompts(int vocab, int count, int length) {
        long state = 0x7f4a7c15L;
        List<long[]> out = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            long[] ids = new long[length];
            for (int i = 0; i < length; i++) {
                state = state * 6364136223846793005L + 1442695040888963407L;
                ids[i] = Long.remainderUnsigned(state >>> 17, vocab);
            }
            out.add(ids);
        }
        return out;
    }
}
