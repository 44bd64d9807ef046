package dev.tokenfab.compiler.plan;

import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.compiler.quant.PackedTensor;
import dev.tokenfab.compiler.quant.QuantizedModel;
import java.util.List;

/** What the planner needs of a packed tensor: its format and geometry (sizes follow from PackedFormat). */
public record PackedShape(String name, PackedFormat format, int rows, int cols, int groupSize, boolean zeroPoints) {

    public static PackedShape of(PackedTensor t) {
        return new PackedShape(t.name(), t.format(), t.rows(), t.cols(), t.groupSize(), t.zeroPoints());
    }

    public static List<PackedShape> of(QuantizedModel m) {
        return m.tensors().values().stream().map(PackedShape::of).toList();
    }

    /** Bytes of all parts for rows [0, rows) — also valid for any row range, since every part is row-major. */
    public long bytes(int rowCount) {
        long s = 0;
        for (String p : format.partNames(zeroPoints)) s += format.partBytes(p, rowCount, cols, groupSize);
        return s;
    }

    public long bytes() { return bytes(rows); }
}
