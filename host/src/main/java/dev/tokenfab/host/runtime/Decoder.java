package dev.tokenfab.host.runtime;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.KernelArg;
import dev.tokenfab.host.device.LaunchRecorder;
import java.nio.file.Path;
import java.util.List;

/**
 * The decode step on a {@link Device}: {@code forward(sequence, token, position)} returns the
 * logits (llama2.c's {@code forward}). This class holds the math of a layer and nothing else; each
 * operation is one kernel launch on device buffers, issued by {@link KernelCalls} (which picks the
 * GEMV kernel by the tensor's {@link PackedFormat}). {@link #forwardBatch} runs a lockstep batch of
 * sequences through one step ({@link Lockstep}) with every matmul batched (each weight read once per
 * step) and attention per sequence. Around the math: weight residency or streaming in
 * {@link DeviceWeights}, launch recording and replay in {@link StepPrograms} (a device's
 * {@link LaunchRecorder}), launch timing in {@link StepTimer}. Not thread-safe.
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
    private final StepTimer timer = new StepTimer();
    private final StepPrograms programs;
    private final KernelCalls k;
    /** {@link #layersAndClassifier} as a {@link StepPrograms.Body}, built once (no allocation per token) */
    private final StepPrograms.Body body = this::layersAndClassifier;

    private Decoder(Device device, ModelConfig config, DeviceWeights weights, KvCache kv, DecodeState state) {
        this.device = device;
        this.config = config;
        this.c = config.model();
        this.w = weights;
        this.kv = kv;
        this.s = state;
        this.programs = new StepPrograms(device, timer, weights.streamed());
        this.k = new KernelCalls(device, c, state, kv, timer, programs);
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
                        && device.writesConcurrentWithLaunches())
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
        int batch = Lockstep.admit(kv, c, s.maxBatch, seqs, tokens, positions);
        // embed: x[b] = tok_embeddings[tokens[b]] (+ pos_embeddings[positions[b]])
        for (int b = 0; b < batch; b++) {
            k.embed(w.tokenEmbedding, tokens[b], s.x, b);
            if (w.positionEmbedding != null) k.addPositionRow(w.positionEmbedding, positions[b], b);
        }
        // layers, final norm, classifier: recorded once per sequence list and replayed where the device can
        programs.run(seqs, positions, batch, body);
        // logits[b] to the host
        device.read(s.logits, 0, s.hostLogits.asSlice(0, (long) batch * s.outputDim * Float.BYTES));
        float[][] out = new float[batch][];
        for (int b = 0; b < batch; b++) out[b] = s.hostLogitsRow(b);
        return out;
    }

    /** Everything after the (token-dependent) embedding: the layers, the final norm and the classifier. */
    private void layersAndClassifier(List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        for (int l = 0; l < c.numLayers(); l++) {
            DeviceWeights.Layer lw = w.acquireLayer(l); // resident, or this layer's streamed slot once uploaded
            try {
                if (c.family() == DecoderConfig.Family.LLAMA) llamaLayer(l, lw, seqs, positions, batch);
                else gpt2Layer(l, lw, seqs, positions, batch);
            } finally {
                w.releaseLayer(l);
            }
        }
        // final norm (into logits directly for a body-only export: its output is the final hidden state)
        k.norm(s.x, w.finalNorm, w.finalNormBias, batch, w.lmHead == null ? s.logits : s.xb);
        // classifier: logits = lm_head xb
        if (w.lmHead != null) k.matmul(w.lmHead, KernelArg.NULL, s.xb, s.logits, batch);
    }

    /** One Llama layer on the batch rows of x. */
    private void llamaLayer(int l, DeviceWeights.Layer lw, List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        // attention rmsnorm
        k.norm(s.x, lw.attnNorm(), lw.attnNormBias(), batch, s.xb);
        // q, k, v = wq xb, wk xb, wv xb
        k.matmul(lw.wq(), lw.bq(), s.xb, s.q, batch);
        k.matmul(lw.wk(), lw.bk(), s.xb, s.k, batch);
        k.matmul(lw.wv(), lw.bv(), s.xb, s.v, batch);
        for (int b = 0; b < batch; b++) {
            // RoPE: rotate q and k of each sequence by its position
            k.rope(s.q, b, c.queryDim(), c.numHeads(), positions[b]);
            k.rope(s.k, b, c.kvDim(), c.numKvHeads(), positions[b]);
        }
        attend(l, seqs, positions, batch);
        // output projection, residual: x += wo att
        k.matmul(lw.wo(), lw.bo(), s.att, s.xb2, batch);
        k.add(s.x, s.xb2, c.hiddenSize() * batch);
        // ffn rmsnorm
        k.norm(s.x, lw.mlpNorm(), lw.mlpNormBias(), batch, s.xb);
        // SwiGLU ffn: hb = silu(w_gate xb) * (w_up xb), xb2 = w_down hb
        k.matmul(lw.wGate(), lw.bGate(), s.xb, s.hb, batch);
        k.matmul(lw.wUp(), lw.bUp(), s.xb, s.hb2, batch);
        k.swiglu(s.hb, s.hb2, c.intermediateSize() * batch);
        k.matmul(lw.wDown(), lw.bDown(), s.hb, s.xb2, batch);
        // residual: x += xb2
        k.add(s.x, s.xb2, c.hiddenSize() * batch);
    }

    /** One GPT-2 layer on the batch rows of x (learned positions were added at embedding: no RoPE). */
    private void gpt2Layer(int l, DeviceWeights.Layer lw, List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        // attention layernorm
        k.norm(s.x, lw.attnNorm(), lw.attnNormBias(), batch, s.xb);
        // q, k, v = wq xb + bq, wk xb + bk, wv xb + bv
        k.matmul(lw.wq(), lw.bq(), s.xb, s.q, batch);
        k.matmul(lw.wk(), lw.bk(), s.xb, s.k, batch);
        k.matmul(lw.wv(), lw.bv(), s.xb, s.v, batch);
        attend(l, seqs, positions, batch);
        // output projection, residual: x += wo att + bo
        k.matmul(lw.wo(), lw.bo(), s.att, s.xb2, batch);
        k.add(s.x, s.xb2, c.hiddenSize() * batch);
        // ffn layernorm
        k.norm(s.x, lw.mlpNorm(), lw.mlpNormBias(), batch, s.xb);
        // GELU ffn: hb = gelu(w_up xb + b_up), xb2 = w_down hb + b_down
        k.matmul(lw.wUp(), lw.bUp(), s.xb, s.hb, batch);
        k.gelu(s.hb, c.intermediateSize() * batch);
        k.matmul(lw.wDown(), lw.bDown(), s.hb, s.xb2, batch);
        // residual: x += xb2
        k.add(s.x, s.xb2, c.hiddenSize() * batch);
    }

    /** Per sequence: KV write of this position's k and v into its pages, then attention over its positions [0, position]. */
    private void attend(int l, List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException {
        for (int b = 0; b < batch; b++) {
            k.kvWrite(l, seqs.get(b), b, positions[b]);
            k.attention(l, seqs.get(b), b, positions[b]);
        }
    }

    // ---- launch mode and timing (delegated) -----------------------------------------------------

    /** How kernels are issued. */
    public enum LaunchMode {
        /** one {@link Device#launch} per kernel */
        DIRECT,
        /** on a device with a {@link LaunchRecorder}: each (sequences, batch) step recorded once, then replayed by one call (streamed weights: DIRECT) */
        PROGRAM
    }

    /**
     * Sets how kernels are issued and drops recorded programs.
     *
     * @throws DeviceException UNAVAILABLE for PROGRAM on a device without {@link Device#launchRecorder() launch programs}
     */
    public Decoder launchMode(LaunchMode mode) throws DeviceException {
        programs.mode(mode);
        return this;
    }

    /** PROGRAM by default on a device with launch programs, else DIRECT. */
    public LaunchMode launchMode() { return programs.mode(); }

    /** Steps run by replaying a recorded program (one call each) since this decoder was loaded. */
    public long programReplays() { return programs.replays(); }

    /** Turns the launch timer on or off and zeroes it: nanoTime around each kernel launch or program replay (host time, measured). */
    public void timeKernels(boolean on) { timer.reset(on); }

    /** Nanoseconds spent inside {@link Device#launch} (and program replays) since {@link #timeKernels} turned timing on. */
    public long kernelNanos() { return timer.nanos(); }

    /** Kernel launches (a replay counts its kernels) since {@link #timeKernels} turned timing on. */
    public long kernelLaunches() { return timer.kernels(); }

    /** Frees the recorded programs, the state, the KV cache and the weights, in reverse order of creation. The device stays open. */
    @Override
    public void close() {
        programs.close();
        s.close();
        kv.close();
        w.close();
    }
}
