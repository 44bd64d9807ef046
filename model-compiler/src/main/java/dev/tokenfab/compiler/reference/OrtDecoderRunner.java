package dev.tokenfab.compiler.reference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an ONNX decoder in ONNX Runtime Java: the numerical reference of tokenfab and its benchmark
 * baseline. The I/O convention is discovered from the model ({@link DecoderConvention}):
 * onnxruntime-genai ({@code past_key_values.N.key/value} -> {@code present.N.key/value}), ORT's fused
 * GPT-2 ({@code past_N} [2,B,H,S,D] -> {@code present_N}) and the raw torch GPT-2 body (output
 * {@code last_state}, no mask/positions, one token per run). Ids, mask and position inputs are fed in
 * the model's own integer type, and the cache in its own float type (fp16 models keep an fp16 cache).
 * Batch is 1.
 *
 * <p>Timings are wall clock (System.nanoTime) around {@code session.run}, measured on this host with
 * the chosen execution provider. Not thread-safe; close it to free the native session.
 */
public final class OrtDecoderRunner implements AutoCloseable {

    /**
     * @param withCuda        use the CUDA execution provider (fails with PROVIDER_UNAVAILABLE when this
     *                        ONNX Runtime build lacks it; the Maven artifact {@code onnxruntime} is CPU-only)
     * @param optimization    graph optimization level (never NO_OPT by default: the genai fp16 fixture fails
     *                        without optimizations on a second sequence length)
     * @param intraOpThreads  ORT intra-op threads; 0 = ORT's default (one per core)
     */
    public record Options(boolean withCuda, OrtSession.SessionOptions.OptLevel optimization, int intraOpThreads) {
        public static Options cpu() { return new Options(false, OrtSession.SessionOptions.OptLevel.ALL_OPT, 0); }

        public static Options cuda() { return new Options(true, OrtSession.SessionOptions.OptLevel.ALL_OPT, 0); }

        public Options withIntraOpThreads(int threads) { return new Options(withCuda, optimization, threads); }
    }

    private final Path model;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final DecoderConvention convention;
    private final String provider;
    private boolean closed;

    private OrtDecoderRunner(Path model, OrtEnvironment env, OrtSession session, DecoderConvention convention, String provider) {
        this.model = model;
        this.env = env;
        this.session = session;
        this.convention = convention;
        this.provider = provider;
    }

    /** Opens {@code model} on the CPU execution provider. @see #open(Path, Options) */
    public static OrtDecoderRunner open(Path model) throws ReferenceException {
        return open(model, Options.cpu());
    }

