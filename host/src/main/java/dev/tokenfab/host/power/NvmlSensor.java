package dev.tokenfab.host.power;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One NVIDIA GPU through NVML (Panama FFM, no JNI). Prefers the energy counter
 * {@code nvmlDeviceGetTotalEnergyConsumption} (mJ since driver load, Volta and newer) and falls back
 * to sampling {@code nvmlDeviceGetPowerUsage} (mW), which the monitor integrates.
 *
 * <p>Caveats (Zeus, ZeusMonitor docstring; NVML API reference; docs/SOURCES-runtime.md): the counter reads 0 J over windows shorter
 * than its update period, which NVML does not document, so such windows are flagged too short;
 * {@code nvmlDeviceGetPowerUsage} is a ~1 s moving average on recent GPUs, so sampled power lags
 * short bursts. {@link #read} returns both power and counter energy where available.
 */
public final class NvmlSensor implements PowerSensor {

    /**
     * Assumed refresh period of the energy counter. NVML documents none; a window that sees the
     * counter unchanged is flagged too short regardless (PowerMonitor).
     */
    static final Duration ENERGY_COUNTER_UPDATE_PERIOD = Duration.ofMillis(100);

    /** nvmlDeviceGetPowerUsage averages over 1 s on Ampere (except GA100) and newer (NVML API reference). */
    static final Duration POWER_USAGE_UPDATE_PERIOD = Duration.ofSeconds(1);

    private static final double JOULES_PER_MILLIJOULE = 1e-3;
    private static final double WATTS_PER_MILLIWATT = 1e-3;

    private final NvmlLibrary library;
    private final int index;
    private final String name;
    private final MemorySegment device;
    private final MemorySegment scratch;
    private final boolean energyCounter;
    private final long energyAtOpenMj;
    private final Provenance provenance;
    private boolean closed;

    private NvmlSensor(NvmlLibrary library, int index, String machine) throws PowerException {
        this.library = library;
        this.index = index;
        this.device = library.deviceHandle(index);
        this.name = "nvml:" + index + " " + library.deviceName(device);
        this.scratch = library.allocateScratch();
        long energy = library.totalEnergyMillijoules(device, scratch);
        this.energyCounter = energy >= 0;
        this.energyAtOpenMj = Math.max(energy, 0);
        this.provenance = new Provenance.Measured("NVML " + (energyCounter
                ? "nvmlDeviceGetTotalEnergyConsumption" : "nvmlDeviceGetPowerUsage") + " GPU " + index, machine);
    }

    /**
     * One sensor per GPU NVML lists. When the library cannot be loaded or initialized the result is
     * a single unavailable entry with the reason.
     *
     * @param library path of a libnvidia-ml, or null for the driver's libnvidia-ml.so.1
     */
    public static List<SensorStatus> discover(Path library, String machine) {
        List<SensorStatus> out = new ArrayList<>();
        NvmlLibrary lib;
        try {
            lib = NvmlLibrary.open(library);
        } catch (PowerException e) {
            out.add(new SensorStatus.Unavailable("nvml", SensorKind.GPU_NVML, e.getMessage()));
            return out;
        }
        int count;
        try {
            count = lib.deviceCount();
        } catch (PowerException e) {
            lib.close();
            out.add(new SensorStatus.Unavailable("nvml", SensorKind.GPU_NVML, e.getMessage()));
            return out;
        }
        if (count == 0) {
            lib.close();
            out.add(new SensorStatus.Unavailable("nvml", SensorKind.GPU_NVML, lib.libraryName() + " lists no GPU"));
            return out;
        }
        // the library handle starts with one user: the first sensor takes it, later ones retain it
        boolean firstTaken = false;
        for (int i = 0; i < count; i++) {
            try {
                if (firstTaken) lib.retain();
                NvmlSensor sensor;
                try {
                    sensor = new NvmlSensor(lib, i, machine);
                } catch (PowerException e) {
                    if (firstTaken) lib.close();
                    throw e;
                }
                firstTaken = true;
                out.add(new SensorStatus.Available(sensor));
            } catch (PowerException e) {
                out.add(new SensorStatus.Unavailable("nvml:" + i, SensorKind.GPU_NVML, e.getMessage()));
            }
        }
        if (!firstTaken) lib.close();
        return out;
    }

    public int index() { return index; }

    @Override public String name() { return name; }
    @Override public SensorKind kind() { return SensorKind.GPU_NVML; }
    @Override public Provenance provenance() { return provenance; }
    @Override public Duration updatePeriod() { return energyCounter ? ENERGY_COUNTER_UPDATE_PERIOD : POWER_USAGE_UPDATE_PERIOD; }
    @Override public boolean hasEnergyCounter() { return energyCounter; }

    @Override
    public synchronized Reading read(long timeNanos) throws PowerException {
        if (closed) throw new IllegalStateException("NvmlSensor " + name + " is closed");
        double joules = Double.NaN;
        if (energyCounter) {
            long mj = library.totalEnergyMillijoules(device, scratch);
            joules = (mj - energyAtOpenMj) * JOULES_PER_MILLIJOULE;
        }
        double watts;
        try {
            watts = library.powerUsageMilliwatts(device, scratch) * WATTS_PER_MILLIWATT;
        } catch (PowerException e) {
            if (!energyCounter) throw e;
            watts = Double.NaN; // the counter alone is enough for windows
        }
        return new Reading(timeNanos, watts, joules);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        library.close();
    }
}
