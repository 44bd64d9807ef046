package dev.tokenfab.format.quant;

/** Default precision of a package's weight matrices (per-tensor formats are {@link PackedFormat}). */
public enum QuantScheme { FP16, INT8, INT4 }
