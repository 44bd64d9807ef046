package dev.tokenfab.kernels;

import static dev.tokenfab.kernels.KernelTestSupport.assertClose;
import static dev.tokenfab.kernels.KernelTestSupport.f32;
import static dev.tokenfab.kernels.KernelTestSupport.f32Out;
import static dev.tokenfab.kernels.KernelTestSupport.floats;
import static dev.tokenfab.kernels.KernelTestSupport.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SwiGLU, both GELUs, add and argmax through FFM against {@link ScalarReference}. */
class ElementwiseKernelTest {
    /** expf/tanhf/erff are within a few ulps; the reference rounds a double result once. */
    private static final double TRANSCENDENTAL_REL_TOL = 2e-6;
    private static final double TRANSCENDENTAL_ABS_TOL = 1e-7;

    private static KernelLibrary lib;

    @BeforeAll
    static void open() {
        lib = KernelLibrary.load();
    }

    @AfterAll
    static void close() {
        lib.close();
    }

    @ParameterizedTest(name = "n {0}")
    @ValueSource(ints = {1, 7, 1000})
    void swigluAndGelus(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] g = randomFloats(rnd, n, -20, 20);
        float[] u = randomFloats(rnd, n, -3, 3);
        float[] x = randomFloats(rnd, n, -8, 8);
        try (Arena arena = Arena.ofConfined()) {
            var out = f32Out(arena, n);
            lib.invoke(Kernel.SWIGLU, f32(arena, g), f32(arena, u), out, n);
            assertClose("tf_swiglu", ScalarReference.swiglu(g, u), floats(out), null, TRANSCENDENTAL_ABS_TOL,
                    TRANSCENDENTAL_REL_TOL);
            lib.invoke(Kernel.GELU_TANH, f32(arena, x), out, n);
            assertClose("tf_gelu_tanh", ScalarReference.geluTanh(x), floats(out), null, TRANSCENDENTAL_ABS_TOL,
                    TRANSCENDENTAL_REL_TOL);
            lib.invoke(Kernel.GELU_ERF, f32(arena, x), out, n);
            assertClose("tf_gelu_erf", ScalarReference.geluErf(x), floats(out), null, TRANSCENDENTAL_ABS_TOL,
                    TRANSCENDENTAL_REL_TOL);
        }
    }

    @ParameterizedTest(name = "n {0}")
    @ValueSource(ints = {1, 7, 4097})
    void addIsExactAndMayRunInPlace(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] a = randomFloats(rnd, n, -100, 100);
        float[] b = randomFloats(rnd, n, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            var as = f32(arena, a);
            lib.invoke(Kernel.ADD, as, f32(arena, b), as, n);
            assertClose("tf_add in place", ScalarReference.add(a, b), floats(as), null, 0, 0);
        }
    }

    @Test
    void argmaxFirstMaximumAcrossVocabularySizes() {
        SplittableRandom rnd = new SplittableRandom(99);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 2, 31, 50257, 128256}) {
                float[] x = randomFloats(rnd, n, -10, 10);
                assertEquals(ScalarReference.argmax(x), lib.invoke(Kernel.ARGMAX, f32(arena, x), n), "n " + n);
            }
            float[][] edge = {
                {1f, 3f, 3f, 2f},                    // tie: first index
                {5f, 1f, 2f},                        // first
                {1f, 2f, 9f},                        // last
                {1f, Float.NaN, 4f, Float.NaN, 2f},  // NaN never wins
            };
            int[] expected = {1, 0, 2, 2};
            for (int i = 0; i < edge.length; i++) {
                assertEquals(expected[i], ScalarReference.argmax(edge[i]), "reference, case " + i);
                assertEquals(expected[i], lib.invoke(Kernel.ARGMAX, f32(arena, edge[i]), edge[i].length), "case " + i);
            }
        }
    }
}
