package dev.tokenfab.host.runtime;

import static dev.tokenfab.host.device.KernelArg.f32;
import static dev.tokenfab.host.device.KernelArg.i32;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceBuffer;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.KernelArg;
import dev.tokenfab.kernels.Kernel;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * One decode operation per method, each one kernel launch (or one per weight shard) on device
 * buffers over a lockstep batch of rows: builds the launch arguments (GEMV argument arrays cached
 * per shard, since decode repeats the same launches every token), picks the kernel of a tensor's
 * {@link PackedFormat}, reports position-dependent arguments to the {@link StepPrograms} being
 * recorded, and times launches through the {@link StepTimer}. The math lives in
 * {@link Decoder}. Not thread-safe.
 */
final class KernelCalls {

    /** Indexes of the position-dependent int arguments in Kernel's signatures (ROPE position, KV_WRITE position, ATTENTION seqLen). */
    private static final int ROPE_POSITION_ARG = argIndex(Kernel.ROPE, "position");
    private static final int KV_WRITE_POSITION_ARG = argIndex(Kernel.KV_WRITE, "position");
    private static final int ATTENTION_SEQ_LEN_ARG = argIndex(Kernel.ATTENTION, "seqLen");

    private final Device device;
    private final DecoderConfig c;
    private final DecodeState s;
    private final KvCache kv;
    private final StepTimer timer;
    private final StepPrograms programs;
    /** 1 / sqrt(headDim), the scaled-dot-product attention scale */
    private final float attentionScale;
    /** Per layer, the KV pools and their scales (NULL for fp16 KV) as launch arguments: fixed for the cache's life. */
    private final KernelArg[] kPool, kScales, vPool, vScales;
    /** Per matrix (identity), the cached launch of each of its shards by shard index. */
    private final IdentityHashMap<DeviceWeights.Matrix, GemvCall[]> gemvCalls = new IdentityHashMap<>();

    /** A cached GEMV launch of one shard (identity-compared inputs). */
    private record GemvCall(DeviceBuffer x, DeviceBuffer y, KernelArg bias, int batch, KernelArg[] args) {}

    KernelCalls(Device device, DecoderConfig c, DecodeState s, KvCache kv, StepTimer timer, StepPrograms programs) {
        this.device = device;
        this.c = c;
        this.s = s;
        this.kv = kv;
        this.timer = timer;
        this.programs = programs;
        this.attentionScale = (float) (1.0 / Math.sqrt(c.headDim()));
        int layers = c.numLayers();
        this.kPool = new KernelArg[layers];
        this.kScales = new KernelArg[layers];
        this.vPool = new KernelArg[layers];
        this.vScales = new KernelArg[layers];
        for (int l = 0; l < layers; l++) {
            kPool[l] = arg(kv.kPool(l));
            kScales[l] = nullable(kv.kScales(l));
            vPool[l] = arg(kv.vPool(l));
            vScales[l] = nullable(kv.vScales(l));
        }
    }

    /** out[b] = table[row], dequantized to float. */
    void embed(DeviceWeights.Matrix t, int rowIndex, DeviceBuffer out, int b) throws DeviceException {
        KernelArg dst = row(out, b, t.cols());
        DeviceWeights.Shard sh = t.shardOf(rowIndex);
        int r = rowIndex - sh.rowStart();
        switch (t.format()) {
            case Q8_CHANNEL -> launch(Kernel.EMBED_Q8, sh.data(), sh.scales(), i32(r), dst, i32(t.cols()));
            case Q4_GROUP -> launch(Kernel.EMBED_Q4, sh.data(), sh.scales(), sh.zeros(), i32(r), dst, i32(t.cols()), i32(t.groupSize()));
            case F16 -> launch(Kernel.EMBED_F16, sh.data(), i32(r), dst, i32(t.cols()));
            case F32 -> launch(Kernel.ADD, f32Row(sh, r, t.cols()), arg(s.zeros), dst, i32(t.cols())); // copy: the SPI has no device-to-device copy
        }
    }

    /** x[b] += table[position] (learned position embeddings). */
    void addPositionRow(DeviceWeights.Matrix t, int position, int b) throws DeviceException {
        KernelArg xb = row(s.x, b, c.hiddenSize());
        if (t.format() == PackedFormat.F32) {
            DeviceWeights.Shard sh = t.shardOf(position);
            launch(Kernel.ADD, xb, f32Row(sh, position - sh.rowStart(), t.cols()), xb, i32(c.hiddenSize()));
        } else {
            embed(t, position, s.pos, 0);
            launch(Kernel.ADD, xb, arg(s.pos), xb, i32(c.hiddenSize()));
        }
    }

