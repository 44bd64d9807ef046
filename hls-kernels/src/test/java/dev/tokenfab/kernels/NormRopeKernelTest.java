package dev.tokenfab.kernels;

import static dev.tokenfab.kernels.KernelTestSupport.assertClose;
import static dev.tokenfab.kernels.KernelTestSupport.f32;
import static dev.tokenfab.kernels.KernelTestSupport.f32Out;
import static dev.tokenfab.kernels.KernelTestSupport.floats;
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

/** RMSNorm, LayerNorm and RoPE through FFM against {@link ScalarReference}. */
class NormRopeKernelTest {
    /** Norms: a handful of fp32 roundings per element (sum, sqrt, two multiplies). */
    private static final double NORM_REL_TOL = 2e-5;
    private static final double NORM_ABS_TOL = 2e-5;
    /** RoPE: cosf/sinf of the same fp32 angle differ from double cos/sin by a few ulps; |x| <= 2. */
    private static final double ROPE_ABS_TOL = 4e-6;
    private static final float EPS = 1e-5f;

    private static KernelLibrary lib;

    @BeforeAll
    static void open() {
        lib = KernelLibrary.load();
    }

    @AfterAll
    static void close() {
        lib.close();
    }

    static Stream<Arguments> normShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int n : new int[] {2, 7, 64, 100, 4097}) {
            for (int batch = 1; batch <= 4; batch++) {
                out.add(Arguments.of(n, batch, batch == 3 ? 40.0 : 0.0));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "rmsnorm n {0} batch {1} offset {2}")
    @MethodSource("normShapes")
    void rmsNorm(int n, int batch, double offset) {
        SplittableRandom rnd = new SplittableRandom(n * 3L + batch);
        float[] x = randomFloats(rnd, n * batch, offset - 1, offset + 1);
        float[] w = randomFloats(rnd, n, 0.5, 1.5);
        try (Arena arena = Arena.ofConfined()) {
            var y = f32Out(arena, n * batch);
            lib.invoke(Kernel.RMSNORM, f32(arena, x), f32(arena, w), y, n, EPS, batch);
            assertClose("tf_rmsnorm", ScalarReference.rmsNorm(x, w, n, EPS, batch), floats(y), null, NORM_ABS_TOL,
                    NORM_REL_TOL);
        }
    }

    @ParameterizedTest(name = "layernorm n {0} batch {1} offset {2}")
    @MethodSource("normShapes")
    void layerNorm(int n, int batch, double offset) {
        SplittableRandom rnd = new SplittableRandom(n * 5L + batch);
        float[] x = randomFloats(rnd, n * batch, offset - 1, offset + 1);
        float[] w = randomFloats(rnd, n, 0.5, 1.5);
        float[] bias = batch % 2 == 0 ? randomFloats(rnd, n, -1, 1) : null;
        try (Arena arena = Arena.ofConfined()) {
            var y = f32Out(arena, n * batch);
            lib.invoke(Kernel.LAYERNORM, f32(arena, x), f32(arena, w), f32(arena, bias), y, n, EPS, batch);
            assertClose("tf_layernorm", ScalarReference.layerNorm(x, w, bias, n, EPS, batch), floats(y), null,
                    NORM_ABS_TOL, NORM_REL_TOL);
        }
    }

    static Stream<Arguments> ropeCases() {
        List<Arguments> out = new ArrayList<>();
        int[][] geoms = {{1, 2, 2}, {4, 64, 64}, {3, 64, 32}, {2, 80, 20}, {8, 128, 128}, {2, 256, 64}};
        for (int[] g : geoms) {
            for (boolean interleaved : new boolean[] {false, true}) {
                for (int position : new int[] {0, 1, 4095}) {
                    out.add(Arguments.of(g[0], g[1], g[2], interleaved, position, position == 1 ? 500000f : 10000f));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "rope heads {0} headDim {1} rotaryDim {2} interleaved {3} pos {4} theta {5}")
    @MethodSource("ropeCases")
    void rope(int heads, int headDim, int rotaryDim, boolean interleaved, int position, float theta) {
        SplittableRandom rnd = new SplittableRandom(heads * 1000L + headDim * 10L + rotaryDim + position);
        float[] x = randomFloats(rnd, heads * headDim, -2, 2);
        try (Arena arena = Arena.ofConfined()) {
            var xs = f32(arena, x);
            lib.invoke(Kernel.ROPE, xs, heads, headDim, rotaryDim, position, theta, interleaved ? 1 : 0);
            float[] expected = ScalarReference.rope(x, heads, headDim, rotaryDim, position, theta, interleaved);
            assertClose("tf_rope", expected, floats(xs), null, ROPE_ABS_TOL, 0);
        }
    }
}
