package dev.tokenfab.bench.jmh;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.DeviceBuffer;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.KernelArg;
import dev.tokenfab.host.device.OpenClDevice;
import dev.tokenfab.host.device.opencl.OpenCl;
import dev.tokenfab.kernels.Kernel;
import dev.tokenfab.kernels.KernelLibrary;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The int8 GEMV ({@code tf_gemv_q8}) on the OpenCL device path ({@link OpenClDevice#launch}: set
 * arguments, enqueue one work-item per output, clFinish; on this machine that is PoCL's CPU device)
 * next to the baseline the emu device uses, the HLS kernel's C-simulation through an exact FFM
 * downcall. Same shape and bytes as {@link GemvBench}: Q8_CHANNEL int8 [dim][dim] with one float
 * scale per row, batch rows of x sharing the weights. {@link Bytes} counts weight bytes per GEMV.
 *
 * <p>No OpenCL device (no ICD loader, no driver, unwritable PoCL cache): {@link ClState}'s setup
 * fails with the reason and the fix, JMH reports that one benchmark as failed and carries on, the
 * FFM baseline still runs. If {@code POCL_CACHE_DIR} is unset or unwritable, the forked JVM sets it
 * (libc setenv, before OpenCL is first touched) to a fresh temp folder, since PoCL silently shows no
 * device without a writable cache (measured on PoCL 3.1, Debian 12: docs/EMULATION.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput) // with @AuxCounters: GEMVs/s and weight bytes/s side by side
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class OpenClGemvBench {

    @Param({"512", "2048"})
    public int dim;

    @Param({"1", "4"})
    public int batch;

    byte[] w;
    float[] scales, x;

    @Setup(Level.Trial)
    public void makeInputs() {
        Q8GemvInputs in = Q8GemvInputs.random(dim, batch);
        w = in.w();
        scales = in.scales();
        x = in.x();
    }

    /** Counts weight bytes streamed, so JMH prints bytes per second next to the rate (JMHSample_23). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long weightBytes;
    }

    /** The OpenCL device with the weights, scales, x and y uploaded once. */
    @State(Scope.Benchmark)
    public static class ClState {
        OpenClDevice device;
        DeviceBuffer w, scales, x, y;
        KernelArg[] args;
        MemorySegment yHost;
        private Arena arena;
        private Path createdCache;

        @Setup(Level.Trial)
        public void setUp(OpenClGemvBench b) throws DeviceException, IOException {
            createdCache = ensureWritablePoclCache();
            if (OpenCl.probe() instanceof OpenCl.Availability.Unavailable(String reason, String fix)) {
                if (createdCache != null) deleteTree(createdCache);   // JMH skips tearDown after a failed setup
                throw new IllegalStateException("SKIPPED openclDevice: no OpenCL device (" + reason + "); fix: " + fix);
            }
            arena = Arena.ofConfined();
            device = OpenClDevice.open(0, 0, Platform.U280);
            w = upload(MemorySegment.ofArray(b.w));
            scales = upload(MemorySegment.ofArray(b.scales));
            x = upload(MemorySegment.ofArray(b.x));
            y = device.allocate(0, (long) b.batch * b.dim * Float.BYTES);
            yHost = arena.allocate(ValueLayout.JAVA_FLOAT, (long) b.batch * b.dim);
            args = new KernelArg[] {KernelArg.of(w), KernelArg.of(scales), KernelArg.NULL, KernelArg.of(x), KernelArg.of(y),
                    KernelArg.i32(b.dim), KernelArg.i32(b.dim), KernelArg.i32(b.batch)};
            System.out.println("# OpenCL device: " + device.info().name());
        }

        private DeviceBuffer upload(MemorySegment host) throws DeviceException {
            DeviceBuffer buf = device.allocate(0, host.byteSize());
            device.write(buf, 0, host);
            return buf;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (device != null) device.close();   // closes its buffers first
            if (arena != null) arena.close();
            if (createdCache != null) deleteTree(createdCache);
        }
    }

    /** The C-simulation kernel and native copies of the inputs, as EmuDevice holds them. */
    @State(Scope.Benchmark)
    public static class FfmState {
        KernelLibrary library;
        MethodHandle gemv;
        MemorySegment w, scales, x, y;
        private Arena arena;

        @Setup(Level.Trial)
        public void setUp(OpenClGemvBench b) {
            library = KernelLibrary.load();
            gemv = library.handle(Kernel.GEMV_Q8);
            arena = Arena.ofShared();
            w = arena.allocate(b.w.length, 64);
            MemorySegment.copy(b.w, 0, w, ValueLayout.JAVA_BYTE, 0, b.w.length);
            scales = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b.scales);
            x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b.x);
            y = arena.allocate(ValueLayout.JAVA_FLOAT, (long) b.batch * b.dim);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
            library.close();
        }
    }

    /** Measured: one launch through the Device SPI on OpenCL (runs to completion), plus reading y[0..] back. */
    @Benchmark
    public float openclDevice(ClState cl, Bytes bytes) throws DeviceException {
        cl.device.launch(Kernel.GEMV_Q8, cl.args);
        cl.device.read(cl.y, 0, cl.yHost);
        bytes.weightBytes += (long) dim * dim;
        return cl.yHost.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
    }

    /** Baseline: the C-simulation kernel through an exact FFM downcall (what EmuDevice runs). */
    @Benchmark
    public float baselineFfmCSim(FfmState f, Bytes bytes) throws Throwable {
        f.gemv.invokeExact(f.w, f.scales, MemorySegment.NULL, f.x, f.y, dim, dim, batch);
        bytes.weightBytes += (long) dim * dim;
        return f.y.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
    }

    /**
     * PoCL reads POCL_CACHE_DIR with getenv when the ICD loader first loads it; an unset variable
     * falls back to ~/.cache, which may be unwritable here. Java cannot change its own environment,
     * so call libc's setenv (overwrite only when the current value is missing or unwritable).
     *
     * @return the temp folder it created (to delete after the trial), or null when the variable was fine
     */
    static Path ensureWritablePoclCache() throws IOException {
        String current = System.getenv("POCL_CACHE_DIR");
        if (current != null && Files.isDirectory(Path.of(current)) && Files.isWritable(Path.of(current))) return null;
        Path dir = Files.createTempDirectory("tokenfab-pocl-cache");
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) setenv.invokeExact(a.allocateFrom("POCL_CACHE_DIR"), a.allocateFrom(dir.toString()), 1);
            if (rc != 0) throw new IOException("setenv(POCL_CACHE_DIR=" + dir + ") failed with " + rc);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("setenv downcall failed: " + t, t);
        }
        System.out.println("# POCL_CACHE_DIR " + (current == null ? "unset" : current + " not writable") + ": using " + dir);
        return dir;
    }

    /** Best effort: a leftover cache folder in /tmp is harmless, so failures are ignored. */
    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            // ignored: see above
        }
    }

    /*
     * How to run (POCL_CACHE_DIR optional: set to a writable folder, else the fork picks a temp one):
     *   POCL_CACHE_DIR=/tmp/pocl-cache java --enable-native-access=ALL-UNNAMED \
     *       -cp "bench/target/classes:$(cat bench/target/jmh.classpath)" org.openjdk.jmh.Main OpenClGemvBench -wi 2 -i 3 -f 1 -w 1s -r 1s
     * What to expect: PoCL compiles the OpenCL C port with LLVM and spreads the work-items (one per
     * output row and batch row) over the cores, while the C-simulation runs on one thread; but every
     * launch pays argument setup, enqueue, clFinish and a blocking read of y (tens of µs), and each
     * work-item walks its row with a scalar loop. On the shared 2-core dev VM (bench/README.md,
     * "Measured on") OpenCL ran at about 0.06-0.2x the C-simulation's rate at every shape: the
     * OpenCL path here checks the host code, it is not a faster emulator.
     */
}
