package dev.tokenfab.compiler.onnx.graph;

import java.util.List;

/**
 * A typed value of the graph (graph input/output or a value_info entry).
 *
 * @param dtype element type, or null when not a tensor of a type we read
 * @param shape dims, or null when the exporter gave no shape
 */
public record ValueInfo(String name, DataType dtype, List<Dim> shape) {
    public ValueInfo {
        shape = shape == null ? null : List.copyOf(shape);
    }

    /** Size of dim {@code i} when fixed, else -1 (also -1 when the shape is unknown or shorter). */
    public long fixedDim(int i) {
        if (shape == null || i < 0 || i >= shape.size()) return -1;
        return shape.get(i).sizeOrMinusOne();
    }

    public boolean fullyStatic() {
        return shape != null && shape.stream().allMatch(d -> d instanceof Dim.Fixed);
    }
}
