package dev.tokenfab.host.runtime;

import dev.tokenfab.format.quant.KvCacheDtype;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.EmuDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KvCacheTest {

    static ModelConfig tinyConfig(KvCacheDtype kv) {
        DecoderConfig m = new DecoderConfig(DecoderConfig.Family.LLAMA, 32, 16, 2, 2, 1, 8, 32, 64,
                DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
                10000f, 8, DecoderConfig.RopeLayout.HALF_SPLIT, false, true, false, false);
        return new ModelConfig(m, kv, Platform.U55C, List.of(2), 1);
    }

    private static final EmuDevice.KernelBinding NO_CALLS = k -> {
        throw new AssertionError("no kernels in this test");
    };

    @ParameterizedTest
    @EnumSource(KvCacheDtype.class)
    void pagesAreTakenPerPageAndGivenBackOnClose(KvCacheDtype kv) throws Exception {
        try (EmuDevice d = new EmuDevice(Platform.U55C, NO_CALLS);
             KvCache cache = new KvCache(d, tinyConfig(kv), 4, 3, l -> l)) {
            long pool = 3L * 4 * 1 * 8 * (kv == KvCacheDtype.INT8 ? 1 : 2);
            long scales = kv == KvCacheDtype.INT8 ? 2 * 3L * 4 * 4 : 0;
            assertEquals(2 * pool + scales, d.usedBytes(1) - 0, "layer 1 pools in bank 1");
            KvCache.Sequence a = cache.openSequence();
            KvCache.Sequence b = cache.openSequence();
            for (int pos = 0; pos < 5; pos++) assertEquals(KvCache.Status.OK, cache.reserve(a, pos));
            assertArrayEquals(new int[] {0, 1}, a.pages());
            assertEquals(KvCache.Status.OK, cache.reserve(b, 0));
            assertArrayEquals(new int[] {2}, b.pages());
            // pool exhausted: a clear status, and neither sequence changes
            assertEquals(KvCache.Status.OUT_OF_PAGES, cache.reserve(b, 4));
            assertArrayEquals(new int[] {0, 1}, a.pages());
            assertArrayEquals(new int[] {2}, b.pages());
            // the device page table holds the same pages
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment t = ar.allocate(8);
                d.read(a.pageTableBuffer(), 0, t);
                assertArrayEquals(new int[] {0, 1}, t.toArray(ValueLayout.JAVA_INT));
            }
            a.close();
            assertEquals(2, cache.pages().freePages());
            assertEquals(KvCache.Status.OK, cache.reserve(b, 4));
            assertEquals(2, b.pageCount());
            assertThrows(IllegalStateException.class, () -> cache.reserve(a, 0));
        }
    }

    @ParameterizedTest
    @EnumSource(KvCacheDtype.class)
    void contextLimitIsAStatus(KvCacheDtype kv) throws Exception {
        try (EmuDevice d = new EmuDevice(Platform.U55C, NO_CALLS);
             KvCache cache = new KvCache(d, tinyConfig(kv), 16, 8, l -> 0)) {
            KvCache.Sequence s = cache.openSequence();
            assertEquals(KvCache.Status.CONTEXT_FULL, cache.reserve(s, 64));
            assertEquals(KvCache.Status.OK, cache.reserve(s, 63));
            assertEquals(4, s.pageCount());
        }
    }
}