    /** y[b] = norm(x[b]) * weight (+ bias): RMSNorm or LayerNorm as the model says, over hidden floats per row. */
    void norm(DeviceBuffer x, KernelArg weight, KernelArg bias, int batch, DeviceBuffer y) throws DeviceException {
        if (c.norm() == DecoderConfig.NormKind.RMS_NORM) {
            launch(Kernel.RMSNORM, arg(x), weight, arg(y), i32(c.hiddenSize()), f32(c.normEpsilon()), i32(batch));
        } else {
            launch(Kernel.LAYERNORM, arg(x), weight, bias, arg(y), i32(c.hiddenSize()), f32(c.normEpsilon()), i32(batch));
        }
    }

    /**
     * y[b] = W x[b] (+ bias), the GEMV kernel of W's packed format, batch rows at once, one launch
     * per row shard (each shard on its own memory port). A shard's output rows land in place for
     * batch 1; for a batch they go through {@code scratch} ([batch][shardRows]) and are copied into
     * y's rows, because the GEMV ABI has no output row stride.
     */
    void matmul(DeviceWeights.Matrix m, KernelArg bias, DeviceBuffer x, DeviceBuffer y, int batch) throws DeviceException {
        if (m.format() == PackedFormat.F32) throw new DeviceException(DeviceException.ErrorCode.BAD_ARGUMENT, "tensor " + m.name()
                + " is F32: no GEMV kernel reads F32 matrices; compile the package with fp16, int8 or int4 weights");
        Kernel kernel = gemvKernel(m.format());
        List<DeviceWeights.Shard> shards = m.shards();
        GemvCall[] calls = gemvCalls.get(m); // one lookup per matrix, not per shard
        if (calls == null) {
            calls = new GemvCall[shards.size()];
            gemvCalls.put(m, calls);
        }
        boolean direct = shards.size() == 1 || batch == 1;
        for (int i = 0; i < shards.size(); i++) {
            DeviceWeights.Shard sh = shards.get(i);
            if (direct) {
                // the shard's argument array, built once per (shard, x, y, bias, batch): decode repeats the same launches every token
                GemvCall call = calls[i];
                if (call == null || call.x != x || call.y != y || call.bias != bias || call.batch != batch) {
                    call = new GemvCall(x, y, bias, batch, gemvArgs(m, sh, bias, x, KernelArg.of(y, (long) sh.rowStart() * Float.BYTES), batch));
                    calls[i] = call;
                }
                launch(kernel, call.args);
                continue;
            }
            launch(kernel, gemvArgs(m, sh, bias, x, arg(s.scratch), batch));
            for (int b = 0; b < batch; b++) {
                launch(Kernel.ADD, KernelArg.of(s.scratch, (long) b * sh.rows() * Float.BYTES), arg(s.zeros),
                        KernelArg.of(y, ((long) b * m.rows() + sh.rowStart()) * Float.BYTES), i32(sh.rows()));
            }
        }
    }

    /** Rotates the {@code heads} heads of row b of {@code buf} ([batch][rowElems]) by {@code position}. */
    void rope(DeviceBuffer buf, int b, int rowElems, int heads, int position) throws DeviceException {
        launch(Kernel.ROPE, row(buf, b, rowElems), i32(heads), i32(c.headDim()), i32(c.rotaryDim()), i32(position),
                f32(c.ropeTheta()), i32(c.ropeLayout() == DecoderConfig.RopeLayout.INTERLEAVED ? 1 : 0));
        programs.positional(ROPE_POSITION_ARG, b, 0);
    }

    /** Writes k[b] and v[b] of layer l at {@code position} into the sequence's KV pages. */
    void kvWrite(int l, KvCache.Sequence seq, int b, int position) throws DeviceException {
        launch(Kernel.KV_WRITE, kPool[l], kScales[l], vPool[l], vScales[l], arg(seq.pageTableBuffer()),
                i32(position), row(s.k, b, c.kvDim()), row(s.v, b, c.kvDim()), i32(c.numKvHeads()), i32(c.headDim()),
                i32(kv.pageTokens()), i32(kv.kernelDtype()));
        programs.positional(KV_WRITE_POSITION_ARG, b, 0);
    }

