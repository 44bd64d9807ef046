package dev.tokenfab.kernels;

import static dev.tokenfab.kernels.KernelTestSupport.assertClose;
import static dev.tokenfab.kernels.KernelTestSupport.f32;
import static dev.tokenfab.kernels.KernelTestSupport.f32Out;
import static dev.tokenfab.kernels.KernelTestSupport.floats;
import static dev.tokenfab.kernels.KernelTestSupport.i16;
import static dev.tokenfab.kernels.KernelTestSupport.i8;
import static dev.tokenfab.kernels.KernelTestSupport.randomBytes;
import static dev.tokenfab.kernels.KernelTestSupport.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Embedding lookups: one fp32 multiply per element, so results must be exact. */
class EmbedKernelTest {
    private static final double EXACT = 0.0;
    private static KernelLibrary lib;

    @BeforeAll
    static void open() {
        lib = KernelLibrary.load();
    }

    @AfterAll
    static void close() {
        lib.close();
    }

    @ParameterizedTest(name = "q8 cols {0}")
    @ValueSource(ints = {1, 7, 64, 257})
    void embedQ8EveryRow(int cols) {
        SplittableRandom rnd = new SplittableRandom(cols);
        int rows = 5;
        byte[] w = randomBytes(rnd, rows * cols, -128, 127);
        float[] scales = randomFloats(rnd, rows, 0.001, 0.1);
        try (Arena arena = Arena.ofConfined()) {
            var ws = i8(arena, w);
            var ss = f32(arena, scales);
            for (int row = 0; row < rows; row++) {
                var out = f32Out(arena, cols);
                lib.invoke(Kernel.EMBED_Q8, ws, ss, row, out, cols);
                assertClose("tf_embed_q8 row " + row, ScalarReference.embedQ8(w, scales, row, cols), floats(out), null,
                        EXACT, EXACT);
            }
        }
    }

    @ParameterizedTest(name = "q4 cols {0} group {1} zeros {2}")
    @CsvSource({"32,32,true", "128,32,false", "128,64,true", "256,128,false", "256,128,true", "21,7,true", "15,15,false"})
    void embedQ4EveryRow(int cols, int group, boolean withZeros) {
        SplittableRandom rnd = new SplittableRandom(cols * 7L + group);
        int rows = 4;
        int groups = cols / group;
        byte[] w = randomBytes(rnd, rows * ((cols + 1) / 2), 0, 255);
        float[] scales = randomFloats(rnd, rows * groups, 0.001, 0.1);
        byte[] zeros = withZeros ? randomBytes(rnd, rows * groups, 0, 15) : null;
        try (Arena arena = Arena.ofConfined()) {
            for (int row = 0; row < rows; row++) {
                var out = f32Out(arena, cols);
                lib.invoke(Kernel.EMBED_Q4, i8(arena, w), f32(arena, scales), i8(arena, zeros), row, out, cols, group);
                assertClose("tf_embed_q4 row " + row,
                        ScalarReference.embedQ4(w, scales, zeros, row, cols, group), floats(out), null, EXACT, EXACT);
            }
        }
    }

    @Test
    void embedF16DecodesAllHalfCodesExactly() {
        int cols = 1 << 16;
        short[] table = new short[cols];
        for (int i = 0; i < cols; i++) {
            table[i] = (short) i;
        }
        try (Arena arena = Arena.ofConfined()) {
            var out = f32Out(arena, cols);
            lib.invoke(Kernel.EMBED_F16, i16(arena, table), 0, out, cols);
            float[] actual = floats(out);
            float[] expected = ScalarReference.embedF16(table, 0, cols);
            for (int i = 0; i < cols; i++) {
                // Bitwise: covers signed zeros, subnormals, infinities and NaN payloads.
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                        "half code 0x" + Integer.toHexString(i));
            }
        }
    }
}
