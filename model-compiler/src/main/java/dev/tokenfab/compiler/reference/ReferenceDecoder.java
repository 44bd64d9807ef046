package dev.tokenfab.compiler.reference;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.quant.PackedFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Plain-Java decoder over a model package's dequantized weights: no kernels, fp32 KV cache, one
 * sequence. It is the reference the device decoder (and the compiler's accuracy report) is checked
 * against: same weights after quantization, exact float math, so differences measure the kernels
 * (accumulation order, KV-cache precision), not the quantizer.
 *
 * <p>Weights are dequantized once from the package's bytes with the scalar rules of
 * {@link PackedFormat}'s Javadoc and held as float arrays (4 bytes per parameter: meant for test-
 * and report-sized models).
 */
public final class ReferenceDecoder {

    private final DecoderConfig c;
    private final Map<String, float[]> w = new HashMap<>();
    /** [layer][position][kvDim] */
    private final float[][][] keyCache;
    private final float[][][] valueCache;
    private int nextPosition;
    /** Sees the input of every matrix-vector product (calibration); null = none. */
    private InputObserver observer;

    /**
     * Receives the input vector of every weight matrix as {@link #forward} applies it: consumers of one
     * input (q/k/v, gate/up) get the same array instance. For calibration statistics; must not modify it.
     */
    @FunctionalInterface
    public interface InputObserver {
        void accept(String tensor, float[] input);
    }

