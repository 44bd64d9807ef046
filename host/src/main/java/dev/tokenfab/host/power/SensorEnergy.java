package dev.tokenfab.host.power;

/**
 * One sensor's figures over one {@link EnergyWindow}.
 *
 * @param sensor          the sensor's name
 * @param kind            what it measures
 * @param provenance      measured (which sensor, which machine) or modeled (from what)
 * @param status          OK, TOO_SHORT (window shorter than the sensor's update period, or its
 *                        counter did not move: figures are approximations) or UNAVAILABLE
 * @param method          how {@code joules} was obtained
 * @param joules          energy over the window, total (not above idle); NaN when unavailable
 * @param averageWatts    joules / window seconds; NaN when unavailable
 * @param idleWatts       from {@link PowerMonitor#measureIdle}; NaN when idle was not measured
 * @param aboveIdleJoules joules − idleWatts × seconds; NaN when idle was not measured
 * @param samples         readings of this sensor inside the window (including its two ends)
 * @param note            why the figure is unavailable or too short; empty when OK
 */
public record SensorEnergy(String sensor, SensorKind kind, Provenance provenance, Status status, Method method,
                           double joules, double averageWatts, double idleWatts, double aboveIdleJoules,
                           int samples, String note) {

    public enum Status { OK, TOO_SHORT, UNAVAILABLE }

    public enum Method {
        /** difference of the hardware energy counter at the window's ends (preferred) */
        ENERGY_COUNTER,
        /** trapezoidal integral of power samples over the window */
        TRAPEZOID_SAMPLES,
        /** power at the window's end × its length: the counter did not move (Zeus approx_instant_energy) */
        INSTANT_POWER_APPROXIMATION,
        /** no figure */
        NONE
    }

    public boolean available() { return status != Status.UNAVAILABLE; }

    static SensorEnergy unavailable(PowerSensor s, String reason) {
        return new SensorEnergy(s.name(), s.kind(), s.provenance(), Status.UNAVAILABLE, Method.NONE,
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, reason);
    }
}
