package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Decoder IRs built directly from random floats (heap segments), for quantizer/planner/package tests. */
public final class TestModels {
    private TestModels() {}

    /** A Llama-shaped config (RMSNorm, SwiGLU, RoPE, GQA). */
    public static DecoderConfig llamaConfig(int vocab, int hidden, int layers, int heads, int kvHeads, int inter, boolean tied) {
        int headDim = hidden / heads;
        return new DecoderConfig(DecoderConfig.Family.LLAMA, vocab, hidden, layers, heads, kvHeads, headDim, inter, 256,
                DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
                10000f, headDim, DecoderConfig.RopeLayout.HALF_SPLIT, tied, true, false, false);
    }

    /** A Llama-shaped model with N(0, 0.02) matrices stored as {@code layout}/{@code type} and norms near 1. */
    public static DecoderModel llama(DecoderConfig cfg, WeightTensor.Layout layout, ElementType type, long seed) {
        Random rnd = new Random(seed);
        Map<String, WeightTensor> w = new LinkedHashMap<>();
        put(w, TensorNames.TOKEN_EMBEDDING, cfg.vocabSize(), cfg.hiddenSize(), WeightTensor.Layout.OUT_IN, type, rnd, 0.02f, 0);
        for (int i = 0; i < cfg.numLayers(); i++) {
            TensorNames.Layer l = TensorNames.layer(i);
            put(w, l.attnNormWeight(), 1, cfg.hiddenSize(), WeightTensor.Layout.OUT_IN, ElementType.F32, rnd, 0.1f, 1f);
            put(w, l.wq(), cfg.queryDim(), cfg.hiddenSize(), layout, type, rnd, 0.02f, 0);
            put(w, l.wk(), cfg.kvDim(), cfg.hiddenSize(), layout, type, rnd, 0.02f, 0);
            put(w, l.wv(), cfg.kvDim(), cfg.hiddenSize(), layout, type, rnd, 0.02f, 0);
            put(w, l.wo(), cfg.hiddenSize(), cfg.queryDim(), layout, type, rnd, 0.02f, 0);
            put(w, l.mlpNormWeight(), 1, cfg.hiddenSize(), WeightTensor.Layout.OUT_IN, ElementType.F32, rnd, 0.1f, 1f);
            put(w, l.wGate(), cfg.intermediateSize(), cfg.hiddenSize(), layout, type, rnd, 0.02f, 0);
            put(w, l.wUp(), cfg.intermediateSize(), cfg.hiddenSize(), layout, type, rnd, 0.02f, 0);
            put(w, l.wDown(), cfg.hiddenSize(), cfg.intermediateSize(), layout, type, rnd, 0.02f, 0);
        }
        put(w, TensorNames.FINAL_NORM_WEIGHT, 1, cfg.hiddenSize(), WeightTensor.Layout.OUT_IN, ElementType.F32, rnd, 0.1f, 1f);
        if (!cfg.tiedEmbeddings()) put(w, TensorNames.LM_HEAD, cfg.vocabSize(), cfg.hiddenSize(), layout, type, rnd, 0.02f, 0);
        return new DecoderModel(cfg, w, Path.of("synthetic.onnx"), new DecoderModel.Generation(List.of(2), 1, null));
    }

    public static DecoderModel tinyLlama(long seed) {
        return llama(llamaConfig(256, 128, 2, 4, 2, 256, false), WeightTensor.Layout.IN_OUT, ElementType.F32, seed);
    }

    private static void put(Map<String, WeightTensor> w, String name, int rows, int cols, WeightTensor.Layout layout,
                            ElementType type, Random rnd, float std, float mean) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = mean + (float) rnd.nextGaussian() * std;
        w.put(name, dense(name, rows, cols, layout, type, v));
    }

    /** A dense tensor holding logical [rows][cols] values {@code v}, stored per layout and type. */
    public static WeightTensor.Dense dense(String name, int rows, int cols, WeightTensor.Layout layout, ElementType type, float[] v) {
        MemorySegment seg = Arena.ofAuto().allocate((long) rows * cols * type.bytes(), 8);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long idx = layout == WeightTensor.Layout.OUT_IN ? (long) r * cols + c : (long) c * rows + r;
                float x = v[r * cols + c];
                switch (type) {
                    case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, idx, x);
                    case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, idx, Float.floatToFloat16(x));
                    case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, idx, (short) (Float.floatToRawIntBits(x) >>> 16));
                }
            }
        }
        return new WeightTensor.Dense(name, rows, cols, type, layout, seg);
    }

    /** Logical [rows][cols] values of a dense tensor, read element by element (test oracle, no tiling). */
    public static float[] logical(WeightTensor.Dense d) {
        float[] v = new float[d.rows() * d.cols()];
        for (int r = 0; r < d.rows(); r++) {
            for (int c = 0; c < d.cols(); c++) {
                long idx = d.layout() == WeightTensor.Layout.OUT_IN || d.rows() == 1 ? (long) r * d.cols() + c : (long) c * d.rows() + r;
                v[r * d.cols() + c] = switch (d.type()) {
                    case F32 -> d.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, idx);
                    case F16 -> Float.float16ToFloat(d.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, idx));
                    case BF16 -> Float.intBitsToFloat(d.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, idx) << 16);
                };
            }
        }
        return v;
    }

    /** SQNR in dB of {@code deq} against {@code ref}. */
    public static double sqnrDb(float[] ref, float[] deq) {
        double s = 0, e = 0;
        for (int i = 0; i < ref.length; i++) {
            s += (double) ref[i] * ref[i];
            double d = ref[i] - deq[i];
            e += d * d;
        }
        return 10 * Math.log10(s / e);
    }

    /** Full reference dequantization of a packed tensor through PackedFormat's scalar path. */
    public static float[] dequantize(PackedTensor p) {
        float[] out = new float[p.rows() * p.cols()];
        for (int r = 0; r < p.rows(); r++) System.arraycopy(p.dequantizeRow(r), 0, out, r * p.cols(), p.cols());
        return out;
    }
}
