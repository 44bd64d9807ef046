package dev.tokenfab.kernels;

import static dev.tokenfab.kernels.KernelTestSupport.assertClose;
import static dev.tokenfab.kernels.KernelTestSupport.f32;
import static dev.tokenfab.kernels.KernelTestSupport.f32Out;
import static dev.tokenfab.kernels.KernelTestSupport.floats;
import static dev.tokenfab.kernels.KernelTestSupport.i16;
import static dev.tokenfab.kernels.KernelTestSupport.i8;
import static dev.tokenfab.kernels.KernelTestSupport.randomBytes;
import static dev.tokenfab.kernels.KernelTestSupport.randomFloats;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The three GEMV kernels through FFM against {@link ScalarReference}. */
class GemvKernelTest {
    /**
     * fp32 accumulation in interleaved partial sums vs a double reference: the error is bounded
     * relative to the sum of |terms| (sumAbs), ~sqrt(n) * 2^-24 typical; 2e-6 leaves margin up to
     * n = 4k without hiding a wrong element (one wrong weight shifts the result by ~1/n of sumAbs).
     */
    private static final double REL_TOL_OF_SUM_ABS = 2e-6;
    private static final double ABS_TOL = 1e-6;

    private static KernelLibrary lib;

    @BeforeAll
    static void open() {
        lib = KernelLibrary.load();
    }

    @AfterAll
    static void close() {
        lib.close();
    }

    static Stream<Arguments> denseShapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{1, 1}, {3, 7}, {17, 33}, {64, 64}, {31, 257}, {96, 1000}};
        for (int[] s : shapes) {
            for (int batch = 1; batch <= 4; batch++) {
                out.add(Arguments.of(s[0], s[1], batch, batch % 2 == 0));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> q4Shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{5, 256}, {17, 384}, {3, 1024}, {9, 21}, {4, 72}, {2, 2048}};
        for (int[] s : shapes) {
            for (int group : new int[] {32, 64, 128, 7, 24, 2048}) { // 2048: longer than an unpack chunk
                if (s[1] % group != 0) {
                    continue;
                }
                for (int batch = 1; batch <= 4; batch++) {
                    out.add(Arguments.of(s[0], s[1], group, batch, (batch & 1) == 1, batch >= 3));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "q8 {0}x{1} batch {2} bias {3}")
    @MethodSource("denseShapes")
    void gemvQ8MatchesReference(int rows, int cols, int batch, boolean withBias) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + cols * 7L + batch);
        byte[] w = randomBytes(rnd, rows * cols, -127, 127);
        float[] scales = randomFloats(rnd, rows, 0.001, 0.05);
        float[] bias = withBias ? randomFloats(rnd, rows, -1, 1) : null;
        float[] x = randomFloats(rnd, batch * cols, -2, 2);
        float[] expected = ScalarReference.gemvQ8(w, scales, bias, x, rows, cols, batch);
        try (Arena arena = Arena.ofConfined()) {
            var y = f32Out(arena, batch * rows);
            lib.invoke(Kernel.GEMV_Q8, i8(arena, w), f32(arena, scales), f32(arena, bias), f32(arena, x), y, rows,
                    cols, batch);
            double[] sumAbs = sumAbs(rows, cols, batch, x, (r, c) -> w[r * cols + c] * (double) scales[r]);
            assertClose("tf_gemv_q8", expected, floats(y), sumAbs, ABS_TOL, REL_TOL_OF_SUM_ABS);
        }
    }

    @ParameterizedTest(name = "q4 {0}x{1} group {2} batch {3} zeros {4} bias {5}")
    @MethodSource("q4Shapes")
    void gemvQ4MatchesReference(int rows, int cols, int group, int batch, boolean withZeros, boolean withBias) {
        SplittableRandom rnd = new SplittableRandom(rows * 131L + cols * 17L + group * 3L + batch);
        int groups = cols / group;
        byte[] w = randomBytes(rnd, rows * ((cols + 1) / 2), 0, 255);
        float[] scales = randomFloats(rnd, rows * groups, 0.001, 0.1);
        byte[] zeros = withZeros ? randomBytes(rnd, rows * groups, 0, 15) : null;
        float[] bias = withBias ? randomFloats(rnd, rows, -1, 1) : null;
        float[] x = randomFloats(rnd, batch * cols, -2, 2);
        float[] expected = ScalarReference.gemvQ4(w, scales, zeros, bias, x, rows, cols, group, batch);
        try (Arena arena = Arena.ofConfined()) {
            var y = f32Out(arena, batch * rows);
            lib.invoke(Kernel.GEMV_Q4, i8(arena, w), f32(arena, scales), i8(arena, zeros), f32(arena, bias),
                    f32(arena, x), y, rows, cols, group, batch);
            // Magnitude bound: |q - zero| <= 15.
            double[] sumAbs = sumAbs(rows, cols, batch, x, (r, c) -> 15.0 * scales[r * groups + c / group]);
            assertClose("tf_gemv_q4", expected, floats(y), sumAbs, ABS_TOL, REL_TOL_OF_SUM_ABS);
        }
    }

    @ParameterizedTest(name = "f16 {0}x{1} batch {2} bias {3}")
    @MethodSource("denseShapes")
    void gemvF16MatchesReference(int rows, int cols, int batch, boolean withBias) {
        SplittableRandom rnd = new SplittableRandom(rows * 37L + cols * 11L + batch);
        short[] w = new short[rows * cols];
        for (int i = 0; i < w.length; i++) {
            // Every 11th weight a subnormal half: the decode must be exact there too.
            w[i] = i % 11 == 0 ? (short) rnd.nextInt(1, 0x400) : Float.floatToFloat16((float) rnd.nextDouble(-2, 2));
        }
        float[] bias = withBias ? randomFloats(rnd, rows, -1, 1) : null;
        float[] x = randomFloats(rnd, batch * cols, -2, 2);
        float[] expected = ScalarReference.gemvF16(w, bias, x, rows, cols, batch);
        try (Arena arena = Arena.ofConfined()) {
            var y = f32Out(arena, batch * rows);
            lib.invoke(Kernel.GEMV_F16, i16(arena, w), f32(arena, bias), f32(arena, x), y, rows, cols, batch);
            double[] sumAbs = sumAbs(rows, cols, batch, x, (r, c) -> Float.float16ToFloat(w[r * cols + c]));
            assertClose("tf_gemv_f16", expected, floats(y), sumAbs, ABS_TOL, REL_TOL_OF_SUM_ABS);
        }
    }

    @FunctionalInterface
    interface Weight {
        double at(int r, int c);
    }

    /** Sum over c of |w[r][c] x[b][c]| + 1 per output: the scale of the fp32 rounding error. */
    static double[] sumAbs(int rows, int cols, int batch, float[] x, Weight w) {
        double[] m = new double[batch * rows];
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                double s = 1;
                for (int c = 0; c < cols; c++) {
                    s += Math.abs(w.at(r, c) * x[b * cols + c]);
                }
                m[b * rows + r] = s;
            }
        }
        return m;
    }
}
