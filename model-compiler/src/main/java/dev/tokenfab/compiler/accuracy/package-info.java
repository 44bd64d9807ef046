/**
 * Measured numerical accuracy of a compiled package against ONNX Runtime on the original ONNX file
 * ({@link dev.tokenfab.compiler.accuracy.AccuracyReport}, built by {@link dev.tokenfab.compiler.accuracy.AccuracyEvaluator}
 * for the build's {@code accuracy} step), and the prompt sets it and calibration use
 * ({@link dev.tokenfab.compiler.accuracy.ReportSpec}). Nothing here measures or models performance.
 */
package dev.tokenfab.compiler.accuracy;
