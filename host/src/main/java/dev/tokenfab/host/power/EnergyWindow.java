package dev.tokenfab.host.power;

import java.util.Map;

/**
 * Time and energy of one named measurement window ({@link PowerMonitor#begin}/{@link PowerMonitor#end}).
 * Measured and modeled figures are summed separately and never mixed.
 *
 * @param name     the window's name
 * @param seconds  wall time between begin and end on the monitor's time source
 * @param bySensor per-sensor figures in the monitor's sensor order, unavailable sensors included
 */
public record EnergyWindow(String name, double seconds, Map<String, SensorEnergy> bySensor) {

    public EnergyWindow {
        bySensor = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(bySensor));
    }

    /** Sum of measured joules over available sensors; NaN when no measured sensor was available. */
    public double measuredJoules() { return sum(true, false); }

    /** Sum of modeled joules; NaN when there is no modeled sensor. */
    public double modeledJoules() { return sum(false, false); }

    /** Measured joules above each sensor's idle power; NaN unless idle was measured for every summed sensor. */
    public double measuredAboveIdleJoules() { return sum(true, true); }

    public double modeledAboveIdleJoules() { return sum(false, true); }

    public double measuredAverageWatts() { return measuredJoules() / seconds; }

    public double modeledAverageWatts() { return modeledJoules() / seconds; }

    /** Whether any available figure is flagged too short (its joules are approximations). */
    public boolean tooShort() {
        return bySensor.values().stream().anyMatch(e -> e.status() == SensorEnergy.Status.TOO_SHORT);
    }

    public SensorEnergy sensor(String sensorName) {
        SensorEnergy e = bySensor.get(sensorName);
        if (e == null) throw new IllegalArgumentException("window " + name + " has no sensor '" + sensorName
                + "'; sensors: " + bySensor.keySet());
        return e;
    }

    private double sum(boolean measured, boolean aboveIdle) {
        double total = 0;
        int n = 0;
        for (SensorEnergy e : bySensor.values()) {
            if (!e.available() || e.provenance().isMeasured() != measured) continue;
            total += aboveIdle ? e.aboveIdleJoules() : e.joules();
            n++;
        }
        return n == 0 ? Double.NaN : total;
    }
}
