package dev.tokenfab.host.runtime;

import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceBuffer;
import dev.tokenfab.host.device.DeviceException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.IntUnaryOperator;

/**
 * Paged KV cache in device memory (docs/ARCHITECTURE.md "KV cache"). Each layer has a K pool and a
 * V pool of {@code totalPages} pages of [pageTokens][numKvHeads][headDim] elements (fp16, or int8
 * with one float scale per (token, kv head) in parallel scale pools). A {@link Sequence} owns a
 * page table (int32 per page, on the device for the kernels); the same page index serves every
 * layer, so one {@link PageAllocator} manages all pools.
 *
 * <p>Pages are taken when a position crosses into a new page and given back when the sequence is
 * closed. Running out of pages is a status ({@link Status#OUT_OF_PAGES}), not a crash, and leaves
 * every sequence (the failing one included) exactly as it was. Not thread-safe.
 */
public final class KvCache implements AutoCloseable {

    /** Result of reserving room for one more position. */
    public enum Status {
        OK,
        /** every page of the pool is in use: finish or close another sequence first */
        OUT_OF_PAGES,
        /** position would exceed the model's context (or the page table's length) */
        CONTEXT_FULL
    }

    /** Element type codes of tf_kv_write / tf_attention (TF_KV_FP16, TF_KV_INT8 in tokenfab_kernels.h). */
    static final int KV_FP16 = 0;
    static final int KV_INT8 = 1;

    private final Device device;
    private final KvCacheDtype dtype;
    private final int numLayers;
    private final int pageTokens;
    private final int numKvHeads;
    private final int headDim;
    private final int maxPagesPerSequence;
    private final PageAllocator pages;
    /** [layer] -> pool of [totalPages][pageTokens][numKvHeads][headDim] elements (fp16 or int8) */
    private final DeviceBuffer[] kPools;
    private final DeviceBuffer[] vPools;
    /** [layer] -> float32 [totalPages][pageTokens][numKvHeads]; null for fp16 */
    private final DeviceBuffer[] kScales;
    private final DeviceBuffer[] vScales;
    private final Map<Integer, Sequence> sequences = new LinkedHashMap<>();
    private int nextSequenceId;
    private boolean closed;

    /** K and V pools of a layer in the same bank. */
    public KvCache(Device device, ModelConfig config, int pageTokens, int totalPages, IntUnaryOperator bankForLayer)
            throws DeviceException {
        this(device, config, pageTokens, totalPages, bankForLayer, bankForLayer);
    }

    /**
     * @param kBankForLayer memory bank of layer l's K pool (and K scales), as the plan places it
     * @param vBankForLayer memory bank of layer l's V pool (and V scales)
     * @throws DeviceException when the pools do not fit the banks
     */
    public KvCache(Device device, ModelConfig config, int pageTokens, int totalPages, IntUnaryOperator kBankForLayer,
                   IntUnaryOperator vBankForLayer) throws DeviceException {
        if (pageTokens <= 0) throw new IllegalArgumentException("pageTokens must be positive, was " + pageTokens);
        this.device = device;
        this.dtype = config.kvCache();
        this.numLayers = config.model().numLayers();
        this.pageTokens = pageTokens;
        this.numKvHeads = config.model().numKvHeads();
        this.headDim = config.model().headDim();
        this.maxPagesPerSequence = Math.ceilDiv(config.model().maxContextTokens(), pageTokens);
        this.pages = new PageAllocator(totalPages);
        this.kPools = new DeviceBuffer[numLayers];
        this.vPools = new DeviceBuffer[numLayers];
        this.kScales = new DeviceBuffer[numLayers];
        this.vScales = new DeviceBuffer[numLayers];
        long tokenSlots = (long) totalPages * pageTokens * numKvHeads;
        long poolBytes = tokenSlots * headDim * elementBytes();
        try {
            for (int l = 0; l < numLayers; l++) {
                int kBank = kBankForLayer.applyAsInt(l), vBank = vBankForLayer.applyAsInt(l);
                kPools[l] = device.allocate(kBank, poolBytes);
                vPools[l] = device.allocate(vBank, poolBytes);
                if (dtype == KvCacheDtype.INT8) {
                    kScales[l] = device.allocate(kBank, tokenSlots * Float.BYTES);
                    vScales[l] = device.allocate(vBank, tokenSlots * Float.BYTES);
                }
            }
        } catch (DeviceException | RuntimeException e) {
            closeBuffers();
            throw e;
        }
    }