    /**
     * Dequantizes every tensor of {@code manifest} from the bank files under {@code packageDir}
     * (for packages not written by PackageWriter, e.g. test fixtures; same rules).
     *
     * @throws CompileException PACKAGE_CORRUPT when a part lies outside its file, IO_ERROR when a file cannot be read
     */
    public ReferenceDecoder(Manifest manifest, Path packageDir) throws CompileException {
        this.c = manifest.model();
        try (Arena arena = Arena.ofConfined()) {
            Map<String, MemorySegment> files = new HashMap<>();
            for (Manifest.Tensor t : manifest.tensors()) {
                float[] out = new float[Math.multiplyExact(t.rows(), t.cols())];
                for (Shard sh : shards(t)) {
                    MemorySegment file = files.get(sh.file());
                    if (file == null) {
                        Path p = packageDir.resolve(sh.file());
                        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                        } catch (IOException e) {
                            throw CompileException.io(p, e);
                        }
                        files.put(sh.file(), file);
                    }
                    dequantize(t, sh, file, out);
                }
                w.put(t.name(), out);
            }
        }
        keyCache = new float[c.numLayers()][c.maxContextTokens()][];
        valueCache = new float[c.numLayers()][c.maxContextTokens()][];
    }

    /** Over a verified package: every tensor through {@link ModelPackage#dequantize} (the compiler's scalar reference). */
    public ReferenceDecoder(ModelPackage pkg) {
        this.c = pkg.manifest().model();
        for (Manifest.Tensor t : pkg.manifest().tensors()) w.put(t.name(), pkg.dequantize(t.name()));
        keyCache = new float[c.numLayers()][c.maxContextTokens()][];
        valueCache = new float[c.numLayers()][c.maxContextTokens()][];
    }

    /**
     * A decoder over weights already in memory ([rows * cols] row-major per canonical name), e.g. the
     * dense fp32 weights of an imported model, for calibration before quantization.
     */
    public ReferenceDecoder(DecoderConfig config, Map<String, float[]> weights) {
        this.c = config;
        w.putAll(weights);
        keyCache = new float[c.numLayers()][c.maxContextTokens()][];
        valueCache = new float[c.numLayers()][c.maxContextTokens()][];
    }

    public DecoderConfig config() { return c; }

    /** Installs (or with null removes) the observer of matrix inputs. */
    public void observeInputs(InputObserver o) { observer = o; }

    /** The dequantized [rows * cols] floats of a tensor (row-major), as this decoder uses them. */
    public float[] weights(String name) {
        float[] t = w.get(name);
        if (t == null) throw new IllegalArgumentException("package has no tensor " + name);
        return t;
    }

    /**
     * Logits of {@code token} at {@code position}; positions must come in order 0, 1, 2, ... (a
     * position below the next one rewinds the cache to it).
     */
    public float[] forward(int token, int position) {
        if (position > nextPosition || position >= c.maxContextTokens()) {
            throw new IllegalArgumentException("position " + position + ": expected at most " + nextPosition
                    + " (context " + c.maxContextTokens() + ")");
        }
        if (token < 0 || token >= c.vocabSize()) throw new IllegalArgumentException("token " + token + " outside [0, " + c.vocabSize() + ")");
        nextPosition = position + 1;
        int d = c.hiddenSize();
        float[] x = row(TensorNames.TOKEN_EMBEDDING, token, d);
        if (c.positions() == DecoderConfig.PositionEncoding.LEARNED) add(x, row(TensorNames.POSITION_EMBEDDING, position, d));
        for (int l = 0; l < c.numLayers(); l++) {
            TensorNames.Layer n = TensorNames.layer(l);
            // attention
            float[] xb = norm(x, n.attnNormWeight(), n.attnNormBias());
            float[] q = matvec(n.wq(), n.bq(), xb);
            float[] k = matvec(n.wk(), n.bk(), xb);
            float[] v = matvec(n.wv(), n.bv(), xb);
            if (c.positions() == DecoderConfig.PositionEncoding.ROPE) {
                rope(q, c.numHeads(), position);
                rope(k, c.numKvHeads(), position);
            }
            keyCache[l][position] = k;
            valueCache[l][position] = v;
            add(x, matvec(n.wo(), n.bo(), attention(l, q, position)));
            // MLP
            xb = norm(x, n.mlpNormWeight(), n.mlpNormBias());
            float[] h;
            if (c.activation() == DecoderConfig.Activation.SILU_GLU) {
                float[] gate = matvec(n.wGate(), n.bGate(), xb);
                float[] up = matvec(n.wUp(), n.bUp(), xb);
                h = new float[gate.length];
                for (int i = 0; i < h.length; i++) h[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]);
            } else {
                h = matvec(n.wUp(), n.bUp(), xb);
                for (int i = 0; i < h.length; i++) h[i] = gelu(h[i]);
            }
            add(x, matvec(n.wDown(), n.bDown(), h));
        }
        float[] out = norm(x, TensorNames.FINAL_NORM_WEIGHT, TensorNames.FINAL_NORM_BIAS);
        if (!c.hasLmHead()) return out;
        return matvec(c.tiedEmbeddings() || !w.containsKey(TensorNames.LM_HEAD) ? TensorNames.TOKEN_EMBEDDING : TensorNames.LM_HEAD, null, out);
    }

    private float[] attention(int l, float[] q, int position) {
        int hd = c.headDim();
        int group = c.numHeads() / c.numKvHeads();
        double scale = 1.0 / Math.sqrt(hd);
        float[] out = new float[c.queryDim()];
        double[] score = new double[position + 1];
        for (int h = 0; h < c.numHeads(); h++) {
            int kvOff = (h / group) * hd;
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t <= position; t++) {
                double dot = 0;
                for (int i = 0; i < hd; i++) dot += (double) q[h * hd + i] * keyCache[l][t][kvOff + i];
                score[t] = dot * scale;
                max = Math.max(max, score[t]);
            }
            double sum = 0;
            for (int t = 0; t <= position; t++) sum += score[t] = Math.exp(score[t] - max);
            for (int i = 0; i < hd; i++) {
                double acc = 0;
                for (int t = 0; t <= position; t++) acc += score[t] * valueCache[l][t][kvOff + i];
                out[h * hd + i] = (float) (acc / sum);
            }
        }
        return out;
    }

    /** RoPE on [heads][headDim] in place: pairs per ropeLayout, inv_freq_i = theta^(-2i/rotaryDim). */
    private void rope(float[] x, int heads, int position) {
        int hd = c.headDim(), rot = c.rotaryDim(), half = rot / 2;
        boolean interleaved = c.ropeLayout() == DecoderConfig.RopeLayout.INTERLEAVED;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double angle = position * Math.pow(c.ropeTheta(), -2.0 * i / rot);
                double cos = Math.cos(angle), sin = Math.sin(angle);
                int a = h * hd + (interleaved ? 2 * i : i);
                int b = h * hd + (interleaved ? 2 * i + 1 : i + half);
                float xa = x[a], xb = x[b];
                x[a] = (float) (xa * cos - xb * sin);
                x[b] = (float) (xa * sin + xb * cos);
            }
        }
    }

    private float[] norm(float[] x, String weight, String bias) {
        int n = x.length;
        float[] g = weights(weight);
        float[] y = new float[n];
        if (c.norm() == DecoderConfig.NormKind.RMS_NORM) {
            double ss = 0;
            for (float v : x) ss += (double) v * v;
            double inv = 1.0 / Math.sqrt(ss / n + c.normEpsilon());
            for (int i = 0; i < n; i++) y[i] = (float) (x[i] * inv * g[i]);
        } else {
            double mean = 0;
            for (float v : x) mean += v;
            mean /= n;
            double var = 0;
            for (float v : x) var += (v - mean) * (v - mean);
            double inv = 1.0 / Math.sqrt(var / n + c.normEpsilon());
            float[] b = w.get(bias);
            for (int i = 0; i < n; i++) y[i] = (float) ((x[i] - mean) * inv * g[i] + (b == null ? 0 : b[i]));
        }
        return y;
    }

    /** y = W x (+ bias when the package has it); W is [rows][cols]. */
    private float[] matvec(String name, String bias, float[] x) {
        float[] m = weights(name);
        if (observer != null) observer.accept(name, x);
        int cols = x.length, rows = m.length / cols;
        float[] b = bias == null ? null : w.get(bias);
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double acc = 0;
            int base = r * cols;
            for (int i = 0; i < cols; i++) acc += (double) m[base + i] * x[i];
            y[r] = (float) (acc + (b == null ? 0 : b[r]));
        }
        return y;
    }

    private float[] row(String name, int r, int cols) {
        float[] t = weights(name);
        float[] out = new float[cols];
        System.arraycopy(t, r * cols, out, 0, cols);
        return out;
    }

    private static void add(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) a[i] += b[i];
    }

    private float gelu(float x) {
        if (c.activation() == DecoderConfig.Activation.GELU_ERF) return (float) (0.5 * x * (1 + erf(x / Math.sqrt(2))));
        // tanh approximation (GPT-2): sqrt(2/pi) and 0.044715 from Hendrycks & Gimpel 2016
        return (float) (0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
    }

    /** erf by Abramowitz and Stegun 7.1.26 (absolute error < 1.5e-7). */
    static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
        return Math.copySign(y, x);
    }

    /** Rows [rowStart, rowStart + rows) of a tensor in one bank file. */
    record Shard(int rowStart, int rows, String file, Map<String, Part> parts) {}

    /** The manifest's row shards of a tensor: the one place that knows the manifest's tensor shape. */
    static java.util.List<Shard> shards(Manifest.Tensor t) {
        return t.shards().stream().map(s -> new Shard(s.rowStart(), s.rows(), s.file(), s.parts())).toList();
    }

    /**
     * One shard through {@link PackedFormat#dequantizeRow} (the compiler's scalar reference), into
     * rows [sh.rowStart, sh.rowStart + sh.rows) of {@code all} ([t.rows][t.cols]).
     */
    static void dequantize(Manifest.Tensor t, Shard sh, MemorySegment file, float[] all) throws CompileException {
        int rows = sh.rows(), cols = t.cols(), g = t.groupSize();
        PackedFormat f = t.format();
        MemorySegment data = slice(t, sh, "data", file, f.dataBytes(rows, cols));
        MemorySegment scales = f == PackedFormat.F32 || f == PackedFormat.F16 ? null
                : slice(t, sh, "scales", file, f.scalesBytes(rows, cols, g));
        MemorySegment zeros = f == PackedFormat.Q4_GROUP && sh.parts().containsKey("zeros")
                ? slice(t, sh, "zeros", file, f.zerosBytes(rows, cols, g)) : null;
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            f.dequantizeRow(data, scales, zeros, rows, cols, g, r, row);
            System.arraycopy(row, 0, all, (sh.rowStart() + r) * cols, cols);
        }
    }

    private static MemorySegment slice(Manifest.Tensor t, Shard sh, String part, MemorySegment file, long expectedBytes) throws CompileException {
        Part p = sh.parts().get(part);
        if (p == null) throw new CompileException(CompileException.ErrorCode.PACKAGE_CORRUPT, sh.file() + ": tensor " + t.name() + " has no part " + part);
        if (p.sizeBytes() < expectedBytes || p.offsetBytes() < 0 || p.offsetBytes() + p.sizeBytes() > file.byteSize()) {
            throw new CompileException(CompileException.ErrorCode.PACKAGE_CORRUPT, sh.file() + ": tensor " + t.name() + " rows from " + sh.rowStart() + " part " + part
                    + " [" + p.offsetBytes() + ", +" + p.sizeBytes() + ") needs " + expectedBytes + " bytes inside a file of " + file.byteSize());
        }
        return file.asSlice(p.offsetBytes(), p.sizeBytes());
    }
}
