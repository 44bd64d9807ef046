package dev.tokenfab.format.pkg;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.plan.DataflowPlan;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An opened model package (see {@link PackageReader}). Bank files are mapped read-only and live as
 * long as this object; segments it returns are invalid after {@link #close()}. Thread-safe for reads.
 */
public final class ModelPackage implements AutoCloseable {

    private final Path root;
    private final Manifest manifest;
    private final DataflowPlan plan;
    private final Arena arena;
    private final Map<String, MemorySegment> files;
    private final Map<String, Manifest.Tensor> tensors = new HashMap<>();
    private final Map<String, MemorySegment> joined = new HashMap<>();
    private boolean closed;

    ModelPackage(Path root, Manifest manifest, DataflowPlan plan, Arena arena, Map<String, MemorySegment> files) {
        this.root = root;
        this.manifest = manifest;
        this.plan = plan;
        this.arena = arena;
        this.files = files;
        for (Manifest.Tensor t : manifest.tensors()) tensors.put(t.name(), t);
    }

    public Path root() { return root; }

    public Manifest manifest() { check(); return manifest; }

    public DataflowPlan plan() { check(); return plan; }

    public Optional<Manifest.Tensor> tensor(String name) { check(); return Optional.ofNullable(tensors.get(name)); }

    private Manifest.Tensor require(String name) {
        check();
        Manifest.Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("package " + root + " has no tensor " + name);
        return t;
    }

    /** One part of one shard, mapped in place (zero copy). */
    public MemorySegment shardPart(String tensor, int shard, String part) {
        Manifest.Tensor t = require(tensor);
        Manifest.Shard s = t.shards().get(shard);
        Part p = s.part(part);
        return files.get(s.file()).asSlice(p.offsetBytes(), p.sizeBytes());
    }

    /**
     * A whole part of a tensor, rows [0, rows): mapped in place for a single-shard tensor; for a tensor
     * sharded across banks, the shards' ranges joined once into native memory owned by this package
     * (every part is row-major, so the concatenation is the unsharded layout).
     */
    public synchronized MemorySegment part(String tensor, String part) {
        Manifest.Tensor t = require(tensor);
        if (!t.sharded()) return shardPart(tensor, 0, part);
        return joined.computeIfAbsent(tensor + "/" + part, k -> {
            long size = t.format().partBytes(part, t.rows(), t.cols(), t.groupSize());
            MemorySegment out = arena.allocate(size, 64);
            long o = 0;
            for (int i = 0; i < t.shards().size(); i++) {
                MemorySegment s = shardPart(tensor, i, part);
                MemorySegment.copy(s, 0, out, o, s.byteSize());
                o += s.byteSize();
            }
            return out;
        });
    }

    /** Scalar reference dequantization of one row (the runtime's plain-Java decoder uses it). */
    public float[] dequantizeRow(String tensor, int row) {
        Manifest.Tensor t = require(tensor);
        if (row < 0 || row >= t.rows()) throw new IndexOutOfBoundsException("tensor " + tensor + " row " + row + " outside [0," + t.rows() + ")");
        int shard = 0;
        while (row >= t.shards().get(shard).rowStart() + t.shards().get(shard).rows()) shard++;
        Manifest.Shard s = t.shards().get(shard);
        float[] out = new float[t.cols()];
        t.format().dequantizeRow(shardPart(tensor, shard, PackedFormat.DATA),
                s.parts().containsKey(PackedFormat.SCALES) ? shardPart(tensor, shard, PackedFormat.SCALES) : null,
                s.parts().containsKey(PackedFormat.ZEROS) ? shardPart(tensor, shard, PackedFormat.ZEROS) : null,
                s.rows(), t.cols(), t.groupSize(), row - s.rowStart(), out);
        return out;
    }

    /** The whole tensor dequantized, [rows][cols] row-major. */
    public float[] dequantize(String tensor) {
        Manifest.Tensor t = require(tensor);
        long n = (long) t.rows() * t.cols();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor " + tensor + " has " + n + " elements: dequantize by row");
        float[] out = new float[(int) n];
        float[] row = new float[t.cols()];
        for (int i = 0; i < t.shards().size(); i++) {   // shard by shard: parts sliced once, not per row
            Manifest.Shard s = t.shards().get(i);
            MemorySegment data = shardPart(tensor, i, PackedFormat.DATA);
            MemorySegment scales = s.parts().containsKey(PackedFormat.SCALES) ? shardPart(tensor, i, PackedFormat.SCALES) : null;
            MemorySegment zeros = s.parts().containsKey(PackedFormat.ZEROS) ? shardPart(tensor, i, PackedFormat.ZEROS) : null;
            for (int r = 0; r < s.rows(); r++) {
                t.format().dequantizeRow(data, scales, zeros, s.rows(), t.cols(), t.groupSize(), r, row);
                System.arraycopy(row, 0, out, (s.rowStart() + r) * t.cols(), t.cols());
            }
        }
        return out;
    }

    private void check() {
        if (closed) throw new IllegalStateException("ModelPackage " + root + " is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        arena.close();
    }
}
