package dev.tokenfab.compiler.build;

/**
 * The five coarse phases of a compile, as {@code time_per_pass.json} has always keyed them; each step
 * belongs to one, and the phase's time is the sum of its steps'.
 */
public enum Phase {
    IMPORT, VALIDATE, QUANTIZE, PLAN, WRITE;

    /** Key in time_per_pass.json. */
    public String key() { return name().toLowerCase(java.util.Locale.ROOT); }
}
