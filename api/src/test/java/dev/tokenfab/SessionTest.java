package dev.tokenfab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.synth.SharedModels;
import dev.tokenfab.format.FormatException;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.format.quant.QuantScheme;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.text.TextException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Session} on the emulated card, against a direct {@code Generator} run of the same package. */
class SessionTest {

    @TempDir static Path dir;
    static CompiledPackage demo;
    static int[] directIds;

    @BeforeAll
    static void compileDemo() throws Exception {
        Path onnx = Tokenfab.synthesizeDemo(dir.resolve("llama-demo.onnx"));
        demo = Tokenfab.compile(onnx, dir.resolve("llama-demo.tfpkg"), CompileSettings.defaults().withPlatform(Platform.U55C));
        directIds = DemoPackage.directGreedyIds(demo.path(), DemoPackage.PROMPT_IDS, DemoPackage.NEW_TOKENS);
    }

    @Test
    void streamedTokensAreTheGeneratedIdsOfADirectRunAndRepeat() throws Exception {
        try (Session s = Tokenfab.open(demo.path(), DeviceKind.EMU)) {
            List<Token> seen = new ArrayList<>();
            Generation g = s.stream(DemoPackage.PROMPT_IDS, GenerationSettings.greedy(DemoPackage.NEW_TOKENS), seen::add);
            assertArrayEquals(directIds, g.generatedIds());
            assertArrayEquals(directIds, seen.stream().mapToInt(Token::id).toArray());
            for (int i = 0; i < seen.size(); i++) assertEquals(i, seen.get(i).index());
            assertTrue(seen.stream().allMatch(t -> t.text().isEmpty()), "the synthetic model has no tokenizer");
            assertEquals(FinishReason.MAX_TOKENS, g.finish());
            assertArrayEquals(DemoPackage.PROMPT_IDS, g.promptIds());
            assertTrue(g.text().isEmpty());
            // each generation runs on a fresh KV sequence: same prompt, same tokens
            assertArrayEquals(directIds, s.generate(DemoPackage.PROMPT_IDS, GenerationSettings.greedy(DemoPackage.NEW_TOKENS)).generatedIds());
        }
    }

    @Test
    void figuresAreLabeledMeasuredOnTheHostAndModeledFromThePlan() throws Exception {
        try (Session s = Tokenfab.open(demo.path(), DeviceKind.EMU)) {
            Generation g = s.generate(DemoPackage.PROMPT_IDS, GenerationSettings.greedy(DemoPackage.NEW_TOKENS));
            MeasuredFigures m = g.measured();
            assertEquals(HostRuntime.MEASURED_EMULATED, m.label());
            assertEquals(DemoPackage.NEW_TOKENS, m.millisPerToken().length);
            assertTrue(m.tokensPerSecond() > 0 && m.prefillMillis() > 0 && m.wallMillis() >= m.prefillMillis(), m.toString());
            var e = DemoPackage.estimate(demo.path());
            ModeledFigures modeled = g.modeled();
            assertEquals("modeled", modeled.label());
            assertEquals(Platform.U55C, modeled.platform());
            assertEquals(e.tokensPerSecond(), modeled.tokensPerSecond());
            assertEquals(e.boardWatts(), modeled.watts());
            assertEquals(e.tokensPerJoule(), modeled.tokensPerJoule());
            assertEquals(modeled, s.modeled());
            assertEquals(modeled, demo.modeled(), "compile and open report the same plan figures");
            assertEquals(s.deviceName(), "emulated " + Platform.U55C.vitisPlatform());
        }
    }

    @Test
    void seededSamplingRepeatsAndDiffersFromGreedy() throws Exception {
        try (Session s = Tokenfab.open(demo.path(), DeviceKind.EMU)) {
            GenerationSettings hot = GenerationSettings.sampled(DemoPackage.NEW_TOKENS, 1.5f, 42L);
            int[] a = s.generate(DemoPackage.PROMPT_IDS, hot).generatedIds();
            assertArrayEquals(a, s.generate(DemoPackage.PROMPT_IDS, hot).generatedIds());
            assertFalse(Arrays.equals(directIds, a), "temperature 1.5 sampling picked exactly the greedy ids");
        }
    }

