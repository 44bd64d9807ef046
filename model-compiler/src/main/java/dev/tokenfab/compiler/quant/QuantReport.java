package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.PackedFormat;
import java.util.List;
import java.util.Locale;

/**
 * Per-tensor outcome of the quantize pass ({@code reports/quantize.json}).
 *
 * @param tensors          one entry per packed tensor, in pack order
 * @param sourceBytes      bytes of the dense/imported tensors as read
 * @param packedBytes      bytes of all packed parts (before 4 KiB alignment)
 * @param parameters       total weight elements
 * @param minSqnrDb        worst SQNR over quantized tensors (null when none was measured)
 * @param threads          worker threads used
 */
public record QuantReport(List<TensorReport> tensors, long sourceBytes, long packedBytes, long parameters,
                          Double minSqnrDb, int threads) {

    /**
     * @param method   "f32" (kept), "fp16", "int8-channel", "int4-rtn", "int4-mse-clip", "int4-awq", "imported"
     * @param sqnrDb   10 log10(sum w^2 / sum (w - dequant(w))^2) in the original weight's domain;
     *                 null for imported tensors (no reference) and F32 copies (exact); +Infinity never stored
     * @param note     why this format was chosen when it differs from the scheme (fallbacks, overrides, AWQ alpha)
     */
    public record TensorReport(String name, PackedFormat format, int rows, int cols, int groupSize, boolean zeroPoints,
                               String method, Double sqnrDb, long packedBytes, String note) {}

    /** A fixed-width table of the report for terminals and logs. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-28s %-10s %13s %5s %-14s %9s %12s  %s%n",
                "tensor", "format", "shape", "group", "method", "SQNR dB", "bytes", "note"));
        for (TensorReport t : tensors) {
            sb.append(String.format(Locale.ROOT, "%-28s %-10s %13s %5s %-14s %9s %12d  %s%n",
                    t.name(), t.format(), t.rows() + "x" + t.cols(), t.groupSize() == 0 ? "-" : Integer.toString(t.groupSize()),
                    t.method(), t.sqnrDb() == null ? "-" : String.format(Locale.ROOT, "%.2f", t.sqnrDb()),
                    t.packedBytes(), t.note() == null ? "" : t.note()));
        }
        sb.append(String.format(Locale.ROOT, "parameters %d, source %d bytes, packed %d bytes, min SQNR %s dB, %d threads%n",
                parameters, sourceBytes, packedBytes, minSqnrDb == null ? "-" : String.format(Locale.ROOT, "%.2f", minSqnrDb), threads));
        return sb.toString();
    }
}
