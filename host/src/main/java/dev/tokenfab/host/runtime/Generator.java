package dev.tokenfab.host.runtime;

import dev.tokenfab.host.device.DeviceException;
import java.util.Arrays;

/**
 * The generation loop (llama2.c's {@code generate}): feeds the prompt one token at a time, then
 * samples until EOS or {@code maxNewTokens}. Times every step with {@link System#nanoTime}: these
 * are MEASURED host wall times of the whole step (kernels on the device plus the logits read
 * back). Tokens/s is timed from the second generated token, because the first one carries the
 * prefill (as llama2.c does).
 */
public final class Generator {

    public enum FinishReason { EOS, MAX_TOKENS, KV_CACHE_FULL, CONTEXT_FULL }

    /**
     * @param promptIds            the prompt
     * @param generatedIds         sampled tokens (EOS included when it ended the run)
     * @param finish               why generation stopped
     * @param prefillNanos         measured host wall time from the start to the first generated token
     * @param tokenNanos           measured host wall time of each generated token's step; [0] is the last prefill step
     * @param logits               logits that produced each generated token (kept only when asked)
     */
    public record Result(int[] promptIds, int[] generatedIds, FinishReason finish, long prefillNanos, long[] tokenNanos,
                         float[][] logits) {

        /** Measured host tokens/s from the second generated token on; NaN with fewer than two tokens. */
        public double measuredTokensPerSecond() {
            if (tokenNanos.length < 2) return Double.NaN;
            long sum = 0;
            for (int i = 1; i < tokenNanos.length; i++) sum += tokenNanos[i];
            return (tokenNanos.length - 1) * 1e9 / sum;
        }
    }

    private final Decoder decoder;

    public Generator(Decoder decoder) { this.decoder = decoder; }

    /**
     * @param keepLogits keep the logits of each generated token (tests compare them with references)
     * @throws DeviceException when a kernel launch fails
     */
    public Result generate(int[] promptIds, int maxNewTokens, Sampler sampler, boolean keepLogits) throws DeviceException {
        return generate(promptIds, maxNewTokens, sampler, keepLogits, token -> { });
    }

    /**
     * As {@link #generate(int[], int, Sampler, boolean)}, handing each generated token to {@code onToken} as soon
     * as it is sampled (streaming text); the callback's time is outside the measured step times.
     */
    public Result generate(int[] promptIds, int maxNewTokens, Sampler sampler, boolean keepLogits,
                           java.util.function.IntConsumer onToken) throws DeviceException {
        if (promptIds.length == 0) throw new IllegalArgumentException("the prompt needs at least one token");
        if (maxNewTokens <= 0) throw new IllegalArgumentException("maxNewTokens must be positive, was " + maxNewTokens);
        int[] out = new int[maxNewTokens];
        long[] stepNanos = new long[maxNewTokens];
        float[][] logitsKept = new float[keepLogits ? maxNewTokens : 0][];
        int generated = 0;
        FinishReason finish = FinishReason.MAX_TOKENS;
        long start = System.nanoTime();
        long prefillNanos = 0;
        try (KvCache.Sequence seq = decoder.kvCache().openSequence()) {
            int token = promptIds[0];
            for (int pos = 0; generated < maxNewTokens; pos++) {
                long t0 = System.nanoTime();
                float[] logits;
                try {
                    logits = decoder.forward(seq, token, pos);
                } catch (KvCacheException e) {
                    finish = e.status() == KvCache.Status.CONTEXT_FULL ? FinishReason.CONTEXT_FULL : FinishReason.KV_CACHE_FULL;
                    break;
                }
                if (pos < promptIds.length - 1) {
                    token = promptIds[pos + 1];
                    continue;
                }
                token = sampler.sample(logits);
                long t1 = System.nanoTime();
                if (generated == 0) prefillNanos = t1 - start;
                stepNanos[generated] = t1 - t0;
                if (keepLogits) logitsKept[generated] = logits;
                out[generated++] = token;
                onToken.accept(token);
                if (decoder.config().eosTokenIds().contains(token)) {
                    finish = FinishReason.EOS;
                    break;
                }
            }
        }
        return new Result(promptIds.clone(), Arrays.copyOf(out, generated), finish, prefillNanos,
                Arrays.copyOf(stepNanos, generated), Arrays.copyOf(logitsKept, keepLogits ? generated : 0));
    }
}