    @Test
    void closedSessionThrowsNamingTheClassAndCloseIsIdempotent() throws Exception {
        Session s = Tokenfab.open(demo.path(), DeviceKind.EMU);
        s.close();
        s.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> s.generate(DemoPackage.PROMPT_IDS, GenerationSettings.greedy(1)));
        assertTrue(e.getMessage().contains("Session"), e.getMessage());
        assertThrows(IllegalStateException.class, s::modeled);
    }

    @Test
    void badPromptsNameTheCulprit() throws Exception {
        try (Session s = Tokenfab.open(demo.path(), DeviceKind.EMU)) {
            int vocab = s.vocabSize();
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                    () -> s.generate(new int[] {1, vocab}, GenerationSettings.greedy(1)));
            assertTrue(outside.getMessage().contains("token id " + vocab), outside.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.generate(new int[0], GenerationSettings.greedy(1)));
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> s.generate(new int[] {1}, GenerationSettings.greedy(s.maxContextTokens())));
            assertTrue(tooLong.getMessage().contains("context of " + s.maxContextTokens()), tooLong.getMessage());
            TextException noTokenizer = assertThrows(TextException.class, () -> s.generate("hello", GenerationSettings.greedy(1)));
            assertEquals(TextException.ErrorCode.NO_TOKENIZER, noTokenizer.code());
            assertFalse(s.hasTokenizer());
        }
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> GenerationSettings.greedy(0));
        assertTrue(zero.getMessage().contains("maxNewTokens"), zero.getMessage());
    }

    @Test
    void openRefusesMissingOtherVersionPackagesAndOpenCl() throws Exception {
        FormatException missing = assertThrows(FormatException.class, () -> Tokenfab.open(dir.resolve("absent.tfpkg"), DeviceKind.EMU));
        assertEquals(FormatException.ErrorCode.FILE_NOT_FOUND, missing.code());
        assertTrue(missing.getMessage().contains("absent.tfpkg"), missing.getMessage());

        Path old = dir.resolve("other-version.tfpkg");
        Files.createDirectories(old);
        try (var files = Files.list(demo.path())) {
            for (Path f : files.toList()) if (Files.isRegularFile(f)) Files.copy(f, old.resolve(f.getFileName()));
        }
        Path manifest = old.resolve("manifest.json");
        String json = Files.readString(manifest);
        assertTrue(json.contains("\"formatVersion\" : 1"), "manifest.json layout changed: " + json.substring(0, Math.min(200, json.length())));
        Files.writeString(manifest, json.replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));
        FormatException version = assertThrows(FormatException.class, () -> Tokenfab.open(old, DeviceKind.EMU));
        assertEquals(FormatException.ErrorCode.PACKAGE_VERSION, version.code());
        assertTrue(version.getMessage().contains("format version 99"), version.getMessage());

        DeviceException opencl = assertThrows(DeviceException.class, () -> Tokenfab.open(demo.path(), DeviceKind.OPENCL));
        assertEquals(DeviceException.ErrorCode.UNAVAILABLE, opencl.code());
    }

    @Test
    void compileRefusesAMissingModelAndABadGroupSize() throws Exception {
        var missing = assertThrows(dev.tokenfab.compiler.error.CompileException.class,
                () -> Tokenfab.compile(dir.resolve("absent.onnx"), dir.resolve("absent.tfpkg"), CompileSettings.defaults()));
        assertEquals(FormatException.ErrorCode.FILE_NOT_FOUND, missing.code());
        assertTrue(missing.getMessage().contains("absent.onnx"), missing.getMessage());

        Path onnx = dir.resolve("llama-demo.onnx");
        var badGroup = assertThrows(dev.tokenfab.compiler.error.CompileException.class, () -> Tokenfab.compile(onnx, dir.resolve("g48.tfpkg"),
                CompileSettings.defaults().withInt4(48, false, dev.tokenfab.format.quant.Int4Method.RTN)));
        assertEquals(FormatException.ErrorCode.BAD_OPTION, badGroup.code());
        assertFalse(Files.exists(dir.resolve("g48.tfpkg")), "a failed compile leaves nothing behind");
        assertThrows(NullPointerException.class, () -> CompileSettings.defaults().withPlatform(null));
    }

    @Test
    void textPromptStreamsTextAndMatchesTheSameIds() throws Exception {
        String fixture = "llama-tiny-genai-fp16";
        Path folder = SharedModels.resolve(fixture);
        Assumptions.assumeTrue(folder != null, SharedModels.missingMessage(fixture));
        CompiledPackage pkg = Tokenfab.compile(folder, dir.resolve("llama-tiny.tfpkg"),
                CompileSettings.defaults().withQuant(QuantScheme.FP16).withPlatform(Platform.U55C));
        try (Session s = Tokenfab.open(pkg.path(), DeviceKind.EMU)) {
            assertTrue(s.hasTokenizer());
            StringBuilder streamed = new StringBuilder();
            Generation g = s.stream("Once upon a time", GenerationSettings.greedy(8), t -> streamed.append(t.text()));
            assertTrue(g.text().isPresent() && !g.text().get().isEmpty(), g.toString());
            assertTrue(g.text().get().startsWith(streamed.toString()), "streamed pieces are the text: " + streamed + " vs " + g.text());
            Generation fromIds = s.generate(g.promptIds(), GenerationSettings.greedy(8));
            assertArrayEquals(g.generatedIds(), fromIds.generatedIds());
            assertEquals(g.text(), fromIds.text());
            assertNotEquals(0, g.promptIds().length);
        }
    }
}
