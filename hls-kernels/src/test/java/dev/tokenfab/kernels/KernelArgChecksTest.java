package dev.tokenfab.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Wrong sizes through {@link KernelLibrary#invoke} are typed errors naming the argument, never native faults. */
class KernelArgChecksTest {
    private static KernelLibrary lib;

    @BeforeAll
    static void open() {
        lib = KernelLibrary.load();
    }

    @AfterAll
    static void close() {
        lib.close();
    }

    private static void assertBad(String expectedFragment, Executable call) {
        KernelException e = assertThrows(KernelException.class, call);
        assertEquals(KernelException.ErrorCode.BAD_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(expectedFragment), e.getMessage());
    }

    @Test
    void gemvWithAShortWeightBufferNamesIt() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(63); // needs 8 x 8 = 64
            MemorySegment f = arena.allocate(ValueLayout.JAVA_FLOAT, 64);
            assertBad("tf_gemv_q8 argument w holds 63 bytes, needs 64",
                    () -> lib.invoke(Kernel.GEMV_Q8, w, f, null, f, f, 8, 8, 1));
            MemorySegment y = arena.allocate(32); // needs batch 2 x rows 8 x 4 bytes = 64
            assertBad("tf_gemv_q8 argument y holds 32 bytes, needs 64",
                    () -> lib.invoke(Kernel.GEMV_Q8, arena.allocate(64), f, null, f, y, 8, 8, 2));
        }
    }

    @Test
    void requiredPointerMayNotBeNullButOptionalOnesMay() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(ValueLayout.JAVA_FLOAT, 64);
            assertBad("tf_gemv_q8 argument scales is NULL",
                    () -> lib.invoke(Kernel.GEMV_Q8, arena.allocate(64), null, null, f, f, 8, 8, 1));
            lib.invoke(Kernel.GEMV_Q8, arena.allocate(64), f, null, f, f, 8, 8, 1); // bias NULL is fine
        }
    }

    @Test
    void groupSizeMustDivideCols() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(4096);
            assertBad("tf_gemv_q4 argument groupSize (48) must divide cols (64)",
                    () -> lib.invoke(Kernel.GEMV_Q4, b, b, null, null, b, b, 4, 64, 48, 1));
        }
    }

    @Test
    void ropeRotaryDimAndFlagsAreChecked() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(ValueLayout.JAVA_FLOAT, 64);
            assertBad("argument rotaryDim must be even", () -> lib.invoke(Kernel.ROPE, x, 1, 64, 63, 0, 1e4f, 0));
            assertBad("argument interleaved must be 0 or 1", () -> lib.invoke(Kernel.ROPE, x, 1, 64, 64, 0, 1e4f, 2));
            assertBad("argument x holds 256 bytes, needs 512", () -> lib.invoke(Kernel.ROPE, x, 2, 64, 64, 0, 1e4f, 0));
        }
    }

    @Test
    void kvWriteFollowsThePageTableToSizeThePool() {
        try (Arena arena = Arena.ofConfined()) {
            int kvHeads = 2, headDim = 4, pageTokens = 2;
            MemorySegment table = arena.allocateFrom(ValueLayout.JAVA_INT, 0, 5); // logical page 1 -> pool page 5
            MemorySegment kv = arena.allocate(ValueLayout.JAVA_FLOAT, kvHeads * headDim);
            long smallPool = 2L * pageTokens * kvHeads * headDim * 2; // 2 pages of fp16
            MemorySegment pool = arena.allocate(smallPool);
            lib.invoke(Kernel.KV_WRITE, pool, null, pool, null, table, 1, kv, kv, kvHeads, headDim, pageTokens, 0);
            assertBad("argument kPool holds " + smallPool + " bytes",
                    () -> lib.invoke(Kernel.KV_WRITE, pool, null, pool, null, table, 2, kv, kv, kvHeads, headDim,
                            pageTokens, 0));
            assertBad("argument pageTable holds 8 bytes, needs 12",
                    () -> lib.invoke(Kernel.KV_WRITE, pool, null, pool, null, table, 4, kv, kv, kvHeads, headDim,
                            pageTokens, 0));
            assertBad("argument kScales is NULL",
                    () -> lib.invoke(Kernel.KV_WRITE, pool, null, pool, null, table, 0, kv, kv, kvHeads, headDim,
                            pageTokens, 1));
            assertBad("argument kvDtype must be 0 (fp16) or 1 (int8), got 7",
                    () -> lib.invoke(Kernel.KV_WRITE, pool, null, pool, null, table, 0, kv, kv, kvHeads, headDim,
                            pageTokens, 7));
        }
    }

    @Test
    void attentionChecksHeadGroupingAndNegativePages() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = arena.allocate(ValueLayout.JAVA_FLOAT, 6 * 4);
            MemorySegment pool = arena.allocate(4096);
            MemorySegment good = arena.allocateFrom(ValueLayout.JAVA_INT, 0);
            MemorySegment negative = arena.allocateFrom(ValueLayout.JAVA_INT, -1);
            assertBad("argument numHeads (6) must be a multiple of numKvHeads (4)",
                    () -> lib.invoke(Kernel.ATTENTION, q, pool, null, pool, null, good, q, 6, 4, 4, 1, 4, 0, 0.5f));
            assertBad("argument pageTable entry 0 is negative (-1)",
                    () -> lib.invoke(Kernel.ATTENTION, q, pool, null, pool, null, negative, q, 6, 2, 4, 1, 4, 0, 0.5f));
        }
    }
}
