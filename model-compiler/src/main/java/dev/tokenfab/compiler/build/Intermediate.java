package dev.tokenfab.compiler.build;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.BuildModel.PlannedModel;
import dev.tokenfab.compiler.build.BuildModel.QuantizedIr;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.quant.PackedTensor;
import dev.tokenfab.compiler.quant.QuantReport;
import dev.tokenfab.compiler.quant.QuantizedModel;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.format.quant.PackedFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model saved between steps, so a later build can resume from it ({@code compile --start-step}).
 * Supported after {@code quantize} (a {@link QuantizedIr}) and after {@code plan} (a {@link PlannedModel}).
 *
 * <p>On disk, a folder {@code after-<step>/} holding:
 * <ul>
 *   <li>{@code intermediate.json}: {@link Saved} — format version, stage, step, source path, the build
 *       options, decoder config, generation settings, quantization report, the plan (or null), one entry
 *       per packed tensor (format, shape, and each part's byte range in tensors.bin), and the package
 *       reports gathered so far, as the exact text the package will carry;</li>
 *   <li>{@code tensors.bin}: every part of every packed tensor, in tensor order, each starting at a
 *       multiple of {@link #PART_ALIGNMENT_BYTES}.</li>
 * </ul>
 * Loading maps tensors.bin read-only; the mapping lives as long as the returned {@link Loaded}.
 */
public final class Intermediate {
    private Intermediate() {}

    /** Version of this on-disk form; a folder of another version is refused naming both. */
    public static final int FORMAT_VERSION = 1;
    public static final String JSON = "intermediate.json";
    public static final String TENSORS = "tensors.bin";
    /** Parts start on a 64-byte AXI beat, the alignment the packed store gives them in memory. */
    static final long PART_ALIGNMENT_BYTES = 64;

    /** Stages that can be saved and resumed from. */
    public enum Stage { QUANTIZED, PLANNED }

    /** @param offsetBytes start of the part in tensors.bin; @param sizeBytes its length */
    public record SavedPart(long offsetBytes, long sizeBytes) {}

    public record SavedTensor(String name, PackedFormat format, int rows, int cols, int groupSize, Map<String, SavedPart> parts) {}

    /** @param tokenizerJson absolute path of the tokenizer the package will copy, or null */
    public record SavedGeneration(List<Integer> eosTokenIds, int bosTokenId, String tokenizerJson) {}

    /** The content of intermediate.json (fields described in the class comment). */
    public record Saved(int formatVersion, Stage stage, String afterStep, String source, CompileOptions options, DecoderConfig config,
                        SavedGeneration generation, QuantReport quantReport, DataflowPlan plan, List<SavedTensor> tensors,
                        Map<String, String> reports) {}

    /** A loaded intermediate; closing it unmaps the tensors. */
    public record Loaded(BuildModel model, CompileOptions options, Path source, Map<String, String> reports, Arena arena)
            implements AutoCloseable {
        @Override public void close() { arena.close(); }
    }

    public static boolean savable(BuildModel m) {
        return m instanceof QuantizedIr || m instanceof PlannedModel;
    }

    public static String folderName(String step) { return "after-" + step; }

    /** Saves {@code model} into {@code dir} (replacing what is there). */
    static void save(BuildModel model, Path dir, String afterStep, CompileOptions options, Path source, Map<String, String> reports)
            throws CompileException {
        QuantizedModel q;
        DataflowPlan plan;
        Stage stage;
        switch (model) {
            case QuantizedIr qi -> { q = qi.quantized(); plan = null; stage = Stage.QUANTIZED; }
            case PlannedModel p -> { q = p.quantized(); plan = p.plan(); stage = Stage.PLANNED; }
            default -> throw new CompileException(ErrorCode.BAD_OPTION, "a " + model.stageName() + " cannot be saved; savable: after quantize, after plan");
        }
        try {
            Files.createDirectories(dir);
            List<SavedTensor> tensors = new ArrayList<>();
            try (FileChannel ch = FileChannel.open(dir.resolve(TENSORS), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                long pos = 0;
                for (PackedTensor t : q.tensors().values()) {
                    Map<String, SavedPart> parts = new LinkedHashMap<>();
                    for (Map.Entry<String, MemorySegment> e : t.parts().entrySet()) {
                        long start = (pos + PART_ALIGNMENT_BYTES - 1) / PART_ALIGNMENT_BYTES * PART_ALIGNMENT_BYTES;
                        ByteBuffer b = e.getValue().asByteBuffer();
                        long at = start;
                        while (b.hasRemaining()) at += ch.write(b, at);
                        parts.put(e.getKey(), new SavedPart(start, e.getValue().byteSize()));
                        pos = start + e.getValue().byteSize();
                    }
                    tensors.add(new SavedTensor(t.name(), t.format(), t.rows(), t.cols(), t.groupSize(), parts));
                }
            }
            DecoderModel.Generation g = q.generation() == null ? DecoderModel.Generation.none() : q.generation();
            Saved saved = new Saved(FORMAT_VERSION, stage, afterStep, source == null ? null : source.toString(), options, q.config(),
                    new SavedGeneration(g.eosTokenIds(), g.bosTokenId(), g.tokenizerJson() == null ? null : g.tokenizerJson().toAbsolutePath().toString()),
                    q.report(), plan, tensors, new LinkedHashMap<>(reports));
            Files.write(dir.resolve(JSON), PackageJson.mapper().writeValueAsBytes(saved));
        } catch (IOException e) {
            throw CompileException.io(dir, e);
        }
    }

    /**
     * @throws CompileException FILE_NOT_FOUND (no intermediate.json), PACKAGE_VERSION (other format version),
     *                          PACKAGE_CORRUPT (unreadable JSON, a part outside tensors.bin), IO_ERROR
     */
    public static Loaded load(Path dir) throws CompileException {
        Path json = dir.resolve(JSON);
        if (!Files.isRegularFile(json)) {
            throw new CompileException(ErrorCode.FILE_NOT_FOUND, dir + " is no saved intermediate (no " + JSON + "); save one with --save-intermediate");
        }
        Saved s;
        try {
            int version = PackageJson.mapper().readTree(json.toFile()).path("formatVersion").asInt(-1);
            if (version != FORMAT_VERSION) {
                throw new CompileException(ErrorCode.PACKAGE_VERSION, json + " has intermediate format version " + version
                        + "; this compiler reads version " + FORMAT_VERSION);
            }
            s = PackageJson.mapper().readValue(json.toFile(), Saved.class);
        } catch (IOException e) {
            throw new CompileException(ErrorCode.PACKAGE_CORRUPT, json + " is not a readable intermediate: " + e.getMessage(), e);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(dir.resolve(TENSORS), StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            Map<String, PackedTensor> tensors = new LinkedHashMap<>();
            for (SavedTensor t : s.tensors()) {
                Map<String, MemorySegment> parts = new LinkedHashMap<>();
                for (Map.Entry<String, SavedPart> p : t.parts().entrySet()) {
                    SavedPart r = p.getValue();
                    if (r.offsetBytes() < 0 || r.sizeBytes() < 0 || r.offsetBytes() + r.sizeBytes() > all.byteSize()) {
                        throw new CompileException(ErrorCode.PACKAGE_CORRUPT, dir.resolve(TENSORS) + ": part " + p.getKey() + " of "
                                + t.name() + " at " + r.offsetBytes() + "+" + r.sizeBytes() + " lies outside the file's " + all.byteSize() + " bytes");
                    }
                    parts.put(p.getKey(), all.asSlice(r.offsetBytes(), r.sizeBytes()));
                }
                try {
                    tensors.put(t.name(), new PackedTensor(t.name(), t.format(), t.rows(), t.cols(), t.groupSize(), parts.get(PackedFormat.DATA),
                            parts.get(PackedFormat.SCALES), parts.get(PackedFormat.ZEROS)));
                } catch (IllegalArgumentException e) {
                    throw new CompileException(ErrorCode.PACKAGE_CORRUPT, json + ": " + e.getMessage(), e);
                }
            }
            SavedGeneration g = s.generation();
            Path source = s.source() == null ? null : Path.of(s.source());
            QuantizedModel q = new QuantizedModel(s.config(), tensors, source,
                    new DecoderModel.Generation(g.eosTokenIds(), g.bosTokenId(), g.tokenizerJson() == null ? null : Path.of(g.tokenizerJson())),
                    s.quantReport());
            BuildModel model = switch (s.stage()) {
                case QUANTIZED -> new QuantizedIr(q);
                case PLANNED -> new PlannedModel(q, s.plan());
            };
            return new Loaded(model, s.options(), source, s.reports(), arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CompileException(ErrorCode.FILE_NOT_FOUND, dir.resolve(TENSORS) + " does not exist", e);
        } catch (IOException e) {
            arena.close();
            throw CompileException.io(dir, e);
        } catch (CompileException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}
