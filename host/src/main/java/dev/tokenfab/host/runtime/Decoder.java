package dev.tokenfab.host.runtime;

import static dev.tokenfab.host.device.KernelArg.f32;
import static dev.tokenfab.host.device.KernelArg.i32;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceBuffer;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.EmuDevice;
import dev.tokenfab.host.device.KernelArg;
import dev.tokenfab.kernels.Kernel;
import java.nio.file.Path;
import java.util.List;

/**
 * The decode step on a {@link Device}: {@code forward(sequence, token, position)} returns the
 * logits (llama2.c's {@code forward}). Every operation is one kernel launch on device buffers; the
 * GEMV kernel is picked by the tensor's {@link PackedFormat}. {@link #forwardBatch} runs several
 * sequences through one step with every GEMV batched (each weight read once per step) and attention
 * per sequence. Not thread-safe.
 */
public final class Decoder implements AutoCloseable {

    /** Tokens per KV page: 16 as in vLLM's default block size, a multiple of the 64-byte HBM beat at fp16/int8 with headDim >= 32. */
    public static final int DEFAULT_PAGE_TOKENS = 16;

    /**
     * Sizing and placement of the runtime state.
     *
     * @param maxBatch        sequences one step can carry
     * @param pageTokens      positions per KV page
     * @param totalPages      pages in each layer's K and V pool
     * @param kvBanks         [layer][0 = K, 1 = V] bank of each pool (the plan's KV placement), or null: layer l in bank l mod banks
     * @param activationBank  bank of the activation buffers
     * @param residency       whether layer weights live on the device or are streamed from host memory
     */
    public record Options(int maxBatch, int pageTokens, int totalPages, int[][] kvBanks, int activationBank, WeightResidency residency) {

        public Options {
            java.util.Objects.requireNonNull(residency, "residency");
        }

        public Options(int maxBatch, int pageTokens, int totalPages) { this(maxBatch, pageTokens, totalPages, null, 0, WeightResidency.AUTO); }

        public Options(int maxBatch, int pageTokens, int totalPages, int[][] kvBanks, int activationBank) {
            this(maxBatch, pageTokens, totalPages, kvBanks, activationBank, WeightResidency.AUTO);
        }

        public Options withResidency(WeightResidency r) {
            return new Options(maxBatch, pageTokens, totalPages, kvBanks, activationBank, r);
        }

        /** Room for {@code maxBatch} sequences of full context. */
        public static Options forBatch(DecoderConfig c, int maxBatch) {
            return new Options(maxBatch, DEFAULT_PAGE_TOKENS, maxBatch * Math.ceilDiv(c.maxContextTokens(), DEFAULT_PAGE_TOKENS));
        }

        public Options withPlacement(int[][] kvBanks, int activationBank) {
            return new Options(maxBatch, pageTokens, totalPages, kvBanks, activationBank, residency);
        }
    }

    /** Where the layer weights live during decode. */
    public enum WeightResidency {
        /** resident when every bank's weight bytes fit the device's bank, else streamed */
        AUTO,
        /** all weights uploaded once (fails with OUT_OF_MEMORY when they do not fit) */
        RESIDENT,
        /** layer weights stay in host memory and are streamed per layer into two device slots */
        STREAMED,
        /** as STREAMED but uploaded on the compute thread (no overlap): the baseline for measuring the overlap */
        STREAMED_SEQUENTIAL
    }

    private final Device device;
    private final ModelConfig config;
    private final DecoderConfig c;
    private final DeviceWeights w;
    private final KvCache kv;
    private final DecodeState s;
    private final float attentionScale;
    /** Optional launch timer (off by default: one branch per launch). */
    private boolean timing;
    private long kernelNanos;
    private long launches;

    private Decoder(Device device, ModelConfig config, DeviceWeights weights, KvCache kv, DecodeState state) {
        this.device = device;
        this.config = config;
        this.c = config.model();
        this.w = weights;
        this.kv = kv;
        this.s = state;
        this.attentionScale = (float) (1.0 / Math.sqrt(c.headDim()));
        boolean programs;
        try {
            programs = device instanceof EmuDevice emu && emu.supportsPrograms();
        } catch (DeviceException e) {
            programs = false;
        }
        // PROGRAM by default where it exists: the emulated card's host path without a downcall per kernel
        this.launchMode = programs ? LaunchMode.PROGRAM : LaunchMode.DIRECT;
    }

