package dev.tokenfab.host.runtime;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceBuffer;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.KernelArg;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The package's weights in device memory (llama2.c's {@code TransformerWeights}), by layer. Each
 * bank file of the package becomes one device buffer in the bank the manifest names, uploaded in
 * {@link #UPLOAD_CHUNK_BYTES} transfers; a tensor part is then (that buffer, the part's offset), so
 * the kernels read exactly the bytes the compiler packed.
 */
public final class DeviceWeights implements AutoCloseable {

    /** 64 MiB per write: far above the ~2 MB below which XRT transfers lose throughput (AMD UG1393; docs/SOURCES-runtime.md). */
    static final long UPLOAD_CHUNK_BYTES = 64L << 20;

    /**
     * Rows [rowStart, rowStart + rows) of a matrix, in one bank, as kernel arguments; zeros is
     * {@link KernelArg#NULL} unless Q4 with zero points. A shard is itself a valid [rows][cols] tensor.
     */
    public record Shard(int rowStart, int rows, KernelArg data, KernelArg scales, KernelArg zeros) {}

    /** A packed [rows][cols] matrix: its row shards in row order (one for tensors the plan did not split). */
    public record Matrix(String name, PackedFormat format, int rows, int cols, int groupSize, List<Shard> shards) {
        /** The shard holding logical row {@code row}. */
        public Shard shardOf(int row) {
            for (Shard s : shards) if (row >= s.rowStart() && row < s.rowStart() + s.rows()) return s;
            throw new IllegalArgumentException("row " + row + " outside tensor " + name + " [0, " + rows + ")");
        }
    }

    /** Where one shard's bytes are (the manifest's row shard, or the whole tensor for an unsharded manifest entry). */
    record ShardPlacement(int rowStart, int rows, int bank, String file, Map<String, Part> parts) {}

    /** The manifest's placement of a tensor's rows: the one place that knows the manifest's tensor shape. */
    static List<ShardPlacement> placements(Manifest.Tensor t) {
        return t.shards().stream().map(s -> new ShardPlacement(s.rowStart(), s.rows(), s.bank(), s.file(), s.parts())).toList();
    }

    /** One decoder block. Absent optional tensors (biases, LayerNorm bias, gate) are {@link KernelArg#NULL} / null. */
    public record Layer(KernelArg attnNorm, KernelArg attnNormBias,
                        Matrix wq, Matrix wk, Matrix wv, Matrix wo,
                        KernelArg bq, KernelArg bk, KernelArg bv, KernelArg bo,
                        KernelArg mlpNorm, KernelArg mlpNormBias,
                        Matrix wGate, Matrix wUp, Matrix wDown,
                        KernelArg bGate, KernelArg bUp, KernelArg bDown) {}

    /** Where a tensor part's bytes are on the device: {@code slot} is the streaming slot of a layer tensor (ignored when resident). */
    @FunctionalInterface
    interface PartResolver {
        KernelArg resolve(int slot, ShardPlacement sp, Part part);
    }

    private final Manifest manifest;
    private final List<DeviceBuffer> ownedBuffers;
    private final PartResolver resolver;
    /** null when every layer is resident */
    private final LayerStreamer streamer;
    private final Map<String, Manifest.Tensor> tensors = new LinkedHashMap<>();
    /** token embedding [vocab][hidden] (also the LM head when tied) */
    public final Matrix tokenEmbedding;
    /** learned positions [maxContext][hidden] or null */
    public final Matrix positionEmbedding;
    public final List<Layer> layers;
    /** [hidden] */
    public final KernelArg finalNorm;
    public final KernelArg finalNormBias;
    /** [vocab][hidden]: lm_head, or the token embedding when tied; null for a body-only model */
    public final Matrix lmHead;
    private final long totalBytes;
    private boolean closed;

    /**
     * @param ownedBuffers device buffers this object closes
     * @param streamer     null: {@link #layers} are resident; else the layers are streamed and built per slot
     */
    private DeviceWeights(Manifest manifest, List<DeviceBuffer> ownedBuffers, long totalBytes, PartResolver resolver,
                          java.util.function.Function<DeviceWeights, LayerStreamer> streamer) {
        this.manifest = manifest;
        this.ownedBuffers = ownedBuffers;
        this.totalBytes = totalBytes;
        this.resolver = resolver;
        for (Manifest.Tensor t : manifest.tensors()) tensors.put(t.name(), t);
        DecoderConfig c = manifest.model();
        tokenEmbedding = matrix(TensorNames.TOKEN_EMBEDDING, 0);
        positionEmbedding = c.positions() == DecoderConfig.PositionEncoding.LEARNED ? matrix(TensorNames.POSITION_EMBEDDING, 0) : null;
        List<Layer> ls = new ArrayList<>();
        if (streamer == null) for (int i = 0; i < c.numLayers(); i++) ls.add(buildLayer(i, 0));
        layers = List.copyOf(ls);
        finalNorm = vector(TensorNames.FINAL_NORM_WEIGHT, 0);
        finalNormBias = optional(TensorNames.FINAL_NORM_BIAS, 0);
        lmHead = !c.hasLmHead() ? null : tensors.containsKey(TensorNames.LM_HEAD) ? matrix(TensorNames.LM_HEAD, 0) : tokenEmbedding;
        this.streamer = streamer == null ? null : streamer.apply(this);
    }

    /** Layer {@code i}'s tensors as kernel arguments, in streaming slot {@code slot} (0 when resident). */
    Layer buildLayer(int i, int slot) {
        DecoderConfig c = manifest.model();
        TensorNames.Layer n = TensorNames.layer(i);
        return new Layer(vector(n.attnNormWeight(), slot), optional(n.attnNormBias(), slot),
                matrix(n.wq(), slot), matrix(n.wk(), slot), matrix(n.wv(), slot), matrix(n.wo(), slot),
                optional(n.bq(), slot), optional(n.bk(), slot), optional(n.bv(), slot), optional(n.bo(), slot),
                vector(n.mlpNormWeight(), slot), optional(n.mlpNormBias(), slot),
                c.activation() == DecoderConfig.Activation.SILU_GLU ? matrix(n.wGate(), slot) : null, matrix(n.wUp(), slot),
                matrix(n.wDown(), slot), optional(n.bGate(), slot), optional(n.bUp(), slot), optional(n.bDown(), slot));
    }

    /** The names of layer {@code i}'s tensors that the manifest holds. */
    static List<String> layerTensorNames(Manifest manifest, int i) {
        TensorNames.Layer n = TensorNames.layer(i);
        List<String> names = new ArrayList<>();
        for (String name : new String[] {n.attnNormWeight(), n.attnNormBias(), n.wq(), n.wk(), n.wv(), n.wo(), n.bq(), n.bk(), n.bv(),
                n.bo(), n.mlpNormWeight(), n.mlpNormBias(), n.wGate(), n.wUp(), n.wDown(), n.bGate(), n.bUp(), n.bDown()}) {
            if (name != null && manifest.tensors().stream().anyMatch(t -> t.name().equals(name))) names.add(name);
        }
        return names;
    }

    /**
     * Layer {@code l} for compute: the resident layer, or (streaming) waits until its weights are in
     * a staging slot. Every {@code acquireLayer} must be paired with {@link #releaseLayer} (in a finally).
     */
    public Layer acquireLayer(int l) throws DeviceException {
        return streamer == null ? layers.get(l) : streamer.acquire(l);
    }

    /** Compute is done with layer {@code l}: its staging slot may be refilled. */
    public void releaseLayer(int l) {
        if (streamer != null) streamer.release(l);
    }

    /** True when the layer weights are streamed from host memory instead of resident on the device. */
    public boolean streamed() { return streamer != null; }

    /** Streaming counters (zeros when resident). */
    public LayerStreamer.Stats streamStats() { return streamer == null ? LayerStreamer.Stats.NONE : streamer.stats(); }

    /** Weight bytes the resident layout needs in each bank (the bank files' used extents), by bank index. */
    public static Map<Integer, Long> residentBytesByBank(Manifest manifest) {
        Map<String, Integer> bankByFile = new LinkedHashMap<>();
        Map<String, Long> extentByFile = new LinkedHashMap<>();
        for (Manifest.Tensor t : manifest.tensors()) {
            for (ShardPlacement sp : placements(t)) {
                bankByFile.putIfAbsent(sp.file(), sp.bank());
                for (Part p : sp.parts().values()) extentByFile.merge(sp.file(), p.offsetBytes() + p.sizeBytes(), Math::max);
            }
        }
        Map<Integer, Long> out = new java.util.TreeMap<>();
        extentByFile.forEach((f, n) -> out.merge(bankByFile.get(f), n, Long::sum));
        return out;
    }

    /**
     * Keeps the layer weights in host memory (the mapped package) and streams each layer into one of
     * two device staging slots while the other is computed on; the rest (embeddings, final norm, LM
     * head) is uploaded once. See {@link LayerStreamer}.
     *
     * @param overlapped upload on a background thread (needs a device whose writes may run beside launches on other buffers)
     */
    public static DeviceWeights stream(Device device, Manifest manifest, Path packageDir, boolean overlapped) throws DeviceException {
        LayerStreamer.Layout layout = LayerStreamer.Layout.of(manifest);
        List<DeviceBuffer> owned = new ArrayList<>();
        Map<Integer, DeviceBuffer> resident = new LinkedHashMap<>();
        Arena arena = Arena.ofShared();
        try {
            Map<String, MemorySegment> files = new LinkedHashMap<>();
            for (String f : layout.files()) files.put(f, mapFile(packageDir.resolve(f), layout.extent(f), arena));
            for (var e : layout.residentBytesByBank().entrySet()) {
                DeviceBuffer b = device.allocate(e.getKey(), Math.max(1, e.getValue()));
                owned.add(b);
                resident.put(e.getKey(), b);
            }
            for (LayerStreamer.Copy cp : layout.residentCopies()) {
                LayerStreamer.copy(device, files.get(cp.file()), cp, resident.get(cp.bank()));
            }
            DeviceBuffer[][] slots = new DeviceBuffer[2][];
            for (int s = 0; s < 2; s++) {
                slots[s] = new DeviceBuffer[device.info().banks().size()];
                for (var e : layout.slotBytesByBank().entrySet()) {
                    DeviceBuffer b = device.allocate(e.getKey(), Math.max(1, e.getValue()));
                    owned.add(b);
                    slots[s][e.getKey()] = b;
                }
            }
            PartResolver r = (slot, sp, part) -> {
                LayerStreamer.Relocation rel = layout.relocation(sp.file(), part.offsetBytes());
                return KernelArg.of(rel.layer() < 0 ? resident.get(rel.bank()) : slots[slot][rel.bank()], rel.offsetBytes());
            };
            long total = layout.residentBytesByBank().values().stream().mapToLong(Long::longValue).sum()
                    + 2 * layout.slotBytesByBank().values().stream().mapToLong(Long::longValue).sum();
            return new DeviceWeights(manifest, owned, total, r,
                    w -> new LayerStreamer(device, layout, files, arena, slots, w, overlapped));
        } catch (DeviceException | RuntimeException e) {
            owned.forEach(DeviceBuffer::close);
            arena.close();
            throw e;
        }
    }

    static MemorySegment mapFile(Path path, long extent, Arena arena) throws DeviceException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (ch.size() < extent) {
                throw new DeviceException(DeviceException.ErrorCode.OUT_OF_RANGE, path + ": " + ch.size()
                        + " bytes but the manifest places parts up to byte " + extent);
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.max(extent, 1), arena);
        } catch (IOException io) {
            throw new DeviceException(DeviceException.ErrorCode.NATIVE_ERROR, "reading " + path + ": " + io.getMessage(), io);
        }
    }

    /**
     * Uploads every bank file named by the manifest's tensors from {@code packageDir}. The package
     * should already be verified (PackageReader checks versions and checksums).
     *
     * @throws DeviceException when a bank file does not fit its bank, or a file cannot be read ({@code NATIVE_ERROR} naming it)
     */
    public static DeviceWeights upload(Device device, Manifest manifest, Path packageDir) throws DeviceException {
        Map<String, Integer> bankByFile = new LinkedHashMap<>();
        Map<String, Long> extentByFile = new LinkedHashMap<>();
        for (Manifest.Tensor t : manifest.tensors()) {
            for (ShardPlacement sp : placements(t)) {
                Integer prev = bankByFile.putIfAbsent(sp.file(), sp.bank());
                if (prev != null && prev != sp.bank()) {
                    throw new IllegalArgumentException("manifest: tensor " + t.name() + " in " + sp.file() + " says bank "
                            + sp.bank() + " but other tensors of that file say bank " + prev);
                }
                for (Part p : sp.parts().values()) extentByFile.merge(sp.file(), p.offsetBytes() + p.sizeBytes(), Math::max);
            }
        }
        Map<String, DeviceBuffer> buffers = new LinkedHashMap<>();
        long total = 0;
        try {
            for (var e : bankByFile.entrySet()) {
                String file = e.getKey();
                long extent = extentByFile.get(file);
                DeviceBuffer buf = device.allocate(e.getValue(), Math.max(extent, 1));
                buffers.put(file, buf);
                Path path = packageDir.resolve(file);
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
                    if (ch.size() < extent) {
                        throw new DeviceException(DeviceException.ErrorCode.OUT_OF_RANGE, path + ": " + ch.size()
                                + " bytes but the manifest places parts up to byte " + extent);
                    }
                    MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, extent, arena);
                    for (long off = 0; off < extent; off += UPLOAD_CHUNK_BYTES) {
                        long n = Math.min(UPLOAD_CHUNK_BYTES, extent - off);
                        device.write(buf, off, mapped.asSlice(off, n));
                    }
                } catch (IOException io) {
                    throw new DeviceException(DeviceException.ErrorCode.NATIVE_ERROR, "reading " + path + ": " + io.getMessage(), io);
                }
                total += extent;
            }
            PartResolver r = (slot, sp, part) -> KernelArg.of(buffers.get(sp.file()), part.offsetBytes());
            return new DeviceWeights(manifest, new ArrayList<>(buffers.values()), total, r, null);
        } catch (DeviceException | RuntimeException e) {
            buffers.values().forEach(DeviceBuffer::close);
            throw e;
        }
    }

    /** Device bytes the weights occupy (resident: the bank files' used extents; streamed: the resident part plus both slots). */
    public long totalBytes() { return totalBytes; }

    public Manifest manifest() { return manifest; }

    private Manifest.Tensor tensor(String name) {
        Manifest.Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("package has no tensor " + name + " (manifest lists " + tensors.size() + " tensors)");
        return t;
    }

    private KernelArg arg(ShardPlacement sp, String tensor, String part, int slot) {
        Part p = sp.parts().get(part);
        if (p == null) throw new IllegalArgumentException("tensor " + tensor + " (rows from " + sp.rowStart() + ") has no part " + part);
        return resolver.resolve(slot, sp, p);
    }

    private Matrix matrix(String name, int slot) {
        Manifest.Tensor t = tensor(name);
        List<Shard> shards = new ArrayList<>();
        for (ShardPlacement sp : placements(t)) {
            shards.add(switch (t.format()) {
                case F16, F32 -> new Shard(sp.rowStart(), sp.rows(), arg(sp, name, "data", slot), KernelArg.NULL, KernelArg.NULL);
                case Q8_CHANNEL -> new Shard(sp.rowStart(), sp.rows(), arg(sp, name, "data", slot), arg(sp, name, "scales", slot), KernelArg.NULL);
                case Q4_GROUP -> new Shard(sp.rowStart(), sp.rows(), arg(sp, name, "data", slot), arg(sp, name, "scales", slot),
                        sp.parts().containsKey("zeros") ? arg(sp, name, "zeros", slot) : KernelArg.NULL);
            });
        }
        return new Matrix(name, t.format(), t.rows(), t.cols(), t.groupSize(), List.copyOf(shards));
    }

    /** A float32 vector (norm weight, bias). */
    private KernelArg vector(String name, int slot) {
        Manifest.Tensor t = tensor(name);
        if (t.format() != PackedFormat.F32) {
            throw new IllegalArgumentException("tensor " + name + " is " + t.format() + "; norm weights and biases must be F32");
        }
        List<ShardPlacement> sp = placements(t);
        if (sp.size() != 1) throw new IllegalArgumentException("vector " + name + " is split over " + sp.size() + " banks; expected one");
        return arg(sp.getFirst(), name, "data", slot);
    }

    private KernelArg optional(String name, int slot) {
        return name != null && tensors.containsKey(name) ? vector(name, slot) : KernelArg.NULL;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (streamer != null) streamer.close(); // stops the uploader before its slots go away
        ownedBuffers.forEach(DeviceBuffer::close);
    }

}
