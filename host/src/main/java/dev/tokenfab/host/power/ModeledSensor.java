package dev.tokenfab.host.power;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Watts from a model, not from hardware (e.g. the dataflow plan's modeled board power while the
 * emulated card "runs"). Its provenance is always {@link Provenance.Modeled}, so every window
 * figure it contributes is labeled modeled and kept apart from measured ones.
 */
public final class ModeledSensor implements PowerSensor {

    private final String name;
    private final DoubleSupplier watts;
    private final Provenance.Modeled provenance;

    /**
     * @param from  what the model is, e.g. "m.tfpkg/dataflow.json power estimate for U280"
     * @param watts the modeled power now, in watts; may change over time (e.g. idle vs decoding)
     */
    public ModeledSensor(String name, String from, DoubleSupplier watts) {
        this.name = name;
        this.watts = watts;
        this.provenance = new Provenance.Modeled(from);
    }

    @Override public String name() { return name; }
    @Override public SensorKind kind() { return SensorKind.MODELED; }
    @Override public Provenance provenance() { return provenance; }
    /** A model has no refresh period: any window length is representable. */
    @Override public Duration updatePeriod() { return Duration.ZERO; }
    @Override public boolean hasEnergyCounter() { return false; }

    @Override
    public Reading read(long timeNanos) throws PowerException {
        double w = watts.getAsDouble();
        if (!(w >= 0) || Double.isInfinite(w)) throw new PowerException(PowerException.ErrorCode.BAD_DATA,
                name + ": modeled power must be finite and >= 0 W, got " + w);
        return new Reading(timeNanos, w, Double.NaN);
    }

    @Override
    public void close() {}
}
