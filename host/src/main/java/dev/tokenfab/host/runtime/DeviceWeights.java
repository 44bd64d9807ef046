package dev.tokenfab.host.runtime;

import dev.tokenfab.compiler.ir.DecoderConfig;
import dev.tokenfab.compiler.ir.TensorNames;
import dev.tokenfab.compiler.pkg.Manifest;
import dev.tokenfab.compiler.pkg.PackedFormat;
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

    /** 64 MiB per write: far above the ~2 MB below which XRT transfers are inefficient (DESIGN.md). */
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
    record ShardPlacement(int rowStart, int rows, int bank, String file, Map<String, Manifest.Part> parts) {}

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

    private final Manifest manifest;
    private final Map<String, DeviceBuffer> bufferByFile;
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

    private DeviceWeights(Manifest manifest, Map<String, DeviceBuffer> bufferByFile, long totalBytes) {
        this.manifest = manifest;
        this.bufferByFile = bufferByFile;
        this.totalBytes = totalBytes;
        for (Manifest.Tensor t : manifest.tensors()) tensors.put(t.name(), t);
        DecoderConfig c = manifest.model();
        tokenEmbedding = matrix(TensorNames.TOKEN_EMBEDDING);
        positionEmbedding = c.positions() == DecoderConfig.PositionEncoding.LEARNED ? matrix(TensorNames.POSITION_EMBEDDING) : null;
        List<Layer> ls = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            TensorNames.Layer n = TensorNames.layer(i);
            ls.add(new Layer(vector(n.attnNormWeight()), optional(n.attnNormBias()),
                    matrix(n.wq()), matrix(n.wk()), matrix(n.wv()), matrix(n.wo()),
                    optional(n.bq()), optional(n.bk()), optional(n.bv()), optional(n.bo()),
                    vector(n.mlpNormWeight()), optional(n.mlpNormBias()),
                    c.activation() == DecoderConfig.Activation.SILU_GLU ? matrix(n.wGate()) : null, matrix(n.wUp()), matrix(n.wDown()),
                    optional(n.bGate()), optional(n.bUp()), optional(n.bDown())));
        }
        layers = List.copyOf(ls);
        finalNorm = vector(TensorNames.FINAL_NORM_WEIGHT);
        finalNormBias = optional(TensorNames.FINAL_NORM_BIAS);
        lmHead = !c.hasLmHead() ? null : tensors.containsKey(TensorNames.LM_HEAD) ? matrix(TensorNames.LM_HEAD) : tokenEmbedding;
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
                for (Manifest.Part p : sp.parts().values()) extentByFile.merge(sp.file(), p.offsetBytes() + p.sizeBytes(), Math::max);
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
            return new DeviceWeights(manifest, buffers, total);
        } catch (DeviceException | RuntimeException e) {
            buffers.values().forEach(DeviceBuffer::close);
            throw e;
        }
    }

    /** Bytes uploaded (the sum of the bank files' used extents). */
    public long totalBytes() { return totalBytes; }

    public Manifest manifest() { return manifest; }

    private Manifest.Tensor tensor(String name) {
        Manifest.Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("package has no tensor " + name + " (manifest lists " + tensors.size() + " tensors)");
        return t;
    }

    private KernelArg arg(ShardPlacement sp, String tensor, String part) {
        Manifest.Part p = sp.parts().get(part);
        if (p == null) throw new IllegalArgumentException("tensor " + tensor + " (rows from " + sp.rowStart() + ") has no part " + part);
        return KernelArg.of(bufferByFile.get(sp.file()), p.offsetBytes());
    }

    private Matrix matrix(String name) {
        Manifest.Tensor t = tensor(name);
        List<Shard> shards = new ArrayList<>();
        for (ShardPlacement sp : placements(t)) {
            shards.add(switch (t.format()) {
                case F16, F32 -> new Shard(sp.rowStart(), sp.rows(), arg(sp, name, "data"), KernelArg.NULL, KernelArg.NULL);
                case Q8_CHANNEL -> new Shard(sp.rowStart(), sp.rows(), arg(sp, name, "data"), arg(sp, name, "scales"), KernelArg.NULL);
                case Q4_GROUP -> new Shard(sp.rowStart(), sp.rows(), arg(sp, name, "data"), arg(sp, name, "scales"),
                        sp.parts().containsKey("zeros") ? arg(sp, name, "zeros") : KernelArg.NULL);
            });
        }
        return new Matrix(name, t.format(), t.rows(), t.cols(), t.groupSize(), List.copyOf(shards));
    }

    /** A float32 vector (norm weight, bias). */
    private KernelArg vector(String name) {
        Manifest.Tensor t = tensor(name);
        if (t.format() != PackedFormat.F32) {
            throw new IllegalArgumentException("tensor " + name + " is " + t.format() + "; norm weights and biases must be F32");
        }
        List<ShardPlacement> sp = placements(t);
        if (sp.size() != 1) throw new IllegalArgumentException("vector " + name + " is split over " + sp.size() + " banks; expected one");
        return arg(sp.getFirst(), name, "data");
    }

    private KernelArg optional(String name) {
        return tensors.containsKey(name) ? vector(name) : KernelArg.NULL;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        bufferByFile.values().forEach(DeviceBuffer::close);
    }

}
