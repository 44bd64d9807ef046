package dev.tokenfab.host.runtime;

import dev.tokenfab.format.quant.KvCacheDtype;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.EmuDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1 000 sequences of random lengths through the real decoder's KV cache (pages allocated as
 * positions cross page boundaries, up to 4 sequences open at once, some stopped by a full cache):
 * the page allocator returns to all-free, the emulated card's bank usage to its starting value, and
 * the process's resident memory does not grow. Run: {@code ./mvnw -q -B -pl host -am test
 * -Dtest=KvSoakTest -Dsurefire.failIfNoSpecifiedTests=false -Dtest.excludedGroups=slow}.
 */
@Tag("soak")
class KvSoakTest {

    static final int SEQUENCES = 1_000;
    /** Enough for the JIT to settle (its code cache and compiler arenas are native memory too). */
    static final int WARMUP_SEQUENCES = 1_000;
    /**
     * Allowed growth of native memory (VmRSS minus the committed Java heap, so G1 growing its heap
     * does not count) over the 1 000 measured sequences. A leaked page table buffer costs at least
     * one 4 KiB aligned allocation, i.e. >= 4 MB over 1 000 sequences.
     */
    static final long MAX_RSS_GROWTH_BYTES = 4L << 20;

    @TempDir Path dir;

    static long rssBytes(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        throw new IllegalStateException("/proc/self/status has no " + field);
    }

    private static long[] bankUsage(EmuDevice d) {
        long[] used = new long[d.info().banks().size()];
        for (int b = 0; b < used.length; b++) used[b] = d.usedBytes(b);
        return used;
    }

    /** Runs {@code n} sequences, up to 4 interleaved, each for a random number of positions. */
    private static void churn(Decoder d, int n, SplittableRandom rnd) throws Exception {
        KvCache kv = d.kvCache();
        int context = d.config().model().maxContextTokens();
        Deque<KvCache.Sequence> open = new ArrayDeque<>();
        List<int[]> state = new ArrayList<>(); // [position, token, length] per open sequence, same order as open
        int started = 0;
        while (started < n || !open.isEmpty()) {
            while (open.size() < 4 && started < n) {
                open.addLast(kv.openSequence());
                state.add(new int[] {0, rnd.nextInt(d.config().model().vocabSize()), 1 + rnd.nextInt(context)});
                started++;
            }
            KvCache.Sequence s = open.removeFirst();
            int[] st = state.removeFirst();
            boolean done;
            try {
                float[] logits = d.forward(s, st[1], st[0]);
                st[1] = Sampler.argmax(logits);
                st[0]++;
                done = st[0] >= st[2];
            } catch (KvCacheException full) {
                done = true; // the pool is shared: a full cache ends the sequence, as a scheduler would
            }
            if (done) {
                s.close();
            } else {
                open.addLast(s);
                state.add(st);
            }
        }
    }

    @Test
    void thousandSequencesLeaveNoPagesAndNoNativeGrowth() throws Exception {
        DecoderConfig c = TestPackages.llama(40);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16, 9);
        try (Device device = EmuDevices.open(Platform.U55C);
             Decoder d = Decoder.load(device, m, dir, new Decoder.Options(1, 16, 7))) { // 7 pages: 4 sequences of up to 40 tokens contend
            EmuDevice emu = (EmuDevice) device;
            PageAllocator pages = d.kvCache().pages();
            long[] banksBefore = bankUsage(emu);
            SplittableRandom rnd = new SplittableRandom(2026);
            churn(d, WARMUP_SEQUENCES, rnd);
            System.gc();
            long rss0 = rssBytes("VmRSS"), heap0 = Runtime.getRuntime().totalMemory();
            long t0 = System.nanoTime();
            churn(d, SEQUENCES, rnd);
            double seconds = (System.nanoTime() - t0) * 1e-9;
            System.gc();
            long rss1 = rssBytes("VmRSS"), heap1 = Runtime.getRuntime().totalMemory();
            long nativeGrowth = (rss1 - heap1) - (rss0 - heap0);
            assertEquals(pages.totalPages(), pages.freePages(), "pages still allocated after every sequence closed");
            assertEquals(0, d.kvCache().openSequences().size());
            long[] banksAfter = bankUsage(emu);
            for (int b = 0; b < banksBefore.length; b++) assertEquals(banksBefore[b], banksAfter[b], "bank " + b + " device bytes");
            System.out.printf("KV soak (measured, emu): %d sequences in %.1f s; VmRSS %d -> %d kB, committed heap %d -> %d kB,"
                    + " native (RSS - heap) %+d kB; pages %d/%d free%n", SEQUENCES, seconds, rss0 >> 10, rss1 >> 10, heap0 >> 10, heap1 >> 10,
                    nativeGrowth >> 10, pages.freePages(), pages.totalPages());
            assertTrue(nativeGrowth < MAX_RSS_GROWTH_BYTES, "native memory (VmRSS - committed heap) grew by " + nativeGrowth + " bytes over "
                    + SEQUENCES + " sequences");
        }
    }
}
