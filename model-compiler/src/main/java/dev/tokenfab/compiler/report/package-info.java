/**
 * Measured numerical accuracy of a compiled package against ONNX Runtime on the original ONNX file
 * ({@link dev.tokenfab.compiler.report.AccuracyReport}), and calibration statistics for AWQ/GPTQ taken
 * from the fp32 plain-Java reference decoder ({@link dev.tokenfab.compiler.quant.Calibration}).
 * Nothing here measures or models performance.
 */
package dev.tokenfab.compiler.report;
