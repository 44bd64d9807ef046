package dev.tokenfab.compiler.onnx.graph;

/**
 * One dimension of a value's shape. Symbolic dims are never compared by name: exporters reuse names
 * for unrelated sizes (llama-tiny-genai-fp16 calls several different dims {@code unk}).
 */
public sealed interface Dim {
    record Fixed(long size) implements Dim {
        @Override public String toString() { return Long.toString(size); }
    }

    /** A named dim whose value is only known at run time. */
    record Symbolic(String name) implements Dim {
        @Override public String toString() { return name; }
    }

    record Unknown() implements Dim {
        @Override public String toString() { return "?"; }
    }

    /** The size when fixed, otherwise -1. */
    default long sizeOrMinusOne() { return this instanceof Fixed f ? f.size() : -1; }
}
