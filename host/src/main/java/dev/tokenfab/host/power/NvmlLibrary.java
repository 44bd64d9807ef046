package dev.tokenfab.host.power;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * FFM binding to the handful of NVML functions the power monitor needs (nvml.h, NVML API
 * reference). One instance = one {@code nvmlInit_v2}; {@link #close} calls {@code nvmlShutdown}
 * and unloads the library. Shared by the {@link NvmlSensor}s it opened, closed by the last one.
 * Every entry point returns an {@code nvmlReturn_t}; non-zero becomes a {@link PowerException}.
 */
@SuppressWarnings("restricted") // FFM downcalls into NVML: the JVM runs with --enable-native-access
final class NvmlLibrary implements AutoCloseable {

    /** The soname the NVIDIA driver installs (nvml.h: "libnvidia-ml.so.1"). */
    static final String DEFAULT_LIBRARY = "libnvidia-ml.so.1";

    /** nvml.h: NVML_SUCCESS. */
    static final int NVML_SUCCESS = 0;
    /** nvml.h: NVML_ERROR_NOT_SUPPORTED (e.g. no energy counter before Volta). */
    static final int NVML_ERROR_NOT_SUPPORTED = 3;
    /** nvml.h: NVML_DEVICE_NAME_V2_BUFFER_SIZE. */
    static final int NAME_BUFFER_BYTES = 96;

    private static final Linker LINKER = Linker.nativeLinker();

    private final Arena arena;
    private final String libraryName;
    private final MethodHandle shutdown;
    private final MethodHandle getCount;
    private final MethodHandle getHandleByIndex;
    private final MethodHandle getName;
    private final MethodHandle getTotalEnergy;
    private final MethodHandle getPowerUsage;
    private final Optional<MethodHandle> errorString;
    private int users = 1;
    private boolean closed;

    private NvmlLibrary(Arena arena, String libraryName, SymbolLookup lookup) throws PowerException {
        this.arena = arena;
        this.libraryName = libraryName;
        MethodHandle init = handle(lookup, "nvmlInit_v2", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        this.shutdown = handle(lookup, "nvmlShutdown", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        this.getCount = handle(lookup, "nvmlDeviceGetCount_v2", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        this.getHandleByIndex = handle(lookup, "nvmlDeviceGetHandleByIndex_v2",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        this.getName = handle(lookup, "nvmlDeviceGetName",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        this.getTotalEnergy = handle(lookup, "nvmlDeviceGetTotalEnergyConsumption",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        this.getPowerUsage = handle(lookup, "nvmlDeviceGetPowerUsage",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        this.errorString = lookup.find("nvmlErrorString").map(a -> LINKER.downcallHandle(a,
                FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_BYTE), ValueLayout.JAVA_INT)));
        check(invokeInt(init), "nvmlInit_v2");
    }

    /**
     * Loads and initializes NVML.
     *
     * @param library a path to a libnvidia-ml, or null for the driver's {@value #DEFAULT_LIBRARY} on the loader path
     * @throws PowerException UNAVAILABLE when the library is absent or nvmlInit fails, with the fix
     */
    static NvmlLibrary open(java.nio.file.Path library) throws PowerException {
        Arena arena = Arena.ofShared();
        String name = library == null ? DEFAULT_LIBRARY : library.toString();
        try {
            SymbolLookup lookup = library == null ? SymbolLookup.libraryLookup(DEFAULT_LIBRARY, arena)
                    : SymbolLookup.libraryLookup(library, arena);
            return new NvmlLibrary(arena, name, lookup);
        } catch (IllegalArgumentException e) {
            arena.close();
            throw new PowerException(PowerException.ErrorCode.UNAVAILABLE, name
                    + " cannot be loaded (no NVIDIA driver on this machine): install the NVIDIA driver, or pass the library path", e);
        } catch (PowerException | RuntimeException e) {
            arena.close();
            if (e instanceof PowerException pe) throw new PowerException(PowerException.ErrorCode.UNAVAILABLE,
                    pe.getMessage() + " (is the NVIDIA kernel driver loaded? check `nvidia-smi`)", pe);
            throw e;
        }
    }

    String libraryName() { return libraryName; }

    synchronized void retain() {
        ensureOpen();
        users++;
    }

    synchronized int deviceCount() throws PowerException {
        ensureOpen();
        MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
        check(invokeInt(getCount, count), "nvmlDeviceGetCount_v2");
        return count.get(ValueLayout.JAVA_INT, 0);
    }

    synchronized MemorySegment deviceHandle(int index) throws PowerException {
        ensureOpen();
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        check(invokeInt(getHandleByIndex, index, out), "nvmlDeviceGetHandleByIndex_v2(" + index + ")");
        return out.get(ValueLayout.ADDRESS, 0);
    }

    synchronized String deviceName(MemorySegment device) throws PowerException {
        ensureOpen();
        MemorySegment buf = arena.allocate(NAME_BUFFER_BYTES);
        check(invokeInt(getName, device, buf, NAME_BUFFER_BYTES), "nvmlDeviceGetName");
        return buf.getString(0, StandardCharsets.UTF_8);
    }

    /** Scratch space for one device's reads, owned by the library's arena. */
    MemorySegment allocateScratch() {
        return arena.allocate(ValueLayout.JAVA_LONG);
    }

    /** @return millijoules since the driver loaded, or -1 when the device has no counter (pre-Volta) */
    long totalEnergyMillijoules(MemorySegment device, MemorySegment scratch) throws PowerException {
        ensureOpen();
        int rc = invokeInt(getTotalEnergy, device, scratch);
        if (rc == NVML_ERROR_NOT_SUPPORTED) return -1;
        check(rc, "nvmlDeviceGetTotalEnergyConsumption");
        return scratch.get(ValueLayout.JAVA_LONG, 0);
    }

    /** @return milliwatts (a ~1 s average on recent GPUs) */
    long powerUsageMilliwatts(MemorySegment device, MemorySegment scratch) throws PowerException {
        ensureOpen();
        check(invokeInt(getPowerUsage, device, scratch), "nvmlDeviceGetPowerUsage");
        return Integer.toUnsignedLong(scratch.get(ValueLayout.JAVA_INT, 0));
    }

    private void check(int rc, String call) throws PowerException {
        if (rc == NVML_SUCCESS) return;
        String text = errorString.map(h -> {
            try {
                MemorySegment s = (MemorySegment) h.invokeExact(rc);
                return s.equals(MemorySegment.NULL) ? "" : ": " + s.reinterpret(256).getString(0);
            } catch (Throwable t) {
                return "";
            }
        }).orElse("");
        throw new PowerException(PowerException.ErrorCode.READ_FAILED, libraryName + " " + call + " returned " + rc + text);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("NvmlLibrary " + libraryName + " is closed");
    }

    private static MethodHandle handle(SymbolLookup lookup, String symbol, FunctionDescriptor fd) throws PowerException {
        MemorySegment address = lookup.find(symbol).orElseThrow(() -> new PowerException(PowerException.ErrorCode.UNAVAILABLE,
                "NVML library lacks " + symbol + " (driver too old? NVML 11+ needed)"));
        return LINKER.downcallHandle(address, fd);
    }

    private static int invokeInt(MethodHandle h, Object... args) throws PowerException {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new PowerException(PowerException.ErrorCode.READ_FAILED, "NVML call failed: " + t, t);
        }
    }

    /** Drops one user; the last one shuts NVML down and unloads the library. */
    @Override
    public synchronized void close() {
        if (closed) return;
        if (--users > 0) return;
        closed = true;
        try {
            shutdown.invokeWithArguments();
        } catch (Throwable ignored) {
            // shutting down: nothing left to report to
        }
        arena.close();
    }
}
