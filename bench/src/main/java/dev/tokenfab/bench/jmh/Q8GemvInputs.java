package dev.tokenfab.bench.jmh;

import java.util.SplittableRandom;

/**
 * The Q8_CHANNEL GEMV inputs of {@link GemvBench} and {@link OpenClGemvBench}, generated in one
 * place so that both benchmarks measure the very same bytes: int8 weights [dim][dim] row-major,
 * one float scale per row, {@code batch} rows of x.
 */
record Q8GemvInputs(byte[] w, float[] scales, float[] x) {

    /** Fixed seed: runs and the two benchmarks see identical data. */
    private static final long SEED = 42;

    static Q8GemvInputs random(int dim, int batch) {
        SplittableRandom rnd = new SplittableRandom(SEED);
        byte[] w = new byte[dim * dim];
        for (int i = 0; i < w.length; i++) w[i] = (byte) (rnd.nextInt(255) - 127);
        float[] scales = new float[dim];
        for (int r = 0; r < dim; r++) scales[r] = 0.01f + rnd.nextInt(100) * 1e-4f;
        float[] x = new float[batch * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return new Q8GemvInputs(w, scales, x);
    }
}