    /**
     * Loads the model and discovers its decoder convention.
     *
     * @throws ReferenceException MODEL_LOAD (missing file, ORT load error), PROVIDER_UNAVAILABLE,
     *                            UNSUPPORTED_IO (not a decoder with a KV cache the runner knows)
     */
    public static OrtDecoderRunner open(Path model, Options options) throws ReferenceException {
        if (!Files.isRegularFile(model)) {
            throw new ReferenceException(ReferenceException.ErrorCode.MODEL_LOAD, model + ": no such model file");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String provider = "CPU";
        OrtSession session;
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(options.optimization());
            // real exports trigger pages of ORT warnings (duplicate initializers); errors still surface as OrtException
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            if (options.intraOpThreads() > 0) so.setIntraOpNumThreads(options.intraOpThreads());
            if (options.withCuda()) {
                if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
                    throw new ReferenceException(ReferenceException.ErrorCode.PROVIDER_UNAVAILABLE,
                            "CUDA execution provider not available in this ONNX Runtime build (available: "
                                    + OrtEnvironment.getAvailableProviders() + "); use com.microsoft.onnxruntime:onnxruntime_gpu");
                }
                so.addCUDA(0);
                provider = "CUDA";
            }
            session = env.createSession(model.toString(), so);
        } catch (OrtException e) {
            throw new ReferenceException(ReferenceException.ErrorCode.MODEL_LOAD, model + ": ONNX Runtime could not load it: "
                    + e.getMessage(), e);
        }
        try {
            return new OrtDecoderRunner(model, env, session, discover(model, session), provider);
        } catch (ReferenceException | RuntimeException e) {
            closeQuietly(session, e);
            throw e;
        }
    }

    /** The discovered I/O convention. */
    public DecoderConvention convention() { check(); return convention; }

    /** Name of the output whose last row {@link #greedy} and {@link #teacherForced} return (logits or a hidden state). */
    public String outputName() { check(); return convention.outputName(); }

    /** "CPU" or "CUDA". */
    public String executionProvider() { return provider; }

    /**
     * Greedy decoding: the prompt in one run (token by token for single-token models), then one token
     * per run, feeding the presents back. Returns {@code newTokens} tokens; the first comes from the prefill.
     *
     * @throws ReferenceException BAD_ARGUMENT (empty prompt, newTokens &lt; 1, no logits output), RUN_FAILED
     */
    public GreedyResult greedy(long[] promptIds, int newTokens) throws ReferenceException {
        check();
        if (promptIds.length == 0) throw new ReferenceException(ReferenceException.ErrorCode.BAD_ARGUMENT, "empty prompt");
        if (newTokens < 1) throw new ReferenceException(ReferenceException.ErrorCode.BAD_ARGUMENT, "newTokens must be >= 1, was " + newTokens);
        if (!convention.hasLogits()) {
            throw new ReferenceException(ReferenceException.ErrorCode.BAD_ARGUMENT, model + " has no logits output (body-only, output "
                    + convention.outputName() + "): greedy decoding needs logits; use teacherForced for its hidden states");
        }
        long[] tokens = new long[newTokens];
        List<float[]> rows = new ArrayList<>(newTokens);
        double[] decodeSeconds = new double[newTokens - 1];
        try (Cache cache = new Cache()) {
            long t0 = System.nanoTime();
            float[] last;
            if (convention.singleToken()) {
                last = null;
                for (long id : promptIds) last = cache.step(new long[] {id});
            } else {
                last = cache.step(promptIds);
            }
            double prefillSeconds = (System.nanoTime() - t0) * 1e-9;
            for (int i = 0; i < newTokens; i++) {
                rows.add(last);
                tokens[i] = Margins.argmax(last);
                if (i == newTokens - 1) break;
                long t = System.nanoTime();
                last = cache.step(new long[] {tokens[i]});
                decodeSeconds[i] = (System.nanoTime() - t) * 1e-9;
            }
            return new GreedyResult(tokens, List.copyOf(rows), prefillSeconds, decodeSeconds, convention.singleToken(), provider);
        }
    }

    /**
     * Feeds {@code tokenIds} one token per run from an empty cache; returns the output row after each
     * position (logits, or the hidden state of a body-only model).
     *
     * @throws ReferenceException BAD_ARGUMENT (no tokens), RUN_FAILED
     */
    public List<float[]> teacherForced(long[] tokenIds) throws ReferenceException {
        check();
        if (tokenIds.length == 0) throw new ReferenceException(ReferenceException.ErrorCode.BAD_ARGUMENT, "no tokens to feed");
        List<float[]> rows = new ArrayList<>(tokenIds.length);
        try (Cache cache = new Cache()) {
            for (long id : tokenIds) rows.add(cache.step(new long[] {id}));
        }
        return List.copyOf(rows);
    }

    /**
     * One run over {@code tokenIds} from an empty cache; returns the output rows of every position
     * ([seq][vocab or hidden]). Not for single-token models.
     *
     * @throws ReferenceException BAD_ARGUMENT, RUN_FAILED
     */
    public float[][] prefillAll(long[] tokenIds) throws ReferenceException {
        check();
        if (tokenIds.length == 0) throw new ReferenceException(ReferenceException.ErrorCode.BAD_ARGUMENT, "no tokens to feed");
        if (convention.singleToken() && tokenIds.length > 1) {
            throw new ReferenceException(ReferenceException.ErrorCode.BAD_ARGUMENT, model + " takes one token per run ("
                    + convention.idsName() + " is [batch, 1]); use teacherForced");
        }
        try (Cache cache = new Cache()) {
            return cache.run(tokenIds);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing ONNX Runtime session of " + model + ": " + e.getMessage(), e);
        }
    }

    private void check() {
        if (closed) throw new IllegalStateException("OrtDecoderRunner for " + model + " is closed");
    }

    /** The KV cache of one sequence: the previous run's Result, whose presents are the next run's pasts. */
    private final class Cache implements AutoCloseable {
        private OrtSession.Result previous;
        private long pastLength;

        /** Runs tokens and returns the output row of the last position. */
        float[] step(long[] ids) throws ReferenceException {
            float[][] rows = run(ids);
            return rows[rows.length - 1];
        }

        float[][] run(long[] ids) throws ReferenceException {
            Map<String, OnnxTensor> owned = new HashMap<>();
            Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
            OrtSession.Result result = null;
            try {
                int seq = ids.length;
                long total = pastLength + seq;
                put(owned, inputs, convention.idsName(), intTensor(convention.idsType(), ids, new long[] {1, seq}));
                if (convention.maskName() != null) {
                    long[] mask = new long[(int) total];
                    java.util.Arrays.fill(mask, 1);
                    put(owned, inputs, convention.maskName(), intTensor(convention.maskType(), mask, new long[] {1, total}));
                }
                if (convention.positionName() != null) {
                    long[] pos = new long[seq];
                    for (int i = 0; i < seq; i++) pos[i] = pastLength + i;
                    put(owned, inputs, convention.positionName(), intTensor(convention.positionType(), pos, new long[] {1, seq}));
                }
                for (DecoderConvention.CachePair pair : convention.cache()) {
                    if (previous == null) {
                        put(owned, inputs, pair.past(), emptyCache());
                    } else {
                        inputs.put(pair.past(), (OnnxTensor) previous.get(pair.present()).orElseThrow());
                    }
                }
                result = session.run(inputs);
                float[][] rows = outputRows(result);
                if (previous != null) previous.close();
                previous = result;
                result = null;
                pastLength = total;
                return rows;
            } catch (OrtException e) {
                throw new ReferenceException(ReferenceException.ErrorCode.RUN_FAILED, model + ": ONNX Runtime failed at past length "
                        + pastLength + " with " + ids.length + " new token(s): " + e.getMessage(), e);
            } finally {
                if (result != null) result.close();
                owned.values().forEach(OnnxTensor::close);
            }
        }

        private float[][] outputRows(OrtSession.Result result) throws OrtException, ReferenceException {
            OnnxValue v = result.get(convention.outputName()).orElseThrow();
            if (!(v instanceof OnnxTensor t)) {
                throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": output "
                        + convention.outputName() + " is not a tensor");
            }
            long[] shape = t.getInfo().getShape();
            FloatBuffer fb = t.getFloatBuffer(); // fp16/bf16 outputs are widened to float by ORT Java
            if (fb == null) {
                throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": output "
                        + convention.outputName() + " has type " + t.getInfo().type + ", expected a float type");
            }
            int width = (int) shape[shape.length - 1];
            int rowsCount = fb.remaining() / width;
            float[][] rows = new float[rowsCount][width];
            for (float[] r : rows) fb.get(r);
            return rows;
        }

        private OnnxTensor emptyCache() throws OrtException {
            long[] shape = convention.cacheLayout() == DecoderConvention.CacheLayout.STACKED_KV
                    ? new long[] {2, 1, convention.cacheHeads(), 0, convention.cacheHeadDim()}
                    : new long[] {1, convention.cacheHeads(), 0, convention.cacheHeadDim()};
            return switch (convention.cacheType()) {
                case FLOAT16 -> OnnxTensor.createTensor(env, ShortBuffer.allocate(0), shape, OnnxJavaType.FLOAT16);
                case BFLOAT16 -> OnnxTensor.createTensor(env, ShortBuffer.allocate(0), shape, OnnxJavaType.BFLOAT16);
                default -> OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape);
            };
        }

        @Override
        public void close() {
            if (previous != null) previous.close();
            previous = null;
        }
    }

    private static void put(Map<String, OnnxTensor> owned, Map<String, OnnxTensor> inputs, String name, OnnxTensor t) {
        owned.put(name, t);
        inputs.put(name, t);
    }

    private OnnxTensor intTensor(OnnxJavaType type, long[] values, long[] shape) throws OrtException {
        if (type == OnnxJavaType.INT32) {
            int[] ints = new int[values.length];
            for (int i = 0; i < ints.length; i++) ints[i] = Math.toIntExact(values[i]);
            return OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape);
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
    }

    /** Finds ids/mask/positions, the cache pairs and the output in the model's declared I/O. */
    static DecoderConvention discover(Path model, OrtSession session) throws ReferenceException {
        Map<String, NodeInfo> in;
        Map<String, NodeInfo> out;
        try {
            in = session.getInputInfo();
            out = session.getOutputInfo();
        } catch (OrtException e) {
            throw new ReferenceException(ReferenceException.ErrorCode.MODEL_LOAD, model + ": cannot read I/O info: " + e.getMessage(), e);
        }
        TensorInfo ids = tensor(model, in, "input_ids", true);
        OnnxJavaType idsType = integerType(model, "input_ids", ids);
        long[] idsShape = ids.getShape();
        boolean singleToken = idsShape.length == 2 && idsShape[1] == 1;
        TensorInfo mask = tensor(model, in, "attention_mask", false);
        TensorInfo pos = tensor(model, in, "position_ids", false);

        List<DecoderConvention.CachePair> cache = new ArrayList<>();
        DecoderConvention.CacheLayout layout = null;
        OnnxJavaType cacheType = null;
        long heads = -1, headDim = -1;
        for (Map.Entry<String, NodeInfo> e : in.entrySet()) {
            String name = e.getKey();
            String present;
            DecoderConvention.CacheLayout l;
            if (name.startsWith("past_key_values.")) {
                present = "present." + name.substring("past_key_values.".length());
                l = DecoderConvention.CacheLayout.SEPARATE_KV;
            } else if (name.matches("past_\\d+")) {
                present = "present_" + name.substring("past_".length());
                l = DecoderConvention.CacheLayout.STACKED_KV;
            } else if (name.equals("input_ids") || name.equals("attention_mask") || name.equals("position_ids")) {
                continue;
            } else {
                throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": input " + name
                        + " is none of input_ids, attention_mask, position_ids, past_key_values.N.key/value, past_N");
            }
            if (layout != null && layout != l) {
                throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": mixes cache layouts ("
                        + layout + " and " + l + " at input " + name + ")");
            }
            layout = l;
            if (!out.containsKey(present)) {
                throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": cache input " + name
                        + " has no matching output " + present);
            }
            TensorInfo ti = tensor(model, in, name, true);
            long[] shape = ti.getShape();
            int rank = l == DecoderConvention.CacheLayout.STACKED_KV ? 5 : 4;
            if (shape.length != rank || shape[rank - 3] <= 0 || shape[rank - 1] <= 0) {
                throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": cache input " + name
                        + " has shape " + java.util.Arrays.toString(shape) + ", expected rank " + rank + " with fixed heads and head size");
            }
            if (ti.type != OnnxJavaType.FLOAT && ti.type != OnnxJavaType.FLOAT16 && ti.type != OnnxJavaType.BFLOAT16) {
                throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": cache input " + name
                        + " has type " + ti.type + ", expected FLOAT, FLOAT16 or BFLOAT16");
            }
            cacheType = ti.type;
            heads = shape[rank - 3];
            headDim = shape[rank - 1];
            cache.add(new DecoderConvention.CachePair(name, present));
        }
        if (cache.isEmpty()) {
            throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model
                    + ": no KV cache inputs (past_key_values.N.key/value or past_N); inputs are " + in.keySet());
        }
        String output;
        boolean logits;
        if (out.containsKey("logits")) {
            output = "logits";
            logits = true;
        } else {
            output = out.keySet().stream().filter(n -> !n.startsWith("present")).findFirst().orElseThrow(() ->
                    new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": no logits or hidden-state output; outputs are " + out.keySet()));
            logits = false;
        }
        return new DecoderConvention("input_ids", idsType, singleToken,
                mask == null ? null : "attention_mask", mask == null ? null : integerType(model, "attention_mask", mask),
                pos == null ? null : "position_ids", pos == null ? null : integerType(model, "position_ids", pos),
                layout, List.copyOf(cache), cacheType, heads, headDim, output, logits);
    }

    private static TensorInfo tensor(Path model, Map<String, NodeInfo> io, String name, boolean required) throws ReferenceException {
        NodeInfo n = io.get(name);
        if (n == null) {
            if (!required) return null;
            throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": no input " + name + "; inputs are " + io.keySet());
        }
        if (!(n.getInfo() instanceof TensorInfo t)) {
            throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": input " + name + " is not a tensor");
        }
        return t;
    }

    private static OnnxJavaType integerType(Path model, String name, TensorInfo t) throws ReferenceException {
        if (t.type != OnnxJavaType.INT64 && t.type != OnnxJavaType.INT32) {
            throw new ReferenceException(ReferenceException.ErrorCode.UNSUPPORTED_IO, model + ": input " + name + " has type "
                    + t.type + ", expected INT64 or INT32");
        }
        return t.type;
    }

    private static void closeQuietly(OrtSession s, Exception primary) {
        try {
            s.close();
        } catch (OrtException e) {
            primary.addSuppressed(e);
        }
    }

    /** Reads a little-endian float32 file (golden logits). */
    public static float[] readF32(Path file) throws java.io.IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }
}
