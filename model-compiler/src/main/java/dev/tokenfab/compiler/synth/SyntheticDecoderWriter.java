package dev.tokenfab.compiler.synth;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.model.DecoderConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a deterministic synthetic ONNX decoder (see {@link SynthSpec}). Weights are streamed: with
 * external data each tensor is generated chunk by chunk straight into {@code <model>.onnx.data}, so a
 * model of any size (1 B+ parameters) is written with a small heap. Without external data the whole
 * model is one protobuf message, limited to 2 GB. Files are written to temporary names and renamed.
 */
public final class SyntheticDecoderWriter {
    /** Elements generated per chunk while streaming a tensor (1 Mi elements, 4 MiB of float32). */
    private static final int CHUNK_ELEMENTS = 1 << 20;
    /** Producer recorded in the ModelProto. */
    public static final String PRODUCER = "tokenfab-synth";
    /** metadata_props key holding the spec (record toString) */
    public static final String SPEC_METADATA_KEY = "tokenfab.synth.spec";

    /** Default-domain opset of the RAW form (ReduceMean with an axes attribute, Split with a split input). */
    static final int RAW_OPSET = 17;
    /** Default-domain opset of the CONTRIB form (LayerNormalization exists from 17). */
    static final int CONTRIB_OPSET = 17;
    /** com.microsoft opset of the CONTRIB form. */
    static final int MS_OPSET = 1;
    /** Default-domain opset of the OPSET24 form (Attention, RMSNormalization, RotaryEmbedding from 23). */
    static final int OPSET24_OPSET = 24;

    private SyntheticDecoderWriter() {}

    /**
     * Writes {@code spec} to {@code out} (and {@code out + ".data"} when {@code spec.externalData()}).
     *
     * @throws CompileException BAD_OPTION when the form/family combination is not available or an inline
     *                          model would exceed the protobuf limit; IO_ERROR when writing fails
     */
    public static SynthesizedModel write(SynthSpec spec, Path out) throws CompileException {
        GraphBuilder g = new GraphBuilder("tokenfab_synth_" + spec.family().name().toLowerCase() + "_" + spec.form().name().toLowerCase());
        WeightFactory w = new WeightFactory(spec);
        List<OperatorSetIdProto> opsets = buildGraph(spec, g, w);
        List<SynthWeight> weights = g.weights();

        long params = 0, inlineBytes = 0;
        for (SynthWeight sw : weights) {
            if (sw.parameter()) params += sw.elementCount();
            if (!spec.externalData() || sw.sizeBytes() < SynthConstants.EXTERNAL_SIZE_THRESHOLD_BYTES) inlineBytes += sw.sizeBytes();
        }
        if (inlineBytes > SynthConstants.INLINE_MODEL_LIMIT_BYTES) {
            throw new CompileException(CompileException.ErrorCode.BAD_OPTION, out + ": " + inlineBytes
                    + " bytes of inline weights exceed protobuf's 2 GB message limit; use external data (--external-data)");
        }

        Path absOut = out.toAbsolutePath();
        Path dir = absOut.getParent();
        String fileName = absOut.getFileName().toString();
        String dataName = fileName + ".data";
        Path dataPath = dir.resolve(dataName);
        String tmpSuffix = ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        Path tmpModel = dir.resolve(fileName + tmpSuffix);
        Path tmpData = dir.resolve(dataName + tmpSuffix);
        try {
            Files.createDirectories(dir);
            GraphProto.Builder graph = g.graph();
            long dataBytes = 0;
            if (spec.externalData()) {
                try (FileChannel ch = FileChannel.open(tmpData, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    for (SynthWeight sw : weights) {
                        if (sw.sizeBytes() < SynthConstants.EXTERNAL_SIZE_THRESHOLD_BYTES) {
                            graph.addInitializer(inline(sw));
                        } else {
                            graph.addInitializer(external(sw, ch, dataName));
                        }
                    }
                    dataBytes = ch.size();
                }
            } else {
                for (SynthWeight sw : weights) graph.addInitializer(inline(sw));
            }
            ModelProto model = ModelProto.newBuilder()
                    .setIrVersion(irVersion(spec.form()))
                    .setProducerName(PRODUCER)
                    .setProducerVersion("0.1.0")
                    .setDomain("dev.tokenfab")
                    .setModelVersion(1)
                    .setDocString("Synthetic " + spec.family() + " decoder, " + spec.form() + " form, seeded weights (tokenfab synth)")
                    .addAllOpsetImport(opsets)
                    .addMetadataProps(StringStringEntryProto.newBuilder().setKey(SPEC_METADATA_KEY).setValue(spec.toString()))
                    .setGraph(graph)
                    .build();
            try (OutputStream os = Files.newOutputStream(tmpModel, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                model.writeTo(os);
            }
            if (spec.externalData()) move(tmpData, dataPath);
            else Files.deleteIfExists(dataPath); // a stale data file from an earlier external write would mislead readers
            move(tmpModel, absOut);
            List<Integer> outliers = Arrays.stream(WeightFactory.outlierChannels(spec)).boxed().toList();
            return new SynthesizedModel(absOut, spec.externalData() ? dataPath : null, spec, params, Files.size(absOut),
                    dataBytes, outliers);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmpModel);
                Files.deleteIfExists(tmpData);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw CompileException.io(out, e);
        }
    }

    private static List<OperatorSetIdProto> buildGraph(SynthSpec spec, GraphBuilder g, WeightFactory w) {
        List<OperatorSetIdProto> opsets = new ArrayList<>();
        GraphContext graph = switch (spec.family()) {
            case LLAMA -> switch (spec.form()) {
                case RAW -> new LlamaRawGraph(spec, g, w);
                case CONTRIB -> new LlamaContribGraph(spec, g, w);
                case OPSET24 -> new LlamaOpset24Graph(spec, g, w);
            };
            case GPT2 -> switch (spec.form()) {
                case RAW -> new Gpt2RawGraph(spec, g, w);
                case CONTRIB -> new Gpt2ContribGraph(spec, g, w);
                case OPSET24 -> new Gpt2Opset24Graph(spec, g, w);
            };
        };
        graph.build();
        switch (spec.form()) {
            case RAW -> opsets.add(opset("", RAW_OPSET));
            case CONTRIB -> {
                opsets.add(opset("", CONTRIB_OPSET));
                opsets.add(opset(GraphBuilder.MS_DOMAIN, MS_OPSET));
            }
            case OPSET24 -> opsets.add(opset("", OPSET24_OPSET));
        }
        return opsets;
    }

    /** IR version paired with the opsets we import (ONNX IR 8 = opset 17/18, IR 10 = opset 24). */
    private static long irVersion(SynthForm form) {
        return form == SynthForm.OPSET24 ? 10 : 8;
    }

    private static OperatorSetIdProto opset(String domain, long version) {
        return OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version).build();
    }

