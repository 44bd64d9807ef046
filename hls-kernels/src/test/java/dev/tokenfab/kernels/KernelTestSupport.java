package dev.tokenfab.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Native buffers from Java arrays, deterministic inputs and tolerance checks for kernel tests. */
final class KernelTestSupport {
    private KernelTestSupport() {}

    static MemorySegment f32(Arena arena, float[] a) {
        return a == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
    }

    static MemorySegment i8(Arena arena, byte[] a) {
        return a == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_BYTE, a);
    }

    static MemorySegment i16(Arena arena, short[] a) {
        return arena.allocateFrom(ValueLayout.JAVA_SHORT, a);
    }

    static MemorySegment i32(Arena arena, int[] a) {
        return arena.allocateFrom(ValueLayout.JAVA_INT, a);
    }

    static MemorySegment f32Out(Arena arena, int n) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_FLOAT, n);
        s.fill((byte) 0x7f); // NaN-ish garbage: an unwritten output cannot pass a comparison
        return s;
    }

    static float[] floats(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_FLOAT);
    }

    static float[] randomFloats(SplittableRandom rnd, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextDouble(lo, hi);
        }
        return a;
    }

    static byte[] randomBytes(SplittableRandom rnd, int n, int lo, int hiInclusive) {
        byte[] a = new byte[n];
        for (int i = 0; i < n; i++) {
            a[i] = (byte) rnd.nextInt(lo, hiInclusive + 1);
        }
        return a;
    }

    /**
     * |expected - actual| <= absTol + relTol * scale[i] for every i; fails naming the first index.
     * scale null means |expected[i]|.
     */
    static void assertClose(String what, float[] expected, float[] actual, double[] scale, double absTol,
                            double relTol) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double tol = absTol + relTol * (scale == null ? Math.abs(expected[i]) : scale[i]);
            double err = Math.abs((double) expected[i] - actual[i]);
            boolean sameInf = Float.isInfinite(expected[i]) && expected[i] == actual[i];
            if (!(err <= tol) && !sameInf) {
                fail(what + ": first mismatch at index " + i + ": expected " + expected[i] + ", actual " + actual[i]
                        + " (tolerance " + tol + ")");
            }
        }
    }
}
