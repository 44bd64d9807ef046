package dev.tokenfab.compiler.synth;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Test helper: one prefill run of a synthetic decoder (batch 1, empty past) in ONNX Runtime. */
final class OrtHarness {
    private OrtHarness() {}

    record Prefill(long[] logitsShape, float[] logits, long[] presentShape) {}

    static Prefill prefill(Path model, SynthSpec s, long[] ids) throws OrtException {
        long[] pos = new long[ids.length];
        long[] mask = new long[ids.length];
        for (int i = 0; i < ids.length; i++) { pos[i] = i; mask[i] = 1; }
        return prefill(model, s, ids, mask, pos);
    }

    /** One run from an empty cache with explicit attention_mask and position_ids (batch 1). */
    static Prefill prefill(Path model, SynthSpec s, long[] ids, long[] mask, long[] pos) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(model.toString(), o)) {
            Map<String, OnnxTensor> in = new HashMap<>();
            try {
                in.put(DecoderIo.INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, ids.length}));
                in.put(DecoderIo.ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {1, ids.length}));
                in.put(DecoderIo.POSITION_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(pos), new long[] {1, ids.length}));
                for (int l = 0; l < s.layers(); l++) {
                    long[] shape = {1, s.kvHeads(), 0, s.headDim()};
                    in.put(DecoderIo.pastKey(l), OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape));
                    in.put(DecoderIo.pastValue(l), OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape));
                }
                try (OrtSession.Result r = session.run(in)) {
                    OnnxTensor logits = (OnnxTensor) r.get(DecoderIo.LOGITS).orElseThrow();
                    FloatBuffer fb = logits.getFloatBuffer();
                    float[] f = new float[fb.remaining()];
                    fb.get(f);
                    OnnxTensor present = (OnnxTensor) r.get(DecoderIo.presentKey(s.layers() - 1)).orElseThrow();
                    return new Prefill(logits.getInfo().getShape(), f, present.getInfo().getShape());
                }
            } finally {
                in.values().forEach(OnnxTensor::close);
            }
        }
    }
}