    private static TensorProto.Builder header(SynthWeight sw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(sw.name()).setDataType(sw.type().onnx.getNumber());
        for (long d : sw.dims()) t.addDims(d);
        return t;
    }

    private static TensorProto inline(SynthWeight sw) {
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(sw.sizeBytes())).order(ByteOrder.LITTLE_ENDIAN);
        encode(sw, 0, sw.elementCount(), buf);
        return header(sw).setRawData(ByteString.copyFrom(buf.array())).build();
    }

    /** Streams the tensor into the data file at the next aligned offset (ORT's alignment rule). */
    private static TensorProto external(SynthWeight sw, FileChannel ch, String location) throws IOException {
        long length = sw.sizeBytes();
        long align = length > SynthConstants.EXTERNAL_ALIGN_THRESHOLD_BYTES
                ? SynthConstants.EXTERNAL_PAGE_ALIGN_BYTES : SynthConstants.EXTERNAL_MIN_ALIGN_BYTES;
        long offset = (ch.position() + align - 1) / align * align;
        if (offset > ch.position()) {
            ch.write(ByteBuffer.allocate(Math.toIntExact(offset - ch.position())));
        }
        if (sw.values() instanceof WeightValues.Packed(long count, var bytes)) {
            ByteBuffer all = ByteBuffer.wrap(bytes.get());
            while (all.hasRemaining()) ch.write(all);
            return externalHeader(sw, location, offset, length);
        }
        long elements = sw.elementCount();
        int perChunk = CHUNK_ELEMENTS;
        ByteBuffer buf = ByteBuffer.allocateDirect(perChunk * sw.type().bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long start = 0; start < elements; start += perChunk) {
            long n = Math.min(perChunk, elements - start);
            buf.clear();
            encode(sw, start, n, buf);
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
        }
        return externalHeader(sw, location, offset, length);
    }

    private static TensorProto externalHeader(SynthWeight sw, String location, long offset, long length) {
        return header(sw)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", location))
                .addExternalData(entry("offset", Long.toString(offset)))
                .addExternalData(entry("length", Long.toString(length)))
                .build();
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    /** Appends elements [start, start+n) of sw in its stored type to buf (little-endian). */
    private static void encode(SynthWeight sw, long start, long n, ByteBuffer buf) {
        if (sw.values() instanceof WeightValues.Packed(long count, var bytes)) {
            buf.put(bytes.get(), Math.toIntExact(start), Math.toIntExact(n));
            return;
        }
        int step = (int) Math.min(n, CHUNK_ELEMENTS);
        if (sw.values() instanceof WeightValues.Deferred(long count, var supplier)) {
            float[] all = supplier.get();
            for (long i = start; i < start + n; i++) buf.putFloat(all[Math.toIntExact(i)]);
            return;
        }
        float[] f = new float[step];
        for (long done = 0; done < n; done += f.length) {
            if (n - done < f.length) f = new float[(int) (n - done)];
            sw.values().fill(f, start + done);
            switch (sw.type()) {
                case F32 -> { for (float v : f) buf.putFloat(v); }
                case F16 -> { for (float v : f) buf.putShort(Float.floatToFloat16(v)); }
                case BF16 -> { for (float v : f) buf.putShort(toBf16(v)); }
                case UINT8 -> throw new IllegalStateException("uint8 tensor " + sw.name() + " without packed bytes");
            }
        }
    }

    /** float32 -> bfloat16 with round-to-nearest-even (NaN stays NaN), as torch's .to(bfloat16). */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
