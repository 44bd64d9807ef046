package dev.tokenfab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The reference itself against hand-computed values, so kernel tests compare with a known truth. */
class ScalarReferenceTest {
    private static final float EXACT = 0f;

    @Test
    void gemvQ8SmallByHand() {
        // W = [[1, -2], [3, 4]] * scales [0.5, 0.25]; x = [1, 2] -> [0.5*(1-4), 0.25*(3+8)] + bias [1, 0]
        float[] y = ScalarReference.gemvQ8(new byte[] {1, -2, 3, 4}, new float[] {0.5f, 0.25f},
                new float[] {1f, 0f}, new float[] {1f, 2f}, 2, 2, 1);
        assertArrayEquals(new float[] {-0.5f, 2.75f}, y, EXACT);
    }

    @Test
    void gemvQ4NibbleOrderAndZeroPoints() {
        // One row, cols 4, group 2: bytes 0x21 -> q0=1, q1=2 ; 0x43 -> q2=3, q3=4.
        byte[] w = {0x21, 0x43};
        float[] scales = {1f, 2f};
        float[] x = {1f, 1f, 1f, 1f};
        // zero 8: (1-8)+(2-8) = -13 ; 2*((3-8)+(4-8)) = -18
        assertArrayEquals(new float[] {-31f}, ScalarReference.gemvQ4(w, scales, null, null, x, 1, 4, 2, 1), EXACT);
        // zeros [1, 3]: (0)+(1) + 2*((0)+(1)) = 3
        assertArrayEquals(new float[] {3f},
                ScalarReference.gemvQ4(w, scales, new byte[] {1, 3}, null, x, 1, 4, 2, 1), EXACT);
    }

    @Test
    void rmsNormByHand() {
        // x = [3, 4]: mean square 12.5 -> y = x / sqrt(12.5)
        float[] y = ScalarReference.rmsNorm(new float[] {3f, 4f}, new float[] {1f, 2f}, 2, 0f, 1);
        assertArrayEquals(new float[] {(float) (3 / Math.sqrt(12.5)), (float) (8 / Math.sqrt(12.5))}, y, 1e-7f);
    }

    @Test
    void layerNormByHand() {
        // x = [1, 3]: mean 2, var 1 -> [-1, 1]
        float[] y = ScalarReference.layerNorm(new float[] {1f, 3f}, new float[] {1f, 1f}, new float[] {0f, 5f}, 2, 0f,
                1);
        assertArrayEquals(new float[] {-1f, 6f}, y, 1e-7f);
    }

    @Test
    void ropeIsIdentityAtPositionZeroAndAQuarterTurnByHand() {
        float[] x = {1f, 2f, 3f, 4f};
        assertArrayEquals(x, ScalarReference.rope(x, 1, 4, 4, 0, 10000f, false), EXACT);
        // rotaryDim 2, theta irrelevant for i = 0 (inv_freq 1): angle = position = pi/2 ~ not integer;
        // use position 1: pair (x0, x1) rotated by 1 rad, the rest untouched.
        float[] y = ScalarReference.rope(x, 1, 4, 2, 1, 10000f, true);
        assertEquals((float) (Math.cos(1) - 2 * Math.sin(1)), y[0], 1e-7f);
        assertEquals((float) (2 * Math.cos(1) + Math.sin(1)), y[1], 1e-7f);
        assertEquals(3f, y[2], EXACT);
        assertEquals(4f, y[3], EXACT);
    }

    @Test
    void attentionOfOneTokenReturnsItsValue() {
        short[] k = {Float.floatToFloat16(1f), Float.floatToFloat16(0f)};
        short[] v = {Float.floatToFloat16(0.5f), Float.floatToFloat16(-2f)};
        float[] out = ScalarReference.attentionF16(new float[] {9f, 9f}, k, v, new int[] {0}, 1, 1, 2, 1, 1, 1f);
        assertArrayEquals(new float[] {0.5f, -2f}, out, EXACT);
    }

    @Test
    void erfMatchesTabulatedValues() {
        // Abramowitz and Stegun table 7.1 / high-precision values.
        assertEquals(0.5204998778130465, ScalarReference.erf(0.5), 1e-13);
        assertEquals(0.8427007929497149, ScalarReference.erf(1.0), 1e-13);
        assertEquals(-0.9953222650189527, ScalarReference.erf(-2.0), 1e-13);
        assertEquals(0.9999779095030014, ScalarReference.erf(3.0), 1e-13);
        assertEquals(1.0, ScalarReference.erf(10.0), 1e-15);
    }

    @Test
    void badShapesNameTheArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScalarReference.gemvQ4(new byte[2], new float[2], null, null, new float[4], 1, 4, 3, 1));
        assertTrue(e.getMessage().contains("groupSize 3 must divide cols 4"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> ScalarReference.gemvQ8(new byte[3], new float[2], null, new float[2], 2, 2, 1));
        assertTrue(e2.getMessage().contains("w has 3 elements, expected 4"), e2.getMessage());
    }
}
