package dev.tokenfab.host.device;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceException.ErrorCode;
import dev.tokenfab.host.device.opencl.OpenCl;
import dev.tokenfab.host.device.xrt.XrtTestSupport;
import dev.tokenfab.kernels.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL C ports on PoCL against the C-simulation of the same kernels (when its library is
 * built) and against a plain Java reference (always). Summation order differs, hence a tolerance.
 */
class OpenClDeviceTest {

    /** Relative tolerance for float dot products of up to 512 terms summed in a different order. */
    static final float REL_TOLERANCE = 1e-5f;
    static final int ROWS = 24, COLS = 512, BATCH = 2;

    @BeforeAll
    static void requireOpenCl() {
        var a = OpenCl.probe();
        assumeTrue(a instanceof OpenCl.Availability.Available, () -> "OpenCL unavailable: " + a);
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            float tol = REL_TOLERANCE * Math.max(1f, Math.abs(expected[i]));
            assertEquals(expected[i], actual[i], tol, what + " at index " + i);
        }
    }

    @Test
    void listsPoclDevice() {
        var a = (OpenCl.Availability.Available) OpenCl.probe();
        assertFalse(a.devices().isEmpty());
        OpenCl.DeviceDesc d = a.devices().getFirst();
        assertTrue(d.globalMemBytes() > 0 && d.computeUnits() > 0, d.toString());
        assertTrue(d.version().startsWith("OpenCL"), d.version());
    }

    @Test
    void gemvQ8MatchesCSimulationAndJava() throws Exception {
        Random r = new Random(7);
        byte[] w = new byte[ROWS * COLS];
        r.nextBytes(w);
        float[] scales = new float[ROWS], bias = new float[ROWS], x = new float[BATCH * COLS];
        for (int i = 0; i < ROWS; i++) { scales[i] = 0.001f + r.nextFloat() * 0.01f; bias[i] = r.nextFloat() - 0.5f; }
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        float[] java = new float[BATCH * ROWS];
        for (int b = 0; b < BATCH; b++)
            for (int row = 0; row < ROWS; row++) {
                double acc = 0;
                for (int c = 0; c < COLS; c++) acc += w[row * COLS + c] * (double) x[b * COLS + c];
                java[b * ROWS + row] = (float) (acc * scales[row] + bias[row]);
            }
        float[] cl;
        try (OpenClDevice d = OpenClDevice.open(0, 0, Platform.U55C)) {
            assertEquals(DeviceInfo.Kind.OPENCL, d.info().kind());
            DeviceBuffer bw = d.allocate(0, w.length), bs = d.allocate(1, 4L * ROWS), bb = d.allocate(2, 4L * ROWS),
                    bx = d.allocate(3, 4L * x.length), by = d.allocate(4, 4L * BATCH * ROWS);
            d.write(bw, 0, MemorySegment.ofArray(w));
            d.write(bs, 0, MemorySegment.ofArray(scales));
            d.write(bb, 0, MemorySegment.ofArray(bias));
            d.write(bx, 0, MemorySegment.ofArray(x));
            d.launch(Kernel.GEMV_Q8, KernelArg.of(bw), KernelArg.of(bs), KernelArg.of(bb), KernelArg.of(bx), KernelArg.of(by),
                    KernelArg.i32(ROWS), KernelArg.i32(COLS), KernelArg.i32(BATCH));
            cl = new float[BATCH * ROWS];
            d.read(by, 0, MemorySegment.ofArray(cl));
        }
        assertClose(java, cl, "OpenCL vs Java");
        CsimCompute.Simulator sim = XrtTestSupport.assumeSimulator();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment y = a.allocate(JAVA_FLOAT, BATCH * ROWS);
            sim.run(Kernel.GEMV_Q8, new Object[] {a.allocateFrom(JAVA_BYTE, w), a.allocateFrom(JAVA_FLOAT, scales),
                    a.allocateFrom(JAVA_FLOAT, bias), a.allocateFrom(JAVA_FLOAT, x), y, ROWS, COLS, BATCH});
            assertClose(y.toArray(JAVA_FLOAT), cl, "OpenCL vs C-simulation");
        }
    }

    @Test
    void gemvF16ReadsHalfsWithVloadHalf() throws Exception {
        Random r = new Random(11);
        short[] w = new short[ROWS * COLS];
        float[] wf = new float[w.length], x = new float[COLS];
        for (int i = 0; i < w.length; i++) { w[i] = Float.floatToFloat16(r.nextFloat() - 0.5f); wf[i] = Float.float16ToFloat(w[i]); }
        for (int i = 0; i < COLS; i++) x[i] = r.nextFloat();
        float[] expected = new float[ROWS];
        for (int row = 0; row < ROWS; row++) {
            double acc = 0;
            for (int c = 0; c < COLS; c++) acc += wf[row * COLS + c] * (double) x[c];
            expected[row] = (float) acc;
        }
        try (OpenClDevice d = OpenClDevice.open(0, 0, Platform.U280)) {
            DeviceBuffer bw = d.allocate(33, 2L * w.length), bx = d.allocate(0, 4L * COLS), by = d.allocate(1, 4L * ROWS);
            d.write(bw, 0, MemorySegment.ofArray(w));
            d.write(bx, 0, MemorySegment.ofArray(x));
            d.launch(Kernel.GEMV_F16, KernelArg.of(bw), KernelArg.NULL, KernelArg.of(bx), KernelArg.of(by),
                    KernelArg.i32(ROWS), KernelArg.i32(COLS), KernelArg.i32(1));
            float[] y = new float[ROWS];
            d.read(by, 0, MemorySegment.ofArray(y));
            assertClose(expected, y, "f16 GEMV");
        }
    }

    @Test
    void offsetsUnportedKernelsAndBadBanks() throws Exception {
        try (OpenClDevice d = OpenClDevice.open(0, 0, Platform.U250)) {
            DeviceBuffer buf = d.allocate(0, 8192);
            float[] v = new float[2048];
            for (int i = 0; i < v.length; i++) v[i] = i;
            d.write(buf, 0, MemorySegment.ofArray(v));
            // out[i] = buf[i] + buf[1024 + i], written at byte 4096 + 0: sub-buffers at aligned offsets
            DeviceBuffer out = d.allocate(1, 4096);
            d.launch(Kernel.ADD, KernelArg.of(buf), KernelArg.of(buf, 4096), KernelArg.of(out), KernelArg.i32(1024));
            float[] y = new float[1024];
            d.read(out, 0, MemorySegment.ofArray(y));
            for (int i = 0; i < 1024; i++) assertEquals(i + (1024 + i), y[i], "index " + i);

            var mis = assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD, KernelArg.of(buf, 4), KernelArg.of(buf), KernelArg.of(out), KernelArg.i32(4)));
            assertEquals(ErrorCode.OUT_OF_RANGE, mis.code());
            assertTrue(mis.getMessage().contains("not a multiple"), mis.getMessage());
            var kind = assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD, KernelArg.of(buf), KernelArg.i32(0), KernelArg.of(out), KernelArg.i32(4)));
            assertEquals(ErrorCode.BAD_ARGUMENT, kind.code());
            assertTrue(kind.getMessage().contains("tf_add.b (argument 1) is POINTER, got an int"), kind.getMessage());
            var unported = assertThrows(DeviceException.class, () -> d.launch(Kernel.ARGMAX, KernelArg.of(buf), KernelArg.i32(4)));
            assertEquals(ErrorCode.BAD_BINARY, unported.code());
            assertTrue(unported.getMessage().contains("tf_argmax has no OpenCL C port"), unported.getMessage());
            assertEquals(ErrorCode.BAD_BANK, assertThrows(DeviceException.class, () -> d.allocate(4, 64)).code());
            try (Arena a = Arena.ofConfined()) {
                MemorySegment half = a.allocate(JAVA_SHORT, 1);
                assertEquals(ErrorCode.OUT_OF_RANGE, assertThrows(DeviceException.class, () -> d.write(out, 4095, half)).code());
                assertEquals(ErrorCode.OUT_OF_RANGE, assertThrows(DeviceException.class, () -> d.write(out, Long.MAX_VALUE, half)).code());
            }
        }
    }
}
