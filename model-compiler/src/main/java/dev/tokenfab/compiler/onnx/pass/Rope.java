package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Tensor;

/**
 * RoPE facts of one Rope/Attention node, and recovery of the base θ from the cos/sin tables:
 * cos[p][i] = cos(p · θ^(−2i/d)), so the angle at a position p gives inv_freq[i] and a least-squares fit of
 * log inv_freq[i] = −(2i/d) · log θ gives θ. The fit also rejects tables that are not plain RoPE.
 */
final class Rope {
    /** Largest relative misfit of log inv_freq tolerated before the table is called non-standard (scaled) RoPE. */
    static final double MAX_LOG_FREQ_MISFIT = 0.02;

    /** Fit error below which θ is snapped to 3 significant digits; fp16 caches fit within about 3e-5. */
    static final double SNAP_RELATIVE = 2e-4;

    final Tensor cos;
    final Tensor sin;
    /** θ^(−2i/d) for i in [0, d/2), when cos/sin are computed at run time instead of cached */
    final Tensor invFreq;
    final boolean interleaved;
    final int rotaryDimAttr;
    final String where;

    private Rope(Tensor cos, Tensor sin, Tensor invFreq, boolean interleaved, int rotaryDimAttr, String where) {
        this.invFreq = invFreq;
        this.cos = cos;
        this.sin = sin;
        this.interleaved = interleaved;
        this.rotaryDimAttr = rotaryDimAttr;
        this.where = where;
    }

    static Rope of(Node rope, Graph.Index idx) {
        if (rope.intAttr("inv_freq", 0) == 1) {
            return new Rope(null, null, idx.constant(rope.input(1)).orElseThrow(), rope.intAttr("interleaved", 0) == 1,
                    (int) rope.intAttr("rotary_dim", 0), rope.describe());
        }
        return new Rope(idx.constant(rope.input(1)).orElse(null), idx.constant(rope.input(2)).orElse(null), null,
                rope.intAttr("interleaved", 0) == 1, (int) rope.intAttr("rotary_dim", 0), rope.describe());
    }

    /** GroupQueryAttention with do_rotary: caches are its inputs 5 and 6 (after our renumbering). */
    static Rope ofCaches(Node attention, Graph.Index idx) {
        return new Rope(idx.constant(attention.input(5)).orElse(null), idx.constant(attention.input(6)).orElse(null), null,
                attention.intAttr("rotary_interleaved", 0) == 1, 0, attention.describe());
    }

    private long width() { return cos.dim(-1); }

    private long rows() { return cos.elementCount() / width(); }

    private double at(Tensor t, long p, long i) { return t.getDouble(p * width() + i); }

    /** True when columns i and i + w/2 hold the same frequency (HF's cat(freqs, freqs) tables). */
    private boolean duplicatedHalves() {
        long w = width(), half = w / 2;
        if (w % 2 != 0 || rows() < 2) return false;
        for (long p = 1; p < Math.min(rows(), 5); p++) {
            for (long i = 0; i < half; i++) if (Math.abs(at(cos, p, i) - at(cos, p, i + half)) > 1e-3) return false;
        }
        return true;
    }

    /** True when columns 2i and 2i + 1 hold the same frequency (GPT-J interleaved tables). */
    private boolean duplicatedPairs() {
        long w = width();
        if (w % 2 != 0 || rows() < 2) return false;
        for (long p = 1; p < Math.min(rows(), 5); p++) {
            for (long i = 0; i < w; i += 2) if (Math.abs(at(cos, p, i) - at(cos, p, i + 1)) > 1e-3) return false;
        }
        return true;
    }

    /** Table column holding frequency i: 2i in interleaved full tables, i otherwise (half tables, HF cat tables). */
    private long column(long i) {
        return interleaved && duplicatedPairs() ? 2 * i : i;
    }

    int rotaryDim(int headDim) {
        if (rotaryDimAttr > 0) return rotaryDimAttr;
        if (invFreq != null) return (int) Math.min(2 * invFreq.elementCount(), headDim);
        if (cos == null) return headDim;
        long w = width();
        long dim = duplicatedHalves() || interleaved && duplicatedPairs() ? w : 2 * w;
        return (int) Math.min(dim, headDim);
    }

    float theta(int rotaryDim, Graph graph) throws CompileException {
        if (invFreq != null) return fit(rotaryDim, graph, i -> Math.log(invFreq.getDouble(i)));
        if (cos == null || sin == null) {
            throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, graph.source() + ": " + where
                    + " computes cos/sin at run time; export with precomputed cos/sin caches (e.g. onnxruntime-genai's builder)");
        }
        return fit(rotaryDim, graph, this::logInverseFrequencyFromTables);
    }

    private double logInverseFrequencyFromTables(int i) {
        long col = column(i);
        double a1 = Math.atan2(at(sin, 1, col), at(cos, 1, col));
        // a far position gives more digits (fp16 tables) while the angle stays below pi
        long p = a1 > 1e-9 ? Math.min(rows() - 1, (long) Math.floor(3.0 / a1)) : rows() - 1;
        p = Math.max(1, p);
        double angle = Math.atan2(at(sin, p, col), at(cos, p, col));
        if (angle < 0) angle += 2 * Math.PI;
        return Math.log(angle / p);
    }

    private float fit(int rotaryDim, Graph graph, java.util.function.IntToDoubleFunction logInverseFrequency) throws CompileException {
        int half = rotaryDim / 2;
        double[] logInv = new double[half];
        for (int i = 0; i < half; i++) logInv[i] = logInverseFrequency.applyAsDouble(i);
        double num = 0, den = 0;
        for (int i = 1; i < half; i++) {
            double a = 2.0 * i / rotaryDim;
            num += a * logInv[i];
            den += a * a;
        }
        if (den == 0) {
            throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, graph.source() + ": " + where + ": rotary dim " + rotaryDim + " too small to fit theta");
        }
        double logTheta = -num / den;
        for (int i = 0; i < half; i++) {
            double predicted = -(2.0 * i / rotaryDim) * logTheta;
            if (Math.abs(predicted - logInv[i]) > MAX_LOG_FREQ_MISFIT * Math.max(1, Math.abs(predicted))) {
                throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, graph.source() + ": " + where
                        + ": the cos/sin cache frequencies do not follow theta^(-2i/d) (frequency " + i + " is "
                        + Math.exp(logInv[i]) + ", plain RoPE with the fitted theta gives " + Math.exp(predicted)
                        + "); scaled RoPE variants are not supported");
            }
        }
        double theta = Math.exp(logTheta);
        // published bases have at most 3 significant digits (10000, 500000, 1000000); snap when the fit is that close
        double magnitude = Math.pow(10, Math.floor(Math.log10(theta)) - 2);
        double snapped = Math.rint(theta / magnitude) * magnitude;
        if (Math.abs(theta - snapped) / snapped < SNAP_RELATIVE) theta = snapped;
        return (float) theta;
    }
}
