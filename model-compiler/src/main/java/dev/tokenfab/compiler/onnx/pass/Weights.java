package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import dev.tokenfab.format.quant.PackedFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * ONNX tensors to decoder-IR weights without copying, except where the IR's contiguous [rows][cols]
 * contract forces it: one part of a packed QKV stored [in][3·out] (a strided column block), fp16 scales
 * of MatMulNBits (the package wants float32) and its 4-bit-packed zero points (the package wants one per byte).
 */
final class Weights {
    private Weights() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static ElementType elementType(Tensor t) throws CompileException {
        return switch (t.dtype()) {
            case FLOAT -> ElementType.F32;
            case FLOAT16 -> ElementType.F16;
            case BFLOAT16 -> ElementType.BF16;
            default -> throw new CompileException(ErrorCode.BAD_TENSOR, "weight '" + t.name() + "' has type " + t.dtype()
                    + "; dense weights must be float32, float16 or bfloat16");
        };
    }

    static WeightTensor dense(String name, Tensor t, String layout) throws CompileException {
        ElementType type = elementType(t);
        if (t.rank() == 1) return new WeightTensor.Dense(name, 1, (int) t.dim(0), type, WeightTensor.Layout.OUT_IN, t.data());
        if (t.rank() != 2) {
            throw new CompileException(ErrorCode.BAD_TENSOR, "weight '" + t.name() + "' (" + name + ") has rank " + t.rank() + ", expected 1 or 2");
        }
        boolean inOut = layout.equals("IN_OUT");
        int rows = (int) (inOut ? t.dim(1) : t.dim(0)), cols = (int) (inOut ? t.dim(0) : t.dim(1));
        return new WeightTensor.Dense(name, rows, cols, type, inOut ? WeightTensor.Layout.IN_OUT : WeightTensor.Layout.OUT_IN, t.data());
    }

    static WeightTensor linear(String name, ExtractDecoder.Projection p, Graph.Index idx) throws CompileException {
        if (p.linear().attributes().get("format") instanceof Attribute.Str(String f) && f.equals("MatMulNBits")) {
            return nbits(name, p, idx);
        }
        if (p.linear().attributes().get("format") instanceof Attribute.Str(String f) && f.equals("DequantizeLinear")) {
            return dequantizeLinear(name, p, idx);
        }
        Tensor w = idx.constant(p.linear().input(1)).orElseThrow();
        String layout = ExtractDecoder.layoutOf(p.linear());
        boolean inOut = layout.equals("IN_OUT");
        long total = inOut ? w.dim(1) : w.dim(0);
        if (p.offset() == 0 && p.outFeatures() == total) return dense(name, w, layout);
        ElementType type = elementType(w);
        int bytes = type.bytes();
        if (!inOut) { // rows are output channels: a contiguous block
            long cols = w.dim(1);
            MemorySegment part = w.data().asSlice(p.offset() * cols * bytes, p.outFeatures() * cols * bytes);
            return new WeightTensor.Dense(name, (int) p.outFeatures(), (int) cols, type, WeightTensor.Layout.OUT_IN, part);
        }
        long in = w.dim(0);
        MemorySegment part = Arena.ofAuto().allocate(in * p.outFeatures() * bytes, 8);
        for (long r = 0; r < in; r++) {
            MemorySegment.copy(w.data(), (r * total + p.offset()) * bytes, part, r * p.outFeatures() * bytes, p.outFeatures() * bytes);
        }
        return new WeightTensor.Dense(name, (int) p.outFeatures(), (int) in, type, WeightTensor.Layout.IN_OUT, part);
    }

    static WeightTensor biasSlice(String name, Tensor b, long offset, long n) throws CompileException {
        ElementType type = elementType(b);
        if (b.elementCount() < offset + n) {
            throw new CompileException(ErrorCode.BAD_TENSOR, "bias '" + b.name() + "' has " + b.elementCount() + " values, expected at least " + (offset + n));
        }
        return new WeightTensor.Dense(name, 1, (int) n, type, WeightTensor.Layout.OUT_IN,
                b.data().asSlice(offset * type.bytes(), n * type.bytes()));
    }

    static WeightTensor zeros(String name, long n) {
        return new WeightTensor.Dense(name, 1, (int) n, ElementType.F32, WeightTensor.Layout.OUT_IN, Arena.ofAuto().allocate(n * 4, 8));
    }

