package dev.tokenfab.host.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.kernels.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class EmuDeviceTest {

    /** Binding that must not be reached: argument validation happens before any native call. */
    private static final EmuDevice.KernelBinding NO_CALLS = k -> {
        throw new AssertionError("kernel " + k + " must not be called");
    };

    @Test
    void banksComeFromThePlatform() {
        try (EmuDevice d = new EmuDevice(Platform.U280, NO_CALLS)) {
            DeviceInfo info = d.info();
            assertEquals(DeviceInfo.Kind.EMU, info.kind());
            assertEquals(34, info.banks().size());
            assertEquals("HBM[0]", info.banks().get(0).tag());
            assertEquals(256L << 20, info.banks().get(31).sizeBytes());
            assertEquals("DDR[1]", info.banks().get(33).tag());
            assertTrue(info.emulatedCompute());
        }
    }

    @Test
    void writeReadRoundTrip() throws Exception {
        try (EmuDevice d = new EmuDevice(Platform.U55C, NO_CALLS); Arena a = Arena.ofConfined()) {
            DeviceBuffer b = d.allocate(3, 64);
            MemorySegment src = a.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 2f, 3f, 4f);
            d.write(b, 16, src);
            MemorySegment dst = a.allocate(16);
            d.read(b, 16, dst);
            assertArrayEquals(new float[] {1, 2, 3, 4}, dst.toArray(ValueLayout.JAVA_FLOAT));
            assertEquals(3, b.bank());
            assertEquals(64, d.usedBytes(3));
            b.close();
            assertEquals(0, d.usedBytes(3));
        }
    }

    @Test
    void capacityAndBankErrors() throws Exception {
        try (EmuDevice d = new EmuDevice(Platform.U55C, NO_CALLS)) {
            long channel = Platform.U55C.hbmChannelBytes();
            DeviceException bad = assertThrows(DeviceException.class, () -> d.allocate(32, 16));
            assertEquals(DeviceException.ErrorCode.BAD_BANK, bad.code());
            assertTrue(bad.getMessage().contains("bank 32"), bad.getMessage());
            DeviceBuffer half = d.allocate(5, channel / 2);
            DeviceException oom = assertThrows(DeviceException.class, () -> d.allocate(5, channel / 2 + 1));
            assertEquals(DeviceException.ErrorCode.OUT_OF_MEMORY, oom.code());
            assertTrue(oom.getMessage().contains("HBM[5]"), oom.getMessage());
            half.close();
            d.allocate(5, channel).close(); // the freed bytes are back in the budget
        }
    }

    @Test
    void rangeChecks() throws Exception {
        try (EmuDevice d = new EmuDevice(Platform.U55C, NO_CALLS); Arena a = Arena.ofConfined()) {
            DeviceBuffer b = d.allocate(0, 32);
            DeviceException e = assertThrows(DeviceException.class, () -> d.write(b, 24, a.allocate(16)));
            assertEquals(DeviceException.ErrorCode.OUT_OF_RANGE, e.code());
            assertEquals(DeviceException.ErrorCode.OUT_OF_RANGE,
                    assertThrows(DeviceException.class, () -> d.read(b, -1, a.allocate(4))).code());
            DeviceException launch = assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD,
                    KernelArg.of(b), KernelArg.of(b), KernelArg.of(b, 32), KernelArg.i32(1)));
            assertEquals(DeviceException.ErrorCode.OUT_OF_RANGE, launch.code());
            assertTrue(launch.getMessage().contains("out"), launch.getMessage());
        }
    }

    @Test
    void launchValidatesArgumentsAgainstTheKernelSignature() throws Exception {
        try (EmuDevice d = new EmuDevice(Platform.U55C, NO_CALLS)) {
            DeviceBuffer b = d.allocate(0, 32);
            DeviceException count = assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD, KernelArg.of(b)));
            assertEquals(DeviceException.ErrorCode.BAD_ARGUMENT, count.code());
            assertTrue(count.getMessage().contains("tf_add takes 4"), count.getMessage());
            DeviceException kind = assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD,
                    KernelArg.of(b), KernelArg.of(b), KernelArg.of(b), KernelArg.f32(1f)));
            assertEquals(DeviceException.ErrorCode.BAD_ARGUMENT, kind.code());
            assertTrue(kind.getMessage().contains("argument n is INT"), kind.getMessage());
            try (EmuDevice other = new EmuDevice(Platform.U55C, NO_CALLS)) {
                DeviceBuffer foreign = other.allocate(0, 32);
                assertEquals(DeviceException.ErrorCode.BAD_ARGUMENT, assertThrows(DeviceException.class, () -> d.launch(Kernel.ADD,
                        KernelArg.of(foreign), KernelArg.of(b), KernelArg.of(b), KernelArg.i32(1))).code());
            }
        }
    }

    @Test
    void closingTheDeviceClosesItsBuffers() throws Exception {
        EmuDevice d = new EmuDevice(Platform.U55C, NO_CALLS);
        DeviceBuffer b = d.allocate(1, 128);
        d.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, b::sizeBytes);
        assertTrue(e.getMessage().contains("EmuBuffer"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> d.allocate(1, 8));
        d.close(); // idempotent
    }

    @Test
    void closedBufferCannotBeUsed() throws Exception {
        try (EmuDevice d = new EmuDevice(Platform.U55C, NO_CALLS); Arena a = Arena.ofConfined()) {
            DeviceBuffer b = d.allocate(1, 128);
            b.close();
            assertThrows(IllegalStateException.class, () -> d.write(b, 0, a.allocate(4)));
        }
    }
    /** A recorded program replays its launches by one downcall, with a patched int; a closed buffer stops it. */
    @Test
    void recordedProgramReplaysWithPatchedScalars() throws Exception {
        try (EmuDevice d = new EmuDevice(Platform.U55C, Devices.emulationKernels()); Arena a = Arena.ofConfined()) {
            assertTrue(d.supportsPrograms());
            DeviceBuffer x = d.allocate(0, 64), y = d.allocate(1, 64), out = d.allocate(2, 64);
            d.write(x, 0, a.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 2f, 3f, 4f));
            d.write(y, 0, a.allocateFrom(ValueLayout.JAVA_FLOAT, 10f, 20f, 30f, 40f));
            LaunchRecorder recorder = d.launchRecorder().orElseThrow();
            recorder.beginRecording();
            d.launch(Kernel.ADD, KernelArg.of(x), KernelArg.of(y), KernelArg.of(out), KernelArg.i32(2)); // runs while recorded
            int nSlot = recorder.recordedArgSlot(3);
            d.launch(Kernel.ADD, KernelArg.of(out), KernelArg.of(y), KernelArg.of(out), KernelArg.i32(1));
            LaunchProgram p = recorder.finishRecording().orElseThrow();
            assertEquals(2, p.commands());
            MemorySegment host = a.allocate(16);
            d.read(out, 0, host);
            assertArrayEquals(new float[] {21f, 22f, 0f, 0f}, host.toArray(ValueLayout.JAVA_FLOAT));
            p.setInt(nSlot, 4); // the first add now covers 4 floats
            recorder.replay(p);
            d.read(out, 0, host);
            assertArrayEquals(new float[] {21f, 22f, 33f, 44f}, host.toArray(ValueLayout.JAVA_FLOAT));
            out.close();
            DeviceException e = assertThrows(DeviceException.class, () -> recorder.replay(p));
            assertEquals(DeviceException.ErrorCode.BAD_ARGUMENT, e.code());
            p.close();
        }
    }
}
