package dev.tokenfab.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Shape and size checks of {@link KernelLibrary#invoke}: the scalar arguments must describe a
 * valid call (the conditions under which a kernel would otherwise return without writing), and
 * every pointer must reach as far as the kernel will read or write, so that a wrong size becomes
 * a {@link KernelException} naming the argument instead of a native fault. Mirrors the sizes of
 * {@code tokenfab_kernels.h}; the raw {@link KernelLibrary#handle} path is unchecked.
 */
final class KernelArgChecks {
    private static final long F32 = Float.BYTES;
    private static final long F16 = 2;
    private static final long I32 = Integer.BYTES;

    private KernelArgChecks() {}

    /** args: already type-converted (MemorySegment / Integer / Float) in {@link Kernel#args()} order. */
    static void check(Kernel k, Object[] a) {
        Call c = new Call(k, a);
        switch (k) {
            case GEMV_Q8 -> {
                long rows = c.positive(5), cols = c.positive(6), batch = c.positive(7);
                c.need(0, rows * cols, "rows x cols int8");
                c.need(1, rows * F32, "rows float32 scales");
                c.optional(2, rows * F32, "rows float32 biases");
                c.need(3, batch * cols * F32, "batch x cols float32");
                c.need(4, batch * rows * F32, "batch x rows float32");
            }
            case GEMV_Q4 -> {
                long rows = c.positive(6), cols = c.positive(7), group = c.group(8, 7), batch = c.positive(9);
                c.need(0, rows * ((cols + 1) / 2), "rows x ceil(cols/2) packed int4");
                c.need(1, rows * (cols / group) * F32, "rows x cols/groupSize float32 scales");
                c.optional(2, rows * (cols / group), "rows x cols/groupSize uint8 zero points");
                c.optional(3, rows * F32, "rows float32 biases");
                c.need(4, batch * cols * F32, "batch x cols float32");
                c.need(5, batch * rows * F32, "batch x rows float32");
            }
            case GEMV_F16 -> {
                long rows = c.positive(4), cols = c.positive(5), batch = c.positive(6);
                c.need(0, rows * cols * F16, "rows x cols fp16");
                c.optional(1, rows * F32, "rows float32 biases");
                c.need(2, batch * cols * F32, "batch x cols float32");
                c.need(3, batch * rows * F32, "batch x rows float32");
            }
            case EMBED_Q8 -> {
                long row = c.nonNegative(2), cols = c.positive(4);
                c.need(0, (row + 1) * cols, "(row + 1) x cols int8");
                c.need(1, (row + 1) * F32, "(row + 1) float32 scales");
                c.need(3, cols * F32, "cols float32");
            }
            case EMBED_Q4 -> {
                long row = c.nonNegative(3), cols = c.positive(5), group = c.group(6, 5);
                c.need(0, (row + 1) * ((cols + 1) / 2), "(row + 1) x ceil(cols/2) packed int4");
                c.need(1, (row + 1) * (cols / group) * F32, "(row + 1) x cols/groupSize float32 scales");
                c.optional(2, (row + 1) * (cols / group), "(row + 1) x cols/groupSize uint8 zero points");
                c.need(4, cols * F32, "cols float32");
            }
            case EMBED_F16 -> {
                long row = c.nonNegative(1), cols = c.positive(3);
                c.need(0, (row + 1) * cols * F16, "(row + 1) x cols fp16");
                c.need(2, cols * F32, "cols float32");
            }
            case RMSNORM -> {
                long n = c.positive(3), batch = c.positive(5);
                c.need(0, n * batch * F32, "batch x n float32");
                c.need(1, n * F32, "n float32");
                c.need(2, n * batch * F32, "batch x n float32");
            }
            case LAYERNORM -> {
                long n = c.positive(4), batch = c.positive(6);
                c.need(0, n * batch * F32, "batch x n float32");
                c.need(1, n * F32, "n float32");
                c.optional(2, n * F32, "n float32");
                c.need(3, n * batch * F32, "batch x n float32");
            }
            case ROPE -> {
                long heads = c.positive(1), headDim = c.positive(2), rot = c.positive(3);
                c.nonNegative(4);
                if (rot % 2 != 0 || rot < 2 || rot > headDim) {
                    throw c.bad(3, "must be even and in [2, headDim " + headDim + "], got " + rot);
                }
                c.oneOf01(6);
                c.need(0, heads * headDim * F32, "numHeads x headDim float32");
            }
            case KV_WRITE -> {
                long position = c.nonNegative(5), kvHeads = c.positive(8), headDim = c.positive(9);
                long pageTokens = c.positive(10);
                long elem = c.kvElemBytes(11);
                long logicalPage = position / pageTokens;
                c.need(4, (logicalPage + 1) * I32, "an int32 page entry for position " + position);
                long page = c.pageAt(4, logicalPage);
                long slotsEnd = (page * pageTokens + position % pageTokens + 1) * kvHeads;
                c.need(0, slotsEnd * headDim * elem, "pool up to page " + page);
                c.need(2, slotsEnd * headDim * elem, "pool up to page " + page);
                if (elem == 1) {
                    c.need(1, slotsEnd * F32, "int8 scales up to page " + page);
                    c.need(3, slotsEnd * F32, "int8 scales up to page " + page);
                }
                c.need(6, kvHeads * headDim * F32, "numKvHeads x headDim float32");
                c.need(7, kvHeads * headDim * F32, "numKvHeads x headDim float32");
            }
            case ATTENTION -> {
                long heads = c.positive(7), kvHeads = c.positive(8), headDim = c.positive(9);
                long seqLen = c.nonNegative(10), pageTokens = c.positive(11);
                long elem = c.kvElemBytes(12);
                if (heads % kvHeads != 0) {
                    throw c.bad(7, "(" + heads + ") must be a multiple of numKvHeads (" + kvHeads + ")");
                }
                long pages = (seqLen + pageTokens - 1) / pageTokens;
                c.need(5, pages * I32, "one int32 page entry per " + pageTokens + " positions of seqLen " + seqLen);
                long maxPage = -1;
                for (long i = 0; i < pages; i++) {
                    maxPage = Math.max(maxPage, c.pageAt(5, i));
                }
                long slotsEnd = (maxPage + 1) * pageTokens * kvHeads;
                c.need(1, slotsEnd * headDim * elem, "pool up to page " + maxPage);
                c.need(3, slotsEnd * headDim * elem, "pool up to page " + maxPage);
                if (elem == 1 && pages > 0) {
                    c.need(2, slotsEnd * F32, "int8 scales up to page " + maxPage);
                    c.need(4, slotsEnd * F32, "int8 scales up to page " + maxPage);
                }
                c.need(0, heads * headDim * F32, "numHeads x headDim float32");
                c.need(6, heads * headDim * F32, "numHeads x headDim float32");
            }
            case SWIGLU -> {
                long n = c.nonNegative(3);
                c.need(0, n * F32, "n float32");
                c.need(1, n * F32, "n float32");
                c.need(2, n * F32, "n float32");
            }
            case GELU_TANH, GELU_ERF -> {
                long n = c.nonNegative(2);
                c.need(0, n * F32, "n float32");
                c.need(1, n * F32, "n float32");
            }
            case ADD -> {
                long n = c.nonNegative(3);
                c.need(0, n * F32, "n float32");
                c.need(1, n * F32, "n float32");
                c.need(2, n * F32, "n float32");
            }
            case ARGMAX -> c.need(0, c.nonNegative(1) * F32, "n float32");
        }
    }

    /** One call's arguments, with checks that name the kernel and argument. */
    private record Call(Kernel kernel, Object[] args) {
        KernelException bad(int i, String what) {
            return new KernelException(KernelException.ErrorCode.BAD_ARGUMENT,
                    kernel.symbol() + " argument " + kernel.args().get(i).name() + " " + what);
        }

        long scalar(int i) {
            return (Integer) args[i];
        }

        long positive(int i) {
            long v = scalar(i);
            if (v <= 0) {
                throw bad(i, "must be positive, got " + v);
            }
            return v;
        }

        long nonNegative(int i) {
            long v = scalar(i);
            if (v < 0) {
                throw bad(i, "must be >= 0, got " + v);
            }
            return v;
        }

        void oneOf01(int i) {
            long v = scalar(i);
            if (v != 0 && v != 1) {
                throw bad(i, "must be 0 or 1, got " + v);
            }
        }

        long group(int i, int colsIndex) {
            long g = positive(i);
            long cols = scalar(colsIndex);
            if (cols % g != 0) {
                throw bad(i, "(" + g + ") must divide " + kernel.args().get(colsIndex).name() + " (" + cols + ")");
            }
            return g;
        }

        long kvElemBytes(int i) {
            long d = scalar(i);
            if (d == ScalarReference.KV_FP16) {
                return F16;
            }
            if (d == ScalarReference.KV_INT8) {
                return 1;
            }
            throw bad(i, "must be " + ScalarReference.KV_FP16 + " (fp16) or " + ScalarReference.KV_INT8
                    + " (int8), got " + d);
        }

        long pageAt(int tableIndex, long logicalPage) {
            long page = ((MemorySegment) args[tableIndex]).getAtIndex(ValueLayout.JAVA_INT, logicalPage);
            if (page < 0) {
                throw bad(tableIndex, "entry " + logicalPage + " is negative (" + page + ")");
            }
            return page;
        }

        void need(int i, long bytes, String what) {
            MemorySegment s = (MemorySegment) args[i];
            if (s.equals(MemorySegment.NULL) || s.address() == 0) {
                throw bad(i, "is NULL; it needs " + bytes + " bytes (" + what + ")");
            }
            if (s.byteSize() < bytes) {
                throw bad(i, "holds " + s.byteSize() + " bytes, needs " + bytes + " (" + what + ")");
            }
        }

        void optional(int i, long bytes, String what) {
            MemorySegment s = (MemorySegment) args[i];
            if (s.address() != 0) {
                need(i, bytes, what);
            }
        }
    }
}
