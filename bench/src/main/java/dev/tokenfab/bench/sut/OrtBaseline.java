package dev.tokenfab.bench.sut;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.tokenfab.bench.BenchException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ONNX Runtime baseline: greedy decode of an ONNX decoder export with a KV cache
 * ({@code input_ids}, {@code attention_mask}, optional {@code position_ids}, {@code past*} inputs
 * fed back from {@code present*} outputs in declaration order), on the CUDA execution provider
 * when asked and present, else on the CPU.
 *
 * <p>This is the bench's own minimal loop so the harness runs end to end today; it covers the two
 * KV-cache exports in ../shared/models (GPT-2 with fused ORT contrib ops, past [2,B,H,S,D]; Llama
 * fp16 from the genai builder, past [B,H,S,D]). The compiler's reference runner
 * (dev.tokenfab.compiler.reference.OrtDecoderRunner) replaces it once it lands on main.
 *
 * <p>A past tensor's first symbolic dimension is taken as batch and its last symbolic dimension
 * as sequence, which holds for both layouts.
 */
public final class OrtBaseline implements SystemUnderTest {

    public enum ExecutionProvider { AUTO, CPU, CUDA }

    private final Path model;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final String providerUsed;
    private final String idsName, maskName, posName, logitsName;
    private final OnnxJavaType idsType, maskType, posType, cacheType;
    private final List<String> pastNames, presentNames;
    private final List<long[]> pastShapes;
    private final int vocabularySize;
    private boolean closed;

    private OrtBaseline(Path model, OrtEnvironment env, OrtSession.SessionOptions options, OrtSession session,
                        String providerUsed) throws OrtException, BenchException {
        this.model = model;
        this.env = env;
        this.options = options;
        this.session = session;
        this.providerUsed = providerUsed;
        Map<String, NodeInfo> in = session.getInputInfo();
        Map<String, NodeInfo> out = session.getOutputInfo();
        idsName = find(model, in, "input_ids");
        maskName = find(model, in, "attention_mask");
        posName = in.keySet().stream().filter(n -> n.contains("position_ids")).findFirst().orElse(null);
        idsType = tensor(in.get(idsName)).type;
        maskType = tensor(in.get(maskName)).type;
        posType = posName == null ? null : tensor(in.get(posName)).type;
        pastNames = in.keySet().stream().filter(n -> n.startsWith("past")).toList();
        presentNames = out.keySet().stream().filter(n -> n.startsWith("present")).toList();
        if (pastNames.isEmpty() || pastNames.size() != presentNames.size())
            throw unsupported("expects past*/present* KV-cache pairs, found inputs " + in.keySet() + " and outputs " + out.keySet());
        pastShapes = new ArrayList<>();
        OnnxJavaType ct = null;
        for (String p : pastNames) {
            TensorInfo ti = tensor(in.get(p));
            pastShapes.add(ti.getShape());
            if (ct != null && ct != ti.type) throw unsupported("mixed KV-cache types " + ct + " and " + ti.type);
            ct = ti.type;
        }
        cacheType = ct;
        if (cacheType != OnnxJavaType.FLOAT && cacheType != OnnxJavaType.FLOAT16)
            throw unsupported("KV cache type " + cacheType + " (supported: FLOAT, FLOAT16)");
        for (OnnxJavaType t : new OnnxJavaType[] {idsType, maskType, posType})
            if (t != null && t != OnnxJavaType.INT32 && t != OnnxJavaType.INT64) throw unsupported("integer input type " + t);
        logitsName = out.containsKey("logits") ? "logits" : out.keySet().iterator().next();
        long[] ls = tensor(out.get(logitsName)).getShape();
        if (ls.length != 3 || ls[2] <= 0) throw unsupported("logits shape " + java.util.Arrays.toString(ls) + " (want [batch, seq, vocab])");
        vocabularySize = (int) ls[2];
    }

