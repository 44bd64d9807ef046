package dev.tokenfab.host.runtime;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceBuffer;
import dev.tokenfab.host.device.DeviceException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streams layer weights from the mapped package into two device staging slots (double buffering):
 * while compute runs layer i out of slot i mod 2, the uploader fills the other slot with layer i+1.
 * Layers are consumed in the order 0..L-1, 0..L-1, ... (one decode step after another), so the
 * uploader runs ahead cyclically and the handoff is bounded by the two slots (one semaphore pair
 * per slot: {@code free} → upload → {@code filled} → compute → {@code free}).
 *
 * <p>Threading: the {@link Device} SPI is not thread-safe. In overlapped mode the uploader thread
 * only calls {@link Device#write} into the slot the compute thread is not using; this is safe on a
 * device whose {@link Device#writesConcurrentWithLaunches()} says so (the emulated card: its write
 * mutates no shared state). Other backends get the sequential mode: the compute thread uploads layer i itself, then runs it
 * (no overlap, same results). The semaphores order the slot's bytes before the kernels that read them.
 */
public final class LayerStreamer implements AutoCloseable {

    /** Upload transfer size: the same 64 MiB chunks as the resident upload. */
    private static final long CHUNK_BYTES = DeviceWeights.UPLOAD_CHUNK_BYTES;
    private static final int SLOTS = 2;

    /** One host→device copy: {@code sizeBytes} at {@code srcOffsetBytes} of {@code file} to {@code dstOffsetBytes} in {@code bank}'s buffer. */
    record Copy(String file, long srcOffsetBytes, int bank, long dstOffsetBytes, long sizeBytes) {}

    /** Where a package part lives on the device: {@code layer} -1 for the resident region, else that layer's slot layout. */
    record Relocation(int layer, int bank, long offsetBytes) {}

    /** Counters: layers and bytes uploaded, uploader busy time, time compute waited for a slot. */
    public record Stats(long layersUploaded, long uploadedBytes, long uploadNanos, long computeWaitNanos) {
        static final Stats NONE = new Stats(0, 0, 0, 0);
    }

    /** The relocation of a package into a resident region and per-layer slot layouts (per bank, parts 4 KiB aligned as in the package). */
    record Layout(Map<String, Long> extents, Map<String, Relocation> relocations, Map<Integer, Long> residentBytesByBank,
                  List<Copy> residentCopies, Map<Integer, Long> slotBytesByBank, List<List<Copy>> copiesByLayer) {

        Set<String> files() { return extents.keySet(); }

        long extent(String file) { return extents.get(file); }

        Relocation relocation(String file, long offsetBytes) {
            Relocation r = relocations.get(file + "@" + offsetBytes);
            if (r == null) throw new IllegalStateException("no relocation for " + file + " at " + offsetBytes);
            return r;
        }

        static Layout of(Manifest manifest) {
            int layers = manifest.model().numLayers();
            Map<String, Integer> layerOf = new HashMap<>();
            for (int l = 0; l < layers; l++) for (String n : DeviceWeights.layerTensorNames(manifest, l)) layerOf.put(n, l);
            Map<String, Long> extents = new LinkedHashMap<>();
            Map<String, Relocation> rel = new HashMap<>();
            Map<Integer, Long> resident = new TreeMap<>();
            List<Copy> residentCopies = new ArrayList<>();
            List<Map<Integer, Long>> used = new ArrayList<>();
            List<List<Copy>> copies = new ArrayList<>();
            for (int l = 0; l < layers; l++) { used.add(new TreeMap<>()); copies.add(new ArrayList<>()); }
            for (Manifest.Tensor t : manifest.tensors()) {
                int layer = layerOf.getOrDefault(t.name(), -1);
                for (DeviceWeights.ShardPlacement sp : DeviceWeights.placements(t)) {
                    for (Part p : sp.parts().values()) {
                        extents.merge(sp.file(), p.offsetBytes() + p.sizeBytes(), Math::max);
                        String key = sp.file() + "@" + p.offsetBytes();
                        if (rel.containsKey(key)) continue;
                        Map<Integer, Long> region = layer < 0 ? resident : used.get(layer);
                        long off = region.getOrDefault(sp.bank(), 0L);
                        region.put(sp.bank(), align(off + p.sizeBytes()));
                        rel.put(key, new Relocation(layer, sp.bank(), off));
                        Copy c = new Copy(sp.file(), p.offsetBytes(), sp.bank(), off, p.sizeBytes());
                        (layer < 0 ? residentCopies : copies.get(layer)).add(c);
                    }
                }
            }
            Map<Integer, Long> slot = new TreeMap<>();
            for (Map<Integer, Long> u : used) u.forEach((b, n) -> slot.merge(b, n, Math::max));
            return new Layout(extents, rel, resident, residentCopies, slot, copies.stream().map(List::copyOf).toList());
        }

        private static long align(long n) {
            long a = Manifest.PART_ALIGNMENT_BYTES;
            return (n + a - 1) / a * a;
        }
    }

    private final Device device;
    private final Layout layout;
    private final Map<String, MemorySegment> files;
    private final Arena arena;
    private final DeviceBuffer[][] slots;
    private final DeviceWeights.Layer[][] layerBySlot;
    private final int layers;
    private final boolean overlapped;
    private final Semaphore[] filled = new Semaphore[SLOTS];
    private final Semaphore[] free = new Semaphore[SLOTS];
    private final Thread uploader;
    private volatile Throwable failure;
    private volatile boolean stopping;
    /** compute side: layers consumed so far (the next one is layer consumed mod L, slot consumed mod 2) */
    private long consumed;
    private boolean holding;
    private final AtomicLong layersUploaded = new AtomicLong(), uploadedBytes = new AtomicLong(), uploadNanos = new AtomicLong();
    private long computeWaitNanos;

    LayerStreamer(Device device, Layout layout, Map<String, MemorySegment> files, Arena arena, DeviceBuffer[][] slots,
                  DeviceWeights weights, boolean overlapped) {
        this.device = device;
        this.layout = layout;
        this.files = files;
        this.arena = arena;
        this.slots = slots;
        this.layers = weights.manifest().model().numLayers();
        this.overlapped = overlapped;
        layerBySlot = new DeviceWeights.Layer[SLOTS][layers];
        for (int s = 0; s < SLOTS; s++) {
            for (int l = 0; l < layers; l++) layerBySlot[s][l] = weights.buildLayer(l, s);
            filled[s] = new Semaphore(0);
            free[s] = new Semaphore(1);
        }
        if (overlapped && layers > 0) {
            uploader = Thread.ofPlatform().daemon().name("tokenfab-weight-uploader").unstarted(this::uploadLoop);
            uploader.start();
        } else {
            uploader = null;
        }
    }

    /** The uploader: layer k mod L into slot k mod 2 for k = 0, 1, 2, ... until closed. */
    private void uploadLoop() {
        for (long k = 0; ; k++) {
            int slot = (int) (k % SLOTS);
            try {
                free[slot].acquire();
            } catch (InterruptedException e) {
                return;
            }
            if (stopping) return;
            try {
                upload((int) (k % layers), slot);
            } catch (Throwable t) {
                failure = t;
                filled[slot].release();
                return;
            }
            filled[slot].release();
        }
    }

    private void upload(int layer, int slot) throws DeviceException {
        long t0 = System.nanoTime();
        long bytes = 0;
        for (Copy c : layout.copiesByLayer().get(layer)) {
            copy(device, files.get(c.file()), c, slots[slot][c.bank()]);
            bytes += c.sizeBytes();
        }
        uploadNanos.addAndGet(System.nanoTime() - t0);
        uploadedBytes.addAndGet(bytes);
        layersUploaded.incrementAndGet();
    }

    static void copy(Device device, MemorySegment file, Copy c, DeviceBuffer dst) throws DeviceException {
        for (long off = 0; off < c.sizeBytes(); off += CHUNK_BYTES) {
            long n = Math.min(CHUNK_BYTES, c.sizeBytes() - off);
            device.write(dst, c.dstOffsetBytes() + off, file.asSlice(c.srcOffsetBytes() + off, n));
        }
    }

    /** Waits for layer {@code l} in its slot (compute thread). Layers skipped by an aborted step are drained first. */
    DeviceWeights.Layer acquire(int l) throws DeviceException {
        if (holding) throw new IllegalStateException("layer " + (consumed % layers) + " acquired twice without release");
        if (l < 0 || l >= layers) throw new IllegalArgumentException("layer " + l + " not in [0, " + layers + ")");
        while (consumed % layers != l) { // a step that failed mid-way: skip to the layer asked for
            take();
            release(-1);
        }
        return take();
    }

    private DeviceWeights.Layer take() throws DeviceException {
        int slot = (int) (consumed % SLOTS);
        int l = (int) (consumed % layers);
        if (overlapped) {
            long t0 = System.nanoTime();
            filled[slot].acquireUninterruptibly();
            computeWaitNanos += System.nanoTime() - t0;
            Throwable f = failure;
            if (f != null) {
                filled[slot].release(); // stays failed for later calls
                if (f instanceof DeviceException de) throw new DeviceException(de.code(), "weight streaming of layer " + l + ": " + de.getMessage(), de);
                throw new DeviceException(DeviceException.ErrorCode.NATIVE_ERROR, "weight streaming of layer " + l + ": " + f, f);
            }
        } else {
            long t0 = System.nanoTime();
            upload(l, slot);
            computeWaitNanos += System.nanoTime() - t0;
        }
        holding = true;
        return layerBySlot[slot][l];
    }

    /** Compute is done with the current layer: its slot goes back to the uploader. */
    void release(int l) {
        if (!holding) return;
        holding = false;
        int slot = (int) (consumed % SLOTS);
        consumed++;
        if (overlapped) free[slot].release();
    }

    Stats stats() { return new Stats(layersUploaded.get(), uploadedBytes.get(), uploadNanos.get(), computeWaitNanos); }

    /** Stops and joins the uploader, then unmaps the package. The slot buffers belong to {@link DeviceWeights}. */
    @Override
    public void close() {
        stopping = true;
        if (uploader != null) {
            uploader.interrupt();
            for (Semaphore s : free) s.release();
            boolean interrupted = false;
            while (uploader.isAlive()) { // the uploader must be gone before the mapping closes
                try {
                    uploader.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        arena.close();
    }
}
