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

        /**
         * The kernel's downcall as {@code (long[]) -> int}, every argument one long (a pointer's
         * address, 0 for NULL; an int; a float's raw bits), as the emulated card calls it: no boxing
         * and no allocation per run. Null (the default) when this simulator has none: each run then
         * boxes its arguments for {@link #run}.
         */
        default MethodHandle rawHandle(Kernel kernel) throws DeviceException { return null; }

        /**
         * The C-simulation through an hls-kernels {@link KernelLibrary}: {@link #run} is the checked
         * {@link KernelLibrary#invoke}; {@link #rawHandle} its unchecked address downcall (as on the
         * emulated card: the kernel's read extent is not checked against the BO).
         */
        static Simulator fromKernelLibrary(KernelLibrary library) {
            return new Simulator() {
                @Override
                public int run(Kernel kernel, Object[] args) throws DeviceException {
                    try {
                        return library.invoke(kernel, args);
                    } catch (KernelException e) {
                        throw new DeviceException(ErrorCode.NATIVE_ERROR, "C-simulation of " + kernel.symbol() + ": " + e.getMessage(), e);
                    }
                }

                @Override
                public MethodHandle rawHandle(Kernel kernel) throws DeviceException {
                    try {
                        return RawDowncalls.spread(kernel, library.addressHandle(kernel), null);
                    } catch (KernelException e) {
                        throw new DeviceException(ErrorCode.BAD_BINARY, "C-simulation of " + kernel.symbol() + ": " + e.getMessage(), e);
                    }
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
            return new Simulator() {
                @Override
                public int run(Kernel kernel, Object[] args) throws DeviceException {
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
                }

                /** The binding's address downcall where it has one, else its segment downcall, spread over a long[]. */
                @Override
                public MethodHandle rawHandle(Kernel kernel) throws DeviceException {
                    MethodHandle byAddress = binding.addressHandle(kernel);
                    return RawDowncalls.spread(kernel, byAddress, byAddress != null ? null : binding.handle(kernel));
                }
            };
        }
    }

    /** Holder of the JVM-wide bundled kernel library. */
    private static final class Bundled {
        static KernelLibrary library;
    }

    private final Simulator simulator;
    /** per kernel: the raw downcall, or null until first use; {@link #NO_RAW} when the simulator has none */
    private final MethodHandle[] raw = new MethodHandle[Kernel.values().length];
    private static final MethodHandle NO_RAW = java.lang.invoke.MethodHandles.constant(int.class, 0);
    private long kernelNanos;

    /** @throws NullPointerException when {@code simulator} is null (the noop shim needs one) */
    CsimCompute(Simulator simulator) {
        this.simulator = Objects.requireNonNull(simulator, "simulator");
    }

    /**
     * Computes a completed run of {@code kernel} on the host from its raw arguments: a pointer is the
     * address of its BO's host mapping plus the argument's offset (0 for NULL), an int its value, a
     * float its raw bits. {@code mappedBos}/{@code offsets} give the same pointers as segments for a
     * simulator without a {@linkplain Simulator#rawHandle raw downcall} (boxed path, allocates).
     * The time inside the simulation is added to {@link #kernelNanos}.
     *
     * @return ARGMAX's index, else 0
     */
    int afterRun(Kernel kernel, long[] rawArgs, MemorySegment[] mappedBos, long[] offsets) throws DeviceException {
        MethodHandle h = raw[kernel.ordinal()];
        if (h == null) {
            h = simulator.rawHandle(kernel);
            raw[kernel.ordinal()] = h = h == null ? NO_RAW : h;
        }
        long t0 = System.nanoTime();
        try {
            if (h != NO_RAW) {
                try {
                    return (int) h.invokeExact(rawArgs);
                } catch (Throwable t) {
                    throw new DeviceException(ErrorCode.NATIVE_ERROR, "C-simulation of " + kernel.symbol() + ": " + t, t);
                }
            }
            return simulator.run(kernel, boxed(kernel, rawArgs, mappedBos, offsets));
        } finally {
            kernelNanos += System.nanoTime() - t0;
        }
    }

    private static Object[] boxed(Kernel kernel, long[] rawArgs, MemorySegment[] mappedBos, long[] offsets) {
        Object[] simArgs = new Object[kernel.args().size()];
        for (int i = 0; i < simArgs.length; i++) {
            simArgs[i] = switch (kernel.args().get(i).kind()) {
                case POINTER -> rawArgs[i] == 0 ? MemorySegment.NULL : mappedBos[i].asSlice(offsets[i]);
                case INT -> (int) rawArgs[i];
                case FLOAT -> Float.intBitsToFloat((int) rawArgs[i]);
            };
        }
        return simArgs;
    }

    /** Host wall time inside the C-simulation since this compute was created (measured, System.nanoTime around each run). */
    long kernelNanos() { return kernelNanos; }
}
