package dev.tokenfab.bench.result;

import dev.tokenfab.host.power.Provenance;

/**
 * One reported number with its unit and where it comes from. A figure is measured (which sensor or
 * clock, which machine), modeled (from what), or unavailable (why); never an unlabeled number.
 *
 * @param value  the number, or null when unavailable (JSON has no NaN)
 * @param unit   e.g. "tokens/s", "W", "J/token"
 * @param basis  MEASURED, MODELED or UNAVAILABLE
 * @param source measured: sensor/clock and machine; modeled: the model; unavailable: the reason
 */
public record Figure(Double value, String unit, Basis basis, String source) {

    public enum Basis { MEASURED, MODELED, UNAVAILABLE }

    public Figure {
        if (value != null && (value.isNaN() || value.isInfinite()))
            throw new IllegalArgumentException("figure in " + unit + " from " + source + " is " + value + "; use unavailable()");
        if ((value == null) != (basis == Basis.UNAVAILABLE))
            throw new IllegalArgumentException("a figure has a value exactly when it is not UNAVAILABLE: " + value + " " + basis);
    }

    public static Figure measured(double value, String unit, String source) {
        return finite(value) ? new Figure(value, unit, Basis.MEASURED, source) : unavailable(unit, source + " gave no finite value");
    }

    public static Figure modeled(double value, String unit, String from) {
        return finite(value) ? new Figure(value, unit, Basis.MODELED, from) : unavailable(unit, from + " gave no finite value");
    }

    public static Figure unavailable(String unit, String why) { return new Figure(null, unit, Basis.UNAVAILABLE, why); }

    /** A figure whose basis follows a power provenance (measured sensor vs modeled). */
    public static Figure of(double value, String unit, Provenance p) {
        return switch (p) {
            case Provenance.Measured m -> measured(value, unit, m.sensor() + " on " + m.machine());
            case Provenance.Modeled m -> modeled(value, unit, m.from());
        };
    }

    public boolean available() { return basis != Basis.UNAVAILABLE; }

    /** Derived figure (e.g. tokens/J from tokens/s and W): modeled if either input is, unavailable if either is. */
    public static Figure derive(double value, String unit, Figure a, Figure b, String how) {
        if (!a.available()) return unavailable(unit, how + ": " + a.source());
        if (!b.available()) return unavailable(unit, how + ": " + b.source());
        String src = how + " [" + a.basis().name().toLowerCase() + ": " + a.source() + "; "
                + b.basis().name().toLowerCase() + ": " + b.source() + "]";
        return a.basis() == Basis.MODELED || b.basis() == Basis.MODELED ? modeled(value, unit, src) : measured(value, unit, src);
    }

    /** This figure times a constant (e.g. a price), same basis; unavailable stays unavailable. */
    public Figure scale(double factor, String newUnit, String how) {
        if (!available()) return unavailable(newUnit, how + ": " + source);
        String src = how + " [" + source + "]";
        return basis == Basis.MODELED ? modeled(value * factor, newUnit, src) : measured(value * factor, newUnit, src);
    }

    /** "123.4 tokens/s (measured: ...)" */
    public String label() {
        return (value == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.4g", value)) + " " + unit
                + " (" + basis.name().toLowerCase() + ": " + source + ")";
    }

    private static boolean finite(double v) { return !Double.isNaN(v) && !Double.isInfinite(v); }
}
