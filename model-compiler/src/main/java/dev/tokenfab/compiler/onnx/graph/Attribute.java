package dev.tokenfab.compiler.onnx.graph;

import java.util.List;

/** A node attribute; only the kinds decoder graphs use are kept typed. */
public sealed interface Attribute {
    record Int(long value) implements Attribute {}

    record Float(float value) implements Attribute {}

    record Ints(List<Long> values) implements Attribute {
        public Ints { values = List.copyOf(values); }
    }

    record Floats(List<java.lang.Float> values) implements Attribute {
        public Floats { values = List.copyOf(values); }
    }

    record Str(String value) implements Attribute {}

    record TensorValue(Tensor value) implements Attribute {}

    /** Graphs, sparse tensors, type protos: kept as their kind so errors can name them. */
    record Other(String kind) implements Attribute {}
}
