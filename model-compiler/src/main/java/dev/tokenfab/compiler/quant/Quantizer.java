package dev.tokenfab.compiler.quant;

import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The quantize pass: dense weights → packed tensors in the package layout ({@link PackedFormat}).
 * <ul>
 *   <li>1-D tensors (norm weights, biases) stay F32; learned position embeddings become F16.</li>
 *   <li>2-D tensors take the scheme's format (F16, Q8_CHANNEL, Q4_GROUP), or F16 when named by
 *       {@code keepFp16}. The token embedding is packed like any matrix (rows = vocab).</li>
 *   <li>INT4 tensors whose cols are not a multiple of the group size fall back to Q8_CHANNEL (noted).</li>
 *   <li>Already-quantized imports pass through unchanged.</li>
 * </ul>
 * Work is split into row blocks of about {@link #TASK_BUFFER_FLOATS} floats and run on
 * {@code spec.threads()} workers; each block is read once (IN_OUT blocks through a transpose tile).
 * NaN/Inf anywhere → {@link ErrorCode#NON_FINITE_WEIGHT} naming tensor and row.
 */
public final class Quantizer {

    /** Floats per work item buffer (4 MiB): small enough for 2 workers under -Xmx2g with headroom,
     *  large enough that an IN_OUT block reads runs of >= 1 KiB per stored row for cols <= 4096. */
    static final int TASK_BUFFER_FLOATS = 1 << 20;

    /** The format chosen for one tensor, with the reason when it is not the scheme's default. */
    public record FormatChoice(PackedFormat format, int groupSize, boolean zeroPoints, String method, String note) {}

    private final QuantSpec spec;
    private final CalibrationStats stats;
    /** GPTQ factors by Hessian array identity (q/k/v share one), computed on first use, dropped after the pass. */
    private final Map<float[], float[]> gptqFactors = new java.util.IdentityHashMap<>();

    public Quantizer(QuantSpec spec, CalibrationStats stats) {
        this.spec = spec;
        this.stats = stats == null ? CalibrationStats.none() : stats;
    }

    /** Checks the spec; the message lists the allowed values. */
    public void validateSpec() throws CompileException {
        if (spec.scheme() == QuantScheme.INT4) {
            if (!QuantSpec.ALLOWED_GROUP_SIZES.contains(spec.groupSize())) {
                throw new CompileException(ErrorCode.BAD_OPTION, "group size " + spec.groupSize() + " not allowed; allowed: 32, 64, 128");
            }
        }
    }

    /** Decides every tensor's packed format without reading any weight. */
    public Map<String, FormatChoice> chooseFormats(DecoderModel model) throws CompileException {
        validateSpec();
        for (String p : spec.keepFp16()) {
            boolean hit = model.weights().keySet().stream().anyMatch(n -> QuantSpec.matches(p, n));
            if (!hit) {
                throw new CompileException(ErrorCode.BAD_OPTION, "--keep-fp16 '" + p + "' names no tensor of the model; tensors are e.g. "
                        + String.join(", ", model.weights().keySet().stream().limit(6).toList()) + ", ...");
            }
        }
        Map<String, FormatChoice> out = new LinkedHashMap<>();
        for (WeightTensor w : model.weights().values()) out.put(w.name(), choose(w));
        return out;
    }

    private FormatChoice choose(WeightTensor w) {
        if (w instanceof WeightTensor.Quantized q) {
            return new FormatChoice(q.format(), q.groupSize(), q.zeros() != null, "imported", "already quantized in the source model");
        }
        if (w.rows() == 1) return new FormatChoice(PackedFormat.F32, 0, false, "f32", null);
        if (w.name().equals(TensorNames.POSITION_EMBEDDING)) {
            return new FormatChoice(PackedFormat.F16, 0, false, "fp16", "learned positions kept fp16");
        }
        if (spec.keptFp16(w.name())) return new FormatChoice(PackedFormat.F16, 0, false, "fp16", "--keep-fp16");
        return switch (spec.scheme()) {
            case FP16 -> new FormatChoice(PackedFormat.F16, 0, false, "fp16", null);
            case INT8 -> new FormatChoice(PackedFormat.Q8_CHANNEL, 0, false, "int8-channel", null);
            case INT4 -> {
                if (w.cols() % spec.groupSize() != 0) {
                    yield new FormatChoice(PackedFormat.Q8_CHANNEL, 0, false, "int8-channel",
                            "cols " + w.cols() + " not a multiple of group size " + spec.groupSize() + ": int8 fallback");
                }
                String note = null;
                String method = switch (spec.int4Method() == null ? Int4Method.RTN : spec.int4Method()) {
                    case RTN -> "int4-rtn";
                    case AWQ -> stats.meanAbs(w.name()) != null ? "int4-awq" : "int4-mse-clip";
                    case GPTQ -> {
                        float[] h = stats.hessian(w.name());
                        if (h != null && h.length == w.cols() * w.cols() && w.cols() <= Gptq.MAX_COLS) yield "int4-gptq";
                        note = h == null ? "no calibration Hessian: clip search instead of gptq"
                                : "Hessian unusable (size or cols > " + Gptq.MAX_COLS + "): clip search instead of gptq";
                        yield "int4-mse-clip";
                    }
                };
                yield new FormatChoice(PackedFormat.Q4_GROUP, spec.groupSize(), spec.zeroPoints(), method, note);
            }
        };
    }

    /** Bytes of every part the quantizer will allocate (imported tensors excluded: they are not copied). */
    public static List<Long> partSizes(DecoderModel model, Map<String, FormatChoice> formats) {
        List<Long> sizes = new ArrayList<>();
        for (WeightTensor w : model.weights().values()) {
            if (w instanceof WeightTensor.Quantized) continue;
            FormatChoice f = formats.get(w.name());
            for (String part : f.format().partNames(f.zeroPoints())) {
                sizes.add(f.format().partBytes(part, w.rows(), w.cols(), f.groupSize()));
            }
        }
        return sizes;
    }

    /**
     * Quantizes every weight of {@code model} into {@code store}.
     *
     * @throws CompileException NON_FINITE_WEIGHT (tensor and row named), BAD_TENSOR (imported sizes), BAD_OPTION
     */
    public QuantizedModel quantize(DecoderModel model, PackedStore store) throws CompileException {
        Map<String, FormatChoice> formats = chooseFormats(model);
        Map<String, Awq.Transform> transforms = new HashMap<>();
        Map<String, String> awqNotes = new HashMap<>();
        if (spec.scheme() == QuantScheme.INT4 && spec.int4Method() == Int4Method.AWQ && !stats.isEmpty()) {
            Awq.plan(model, formats, stats, transforms, awqNotes);
        }

        Map<String, PackedTensor> packed = new LinkedHashMap<>();
        List<Item> items = new ArrayList<>();
        long sourceBytes = 0, params = 0;
        for (WeightTensor w : model.weights().values()) {
            FormatChoice f = formats.get(w.name());
            params += (long) w.rows() * w.cols();
            switch (w) {
                case WeightTensor.Quantized q -> {
                    packed.put(q.name(), importQuantized(q));
                    sourceBytes += packed.get(q.name()).sizeBytes();
                }
                case WeightTensor.Dense d -> {
                    sourceBytes += d.data().byteSize();
                    PackedTensor p = new PackedTensor(d.name(), f.format(), d.rows(), d.cols(), f.groupSize(),
                            store.allocate(f.format().dataBytes(d.rows(), d.cols())),
                            f.format() == PackedFormat.Q8_CHANNEL || f.format() == PackedFormat.Q4_GROUP
                                    ? store.allocate(f.format().scalesBytes(d.rows(), d.cols(), f.groupSize())) : null,
                            f.zeroPoints() ? store.allocate(f.format().zerosBytes(d.rows(), d.cols(), f.groupSize())) : null);
                    packed.put(d.name(), p);
                    int rowsPerItem = Math.max(1, Math.min(d.rows(), TASK_BUFFER_FLOATS / d.cols()));
                    for (int r0 = 0; r0 < d.rows(); r0 += rowsPerItem) {
                        items.add(new Item(d, p, f, transforms.get(d.name()), r0, Math.min(rowsPerItem, d.rows() - r0)));
                    }
                }
            }
        }

        Map<String, double[]> sums;
        try {
            sums = runAll(items);
        } finally {
            gptqFactors.clear();
        }

        List<QuantReport.TensorReport> reports = new ArrayList<>();
        Double minSqnr = null;
        for (PackedTensor p : packed.values()) {
            FormatChoice f = formats.get(p.name());
            double[] s = sums.get(p.name());
            Double sqnr = null;
            if (s != null && p.format() != PackedFormat.F32) {
                sqnr = s[1] == 0 ? null : 10 * Math.log10(s[0] / s[1]);
                if (sqnr != null) minSqnr = minSqnr == null ? sqnr : Math.min(minSqnr, sqnr);
            }
            String note = awqNotes.containsKey(p.name()) ? join(f.note(), awqNotes.get(p.name())) : f.note();
            reports.add(new QuantReport.TensorReport(p.name(), p.format(), p.rows(), p.cols(), p.groupSize(), p.zeroPoints(),
                    f.method(), sqnr, p.sizeBytes(), note));
        }
        long packedBytes = packed.values().stream().mapToLong(PackedTensor::sizeBytes).sum();
        QuantReport report = new QuantReport(reports, sourceBytes, packedBytes, params, minSqnr, spec.threads());
        return new QuantizedModel(model.config(), packed, model.source(), model.generation(), report);
    }

    private static String join(String a, String b) { return a == null ? b : a + "; " + b; }

    private PackedTensor importQuantized(WeightTensor.Quantized q) throws CompileException {
        try {
            PackedTensor p = new PackedTensor(q.name(), q.format(), q.rows(), q.cols(), q.groupSize(), q.data(), q.scales(), q.zeros());
            if (q.scales() != null) {
                for (long i = 0; i < q.scales().byteSize() / 4; i++) {
                    if (!Float.isFinite(q.scales().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i))) {
                        throw new CompileException(ErrorCode.NON_FINITE_WEIGHT, "tensor " + q.name() + ": scale " + i + " is not finite");
                    }
                }
            }
            return p;
        } catch (IllegalArgumentException e) {
            throw new CompileException(ErrorCode.BAD_TENSOR, e.getMessage(), e);
        }
    }

    /** One block of rows of one tensor. */
    private record Item(WeightTensor.Dense src, PackedTensor dst, FormatChoice format, Awq.Transform transform, int r0, int n) {}

    /** Per-worker scratch. */
    private static final class Worker {
        final BlockReader reader = new BlockReader();
        float[] block = new float[0];
        float[] f32 = new float[0];
        short[] f16 = new short[0];
        byte[] bytes = new byte[0];
        float[] groupScales = new float[0];
        byte[] groupZeros = new byte[0];
    }

    private Map<String, double[]> runAll(List<Item> items) throws CompileException {
        Map<String, double[]> sums = new HashMap<>();
        if (items.isEmpty()) return sums;
        ThreadLocal<Worker> workers = ThreadLocal.withInitial(Worker::new);
        try (ExecutorService pool = Executors.newFixedThreadPool(spec.threads(), r -> {
            Thread t = new Thread(r, "quantize");
            t.setDaemon(true);
            return t;
        })) {
            List<Future<double[]>> futures = new ArrayList<>(items.size());
            for (Item it : items) futures.add(pool.submit(() -> process(it, workers.get())));
            try {
                for (int i = 0; i < items.size(); i++) {
                    double[] acc = futures.get(i).get();
                    double[] s = sums.computeIfAbsent(items.get(i).dst().name(), k -> new double[2]);
                    s[0] += acc[0];
                    s[1] += acc[1];
                }
            } catch (ExecutionException e) {
                futures.forEach(f -> f.cancel(true));
                if (e.getCause() instanceof CompileException ce) throw ce;
                throw new IllegalStateException("quantizer worker failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                futures.forEach(f -> f.cancel(true));
                Thread.currentThread().interrupt();
                throw new CompileException(ErrorCode.IO_ERROR, "quantization interrupted", e);
            }
        }
        return sums;
    }

    private float[] gptqFactor(WeightTensor.Dense t) throws CompileException {
        float[] h = stats.hessian(t.name());
        synchronized (gptqFactors) {
            float[] u = gptqFactors.get(h);
            if (u == null) {
                try {
                    u = Gptq.inverseCholeskyUpper(h, t.cols(), t.name());
                } catch (IllegalArgumentException e) {
                    throw new CompileException(ErrorCode.BAD_OPTION, e.getMessage(), e);
                }
                gptqFactors.put(h, u);
            }
            return u;
        }
    }

    private static CompileException nonFinite(String tensor, int row) {
        return new CompileException(ErrorCode.NON_FINITE_WEIGHT, "tensor " + tensor + ": NaN or Inf in row " + row);
    }

    private double[] process(Item it, Worker w) throws CompileException {
        WeightTensor.Dense src = it.src();
        PackedTensor dst = it.dst();
        int cols = src.cols();
        int n = it.n();
        if (w.block.length < n * cols) w.block = new float[n * cols];
        w.reader.read(src, it.r0(), n, w.block);
        double[] acc = new double[2];
        Awq.Transform tr = it.transform();
        float[] colScale = tr == null ? null : tr.colScale();
        float[] rowScale = tr == null ? null : tr.rowScale();
        float[] errScale = tr == null ? null : tr.inverseColScale();
        float[] errWeight = tr == null ? null : tr.clipWeight();
        float[] gptqU = it.format().method().equals("int4-gptq") ? gptqFactor(src) : null;
        float[] ratios = switch (it.format().method()) {
            case "int4-mse-clip", "int4-awq" -> RowKernels.CLIP_RATIOS;
            default -> RowKernels.NO_CLIP;
        };
        for (int r = 0; r < n; r++) {
            int off = r * cols;
            int row = it.r0() + r;
            if (dst.format() != PackedFormat.Q8_CHANNEL && Float.isNaN(RowKernels.absMax(w.block, off, cols))) {
                throw nonFinite(src.name(), row);
            }
            if (rowScale != null) {
                float s = rowScale[row];
                for (int c = 0; c < cols; c++) w.block[off + c] *= s;
            }
            if (colScale != null) {
                for (int c = 0; c < cols; c++) w.block[off + c] *= colScale[c];
            }
            switch (dst.format()) {
                case F32 -> {
                    MemorySegment.copy(w.block, off, dst.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, (long) row * cols * 4, cols);
                }
                case F16 -> {
                    if (w.f16.length < cols) w.f16 = new short[cols];
                    RowKernels.f16Row(w.block, off, cols, w.f16, errScale, acc);
                    MemorySegment.copy(w.f16, 0, dst.data(), ValueLayout.JAVA_SHORT_UNALIGNED, (long) row * cols * 2, cols);
                }
                case Q8_CHANNEL -> {
                    if (w.bytes.length < cols) w.bytes = new byte[cols];
                    float scale = RowKernels.q8Row(w.block, off, cols, w.bytes, errScale, acc);
                    if (Float.isNaN(scale)) throw nonFinite(src.name(), row);   // q8Row's max finds NaN/Inf
                    MemorySegment.copy(w.bytes, 0, dst.data(), ValueLayout.JAVA_BYTE, (long) row * cols, cols);
                    dst.scales().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, row, scale);
                }
                case Q4_GROUP -> {
                    int g = dst.groupSize(), groups = cols / g, rowBytes = cols / 2;
                    if (w.bytes.length < rowBytes) w.bytes = new byte[rowBytes];
                    if (w.groupScales.length < groups) { w.groupScales = new float[groups]; w.groupZeros = new byte[groups]; }
                    if (gptqU != null) {
                        if (w.f32.length < 2 * cols) w.f32 = new float[2 * cols];
                        Gptq.q4Row(w.block, off, cols, g, gptqU, w.f32, w.bytes, w.groupScales,
                                dst.zeros() == null ? null : w.groupZeros, errScale, acc);
                    } else {
                        RowKernels.q4Row(w.block, off, cols, g, ratios, errWeight, errScale, w.bytes, w.groupScales,
                                dst.zeros() == null ? null : w.groupZeros, acc);
                    }
                    MemorySegment.copy(w.bytes, 0, dst.data(), ValueLayout.JAVA_BYTE, (long) row * rowBytes, rowBytes);
                    MemorySegment.copy(w.groupScales, 0, dst.scales(), ValueLayout.JAVA_FLOAT_UNALIGNED, (long) row * groups * 4, groups);
                    if (dst.zeros() != null) MemorySegment.copy(w.groupZeros, 0, dst.zeros(), ValueLayout.JAVA_BYTE, (long) row * groups, groups);
                }
            }
        }
        return acc;
    }
}
