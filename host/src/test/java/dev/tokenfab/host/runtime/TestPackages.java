package dev.tokenfab.host.runtime;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.plan.Platform;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes small seeded packages in the byte layout of {@link PackedFormat} (weights/bank-NN.bin plus
 * an in-memory {@link Manifest}), so decoder tests do not depend on the compiler's quantizer. Test
 * fixture only: the quantization here is the plain textbook one.
 */
public final class TestPackages {
    private TestPackages() {}

    public static DecoderConfig llama(int maxContext) {
        return new DecoderConfig(DecoderConfig.Family.LLAMA, 96, 64, 2, 4, 2, 16, 128, maxContext,
                DecoderConfig.NormKind.RMS_NORM, 1e-5f, DecoderConfig.Activation.SILU_GLU, DecoderConfig.PositionEncoding.ROPE,
                10000f, 16, DecoderConfig.RopeLayout.HALF_SPLIT, false, true, false, false);
    }

    public static DecoderConfig gpt2(int maxContext) {
        return new DecoderConfig(DecoderConfig.Family.GPT2, 80, 64, 2, 4, 4, 16, 256, maxContext,
                DecoderConfig.NormKind.LAYER_NORM, 1e-5f, DecoderConfig.Activation.GELU_TANH, DecoderConfig.PositionEncoding.LEARNED,
                0f, 0, DecoderConfig.RopeLayout.HALF_SPLIT, true, true, true, true);
    }

    /** Writes the bank files under {@code dir} and returns the manifest describing them. */
    public static Manifest write(Path dir, DecoderConfig c, PackedFormat matrixFormat, KvCacheDtype kv, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Integer, ByteArrayOut> banks = new LinkedHashMap<>();
        List<Manifest.Tensor> tensors = new ArrayList<>();
        int[] nextBank = {0};
        record Spec(String name, int rows, int cols, boolean vector, float center, float spread) {}
        List<Spec> specs = new ArrayList<>();
        int d = c.hiddenSize();
        specs.add(new Spec(TensorNames.TOKEN_EMBEDDING, c.vocabSize(), d, false, 0, 1f));
        if (c.positions() == DecoderConfig.PositionEncoding.LEARNED) specs.add(new Spec(TensorNames.POSITION_EMBEDDING, c.maxContextTokens(), d, true, 0, 0.3f));
        for (int l = 0; l < c.numLayers(); l++) {
            TensorNames.Layer n = TensorNames.layer(l);
            float s = (float) (1 / Math.sqrt(d));
            specs.add(new Spec(n.attnNormWeight(), 1, d, true, 1, 0.1f));
            specs.add(new Spec(n.wq(), c.queryDim(), d, false, 0, s * 2));
            specs.add(new Spec(n.wk(), c.kvDim(), d, false, 0, s * 2));
            specs.add(new Spec(n.wv(), c.kvDim(), d, false, 0, s));
            specs.add(new Spec(n.wo(), d, c.queryDim(), false, 0, s));
            specs.add(new Spec(n.mlpNormWeight(), 1, d, true, 1, 0.1f));
            if (c.activation() == DecoderConfig.Activation.SILU_GLU) specs.add(new Spec(n.wGate(), c.intermediateSize(), d, false, 0, s * 2));
            specs.add(new Spec(n.wUp(), c.intermediateSize(), d, false, 0, s * 2));
            specs.add(new Spec(n.wDown(), d, c.intermediateSize(), false, 0, (float) (1 / Math.sqrt(c.intermediateSize()))));
            if (c.norm() == DecoderConfig.NormKind.LAYER_NORM) {
                specs.add(new Spec(n.attnNormBias(), 1, d, true, 0, 0.05f));
                specs.add(new Spec(n.mlpNormBias(), 1, d, true, 0, 0.05f));
            }
            if (c.attentionBias()) {
                specs.add(new Spec(n.bq(), 1, c.queryDim(), true, 0, 0.05f));
                specs.add(new Spec(n.bk(), 1, c.kvDim(), true, 0, 0.05f));
                specs.add(new Spec(n.bv(), 1, c.kvDim(), true, 0, 0.05f));
                specs.add(new Spec(n.bo(), 1, d, true, 0, 0.05f));
            }
            if (c.mlpBias()) {
                specs.add(new Spec(n.bUp(), 1, c.intermediateSize(), true, 0, 0.05f));
                specs.add(new Spec(n.bDown(), 1, d, true, 0, 0.05f));
            }
        }
        specs.add(new Spec(TensorNames.FINAL_NORM_WEIGHT, 1, d, true, 1, 0.1f));
        if (c.norm() == DecoderConfig.NormKind.LAYER_NORM) specs.add(new Spec(TensorNames.FINAL_NORM_BIAS, 1, d, true, 0, 0.05f));
        if (!c.tiedEmbeddings()) specs.add(new Spec(TensorNames.LM_HEAD, c.vocabSize(), d, false, 0, (float) (2 / Math.sqrt(d))));

        for (Spec sp : specs) {
            float[] w = new float[sp.rows() * sp.cols()];
            for (int i = 0; i < w.length; i++) w[i] = sp.center() + (float) ((rnd.nextDouble() * 2 - 1) * sp.spread() * Math.sqrt(3));
            PackedFormat fmt = sp.vector() ? PackedFormat.F32 : matrixFormat;
            int group = fmt == PackedFormat.Q4_GROUP ? 16 : 0;
            // matrices of >= 128 rows are split in two row shards in different banks, as the planner does for wide tensors
            int[] starts = !sp.vector() && sp.rows() >= 128 ? new int[] {0, sp.rows() / 2 + 8} : new int[] {0};
            List<Manifest.Shard> shards = new ArrayList<>();
            for (int si = 0; si < starts.length; si++) {
                int r0 = starts[si], r1 = si + 1 < starts.length ? starts[si + 1] : sp.rows();
                float[] part = java.util.Arrays.copyOfRange(w, r0 * sp.cols(), r1 * sp.cols());
                int bank = nextBank[0]++ % 4;
                Map<String, Part> parts = pack(banks.computeIfAbsent(bank, b -> new ByteArrayOut()), fmt, part, r1 - r0, sp.cols(), group);
                shards.add(new Manifest.Shard(r0, r1 - r0, bank, bankFile(bank), parts));
            }
            tensors.add(new Manifest.Tensor(sp.name(), fmt, sp.rows(), sp.cols(), group, false, List.copyOf(shards)));
        }
        Files.createDirectories(dir.resolve("weights"));
        for (var e : banks.entrySet()) {
            try (OutputStream os = Files.newOutputStream(dir.resolve(bankFile(e.getKey())))) {
                os.write(e.getValue().bytes());
            }
        }
        QuantScheme scheme = switch (matrixFormat) {
            case F16, F32 -> QuantScheme.FP16;
            case Q8_CHANNEL -> QuantScheme.INT8;
            case Q4_GROUP -> QuantScheme.INT4;
        };
        return new Manifest(Manifest.FORMAT_VERSION, "TestPackages", c,
                new Manifest.Quantization(scheme, matrixFormat == PackedFormat.Q4_GROUP ? 16 : 0, true, null, kv, List.of()),
                Platform.U55C.name(), tensors, List.of(), new Manifest.Generation(List.of(), -1, c.maxContextTokens(), null));
    }

