package dev.tokenfab.compiler.write;

import dev.tokenfab.format.FormatException;
import dev.tokenfab.format.quant.Int4Method;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.quant.PackedFormat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.compiler.ir.ElementType;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.quant.CalibrationStats;
import dev.tokenfab.compiler.quant.PackedStore;
import dev.tokenfab.compiler.quant.PackedTensor;
import dev.tokenfab.compiler.quant.QuantizedModel;
import dev.tokenfab.compiler.quant.Quantizer;
import dev.tokenfab.compiler.quant.TestModels;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageRoundTripTest {

    @TempDir Path dir;

    /** Big enough that the MLP matrices (512 KiB in fp16) are sharded over banks. */
    static DecoderModel model(Path tokenizer) {
        DecoderModel m = TestModels.llama(TestModels.llamaConfig(512, 256, 2, 4, 2, 1024, false), WeightTensor.Layout.IN_OUT, ElementType.F32, 21);
        return new DecoderModel(m.config(), m.weights(), m.source(), new DecoderModel.Generation(List.of(2, 7), 1, tokenizer));
    }

    private Compiler.Result compile(DecoderModel m, Path out, CompileOptions o) throws CompileException {
        return new Compiler(path -> { throw new AssertionError("no import expected"); }, line -> { }).compile(m, out, o, CalibrationStats.none());
    }

    @Test
    void everyTensorReadsBackExactlyAsPackedAndFilesMatchTheManifest() throws Exception {
        Path tok = Files.writeString(dir.resolve("tok.json"), "{\"model\":{}}");
        DecoderModel m = model(tok);
        CompileOptions o = CompileOptions.defaults().withQuant(QuantScheme.FP16).withPlatform(Platform.U55C);
        Path out = dir.resolve("m.tfpkg");
        Compiler.Result r = compile(m, out, o);
        QuantizedModel expected = new Quantizer(o.quantSpec(), null).quantize(m, PackedStore.inMemory());
        try (ModelPackage pkg = PackageReader.open(out)) {
            Manifest man = pkg.manifest();
            assertEquals(Manifest.FORMAT_VERSION, man.formatVersion());
            assertEquals(List.of(2, 7), man.generation().eosTokenIds());
            assertEquals("tokenizer.json", man.generation().tokenizerFile());
            assertEquals("{\"model\":{}}", Files.readString(out.resolve("tokenizer.json")));
            assertTrue(man.tensors().stream().anyMatch(Manifest.Tensor::sharded), "some matrix is sharded over banks");
            for (PackedTensor t : expected.tensors().values()) {
                assertArrayEquals(TestModels.dequantize(t), pkg.dequantize(t.name()), t.name());
                assertEquals(-1, t.data().mismatch(pkg.part(t.name(), PackedFormat.DATA)), t.name() + " data bytes");
            }
            for (Manifest.FileEntry f : man.files()) assertEquals(f.sizeBytes(), Files.size(out.resolve(f.path())), f.path());
            for (String f : List.of("reports/quantize.json", "reports/quantize.txt", "reports/plan.json", "reports/validate.json",
                    "reports/options.json", "reports/write.json", "time_per_pass.json", "dataflow.json")) {
                assertTrue(Files.isRegularFile(out.resolve(f)), f);
            }
            assertEquals(r.plan(), pkg.plan());
            Manifest.Tensor up = pkg.tensor(TensorNames.layer(0).wUp()).orElseThrow();
            assertTrue(up.sharded());
            assertThrows(IllegalStateException.class, up::bank, "sharded tensors have no single bank");
            for (Manifest.Shard s : up.shards()) {
                assertEquals(0, s.part(PackedFormat.DATA).offsetBytes() % Manifest.PART_ALIGNMENT_BYTES);
            }
            assertTrue(pkg.tensor("nope").isEmpty());
        }
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of("m.tfpkg", "tok.json"), siblings.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary or scratch siblings left");
        }
    }

    @Test
    void int4WithZeroPointsAndInt8RoundTripThroughTheReader() throws Exception {
        DecoderModel m = model(null);
        for (CompileOptions o : List.of(CompileOptions.defaults().withInt4(32, true, Int4Method.AWQ),
                CompileOptions.defaults().withQuant(QuantScheme.INT8).withPlatform(Platform.U250))) {
            Path out = dir.resolve("m-" + o.quant() + ".tfpkg");
            compile(m, out, o);
            QuantizedModel expected = new Quantizer(o.quantSpec(), null).quantize(m, PackedStore.inMemory());
            try (ModelPackage pkg = PackageReader.open(out)) {
                for (PackedTensor t : expected.tensors().values()) {
                    assertArrayEquals(TestModels.dequantize(t), pkg.dequantize(t.name()), t.name());
                    int row = t.rows() - 1;
                    assertArrayEquals(t.dequantizeRow(row), pkg.dequantizeRow(t.name(), row), t.name() + " last row");
                }
                assertEquals(m.config(), pkg.manifest().model());
            }
        }
    }

    private Path compiled() throws Exception {
        Path out = dir.resolve("c.tfpkg");
        compile(model(null), out, CompileOptions.defaults().withPlatform(Platform.U280));
        return out;
    }

    @Test
    void corruptedBankFileIsRefusedNamingTheFile() throws Exception {
        Path out = compiled();
        Path bank;
        try (Stream<Path> s = Files.list(out.resolve("weights"))) {
            bank = s.sorted().toList().get(3);
        }
        try (RandomAccessFile f = new RandomAccessFile(bank.toFile(), "rw")) {
            f.seek(10);
            int b = f.read();
            f.seek(10);
            f.write(b ^ 0x5A);
        }
        FormatException e = assertThrows(FormatException.class, () -> PackageReader.open(out));
        assertEquals(CompileException.ErrorCode.PACKAGE_CORRUPT, e.code());
        assertTrue(e.getMessage().contains(bank.getFileName().toString()), e.getMessage());
        // a trusted fast path may skip hashing, by explicit choice only
        try (ModelPackage pkg = PackageReader.open(out, PackageReader.Verification.SIZES_ONLY)) {
            assertFalse(pkg.manifest().tensors().isEmpty());
        }
        try (RandomAccessFile f = new RandomAccessFile(bank.toFile(), "rw")) {
            f.setLength(f.length() - 1);
        }
        FormatException t = assertThrows(FormatException.class, () -> PackageReader.open(out, PackageReader.Verification.SIZES_ONLY));
        assertEquals(CompileException.ErrorCode.PACKAGE_CORRUPT, t.code());
        assertTrue(t.getMessage().contains(bank.getFileName().toString()), t.getMessage());
    }

    @Test
    void missingFileAndOutOfRangePartAreRefused() throws Exception {
        Path out = compiled();
        Files.delete(out.resolve("dataflow.json"));
        FormatException e = assertThrows(FormatException.class, () -> PackageReader.open(out));
        assertEquals(CompileException.ErrorCode.PACKAGE_CORRUPT, e.code());
        assertTrue(e.getMessage().contains("dataflow.json"), e.getMessage());

        Path out2 = dir.resolve("c2.tfpkg");
        compile(model(null), out2, CompileOptions.defaults());
        ObjectNode man = (ObjectNode) PackageJson.mapper().readTree(out2.resolve("manifest.json").toFile());
        ObjectNode part = (ObjectNode) man.get("tensors").get(1).get("shards").get(0).get("parts").get("data");
        part.put("offsetBytes", 1L << 40);
        PackageJson.mapper().writeValue(out2.resolve("manifest.json").toFile(), man);
        FormatException r = assertThrows(FormatException.class, () -> PackageReader.open(out2));
        assertEquals(CompileException.ErrorCode.PACKAGE_CORRUPT, r.code());
        assertTrue(r.getMessage().contains(man.get("tensors").get(1).get("name").asText()), r.getMessage());
    }

    @Test
    void otherFormatVersionIsRefused() throws Exception {
        Path out = compiled();
        ObjectNode man = (ObjectNode) PackageJson.mapper().readTree(out.resolve("manifest.json").toFile());
        man.put("formatVersion", 99);
        man.put("someFutureField", true);
        PackageJson.mapper().writeValue(out.resolve("manifest.json").toFile(), man);
        FormatException e = assertThrows(FormatException.class, () -> PackageReader.open(out));
        assertEquals(CompileException.ErrorCode.PACKAGE_VERSION, e.code());
        assertTrue(e.getMessage().contains("99"), e.getMessage());
    }

    @Test
    void failureMidWriteLeavesNothingAndKeepsAnExistingPackage() throws Exception {
        DecoderModel bad = model(dir.resolve("no-such-tokenizer.json"));   // fails after the bank files are written
        Path out = dir.resolve("f.tfpkg");
        CompileException e = assertThrows(CompileException.class, () -> compile(bad, out, CompileOptions.defaults()));
        assertEquals(CompileException.ErrorCode.FILE_NOT_FOUND, e.code());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "no directory, temp or scratch left behind");
        }
        compile(model(null), out, CompileOptions.defaults());
        String before = Files.readString(out.resolve("manifest.json"));
        assertThrows(CompileException.class, () -> compile(bad, out, CompileOptions.defaults().withQuant(QuantScheme.FP16)));
        assertEquals(before, Files.readString(out.resolve("manifest.json")), "existing package untouched by a failed compile");
        compile(model(null), out, CompileOptions.defaults().withQuant(QuantScheme.FP16));
        try (ModelPackage pkg = PackageReader.open(out)) {
            assertEquals(QuantScheme.FP16, pkg.manifest().quant().scheme(), "replaced after success");
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("f.tfpkg"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void closedPackageRefusesUse() throws Exception {
        ModelPackage pkg = PackageReader.open(compiled());
        pkg.close();
        assertThrows(IllegalStateException.class, pkg::manifest);
        assertThrows(IllegalStateException.class, () -> pkg.part(TensorNames.LM_HEAD, PackedFormat.DATA));
    }
}
