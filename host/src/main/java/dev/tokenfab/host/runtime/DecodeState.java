package dev.tokenfab.host.runtime;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceBuffer;
import dev.tokenfab.host.device.DeviceException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Activation buffers of one decode step for up to {@code maxBatch} sequences (llama2.c's
 * {@code RunState}; the KV cache lives in {@link KvCache}). All float32, row b belongs to the b-th
 * sequence of the batch. Device buffers, plus a host staging segment for the logits.
 */
public final class DecodeState implements AutoCloseable {

    public final int maxBatch;
    /** [maxBatch][hidden] residual stream */
    public final DeviceBuffer x;
    /** [maxBatch][hidden] normalized input of a sub-block */
    public final DeviceBuffer xb;
    /** [maxBatch][hidden] output of the attention / MLP projection, before the residual add */
    public final DeviceBuffer xb2;
    /** [hidden] position-embedding row (LEARNED positions from a packed table) */
    public final DeviceBuffer pos;
    /** [max rows of any matrix] zeros: copying a row with tf_add(src, zeros) (F32 tables, batched shard outputs) */
    public final DeviceBuffer zeros;
    /** [maxBatch][numHeads * headDim] queries */
    public final DeviceBuffer q;
    /** [maxBatch][numKvHeads * headDim] keys of the current token */
    public final DeviceBuffer k;
    /** [maxBatch][numKvHeads * headDim] values of the current token */
    public final DeviceBuffer v;
    /** [maxBatch][numHeads * headDim] attention output */
    public final DeviceBuffer att;
    /** [maxBatch][intermediate] gate (SwiGLU) or fc output (GELU MLP) */
    public final DeviceBuffer hb;
    /** [maxBatch][intermediate] up projection (SwiGLU) */
    public final DeviceBuffer hb2;
    /** [maxBatch][max rows of any matrix] one row shard's GEMV output for a batch, before it is copied into place */
    public final DeviceBuffer scratch;
    /** [maxBatch][vocab] logits (or [maxBatch][hidden] final state of a body-only model) */
    public final DeviceBuffer logits;
    /** host copy of logits, [maxBatch][outputDim] */
    final MemorySegment hostLogits;
    public final int outputDim;
    private final Arena hostArena = Arena.ofConfined();
    private final List<DeviceBuffer> all = new ArrayList<>();

    public DecodeState(Device device, DecoderConfig c, int maxBatch, int bank) throws DeviceException {
        if (maxBatch <= 0) throw new IllegalArgumentException("maxBatch must be positive, was " + maxBatch);
        this.maxBatch = maxBatch;
        this.outputDim = c.hasLmHead() ? c.vocabSize() : c.hiddenSize();
        try {
            x = alloc(device, bank, (long) maxBatch * c.hiddenSize());
            xb = alloc(device, bank, (long) maxBatch * c.hiddenSize());
            xb2 = alloc(device, bank, (long) maxBatch * c.hiddenSize());
            pos = alloc(device, bank, c.hiddenSize());
            zeros = alloc(device, bank, maxRows(c));
            q = alloc(device, bank, (long) maxBatch * c.queryDim());
            k = alloc(device, bank, (long) maxBatch * c.kvDim());
            v = alloc(device, bank, (long) maxBatch * c.kvDim());
            att = alloc(device, bank, (long) maxBatch * c.queryDim());
            hb = alloc(device, bank, (long) maxBatch * c.intermediateSize());
            hb2 = alloc(device, bank, (long) maxBatch * c.intermediateSize());
            logits = alloc(device, bank, (long) maxBatch * outputDim);
            scratch = alloc(device, bank, (long) maxBatch * maxRows(c));
            device.write(zeros, 0, hostArena.allocate((long) maxRows(c) * Float.BYTES)); // device memory is not zeroed on every backend
        } catch (DeviceException | RuntimeException e) {
            close();
            throw e;
        }
        hostLogits = hostArena.allocate((long) maxBatch * outputDim * Float.BYTES, 64);
    }

    /** Rows of the widest matrix output. */
    private static int maxRows(DecoderConfig c) {
        return Math.max(Math.max(c.vocabSize(), c.intermediateSize()), Math.max(c.queryDim(), c.hiddenSize()));
    }

    private DeviceBuffer alloc(Device device, int bank, long floats) throws DeviceException {
        DeviceBuffer b = device.allocate(bank, floats * Float.BYTES);
        all.add(b);
        return b;
    }

    /** Row b of the host logits as a fresh array. */
    float[] hostLogitsRow(int b) {
        return hostLogits.asSlice((long) b * outputDim * Float.BYTES, (long) outputDim * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
    }

    @Override
    public void close() {
        for (DeviceBuffer b : all) b.close();
        all.clear();
        if (hostArena.scope().isAlive()) hostArena.close();
    }
}
