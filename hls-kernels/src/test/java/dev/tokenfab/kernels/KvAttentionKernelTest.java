package dev.tokenfab.kernels;

import static dev.tokenfab.kernels.KernelTestSupport.assertClose;
import static dev.tokenfab.kernels.KernelTestSupport.f32;
import static dev.tokenfab.kernels.KernelTestSupport.f32Out;
import static dev.tokenfab.kernels.KernelTestSupport.floats;
import static dev.tokenfab.kernels.KernelTestSupport.i32;
import static dev.tokenfab.kernels.KernelTestSupport.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Paged KV write (bit-exact against the reference quantizers) and decode attention (MHA, GQA,
 * MQA; fp16 and int8 pools; shuffled page tables; seqLen at and across page boundaries).
 */
class KvAttentionKernelTest {
    /**
     * Attention outputs are convex combinations of V rows (|V| <= 2): fp32 online softmax vs a
     * double two-pass softmax over the same dequantized cache differs by a few fp32 roundings per
     * token, relative to max |V|.
     */
    private static final double ATTENTION_ABS_TOL = 4e-5;

    private static KernelLibrary lib;

    @BeforeAll
    static void open() {
        lib = KernelLibrary.load();
    }

    @AfterAll
    static void close() {
        lib.close();
    }

    record Geometry(int heads, int kvHeads, int headDim, int pageTokens, int pages) {
        int capacity() {
            return pageTokens * pages;
        }

        int slots() {
            return capacity() * kvHeads;
        }

        @Override
        public String toString() {
            return heads + "/" + kvHeads + " heads, d" + headDim + ", " + pages + " pages of " + pageTokens;
        }
    }

    static Stream<Arguments> cases() {
        Geometry[] geoms = {
            new Geometry(4, 4, 32, 4, 3),     // MHA
            new Geometry(8, 2, 64, 16, 2),    // GQA
            new Geometry(6, 1, 20, 5, 4),     // MQA, odd head dim
            new Geometry(32, 8, 128, 16, 3),  // Llama-3-8B head layout
            new Geometry(3, 3, 7, 1, 5),      // one token per page
        };
        List<Arguments> out = new ArrayList<>();
        for (Geometry g : geoms) {
            for (int kvDtype : new int[] {ScalarReference.KV_FP16, ScalarReference.KV_INT8}) {
                out.add(Arguments.of(g, kvDtype));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} kvDtype {1}")
    @MethodSource("cases")
    void kvWriteThenAttention(Geometry g, int kvDtype) {
        SplittableRandom rnd = new SplittableRandom(g.hashCode() * 31L + kvDtype);
        int[] pageTable = shuffledPages(rnd, g.pages());
        int elems = g.slots() * g.headDim();
        boolean fp16 = kvDtype == ScalarReference.KV_FP16;
        // Reference pools, filled by the reference writer.
        short[] k16 = new short[elems];
        short[] v16 = new short[elems];
        byte[] k8 = new byte[elems];
        byte[] v8 = new byte[elems];
        float[] ks = new float[g.slots()];
        float[] vs = new float[g.slots()];
        try (Arena arena = Arena.ofConfined()) {
            long elemBytes = fp16 ? 2 : 1;
            MemorySegment kPool = arena.allocate(elems * elemBytes, 64);
            MemorySegment vPool = arena.allocate(elems * elemBytes, 64);
            MemorySegment kScales = fp16 ? MemorySegment.NULL : arena.allocate(ValueLayout.JAVA_FLOAT, g.slots());
            MemorySegment vScales = fp16 ? MemorySegment.NULL : arena.allocate(ValueLayout.JAVA_FLOAT, g.slots());
            MemorySegment table = i32(arena, pageTable);
            for (int t = 0; t < g.capacity(); t++) {
                float[] k = randomFloats(rnd, g.kvHeads() * g.headDim(), -1, 1);
                float[] v = randomFloats(rnd, g.kvHeads() * g.headDim(), -2, 2);
                if (t == 1) {
                    java.util.Arrays.fill(k, 0, g.headDim(), 0f); // all-zero head: int8 scale 0
                }
                lib.invoke(Kernel.KV_WRITE, kPool, kScales, vPool, vScales, table, t, f32(arena, k), f32(arena, v),
                        g.kvHeads(), g.headDim(), g.pageTokens(), kvDtype);
                if (fp16) {
                    ScalarReference.kvWriteF16(k16, v16, pageTable, t, k, v, g.kvHeads(), g.headDim(), g.pageTokens());
                } else {
                    ScalarReference.kvWriteInt8(k8, ks, v8, vs, pageTable, t, k, v, g.kvHeads(), g.headDim(),
                            g.pageTokens());
                }
            }
            if (fp16) {
                assertArrayEquals(k16, kPool.toArray(ValueLayout.JAVA_SHORT), "K pool (fp16) bit-exact");
                assertArrayEquals(v16, vPool.toArray(ValueLayout.JAVA_SHORT), "V pool (fp16) bit-exact");
            } else {
                assertArrayEquals(k8, kPool.toArray(ValueLayout.JAVA_BYTE), "K pool (int8) exact");
                assertArrayEquals(v8, vPool.toArray(ValueLayout.JAVA_BYTE), "V pool (int8) exact");
                assertArrayEquals(ks, kScales.toArray(ValueLayout.JAVA_FLOAT), "K scales exact");
                assertArrayEquals(vs, vScales.toArray(ValueLayout.JAVA_FLOAT), "V scales exact");
            }
            float scale = (float) (1 / Math.sqrt(g.headDim()));
            for (float qAmp : new float[] {1f, 30f}) { // 30: logits far beyond exp's fp32 range unless stabilized
                float[] q = randomFloats(rnd, g.heads() * g.headDim(), -qAmp, qAmp);
                for (int seqLen : new int[] {1, g.pageTokens(), g.pageTokens() + 1, g.capacity()}) {
                    var out = f32Out(arena, g.heads() * g.headDim());
                    lib.invoke(Kernel.ATTENTION, f32(arena, q), kPool, kScales, vPool, vScales, table, out, g.heads(),
                            g.kvHeads(), g.headDim(), seqLen, g.pageTokens(), kvDtype, scale);
                    float[] expected = fp16
                            ? ScalarReference.attentionF16(q, k16, v16, pageTable, g.heads(), g.kvHeads(), g.headDim(),
                                    seqLen, g.pageTokens(), scale)
                            : ScalarReference.attentionInt8(q, k8, ks, v8, vs, pageTable, g.heads(), g.kvHeads(),
                                    g.headDim(), seqLen, g.pageTokens(), scale);
                    assertClose("tf_attention " + g + " seqLen " + seqLen + " qAmp " + qAmp, expected, floats(out),
                            null, ATTENTION_ABS_TOL, 0);
                }
            }
        }
    }

    private static int[] shuffledPages(SplittableRandom rnd, int pages) {
        int[] t = new int[pages];
        for (int i = 0; i < pages; i++) {
            t[i] = i;
        }
        for (int i = pages - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = t[i];
            t[i] = t[j];
            t[j] = tmp;
        }
        return t;
    }
}