    /**
     * @param intraOpThreads 0 for ONNX Runtime's default
     * @throws BenchException SYSTEM_UNAVAILABLE when the file is missing, is not a supported decoder,
     *                        or CUDA was required and is absent (the message says which)
     */
    public static OrtBaseline open(Path model, ExecutionProvider ep, int intraOpThreads) throws BenchException {
        if (!Files.isRegularFile(model)) throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE,
                "baseline model " + model + " does not exist");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = null;
        try {
            if (intraOpThreads > 0) options.setIntraOpNumThreads(intraOpThreads);
            String used = "CPU";
            if (ep != ExecutionProvider.CPU) {
                try {
                    options.addCUDA(0);
                    used = "CUDA";
                } catch (OrtException | RuntimeException e) {
                    if (ep == ExecutionProvider.CUDA) throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE,
                            "CUDA execution provider unavailable (" + e.getMessage() + "): use the onnxruntime_gpu artifact on a "
                                    + "machine with an NVIDIA GPU, or --baseline-ep cpu");
                }
            }
            session = env.createSession(model.toString(), options);
            return new OrtBaseline(model, env, options, session, used);
        } catch (OrtException e) {
            closeQuietly(session, options);
            throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, model + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        } catch (BenchException | RuntimeException e) {
            closeQuietly(session, options);
            throw e;
        }
    }

    public String executionProvider() { return providerUsed; }

    public static String onnxRuntimeVersion() {
        try {
            return OrtEnvironment.getEnvironment().getVersion();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    @Override public String name() { return "ort-" + providerUsed.toLowerCase(java.util.Locale.ROOT); }

    @Override
    public String description() {
        return "ONNX Runtime " + onnxRuntimeVersion() + " " + providerUsed + " execution provider, greedy decode of " + dev.tokenfab.bench.result.ResultPaths.label(model);
    }

    @Override public int vocabularySize() { return vocabularySize; }

    @Override
    public void generate(List<long[]> prompts, int generateTokens, TokenSink sink) throws BenchException {
        if (closed) throw new IllegalStateException("OrtBaseline is closed");
        int batch = prompts.size();
        int promptLen = prompts.getFirst().length;
        for (long[] p : prompts) if (p.length != promptLen) throw new BenchException(BenchException.ErrorCode.RUN_FAILED,
                "prompts in one batch must have the same length: " + promptLen + " vs " + p.length);
        List<OnnxTensor> pasts = new ArrayList<>();
        OrtSession.Result previous = null;
        try {
            for (long[] shape : pastShapes) pasts.add(emptyPast(shape, batch));
            long[][] ids = prompts.toArray(new long[0][]);
            int past = 0;
            int steps = Math.max(1, generateTokens); // prefill yields token 0; each later token is one decode step
            for (int step = 0; step < steps; step++) {
                int seq = ids[0].length;
                Map<String, OnnxTensor> inputs = new HashMap<>();
                List<OnnxTensor> owned = new ArrayList<>();
                try {
                    owned.add(put(inputs, idsName, ints(ids, idsType)));
                    long[][] mask = new long[batch][past + seq];
                    for (long[] row : mask) java.util.Arrays.fill(row, 1);
                    owned.add(put(inputs, maskName, ints(mask, maskType)));
                    if (posName != null) {
                        long[][] pos = new long[batch][seq];
                        for (long[] row : pos) for (int i = 0; i < seq; i++) row[i] = past + i;
                        owned.add(put(inputs, posName, ints(pos, posType)));
                    }
                    for (int i = 0; i < pastNames.size(); i++) inputs.put(pastNames.get(i), pasts.get(i));
                    OrtSession.Result r = session.run(inputs);
                    if (previous != null) previous.close(); // its presents were this step's pasts
                    else pasts.forEach(OnnxTensor::close);
                    previous = r;
                } finally {
                    owned.forEach(OnnxTensor::close);
                }
                pasts = new ArrayList<>();
                for (String p : presentNames) pasts.add((OnnxTensor) previous.get(p).orElseThrow());
                if (generateTokens == 0) return;
                long[] next = argmaxLast((OnnxTensor) previous.get(logitsName).orElseThrow(), batch, seq);
                for (int b = 0; b < batch; b++) sink.onToken(b, step, next[b]);
                past += seq;
                ids = new long[batch][1];
                for (int b = 0; b < batch; b++) ids[b][0] = next[b];
            }
        } catch (OrtException e) {
            throw new BenchException(BenchException.ErrorCode.RUN_FAILED, model + ": ONNX Runtime run failed: " + e.getMessage(), e);
        } finally {
            if (previous != null) previous.close();
            else pasts.forEach(OnnxTensor::close);
        }
    }

    private long[] argmaxLast(OnnxTensor logits, int batch, int seq) {
        FloatBuffer f = logits.getFloatBuffer(); // fp16 logits are widened to float by ONNX Runtime
        long[] out = new long[batch];
        for (int b = 0; b < batch; b++) {
            int base = (b * seq + seq - 1) * vocabularySize;
            int best = 0;
            float bestV = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < vocabularySize; v++) {
                float x = f.get(base + v);
                if (x > bestV) { bestV = x; best = v; }
            }
            out[b] = best;
        }
        return out;
    }

    private OnnxTensor emptyPast(long[] declared, int batch) throws OrtException {
        long[] shape = declared.clone();
        int first = -1, last = -1;
        for (int i = 0; i < shape.length; i++) if (shape[i] < 0) { if (first < 0) first = i; last = i; }
        if (first < 0 || first == last) throw new IllegalStateException("past shape " + java.util.Arrays.toString(declared)
                + " lacks symbolic batch and sequence dimensions");
        shape[first] = batch;
        shape[last] = 0;
        return cacheType == OnnxJavaType.FLOAT16
                ? OnnxTensor.createTensor(env, ShortBuffer.allocate(0), shape, OnnxJavaType.FLOAT16)
                : OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape);
    }

    private OnnxTensor ints(long[][] rows, OnnxJavaType type) throws OrtException {
        long[] shape = {rows.length, rows[0].length};
        if (type == OnnxJavaType.INT32) {
            IntBuffer b = IntBuffer.allocate(rows.length * rows[0].length);
            for (long[] r : rows) for (long v : r) b.put((int) v);
            return OnnxTensor.createTensor(env, b.flip(), shape);
        }
        LongBuffer b = LongBuffer.allocate(rows.length * rows[0].length);
        for (long[] r : rows) b.put(r);
        return OnnxTensor.createTensor(env, b.flip(), shape);
    }

    private static OnnxTensor put(Map<String, OnnxTensor> m, String name, OnnxTensor t) {
        m.put(name, t);
        return t;
    }

    private static String find(Path model, Map<String, NodeInfo> in, String part) throws BenchException {
        return in.keySet().stream().filter(n -> n.contains(part)).findFirst().orElseThrow(() -> new BenchException(
                BenchException.ErrorCode.SYSTEM_UNAVAILABLE, model + ": not a supported KV-cache decoder export: no input named like '" + part + "'; inputs: " + in.keySet()));
    }

    private static TensorInfo tensor(NodeInfo n) throws BenchException {
        if (n.getInfo() instanceof TensorInfo t) return t;
        throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, n.getName() + " is not a tensor");
    }

    private BenchException unsupported(String why) {
        return new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, model + ": not a supported KV-cache decoder export: " + why);
    }

    private static void closeQuietly(OrtSession s, OrtSession.SessionOptions o) {
        try {
            if (s != null) s.close();
        } catch (OrtException ignored) {
            // already failing
        }
        o.close();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeQuietly(session, options);
    }
}
