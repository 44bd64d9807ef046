package dev.tokenfab.bench.scale;

import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.CsimCompute;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.Devices;
import dev.tokenfab.host.device.EmuDevice;
import dev.tokenfab.host.device.XrtDevice;
import dev.tokenfab.host.runtime.Decoder;
import dev.tokenfab.host.runtime.KvCache;
import dev.tokenfab.host.runtime.LayerStreamer;
import dev.tokenfab.host.runtime.Sampler;
import dev.tokenfab.kernels.Kernel;
import dev.tokenfab.kernels.KernelLibrary;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Host overhead per token on a compiled package (issue 4): decodes on the emulated card or on XRT's
 * noop shim and splits each token's host wall time into the time inside the kernels' native
 * C-simulation (timed around the downcall: by a wrapper on emu, by {@code XrtDevice} itself on XRT,
 * {@code Device.kernelBodyNanos}) and the rest (the host overhead: decoder, argument checks, FFM
 * marshalling, XRT set-arg/start/wait), then compares the overhead with the package's
 * modeled per-token time on the card ({@code DataflowPlan.estimateModeled}). Also the Java heap
 * the decode thread allocates per token, the sub-BOs XRT holds for offset arguments, and the weight
 * streaming comparison (resident vs streamed vs streamed without overlap). Results: bench/README.md.
 *
 * <pre>
 * usage: HostOverheadBench PKG DEVICE RESIDENCY WARMUP_TOKENS TOKENS
 *   DEVICE emu | emu-noop (kernel bodies skipped: the host path alone, logits meaningless) | xrt (xrt needs XILINX_XRT with lib/ linked to libxrt's dir and XCL_EMULATION_MODE=noop)
 *   RESIDENCY resident | streamed | streamed_sequential | auto
 * </pre>
 * Command (from the repository root, after {@code ./mvnw -q -B -DskipTests package}):
 * {@code java --enable-native-access=ALL-UNNAMED -cp "cli/target/tokenfab-cli.jar:cli/target/lib/*"
 * dev.tokenfab.bench.scale.HostOverheadBench model-int4.tfpkg emu resident 2 6}
 */
public final class HostOverheadBench {
    private HostOverheadBench() {}

    /** Nanoseconds inside native kernel calls (single decode thread). */
    static long nativeNanos;
    static long nativeCalls;

    /** One native downcall, timed: the spreader is exact, so the window is the unboxing and the call itself. */
    static Object timed(MethodHandle spreader, Object[] args) throws Throwable {
        long t0 = System.nanoTime();
        try {
            return (Object) spreader.invokeExact(args);
        } finally {
            nativeNanos += System.nanoTime() - t0;
            nativeCalls++;
        }
    }

    private static final MethodHandle TIMED;
    static {
        try {
            TIMED = MethodHandles.lookup().findStatic(HostOverheadBench.class, "timed",
                    MethodType.methodType(Object.class, MethodHandle.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@code raw} with the same type, timing each call. */
    static MethodHandle timing(MethodHandle raw) {
        int n = raw.type().parameterCount();
        MethodHandle spreader = raw.asSpreader(Object[].class, n).asType(MethodType.methodType(Object.class, Object[].class));
        return MethodHandles.insertArguments(TIMED, 0, spreader).asCollector(Object[].class, n).asType(raw.type());
    }

    static Device open(String kind, Platform p) throws Exception {
        return open(kind, p, true);
    }

    /** The device, its kernels timed per downcall or called plainly (for the untimed wall clock). */
    static Device open(String kind, Platform p, boolean timed) throws Exception {
        KernelLibrary lib = KernelLibrary.load();
        EmuDevice.KernelBinding plain = Devices.libraryBinding(lib);
        // the address-taking handles, as Devices binds them for "emu": timed per downcall (boxing in the wrapper only)
        EmuDevice.KernelBinding timedBinding = new EmuDevice.KernelBinding() {
            @Override public MethodHandle handle(Kernel k) throws DeviceException { return timed ? timing(plain.handle(k)) : plain.handle(k); }
            @Override public MethodHandle addressHandle(Kernel k) throws DeviceException {
                return timed ? timing(plain.addressHandle(k)) : plain.addressHandle(k);
            }
            @Override public MethodHandle programHandle() throws DeviceException {
                return timed ? timing(plain.programHandle()) : plain.programHandle();
            }
        };
        // noop kernels: the same decode and launches with every kernel body skipped, so the host path runs with warm caches
        // as it would beside a real card (in emulation the kernels stream the weights through the same CPU's caches)
        EmuDevice.KernelBinding noopBinding = new EmuDevice.KernelBinding() {
            @Override public MethodHandle handle(Kernel k) throws DeviceException { return MethodHandles.empty(plain.handle(k).type()); }
            @Override public MethodHandle addressHandle(Kernel k) throws DeviceException { return MethodHandles.empty(plain.addressHandle(k).type()); }
            // (program, commands) -> commands: every command "ran"
            @Override public MethodHandle programHandle() { return MethodHandles.dropArguments(MethodHandles.identity(int.class), 0, long.class); }
        };
        return switch (kind) {
            case "emu" -> new EmuDevice(p, timedBinding);
            case "emu-noop" -> new EmuDevice(p, noopBinding);
            // XRT: the plain binding's raw downcalls; the device times its C-simulation itself (Device.kernelBodyNanos)
            case "xrt" -> XrtDevice.open(XrtDevice.Options.emulation(p, CsimCompute.Simulator.fromBinding(plain)));
            default -> throw new IllegalArgumentException("device " + kind + ": emu or xrt");
        };
    }

    /**
     * Wall clock per token of the same decode on a device whose kernels are not timed and a decoder
     * whose launch timer is off: the timed run's four nanoTime reads and the timing wrapper's
     * boxing per launch are part of its "overhead", not of the runtime's.
     */
    static Untimed untimed(ModelPackage pkg, String kind, Decoder.WeightResidency residency, int warmup, int tokens) throws Exception {
        Platform p = Platform.valueOf(pkg.plan().platform().toUpperCase(Locale.ROOT));
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Device device = open(kind, p, false); Decoder d = Decoder.load(device, pkg, 1, residency); KvCache.Sequence seq = d.kvCache().openSequence()) {
            launchMode(d);
            int token = 1, pos = 0;
            for (; pos < warmup; pos++) token = Sampler.argmax(d.forward(seq, token, pos));
            long a0 = threads.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++, pos++) token = Sampler.argmax(d.forward(seq, token, pos));
            long wall = System.nanoTime() - t0;
            long allocated = threads.getCurrentThreadAllocatedBytes() - a0;
            return new Untimed(wall / 1e3 / tokens, (double) allocated / tokens, (double) d.config().vocabSize() * Float.BYTES);
        }
    }

    /**
     * The untimed run: wall clock per token, and Java heap bytes the decode thread allocated per token
     * ({@code com.sun.management.ThreadMXBean.getCurrentThreadAllocatedBytes}: TLAB-accurate, this thread only;
     * the logits array handed back per token, {@code logitsBytes}, is part of it by the Decoder's API).
     */
    record Untimed(double wallUs, double allocatedBytesPerToken, double logitsBytes) {}

    /** System property choosing the decoder's launch mode (DIRECT or PROGRAM); absent: the decoder's default for the device. */
    static final String LAUNCH_MODE_PROPERTY = "tokenfab.bench.launchMode";

    static void launchMode(Decoder d) throws DeviceException {
        String m = System.getProperty(LAUNCH_MODE_PROPERTY);
        if (m != null) d.launchMode(Decoder.LaunchMode.valueOf(m.toUpperCase(Locale.ROOT)));
    }

    public static void main(String[] a) throws Exception {
        if (a.length != 5) {
            throw new IllegalArgumentException("usage: HostOverheadBench PKG emu|xrt resident|streamed|streamed_sequential|auto WARMUP TOKENS");
        }
        Path dir = Path.of(a[0]);
        Decoder.WeightResidency residency = Decoder.WeightResidency.valueOf(a[2].toUpperCase(Locale.ROOT));
        int warmup = Integer.parseInt(a[3]), tokens = Integer.parseInt(a[4]);
        ModelPackage pkg = PackageReader.open(dir, PackageReader.Verification.SIZES_ONLY);
        Untimed untimed = untimed(pkg, a[1], residency, warmup, tokens);
        double untimedPerTokenUs = untimed.wallUs();
        DataflowPlan.EstimateModeled est = pkg.plan().estimateModeled();
        Platform p = Platform.valueOf(pkg.plan().platform().toUpperCase(Locale.ROOT));
        long tLoad = System.nanoTime();
        try (Device device = open(a[1], p); Decoder d = Decoder.load(device, pkg, 1, residency); KvCache.Sequence seq = d.kvCache().openSequence()) {
            launchMode(d);
            double loadSeconds = (System.nanoTime() - tLoad) * 1e-9;
            int token = 1, pos = 0;
            for (; pos < warmup; pos++) token = Sampler.argmax(d.forward(seq, token, pos));
            LayerStreamer.Stats s0 = d.weights().streamStats();
            d.timeKernels(true);
            nativeNanos = 0;
            nativeCalls = 0;
            long body0 = device.kernelBodyNanos().orElse(0);
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++, pos++) token = Sampler.argmax(d.forward(seq, token, pos));
            long wall = System.nanoTime() - t0;
            if (device.kernelBodyNanos().isPresent()) {   // XRT: the C-simulation timed by the device, one call per kernel
                nativeNanos = device.kernelBodyNanos().getAsLong() - body0;
                nativeCalls = d.kernelLaunches();
            }
            LayerStreamer.Stats s1 = d.weights().streamStats();
            double perTokenUs = wall / 1e3 / tokens;
            double launchUs = d.kernelNanos() / 1e3 / tokens;
            double nativeUs = nativeNanos / 1e3 / tokens;
            double overheadUs = perTokenUs - nativeUs;
            double modeledUs = 1e6 / est.tokensPerSecond();
            System.out.printf(Locale.ROOT, "package %s (%s), device %s, weights %s, launch mode %s%s, load %.1f s%n", dir.getFileName(),
                    pkg.manifest().tensors().getFirst().format(), device.info().name(), d.weights().streamed() ? "streamed" : "resident",
                    d.launchMode(), d.launchMode() == Decoder.LaunchMode.PROGRAM && d.weights().streamed() ? " (streamed: direct launches)" : "", loadSeconds);
            System.out.printf(Locale.ROOT, "measured (host wall clock, %s, %d tokens after %d warm-up): %.1f ms/token; %d launches/token%n",
                    a[1], tokens, warmup, perTokenUs / 1e3, d.kernelLaunches() / tokens);
            System.out.printf(Locale.ROOT, "  inside Device.launch %.1f us/token; inside native kernel code %.1f us/token (%d calls/token)%n",
                    launchUs, nativeUs, nativeCalls / tokens);
            System.out.printf(Locale.ROOT, "  host overhead (wall - native kernels) %.1f us/token = %.2f us/launch; of which in Device.launch outside the kernel %.1f us/token%n",
                    overheadUs, overheadUs / Math.max(1, d.kernelLaunches() / tokens), launchUs - nativeUs);
            double untimedOverheadUs = untimedPerTokenUs - nativeUs;
            System.out.printf(Locale.ROOT, "  untimed run (no per-launch timers; same tokens; a cross-run difference: only meaningful where run-to-run noise is far below it, as with emu-noop): %.1f ms/token; host overhead (untimed wall - native kernels of the timed run) %.1f us/token = %.2f us/launch%n",
                    untimedPerTokenUs / 1e3, untimedOverheadUs, untimedOverheadUs / Math.max(1, d.kernelLaunches() / tokens));
            if (device instanceof XrtDevice x)
                System.out.printf(Locale.ROOT, "  XRT sub-BOs cached for offset arguments: %d (bound %d); made for one launch only (cache full): %d%n",
                        x.cachedSubBuffers(), XrtDevice.Options.DEFAULT_SUB_BUFFER_CACHE_ENTRIES, x.transientSubBuffers());
            System.out.printf(Locale.ROOT, "  heap allocated by the decode thread (untimed run): %.0f bytes/token, of which %.0f the logits float[] forward returns%n",
                    untimed.allocatedBytesPerToken(), untimed.logitsBytes());
            System.out.printf(Locale.ROOT, "modeled U55C per-token time (plan estimateModeled, batch %d, context %d): %.1f us (%.1f tokens/s)%n",
                    est.batch(), est.contextTokens(), modeledUs, est.tokensPerSecond());
            System.out.printf(Locale.ROOT, "host overhead / modeled per-token time: %.2f %% timed, %.2f %% untimed (goal <= 2 %%)%n",
                    100 * overheadUs / modeledUs, 100 * untimedOverheadUs / modeledUs);
            if (d.weights().streamed()) {
                System.out.printf(Locale.ROOT, "streaming: %.1f MB/token uploaded, uploader busy %.1f ms/token, compute waited %.1f ms/token%n",
                        (s1.uploadedBytes() - s0.uploadedBytes()) / 1e6 / tokens, (s1.uploadNanos() - s0.uploadNanos()) / 1e6 / tokens,
                        (s1.computeWaitNanos() - s0.computeWaitNanos()) / 1e6 / tokens);
            }
        }
    }
}