    /** Packs [rows][cols] floats in {@code fmt} (plain textbook quantization) and appends the parts. */
    private static Map<String, Part> pack(ByteArrayOut out, PackedFormat fmt, float[] w, int rows, int cols, int group) {
        Map<String, Part> parts = new LinkedHashMap<>();
        record Spec(int rows, int cols) {}
        Spec sp = new Spec(rows, cols);
        {
            switch (fmt) {
                case F32 -> {
                    ByteBuffer bb = le(w.length * 4);
                    for (float f : w) bb.putFloat(f);
                    parts.put("data", out.append(bb.array()));
                }
                case F16 -> {
                    ByteBuffer bb = le(w.length * 2);
                    for (float f : w) bb.putShort(Float.floatToFloat16(f));
                    parts.put("data", out.append(bb.array()));
                }
                case Q8_CHANNEL -> {
                    byte[] q = new byte[w.length];
                    ByteBuffer sc = le(sp.rows() * 4);
                    for (int r = 0; r < sp.rows(); r++) {
                        float max = 0;
                        for (int i = 0; i < sp.cols(); i++) max = Math.max(max, Math.abs(w[r * sp.cols() + i]));
                        float scale = max / 127f;
                        sc.putFloat(scale);
                        for (int i = 0; i < sp.cols(); i++) q[r * sp.cols() + i] = (byte) Math.round(w[r * sp.cols() + i] / scale);
                    }
                    parts.put("data", out.append(q));
                    parts.put("scales", out.append(sc.array()));
                }
                case Q4_GROUP -> {
                    int groups = sp.cols() / group;
                    byte[] q = new byte[sp.rows() * sp.cols() / 2];
                    ByteBuffer sc = le(sp.rows() * groups * 4);
                    for (int r = 0; r < sp.rows(); r++) {
                        for (int g = 0; g < groups; g++) {
                            float max = 0;
                            for (int i = g * group; i < (g + 1) * group; i++) max = Math.max(max, Math.abs(w[r * sp.cols() + i]));
                            float scale = max / 7f;
                            sc.putFloat(scale);
                            for (int i = g * group; i < (g + 1) * group; i++) {
                                int v = Math.clamp(Math.round(w[r * sp.cols() + i] / scale) + 8, 0, 15);
                                int byteIndex = r * sp.cols() / 2 + i / 2;
                                q[byteIndex] |= (byte) ((i & 1) == 0 ? v : v << 4);
                            }
                        }
                    }
                    parts.put("data", out.append(q));
                    parts.put("scales", out.append(sc.array()));
                }
            }
        }
        return parts;
    }

    static String bankFile(int bank) { return "weights/bank-%02d.bin".formatted(bank); }

    private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }

    /** A growing bank file whose parts start at {@link Manifest#PART_ALIGNMENT_BYTES} boundaries. */
    private static final class ByteArrayOut {
        private final java.io.ByteArrayOutputStream os = new java.io.ByteArrayOutputStream();

        Part append(byte[] b) {
            while (os.size() % Manifest.PART_ALIGNMENT_BYTES != 0) os.write(0);
            long off = os.size();
            os.writeBytes(b);
            return new Part(off, b.length);
        }

        byte[] bytes() { return os.toByteArray(); }
    }
}
