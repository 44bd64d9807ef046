package dev.tokenfab.compiler.ir;

/** Element types of dense weights as they arrive from ONNX (little-endian). */
public enum ElementType {
    F32(4), F16(2), BF16(2);

    private final int bytes;

    ElementType(int bytes) { this.bytes = bytes; }

    public int bytes() { return bytes; }
}
