package dev.tokenfab.compiler.plan;

import dev.tokenfab.format.quant.PackedFormat;

/** What the planner needs of a packed tensor: its format and geometry (sizes follow from PackedFormat); the plan step builds it from the quantized model, so the planner reads the format only. */
public record PackedShape(String name, PackedFormat format, int rows, int cols, int groupSize, boolean zeroPoints) {

    /** Bytes of all parts for rows [0, rows) — also valid for any row range, since every part is row-major. */
    public long bytes(int rowCount) {
        long s = 0;
        for (String p : format.partNames(zeroPoints)) s += format.partBytes(p, rowCount, cols, groupSize);
        return s;
    }

    public long bytes() { return bytes(rows); }
}