    /**
     * Uploads the package's weights and allocates the KV cache and activations on {@code device},
     * in the banks {@code options} names (without a plan: KV pools of layer l in bank l mod banks,
     * spread over pseudo-channels like the weights).
     */
    public static Decoder load(Device device, Manifest manifest, Path packageDir, Options options) throws DeviceException {
        ModelConfig config = ModelConfig.from(manifest);
        int banks = device.info().banks().size();
        DeviceWeights weights = streams(device, manifest, options.residency())
                ? DeviceWeights.stream(device, manifest, packageDir, options.residency() != WeightResidency.STREAMED_SEQUENTIAL
                        && device instanceof dev.tokenfab.host.device.EmuDevice)
                : DeviceWeights.upload(device, manifest, packageDir);
        KvCache kv = null;
        try {
            int[][] kb = options.kvBanks();
            kv = kb == null ? new KvCache(device, config, options.pageTokens(), options.totalPages(), l -> l % banks)
                    : new KvCache(device, config, options.pageTokens(), options.totalPages(), l -> kb[l][0], l -> kb[l][1]);
            DecodeState state = new DecodeState(device, config.model(), options.maxBatch(), options.activationBank());
            return new Decoder(device, config, weights, kv, state);
        } catch (DeviceException | RuntimeException e) {
            if (kv != null) kv.close();
            weights.close();
            throw e;
        }
    }

    /** AUTO streams when some bank's resident weight bytes exceed that bank's size on {@code device}. */
    static boolean streams(Device device, Manifest manifest, WeightResidency residency) {
        return switch (residency) {
            case RESIDENT -> false;
            case STREAMED, STREAMED_SEQUENTIAL -> true;
            case AUTO -> DeviceWeights.residentBytesByBank(manifest).entrySet().stream().anyMatch(e ->
                    e.getKey() < device.info().banks().size() && e.getValue() > device.info().banks().get(e.getKey()).sizeBytes());
        };
    }

    /**
     * Loads a verified package with the KV pools and activations where its plan puts them, sized for
     * {@code maxBatch} sequences of full context.
     */
    public static Decoder load(Device device, ModelPackage pkg, int maxBatch) throws DeviceException {
        return load(device, pkg, maxBatch, WeightResidency.AUTO);
    }

    /** As {@link #load(Device, ModelPackage, int)}, with the weights' residency chosen. */
    public static Decoder load(Device device, ModelPackage pkg, int maxBatch, WeightResidency residency) throws DeviceException {
        Manifest m = pkg.manifest();
        Options o = Options.forBatch(m.model(), maxBatch).withResidency(residency);
        DataflowPlan plan = pkg.plan();
        if (plan != null && plan.memory() != null && plan.memory().kvPools() != null && !plan.memory().kvPools().isEmpty()) {
            int[][] banks = new int[m.model().numLayers()][];
            for (int l = 0; l < banks.length; l++) banks[l] = new int[] {l % device.info().banks().size(), l % device.info().banks().size()};
            for (DataflowPlan.KvPool p : plan.memory().kvPools()) banks[p.layer()][p.kind() == DataflowPlan.KvKind.V ? 1 : 0] = p.bank();
            o = o.withPlacement(banks, plan.memory().activationBank());
        }
        return load(device, m, pkg.root(), o);
    }

    public ModelConfig config() { return config; }

    public KvCache kvCache() { return kv; }

    public DeviceWeights weights() { return w; }

    public Device device() { return device; }

    /** Turns the launch timer on or off and zeroes it: nanoTime around each kernel launch. */
    public void timeKernels(boolean on) {
        timing = on;
        kernelNanos = 0;
        launches = 0;
    }

    /** Nanoseconds spent inside {@link Device#launch} since {@link #timeKernels} turned timing on. */
    public long kernelNanos() { return kernelNanos; }

    /** Kernel launches since {@link #timeKernels} turned timing on. */
    public long kernelLaunches() { return launches; }

