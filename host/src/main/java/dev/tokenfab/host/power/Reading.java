package dev.tokenfab.host.power;

/**
 * One reading of a sensor.
 *
 * @param timeNanos    the monitor's time source when the reading was taken (ns, arbitrary origin)
 * @param watts        instantaneous (or the sensor's own short average) power; NaN when the sensor has none
 * @param energyJoules the sensor's cumulative energy counter since it was opened, wrap-arounds
 *                     removed; NaN when the sensor has no energy counter
 */
public record Reading(long timeNanos, double watts, double energyJoules) {
    public boolean hasEnergy() { return !Double.isNaN(energyJoules); }
    public boolean hasPower() { return !Double.isNaN(watts); }
}
