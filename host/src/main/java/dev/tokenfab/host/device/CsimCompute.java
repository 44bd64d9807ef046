package dev.tokenfab.host.device;

import dev.tokenfab.host.device.DeviceException.ErrorCode;
import dev.tokenfab.kernels.Kernel;
import dev.tokenfab.kernels.KernelException;
import dev.tokenfab.kernels.KernelLibrary;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The compute behind XRT's noop shim, which runs nothing: after each XRT run on the noop shim,
 * {@link #afterRun} computes the kernel's result with its C-simulation (the same HLS C++ the card
 * would run) on the mapped BOs, at the offsets and with the scalars the run was given, so the bytes
 * a later {@code read} syncs back are what the card would have written. Used by {@link XrtDevice}
 * only when the loaded device is the noop shim; on a card the kernel computes by itself.
 * Not thread-safe (as {@link Device}).
 */
public final class CsimCompute {

    /**
     * Runs a kernel's C-simulation on native arguments in C order: {@link MemorySegment} for
     * pointers ({@link MemorySegment#NULL} for a null one), {@link Integer}, {@link Float}.
     * Returns ARGMAX's index, else 0.
     */
    @FunctionalInterface
    public interface Simulator {
        int run(Kernel kernel, Object[] args) throws DeviceException;

        /** The C-simulation through an hls-kernels {@link KernelLibrary}. */
        static Simulator fromKernelLibrary(KernelLibrary library) {
            return (kernel, args) -> {
                try {
                    return library.invoke(kernel, args);
                } catch (KernelException e) {
                    throw new DeviceException(ErrorCode.NATIVE_ERROR, "C-simulation of " + kernel.symbol() + ": " + e.getMessage(), e);
                }
            };
        }

        /**
         * The C-simulation library hls-kernels bundles ({@link KernelLibrary#load()}, or the file named
         * by {@value KernelLibrary#LIBRARY_PATH_PROPERTY}), loaded once and kept for the life of the JVM.
         *
         * @throws DeviceException UNAVAILABLE when the library cannot be found or loaded
         */
        static Simulator bundled() throws DeviceException {
            synchronized (Simulator.class) {
                try {
                    if (Bundled.library == null) Bundled.library = KernelLibrary.load();
                    return fromKernelLibrary(Bundled.library);
                } catch (KernelException e) {
                    throw new DeviceException(ErrorCode.UNAVAILABLE, "C-simulation kernels: " + e.getMessage(), e);
                }
            }
        }

        /**
         * The C-simulation through the emulated device's kernel binding (the library
         * {@link Devices#emulationKernels()} resolves), each kernel bound on first use.
         */
        static Simulator fromBinding(EmuDevice.KernelBinding binding) {
            Map<Kernel, MethodHandle> handles = new EnumMap<>(Kernel.class);
            return (kernel, args) -> {
                MethodHandle h = handles.get(kernel);
                if (h == null) {
                    h = binding.handle(kernel);
                    handles.put(kernel, h);
                }
                try {
                    Object r = h.invokeWithArguments(args);
                    return r instanceof Integer i ? i : 0;
                } catch (Throwable t) {
                    throw new DeviceException(ErrorCode.NATIVE_ERROR, "C-simulation of " + kernel.symbol() + ": " + t, t);
                }
            };
        }
    }

    /** Holder of the JVM-wide bundled kernel library. */
    private static final class Bundled {
        static KernelLibrary library;
    }

    private final Simulator simulator;

    /** @throws NullPointerException when {@code simulator} is null (the noop shim needs one) */
    CsimCompute(Simulator simulator) {
        this.simulator = Objects.requireNonNull(simulator, "simulator");
    }

    /**
     * Computes a completed run of {@code kernel} on the host: pointer argument i reads and writes
     * {@code mappedBos[i]} (the host mapping of its BO) from its offset on, a NULL pointer stays
     * NULL, scalars pass as they are.
     *
     * @param args      the launch's arguments, already checked against the kernel's signature
     * @param mappedBos per argument, the mapped BO of a buffer argument (other entries unused)
     * @return ARGMAX's index, else 0
     */
    int afterRun(Kernel kernel, KernelArg[] args, MemorySegment[] mappedBos) throws DeviceException {
        Object[] simArgs = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            simArgs[i] = switch (args[i]) {
                case KernelArg.Buffer(DeviceBuffer b, long off) -> mappedBos[i].asSlice(off);
                case KernelArg.Null() -> MemorySegment.NULL;
                case KernelArg.I32(int v) -> v;
                case KernelArg.F32(float v) -> v;
            };
        }
        return simulator.run(kernel, simArgs);
    }
}
