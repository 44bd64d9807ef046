package dev.tokenfab.compiler.ir;

import dev.tokenfab.format.quant.PackedFormat;
import java.lang.foreign.MemorySegment;

/**
 * A weight of the decoder IR. Data stays where the reader found it (a memory-mapped ONNX file or
 * external-data file, or a small heap segment): the IR never copies a model into the Java heap.
 * Logical shape is always [rows = output features][cols = input features]; 1-D tensors have rows == 1.
 */
public sealed interface WeightTensor permits WeightTensor.Dense, WeightTensor.Quantized {

    String name();

    int rows();

    int cols();

    /** How the bytes of a dense 2-D tensor are ordered relative to the logical [rows][cols] view. */
    enum Layout {
        /** stored [rows][cols]: Gemm with transB=1, Gather tables, 1-D tensors */
        OUT_IN,
        /** stored [cols][rows]: ONNX MatMul's B operand [in][out]; logical row r is stored column r */
        IN_OUT
    }

    /** Dense float weights (fp32/fp16/bf16) to be quantized (or kept) by the quantizer. */
    record Dense(String name, int rows, int cols, ElementType type, Layout layout, MemorySegment data)
            implements WeightTensor {
        public Dense {
            long expected = (long) rows * cols * type.bytes();
            if (data.byteSize() != expected) {
                throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize()
                        + " bytes of data for shape [" + rows + "," + cols + "] " + type + " (expected " + expected + ")");
            }
        }
    }

    /**
     * Weights that arrived already quantized (MatMulNBits, DequantizeLinear); imported as they are,
     * in the package's byte layout for {@code format} (see {@link PackedFormat}).
     *
     * @param zeros  zero points, or null when symmetric
     */
    record Quantized(String name, int rows, int cols, PackedFormat format, int groupSize,
                     MemorySegment data, MemorySegment scales, MemorySegment zeros) implements WeightTensor {}
}