    public int elementBytes() { return dtype == KvCacheDtype.INT8 ? 1 : 2; }

    /** The kvDtype code the kernels take. */
    public int kernelDtype() { return dtype == KvCacheDtype.INT8 ? KV_INT8 : KV_FP16; }

    public KvCacheDtype dtype() { return dtype; }

    public int pageTokens() { return pageTokens; }

    public PageAllocator pages() { return pages; }

    public DeviceBuffer kPool(int layer) { checkOpen(); return kPools[layer]; }

    public DeviceBuffer vPool(int layer) { checkOpen(); return vPools[layer]; }

    /** null for fp16 */
    public DeviceBuffer kScales(int layer) { checkOpen(); return kScales[layer]; }

    /** null for fp16 */
    public DeviceBuffer vScales(int layer) { checkOpen(); return vScales[layer]; }

    /** Opens an empty sequence with its own page table. */
    public Sequence openSequence() throws DeviceException {
        checkOpen();
        // the page table lives next to layer 0's pool, where the attention kernel reads it
        DeviceBuffer table = device.allocate(kPools[0].bank(), (long) maxPagesPerSequence * Integer.BYTES);
        Sequence s = new Sequence(nextSequenceId++, table);
        sequences.put(s.id, s);
        return s;
    }

    public List<Sequence> openSequences() { return List.copyOf(sequences.values()); }

    /**
     * Makes sure {@code position} of {@code s} has a page, taking one from the pool when the position
     * starts a new page. On failure nothing changes.
     */
    public Status reserve(Sequence s, int position) throws DeviceException {
        checkOpen();
        s.checkOpen();
        int pageIndex = position / pageTokens;
        if (position < 0 || pageIndex >= maxPagesPerSequence) return Status.CONTEXT_FULL;
        while (s.pageCount <= pageIndex) {
            OptionalInt p = pages.allocate();
            if (p.isEmpty()) return Status.OUT_OF_PAGES;
            s.pageTable[s.pageCount] = p.getAsInt();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment one = a.allocate(ValueLayout.JAVA_INT);
                one.set(ValueLayout.JAVA_INT, 0, p.getAsInt());
                device.write(s.pageTableBuffer, (long) s.pageCount * Integer.BYTES, one);
            } catch (DeviceException e) {
                pages.free(p.getAsInt());
                throw e;
            }
            s.pageCount++;
        }
        return Status.OK;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("KvCache is closed");
    }

    private void closeBuffers() {
        for (DeviceBuffer[] arr : List.of(kPools, vPools, kScales, vScales)) {
            for (int i = 0; i < arr.length; i++) {
                if (arr[i] != null) arr[i].close();
                arr[i] = null;
            }
        }
    }

    /** Closes every open sequence and the pools. */
    @Override
    public void close() {
        if (closed) return;
        for (Sequence s : new ArrayList<>(sequences.values())) s.close();
        closeBuffers();
        closed = true;
    }

    /** One sequence's view of the cache: its page table and how many pages it holds. */
    public final class Sequence implements AutoCloseable {
        private final int id;
        /** int32 [maxPagesPerSequence] pool page per logical page; entries [0, pageCount) valid */
        private final int[] pageTable = new int[maxPagesPerSequence];
        /** device copy of pageTable, read by tf_kv_write and tf_attention */
        private final DeviceBuffer pageTableBuffer;
        private int pageCount;
        private boolean closed;

        private Sequence(int id, DeviceBuffer pageTableBuffer) {
            this.id = id;
            this.pageTableBuffer = pageTableBuffer;
        }

        public int id() { return id; }

        public int pageCount() { return pageCount; }

        /** Pool pages held, in logical order. */
        public int[] pages() { return Arrays.copyOf(pageTable, pageCount); }

        public DeviceBuffer pageTableBuffer() { checkOpen(); return pageTableBuffer; }

        void checkOpen() {
            if (closed) throw new IllegalStateException("KvCache.Sequence " + id + " is closed");
        }

        public boolean isClosed() { return closed; }

        /** Gives the sequence's pages back to the pool. Idempotent. */
        @Override
        public void close() {
            if (closed) return;
            closed = true;
            for (int i = 0; i < pageCount; i++) pages.free(pageTable[i]);
            pageCount = 0;
            pageTableBuffer.close();
            sequences.remove(id);
        }

        @Override
        public String toString() { return "Sequence[" + id + ", pages=" + Arrays.toString(pages()) + "]"; }
    }
}