    /** att[b] = per head softmax(q[b] K[0..position]^T * scale) V[0..position] over the sequence's KV pages of layer l (grouped-query heads). */
    void attention(int l, KvCache.Sequence seq, int b, int position) throws DeviceException {
        launch(Kernel.ATTENTION, row(s.q, b, c.queryDim()), kPool[l], kScales[l], vPool[l], vScales[l],
                arg(seq.pageTableBuffer()), row(s.att, b, c.queryDim()), i32(c.numHeads()), i32(c.numKvHeads()), i32(c.headDim()),
                i32(position + 1), i32(kv.pageTokens()), i32(kv.kernelDtype()), f32(attentionScale));
        programs.positional(ATTENTION_SEQ_LEN_ARG, b, 1);
    }

    /** a += b over n floats. */
    void add(DeviceBuffer a, DeviceBuffer b, int n) throws DeviceException {
        launch(Kernel.ADD, arg(a), arg(b), arg(a), i32(n));
    }

    /** gate = silu(gate) * up over n floats. */
    void swiglu(DeviceBuffer gate, DeviceBuffer up, int n) throws DeviceException {
        launch(Kernel.SWIGLU, arg(gate), arg(up), arg(gate), i32(n));
    }

    /** h = gelu(h) over n floats, erf or tanh form as the model says. */
    void gelu(DeviceBuffer h, int n) throws DeviceException {
        Kernel gelu = c.activation() == DecoderConfig.Activation.GELU_ERF ? Kernel.GELU_ERF : Kernel.GELU_TANH;
        launch(gelu, arg(h), arg(h), i32(n));
    }

    private int launch(Kernel k, KernelArg... args) throws DeviceException {
        if (!timer.on()) return device.launch(k, args);
        long t0 = System.nanoTime();
        try {
            return device.launch(k, args);
        } finally {
            timer.add(t0, 1);
        }
    }

    private static Kernel gemvKernel(PackedFormat f) {
        return switch (f) {
            case Q8_CHANNEL -> Kernel.GEMV_Q8;
            case Q4_GROUP -> Kernel.GEMV_Q4;
            case F16 -> Kernel.GEMV_F16;
            case F32 -> throw new IllegalArgumentException("no GEMV kernel reads F32 matrices");
        };
    }

    /** The GEMV arguments of one shard writing {@code out} (not F32). */
    private static KernelArg[] gemvArgs(DeviceWeights.Matrix m, DeviceWeights.Shard sh, KernelArg bias, DeviceBuffer x, KernelArg out, int batch) {
        KernelArg shardBias = bias instanceof KernelArg.Buffer(DeviceBuffer b, long off)
                ? KernelArg.of(b, off + (long) sh.rowStart() * Float.BYTES) : bias;
        return switch (m.format()) {
            case Q8_CHANNEL -> new KernelArg[] {sh.data(), sh.scales(), shardBias, arg(x), out, i32(sh.rows()), i32(m.cols()), i32(batch)};
            case Q4_GROUP -> new KernelArg[] {sh.data(), sh.scales(), sh.zeros(), shardBias, arg(x), out, i32(sh.rows()), i32(m.cols()),
                    i32(m.groupSize()), i32(batch)};
            case F16 -> new KernelArg[] {sh.data(), shardBias, arg(x), out, i32(sh.rows()), i32(m.cols()), i32(batch)};
            case F32 -> throw new IllegalArgumentException("no GEMV kernel reads F32 matrices");
        };
    }

    /** Row r of an F32 shard, in place. */
    private static KernelArg f32Row(DeviceWeights.Shard sh, int r, int cols) {
        KernelArg.Buffer data = (KernelArg.Buffer) sh.data();
        return KernelArg.of(data.buffer(), data.offsetBytes() + (long) r * cols * Float.BYTES);
    }

    private static KernelArg arg(DeviceBuffer b) { return KernelArg.of(b); }

    private static KernelArg nullable(DeviceBuffer b) { return b == null ? KernelArg.NULL : KernelArg.of(b); }

    /** Row b of a [batch][rowElems] float buffer. */
    private static KernelArg row(DeviceBuffer buf, int b, int rowElems) { return KernelArg.of(buf, (long) b * rowElems * Float.BYTES); }

    private static int argIndex(Kernel k, String name) {
        int i = k.args().stream().map(Kernel.Arg::name).toList().indexOf(name);
        if (i < 0) throw new IllegalStateException(k.symbol() + " has no argument " + name); // a renamed kernel argument, caught at class load
        return i;
    }
}
