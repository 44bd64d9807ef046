package dev.tokenfab.host.power;

/** Outcome of looking for a sensor: ready to read, or unavailable with the reason and the fix. */
public sealed interface SensorStatus {

    String name();

    SensorKind kind();

    record Available(PowerSensor sensor) implements SensorStatus {
        public String name() { return sensor.name(); }
        public SensorKind kind() { return sensor.kind(); }
    }

    /**
     * @param reason what is missing and how to fix it, one line
     */
    record Unavailable(String name, SensorKind kind, String reason) implements SensorStatus {}
}
