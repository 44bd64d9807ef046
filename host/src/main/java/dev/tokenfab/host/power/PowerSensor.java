package dev.tokenfab.host.power;

import java.time.Duration;

/**
 * One source of power (and, where the hardware has one, an energy counter).
 *
 * <p>Implementations are thread-safe: the {@link PowerMonitor}'s sampler thread and the thread
 * that opens and closes windows both call {@link #read}. A sensor owns whatever it opened (a
 * native library, file handles) and releases it in {@link #close}; reading a closed sensor throws
 * {@link IllegalStateException}.
 */
public sealed interface PowerSensor extends AutoCloseable
        permits NvmlSensor, RaplSensor, HwmonSensor, XrtBoardSensor, ModeledSensor {

    /** Unique within one monitor, e.g. "nvml:0 NVIDIA H100", "rapl:package-0". */
    String name();

    SensorKind kind();

    Provenance provenance();

    /**
     * How often the hardware refreshes what {@link #read} returns. A window shorter than this
     * cannot be measured by this sensor and is flagged {@code tooShort}.
     */
    Duration updatePeriod();

    /** Whether {@link Reading#energyJoules()} is a real counter (preferred over integrating samples). */
    boolean hasEnergyCounter();

    /**
     * @param timeNanos the monitor's current time, stored in the reading
     * @throws PowerException READ_FAILED or BAD_DATA when the hardware cannot be read now
     */
    Reading read(long timeNanos) throws PowerException;

    @Override
    void close();
}
