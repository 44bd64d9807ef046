/**
 * tokenfab's Java API for embedding: {@link dev.tokenfab.Tokenfab} compiles an ONNX decoder into a
 * model package and opens a package on a device as a {@link dev.tokenfab.Session}, which generates
 * tokens (streamed to a {@link dev.tokenfab.TokenListener}) and reports {@link dev.tokenfab.MeasuredFigures}
 * (host wall time) beside {@link dev.tokenfab.ModeledFigures} (the card, from the package's plan).
 */
package dev.tokenfab;
