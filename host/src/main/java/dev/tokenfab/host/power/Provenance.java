package dev.tokenfab.host.power;

/**
 * Where a figure comes from. Every power or energy figure carries one, and measured and modeled
 * figures are never added together (docs/ARCHITECTURE.md, "Measured vs modeled").
 */
public sealed interface Provenance {

    /** "measured (sensor on machine)" or "modeled (from ...)": the label printed next to a figure. */
    String label();

    boolean isMeasured();

    /**
     * Read from a physical sensor.
     *
     * @param sensor  the interface read, e.g. "NVML nvmlDeviceGetTotalEnergyConsumption", "RAPL /sys/class/powercap/intel-rapl:0"
     * @param machine the host name of the machine the sensor sits in
     */
    record Measured(String sensor, String machine) implements Provenance {
        public String label() { return "measured (" + sensor + " on " + machine + ")"; }
        public boolean isMeasured() { return true; }
    }

    /**
     * Computed by a model, never read from hardware.
     *
     * @param from what the model is, e.g. "dataflow plan model.tfpkg/dataflow.json, Platform.U280 power model"
     */
    record Modeled(String from) implements Provenance {
        public String label() { return "modeled (" + from + ")"; }
        public boolean isMeasured() { return false; }
    }
}