    /**
     * DequantizeLinear weights: int8/uint8 per output channel → Q8_CHANNEL (symmetric: zero points must be 0,
     * or 128 for uint8, which is shifted to int8); int4/uint4 blocked along the input axis (opset 21
     * {@code block_size}) → Q4_GROUP. Codes are kept; only their order is changed to the package's
     * [out][in] rows (a transposing copy when the MatMul reads them as [in][out]).
     */
    private static WeightTensor dequantizeLinear(String name, ExtractDecoder.Projection p, Graph.Index idx) throws CompileException {
        var n = p.linear();
        Tensor q = idx.constant(n.input(1)).orElseThrow();
        Tensor scale = idx.constant(n.input(3)).orElseThrow();
        Tensor zp = n.hasInput(4) ? idx.constant(n.input(4)).orElseThrow() : null;
        boolean inOut = ExtractDecoder.layoutOf(n).equals("IN_OUT");
        long k = inOut ? q.dim(0) : q.dim(1);
        long r0 = p.offset(), rows = p.outFeatures();
        long axis = n.intAttr("axis", 1), block = n.intAttr("block_size", 0);
        if (axis < 0) axis += 2;
        long channelAxis = inOut ? 1 : 0;
        // flat index of logical element [row][col] in the stored [d0][d1] tensor
        java.util.function.LongBinaryOperator at = inOut ? (r, c) -> c * q.dim(1) + r : (r, c) -> r * q.dim(1) + c;
        switch (q.dtype()) {
            case INT8, UINT8 -> {
                if (block != 0 || axis != channelAxis || scale.elementCount() != (inOut ? q.dim(1) : q.dim(0))) {
                    throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, n.describe() + ": 8-bit DequantizeLinear weight '" + q.name()
                            + "' must be quantized per output channel (axis " + channelAxis + ", " + (inOut ? q.dim(1) : q.dim(0)) + " scales)");
                }
                long shift = q.dtype() == DataType.UINT8 ? 128 : 0;
                for (long i = 0; zp != null && i < zp.elementCount(); i++) {
                    if (zp.getLong(i) != shift) {
                        throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, n.describe() + ": weight '" + q.name() + "' has zero point "
                                + zp.getLong(i) + " at channel " + i + "; Q8_CHANNEL is symmetric (zero point " + shift
                                + "); quantize the float model with tokenfab instead");
                    }
                }
                MemorySegment data = Arena.ofAuto().allocate(rows * k, 8);
                for (long r = 0; r < rows; r++) {
                    for (long c = 0; c < k; c++) data.set(ValueLayout.JAVA_BYTE, r * k + c, (byte) (q.getLong(at.applyAsLong(r0 + r, c)) - shift));
                }
                MemorySegment sc = Arena.ofAuto().allocate(rows * 4, 8);
                for (long r = 0; r < rows; r++) sc.set(F32, r * 4, (float) scale.getDouble(r0 + r));
                return new WeightTensor.Quantized(name, (int) rows, (int) k, PackedFormat.Q8_CHANNEL, (int) k, data, sc, null);
            }
            case INT4, UINT4 -> {
                long inAxis = inOut ? 0 : 1;
                if (block <= 0 || axis != inAxis || k % block != 0 || k % 2 != 0) {
                    throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, n.describe() + ": 4-bit DequantizeLinear weight '" + q.name()
                            + "' must be blocked along the input axis " + inAxis + " with block_size dividing " + k);
                }
                long groups = k / block;
                // INT4 codes q in [-8, 7] become q + 8 so that (q + 8) - (z + 8) = q - z; UINT4 zero point defaults to 0
                long shift = q.dtype() == DataType.INT4 ? 8 : 0;
                java.util.function.LongBinaryOperator sat = inOut ? (r, g) -> g * q.dim(1) + r : (r, g) -> r * groups + g;
                MemorySegment data = Arena.ofAuto().allocate(rows * k / 2, 8);
                for (long r = 0; r < rows; r++) {
                    for (long c = 0; c < k; c += 2) {
                        long lo = q.getLong(at.applyAsLong(r0 + r, c)) + shift, hi = q.getLong(at.applyAsLong(r0 + r, c + 1)) + shift;
                        data.set(ValueLayout.JAVA_BYTE, r * (k / 2) + c / 2, (byte) ((lo & 0xF) | (hi & 0xF) << 4));
                    }
                }
                MemorySegment sc = Arena.ofAuto().allocate(rows * groups * 4, 8);
                MemorySegment zeros = Arena.ofAuto().allocate(rows * groups, 8);
                for (long r = 0; r < rows; r++) {
                    for (long g = 0; g < groups; g++) {
                        long si = sat.applyAsLong(r0 + r, g);
                        sc.set(F32, (r * groups + g) * 4, (float) scale.getDouble(si));
                        long z = (zp == null ? 0 : zp.getLong(si)) + shift;
                        zeros.set(ValueLayout.JAVA_BYTE, r * groups + g, (byte) z);
                    }
                }
                return new WeightTensor.Quantized(name, (int) rows, (int) k, PackedFormat.Q4_GROUP, (int) block, data, sc, zeros);
            }
            default -> throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, n.describe() + ": DequantizeLinear of " + q.dtype()
                    + " weights is not importable (int8/uint8 per channel, int4/uint4 blocked)");
        }
    }

    /**
     * MatMulNBits (com.microsoft): B uint8 [N][n_blocks][block_size·bits/8], element k of a row in byte k/2,
     * low nibble first; scales [N·n_blocks]; zero_points packed 4-bit [N][ceil(n_blocks/2)], default 8. Our
     * Q4_GROUP data is the same bytes when K is a multiple of block_size (otherwise each row drops its padding).
     */
    private static WeightTensor nbits(String name, ExtractDecoder.Projection p, Graph.Index idx) throws CompileException {
        var n = p.linear();
        long k = n.intAttr("K", 0), bigN = n.intAttr("N", 0), bits = n.intAttr("bits", 4), block = n.intAttr("block_size", 0);
        if (bits != 4 || block <= 0 || k % 2 != 0) {
            throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, n.describe() + ": MatMulNBits with bits=" + bits + ", block_size="
                    + block + ", K=" + k + " is not importable (need 4 bits and an even K)");
        }
        Tensor b = idx.constant(n.input(1)).orElseThrow();
        Tensor scales = idx.constant(Patterns.skipCasts(idx, n.input(3))).orElseThrow();
        long blocks = (k + block - 1) / block, blobBytes = block / 2, srcRowBytes = blocks * blobBytes, rowBytes = k / 2;
        if (b.elementCount() != bigN * srcRowBytes || scales.elementCount() != bigN * blocks) {
            throw new CompileException(ErrorCode.BAD_TENSOR, n.describe() + ": B holds " + b.elementCount() + " bytes and scales "
                    + scales.elementCount() + " values; N=" + bigN + " K=" + k + " block_size=" + block + " need "
                    + bigN * srcRowBytes + " and " + bigN * blocks);
        }
        // Q4_GROUP needs cols % groupSize == 0: when the last block is padded, use gcd(K, block_size)-wide groups that
        // repeat each block's scale and zero point (exact: same codes, same per-element scale/zero)
        long group = gcd(k, block), repeat = block / group, groups = k / group;
        long r0 = p.offset(), rows = p.outFeatures();
        MemorySegment data;
        if (srcRowBytes == rowBytes) {
            data = b.data().asSlice(r0 * rowBytes, rows * rowBytes);
        } else { // drop the padding of each row's last block
            data = Arena.ofAuto().allocate(rows * rowBytes, 8);
            for (long r = 0; r < rows; r++) MemorySegment.copy(b.data(), (r0 + r) * srcRowBytes, data, r * rowBytes, rowBytes);
        }
        MemorySegment sc;
        if (scales.dtype() == DataType.FLOAT && repeat == 1) {
            sc = scales.data().asSlice(r0 * blocks * 4, rows * blocks * 4);
        } else {
            sc = Arena.ofAuto().allocate(rows * groups * 4, 8);
            for (long r = 0; r < rows; r++) {
                for (long g = 0; g < groups; g++) sc.set(F32, (r * groups + g) * 4, (float) scales.getDouble((r0 + r) * blocks + g / repeat));
            }
        }
        MemorySegment zeros = null;
        if (n.hasInput(4)) {
            Tensor zp = idx.constant(n.input(4)).orElseThrow();
            if (zp.dtype() != DataType.UINT8) {
                throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, n.describe() + ": zero points of type " + zp.dtype()
                        + " (non-integer) are not importable");
            }
            long zpRowBytes = (blocks + 1) / 2;
            zeros = Arena.ofAuto().allocate(rows * groups, 8);
            for (long r = 0; r < rows; r++) {
                for (long g = 0; g < groups; g++) {
                    long blk = g / repeat;
                    int packed = (int) zp.getLong((r0 + r) * zpRowBytes + blk / 2);
                    zeros.set(ValueLayout.JAVA_BYTE, r * groups + g, (byte) ((packed >> (4 * (blk & 1))) & 0xF));
                }
            }
        }
        return new WeightTensor.Quantized(name, (int) rows, (int) k, PackedFormat.Q4_GROUP, (int) group, data, sc, zeros);
    }

    private static long gcd(long a, long b) { return b == 0 ? a : gcd(b, a % b); }
}