    /** Logits of {@code token} at {@code position} of {@code seq} (vocab floats; hidden floats for a body-only model). */
    public float[] forward(KvCache.Sequence seq, int token, int position) throws DeviceException, KvCacheException {
        return forwardBatch(List.of(seq), new int[] {token}, new int[] {position})[0];
    }

    /**
     * One decode step for each sequence: {@code tokens[b]} at {@code positions[b]} of {@code seqs.get(b)}.
     * KV room is reserved for every sequence before anything runs, so a full cache fails the whole
     * step cleanly ({@link KvCacheException}) and no sequence's cache is touched.
     */
    public float[][] forwardBatch(List<KvCache.Sequence> seqs, int[] tokens, int[] positions) throws DeviceException, KvCacheException {
        int batch = seqs.size();
        if (batch == 0 || batch > s.maxBatch || tokens.length != batch || positions.length != batch) {
            throw new IllegalArgumentException("batch of " + batch + " sequences, " + tokens.length + " tokens, " + positions.length
                    + " positions; this decoder takes 1.." + s.maxBatch + " of each");
        }
        for (int b = 0; b < batch; b++) {
            if (tokens[b] < 0 || tokens[b] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[b] + " outside the vocabulary [0, " + c.vocabSize() + ")");
            }
            if (seqs.get(b).isClosed()) throw new IllegalStateException("sequence " + seqs.get(b).id() + " is closed");
        }
        for (int b = 0; b < batch; b++) {
            KvCache.Status st = kv.reserve(seqs.get(b), positions[b]);
            if (st != KvCache.Status.OK) {
                throw new KvCacheException(st, seqs.get(b).id(), "KV cache: " + st + " for sequence " + seqs.get(b).id()
                        + " at position " + positions[b] + " (" + kv.pages().freePages() + " of " + kv.pages().totalPages()
                        + " pages free, " + kv.pageTokens() + " tokens per page, context " + c.maxContextTokens() + ")");
            }
        }
        // embed: x[b] = tok_embeddings[token] (+ pos_embeddings[position])
        for (int b = 0; b < batch; b++) {
            embedRow(w.tokenEmbedding, tokens[b], s.x, b);
            if (w.positionEmbedding != null) addPositionRow(positions[b], b);
        }
        if (launchMode == LaunchMode.PROGRAM && !w.streamed()) {
            stepByProgram(seqs, positions, batch);
        } else {
            step(seqs, positions, batch);
        }
        device.read(s.logits, 0, s.hostLogits.asSlice(0, (long) batch * s.outputDim * Float.BYTES));
        float[][] out = new float[batch][];
        for (int b = 0; b < batch; b++) out[b] = s.hostLogitsRow(b);
        return out;
    }

    /** The layers, the final norm and the classifier: everything after the (token-dependent) embedding. */
    private void step(List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        for (int l = 0; l < c.numLayers(); l++) {
            DeviceWeights.Layer lw = w.acquireLayer(l);
            try {
                if (c.family() == DecoderConfig.Family.LLAMA) llamaBlock(l, lw, seqs, positions, batch);
                else gpt2Block(l, lw, seqs, positions, batch);
            } finally {
                w.releaseLayer(l);
            }
        }
        // final norm, then classifier (or the final hidden state of a body-only export)
        norm(s.x, w.finalNorm, w.finalNormBias, c.hiddenSize(), batch, w.lmHead == null ? s.logits : s.xb);
        if (w.lmHead != null) gemv(w.lmHead, KernelArg.NULL, s.xb, s.logits, batch);
    }

    /**
     * {@link #step} through a recorded program of this (sequences, batch): recorded (and run) on its
     * first step, replayed by one downcall afterwards with each position-dependent int (RoPE and
     * KV-write position, attention length) patched. Every other argument is fixed for the pair:
     * buffers, shapes, and the sequences' page tables (their contents change, not their address).
     */
    private void stepByProgram(List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        EmuDevice emu = (EmuDevice) device;
        List<KvCache.Sequence> key = List.copyOf(seqs); // Sequence has identity equality
        RecordedStep rec = programs.get(key);
        if (rec == null) {
            emu.startRecording();
            patchSlots = new IntList();
            try {
                step(seqs, positions, batch);
            } catch (DeviceException | RuntimeException e) {
                emu.abortRecording();
                throw e;
            } finally {
                IntList slots = patchSlots;
                patchSlots = null;
                EmuDevice.Program p = emu.isRecording() ? emu.finishRecording() : null;
                if (p != null) {
                    rec = new RecordedStep(p, slots.toArray());
                    programs.put(key, rec);
                }
            }
            return;
        }
        programReplays++;
        int[] patches = rec.patches();
        for (int i = 0; i < patches.length; i += 3) rec.program().setInt(patches[i], positions[patches[i + 1]] + patches[i + 2]);
        if (!timing) {
            emu.run(rec.program());
            return;
        }
        long t0 = System.nanoTime();
        try {
            emu.run(rec.program());
        } finally {
            kernelNanos += System.nanoTime() - t0;
            launches += rec.program().commands();
        }
    }

    /** How kernels are issued. */
    public enum LaunchMode {
        /** one {@link Device#launch} per kernel */
        DIRECT,
        /** on an {@link EmuDevice} with programs: each (sequences, batch) step recorded once, then replayed by one downcall (streamed weights: DIRECT) */
        PROGRAM
    }

    private LaunchMode launchMode;

    /** Sets how kernels are issued; PROGRAM needs an {@link EmuDevice} that {@link EmuDevice#supportsPrograms supports programs}. */
    public Decoder launchMode(LaunchMode mode) throws DeviceException {
        java.util.Objects.requireNonNull(mode, "mode");
        if (mode == LaunchMode.PROGRAM && !(device instanceof EmuDevice emu && emu.supportsPrograms())) {
            throw new DeviceException(DeviceException.ErrorCode.UNAVAILABLE, "launch mode PROGRAM needs an emulated device with tf_exec_program, not " + device);
        }
        closePrograms();
        launchMode = mode;
        return this;
    }

    public LaunchMode launchMode() { return launchMode; }

    private long programReplays;

    /** Steps run by replaying a recorded program (one downcall each) since this decoder was loaded. */
    public long programReplays() { return programReplays; }

    /** A recorded step and its patches: triples (program slot, batch row b, delta): slot := positions[b] + delta. */
    private record RecordedStep(EmuDevice.Program program, int[] patches) {}

    /** Most recent recorded steps by sequence list; the eldest is closed beyond {@link #MAX_PROGRAMS} (sequences come and go). */
    private static final int MAX_PROGRAMS = 16;

    private final java.util.LinkedHashMap<List<KvCache.Sequence>, RecordedStep> programs = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<List<KvCache.Sequence>, RecordedStep> eldest) {
            if (size() <= MAX_PROGRAMS) return false;
            eldest.getValue().program().close();
            return true;
        }
    };

    /** Slots of the step being recorded that take a position, or null when not recording. */
    private IntList patchSlots;

    /** While recording: the int argument {@code argIndex} of the launch just made is positions[b] + delta. */
    private void positional(int argIndex, int b, int delta) {
        if (patchSlots == null) return;
        patchSlots.add(((EmuDevice) device).recordedArgSlot(argIndex));
        patchSlots.add(b);
        patchSlots.add(delta);
    }

    private static final class IntList {
        private int[] a = new int[64];
        private int n;

        void add(int v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }

    private void closePrograms() {
        for (RecordedStep r : programs.values()) r.program().close();
        programs.clear();
    }

    /** Llama block: rmsnorm, q/k/v, RoPE, KV write, attention, o + residual, rmsnorm, SwiGLU MLP + residual. */
    private void llamaBlock(int l, DeviceWeights.Layer lw, List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        norm(s.x, lw.attnNorm(), lw.attnNormBias(), c.hiddenSize(), batch, s.xb);
        gemv(lw.wq(), lw.bq(), s.xb, s.q, batch);
        gemv(lw.wk(), lw.bk(), s.xb, s.k, batch);
        gemv(lw.wv(), lw.bv(), s.xb, s.v, batch);
        for (int b = 0; b < batch; b++) {
            rope(s.q, b, c.queryDim(), c.numHeads(), positions[b]);
            positional(ROPE_POSITION_ARG, b, 0);
            rope(s.k, b, c.kvDim(), c.numKvHeads(), positions[b]);
            positional(ROPE_POSITION_ARG, b, 0);
        }
        attention(l, seqs, positions, batch);
        gemv(lw.wo(), lw.bo(), s.att, s.xb2, batch);
        add(s.x, s.xb2, c.hiddenSize() * batch);

        norm(s.x, lw.mlpNorm(), lw.mlpNormBias(), c.hiddenSize(), batch, s.xb);
        gemv(lw.wGate(), lw.bGate(), s.xb, s.hb, batch);
        gemv(lw.wUp(), lw.bUp(), s.xb, s.hb2, batch);
        launch(Kernel.SWIGLU, arg(s.hb), arg(s.hb2), arg(s.hb), i32(c.intermediateSize() * batch));
        gemv(lw.wDown(), lw.bDown(), s.hb, s.xb2, batch);
        add(s.x, s.xb2, c.hiddenSize() * batch);
    }

    /** GPT-2 block: layernorm (bias), q/k/v (+bias), KV write, attention, o + residual, layernorm, fc + gelu, proj + residual. */
    private void gpt2Block(int l, DeviceWeights.Layer lw, List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        norm(s.x, lw.attnNorm(), lw.attnNormBias(), c.hiddenSize(), batch, s.xb);
        gemv(lw.wq(), lw.bq(), s.xb, s.q, batch);
        gemv(lw.wk(), lw.bk(), s.xb, s.k, batch);
        gemv(lw.wv(), lw.bv(), s.xb, s.v, batch);
        attention(l, seqs, positions, batch);
        gemv(lw.wo(), lw.bo(), s.att, s.xb2, batch);
        add(s.x, s.xb2, c.hiddenSize() * batch);

        norm(s.x, lw.mlpNorm(), lw.mlpNormBias(), c.hiddenSize(), batch, s.xb);
        gemv(lw.wUp(), lw.bUp(), s.xb, s.hb, batch);
        Kernel gelu = c.activation() == DecoderConfig.Activation.GELU_ERF ? Kernel.GELU_ERF : Kernel.GELU_TANH;
        launch(gelu, arg(s.hb), arg(s.hb), i32(c.intermediateSize() * batch));
        gemv(lw.wDown(), lw.bDown(), s.hb, s.xb2, batch);
        add(s.x, s.xb2, c.hiddenSize() * batch);
    }

    /** Writes each sequence's k/v into its pages, then attends over its positions [0, position]. */
    private void attention(int l, List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        KernelArg kScales = nullable(kv.kScales(l));
        KernelArg vScales = nullable(kv.vScales(l));
        for (int b = 0; b < batch; b++) {
            KernelArg table = arg(seqs.get(b).pageTableBuffer());
            launch(Kernel.KV_WRITE, arg(kv.kPool(l)), kScales, arg(kv.vPool(l)), vScales, table, i32(positions[b]),
                    row(s.k, b, c.kvDim()), row(s.v, b, c.kvDim()), i32(c.numKvHeads()), i32(c.headDim()),
                    i32(kv.pageTokens()), i32(kv.kernelDtype()));
            positional(KV_WRITE_POSITION_ARG, b, 0);
            launch(Kernel.ATTENTION, row(s.q, b, c.queryDim()), arg(kv.kPool(l)), kScales, arg(kv.vPool(l)), vScales, table,
                    row(s.att, b, c.queryDim()), i32(c.numHeads()), i32(c.numKvHeads()), i32(c.headDim()),
                    i32(positions[b] + 1), i32(kv.pageTokens()), i32(kv.kernelDtype()), f32(attentionScale));
            positional(ATTENTION_SEQ_LEN_ARG, b, 1);
        }
    }

    /** Indexes of the position-dependent int arguments in Kernel's signatures (ROPE position, KV_WRITE position, ATTENTION seqLen). */
    private static final int ROPE_POSITION_ARG = Kernel.ROPE.args().stream().map(Kernel.Arg::name).toList().indexOf("position");
    private static final int KV_WRITE_POSITION_ARG = Kernel.KV_WRITE.args().stream().map(Kernel.Arg::name).toList().indexOf("position");
    private static final int ATTENTION_SEQ_LEN_ARG = Kernel.ATTENTION.args().stream().map(Kernel.Arg::name).toList().indexOf("seqLen");

    // ---- one kernel per helper ---------------------------------------------------------------

    /**
     * y[b] = W x[b] (+ bias), the GEMV kernel of W's packed format, batch rows at once, one launch
     * per row shard (each shard on its own memory port). A shard's output rows land in place for
     * batch 1; for a batch they go through {@code scratch} ([batch][shardRows]) and are copied into
     * y's rows, because the GEMV ABI has no output row stride.
     */
    private void gemv(DeviceWeights.Matrix m, KernelArg bias, DeviceBuffer x, DeviceBuffer y, int batch) throws DeviceException {
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

    /** A cached GEMV launch of one shard (identity-compared inputs). */
    private record GemvCall(DeviceBuffer x, DeviceBuffer y, KernelArg bias, int batch, KernelArg[] args) {}

    /** Per matrix (identity), the cached launch of each of its shards by shard index. */
    private final java.util.IdentityHashMap<DeviceWeights.Matrix, GemvCall[]> gemvCalls = new java.util.IdentityHashMap<>();

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

    /** out[b] = table[row], dequantized to float. */
    private void embedRow(DeviceWeights.Matrix t, int rowIndex, DeviceBuffer out, int b) throws DeviceException {
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

    /** Row r of an F32 shard, in place. */
    private static KernelArg f32Row(DeviceWeights.Shard sh, int r, int cols) {
        KernelArg.Buffer data = (KernelArg.Buffer) sh.data();
        return KernelArg.of(data.buffer(), data.offsetBytes() + (long) r * cols * Float.BYTES);
    }

    /** x[b] += pos_embeddings[position]. */
    private void addPositionRow(int position, int b) throws DeviceException {
        DeviceWeights.Matrix t = w.positionEmbedding;
        KernelArg xb = row(s.x, b, c.hiddenSize());
        if (t.format() == PackedFormat.F32) {
            DeviceWeights.Shard sh = t.shardOf(position);
            launch(Kernel.ADD, xb, f32Row(sh, position - sh.rowStart(), t.cols()), xb, i32(c.hiddenSize()));
        } else {
            embedRow(t, position, s.pos, 0);
            launch(Kernel.ADD, xb, arg(s.pos), xb, i32(c.hiddenSize()));
        }
    }

    private void norm(DeviceBuffer x, KernelArg weight, KernelArg bias, int n, int batch, DeviceBuffer y) throws DeviceException {
        if (c.norm() == DecoderConfig.NormKind.RMS_NORM) {
            launch(Kernel.RMSNORM, arg(x), weight, arg(y), i32(n), f32(c.normEpsilon()), i32(batch));
        } else {
            launch(Kernel.LAYERNORM, arg(x), weight, bias, arg(y), i32(n), f32(c.normEpsilon()), i32(batch));
        }
    }

    private void rope(DeviceBuffer buf, int b, int rowElems, int heads, int position) throws DeviceException {
        launch(Kernel.ROPE, row(buf, b, rowElems), i32(heads), i32(c.headDim()), i32(c.rotaryDim()), i32(position),
                f32(c.ropeTheta()), i32(c.ropeLayout() == DecoderConfig.RopeLayout.INTERLEAVED ? 1 : 0));
    }

    /** a += b over n floats. */
    private void add(DeviceBuffer a, DeviceBuffer b, int n) throws DeviceException {
        launch(Kernel.ADD, arg(a), arg(b), arg(a), i32(n));
    }

    private int launch(Kernel k, KernelArg... args) throws DeviceException {
        if (!timing) return device.launch(k, args);
        long t0 = System.nanoTime();
        try {
            return device.launch(k, args);
        } finally {
            kernelNanos += System.nanoTime() - t0;
            launches++;
        }
    }

    private static KernelArg arg(DeviceBuffer b) { return KernelArg.of(b); }

    private static KernelArg nullable(DeviceBuffer b) { return b == null ? KernelArg.NULL : KernelArg.of(b); }

    /** Row b of a [batch][rowElems] float buffer. */
    private static KernelArg row(DeviceBuffer buf, int b, int rowElems) { return KernelArg.of(buf, (long) b * rowElems * Float.BYTES); }

    /** Frees the state, the KV cache and the weights, in reverse order of creation. The device stays open. */
    @Override
    public void close() {
        closePrograms();
        s.close();
        kv.close();
        w.close();
    }
}
