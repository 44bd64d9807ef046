package dev.tokenfab.host.text;

import dev.tokenfab.format.quant.QuantScheme;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenfab.compiler.build.CompileOptions;
import dev.tokenfab.compiler.Compiler;
import dev.tokenfab.compiler.build.ModelImporter;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.compiler.reference.GreedyResult;
import dev.tokenfab.compiler.reference.Margins;
import dev.tokenfab.compiler.reference.OrtDecoderRunner;
import dev.tokenfab.compiler.synth.SharedModels;
import dev.tokenfab.compiler.synth.SynthSpec;
import dev.tokenfab.compiler.synth.SyntheticDecoderWriter;
import dev.tokenfab.host.cli.RunCommand;
import dev.tokenfab.host.runtime.EmuDevices;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code run --prompt}: text in, text out, through the package's tokenizer.json. */
class PromptRunTest {

    static final String FIXTURE = "llama-tiny-genai-fp16";
    static final String PROMPT = "Once upon a time";
    static final int NEW_TOKENS = 8;

    @TempDir Path dir;

    record Cli(int code, String out, String err) {}

    static Cli run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new RunCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Cli(code, out.toString(), err.toString());
    }

    static Path compile(Path onnx, QuantScheme quant, Path out) throws Exception {
        CompileOptions options = CompileOptions.defaults().withQuant(quant).withPlatform(Platform.U55C);
        return new Compiler(ModelImporter.onnx(), line -> {}).compile(onnx, out, options, null).output();
    }

    @Test
    void llamaPromptPrintsTextAndMatchesOnnxRuntimeGreedy() throws Exception {
        Path folder = SharedModels.resolve(FIXTURE);
        Assumptions.assumeTrue(folder != null, SharedModels.missingMessage(FIXTURE));
        EmuDevices.open(Platform.U55C).close(); // skips when the kernel library is not in the build
        Path onnx = folder.resolve("model.onnx");
        Path pkg = compile(onnx, QuantScheme.FP16, dir.resolve("llama.tfpkg"));

        long[] promptIds;
        try (ModelPackage p = PackageReader.open(pkg)) {
            Manifest.Generation g = p.manifest().generation();
            assertEquals("tokenizer.json", g.tokenizerFile(), "the compiler copies the folder's tokenizer.json into the package");
            assertTrue(Files.isRegularFile(pkg.resolve(g.tokenizerFile())));
            try (Tokenizer t = Tokenizer.forPackage(pkg, p.manifest())) {
                assertEquals(g.eosTokenIds(), t.eosTokenIds());
                assertEquals(g.bosTokenId(), t.bosTokenId());
                promptIds = t.encode(PROMPT, true);
            }
        }

        Cli text = run(pkg.toString(), "--prompt", PROMPT, "--max-new-tokens", String.valueOf(NEW_TOKENS));
        assertEquals(0, text.code(), text.err() + text.out());
        Cli json = run(pkg.toString(), "--prompt", PROMPT, "--max-new-tokens", String.valueOf(NEW_TOKENS), "--json");
        assertEquals(0, json.code(), json.err() + json.out());
        JsonNode j = new ObjectMapper().readTree(json.out());
        int[] prompt = new ObjectMapper().convertValue(j.get("promptIds"), int[].class);
        int[] generated = new ObjectMapper().convertValue(j.get("generatedIds"), int[].class);
        assertArrayEquals(Arrays.stream(promptIds).mapToInt(i -> (int) i).toArray(), prompt, "prompt encoded with the package's tokenizer");
        assertEquals(PROMPT, j.get("prompt").asText());

        // The text is what the generated ids (up to EOS) add to the prompt's decoded text.
        String generatedText;
        try (Tokenizer t = Tokenizer.open(pkg.resolve("tokenizer.json"))) {
            int n = j.get("finishReason").asText().equals("EOS") ? generated.length - 1 : generated.length;
            long[] all = new long[promptIds.length + n];
            System.arraycopy(promptIds, 0, all, 0, promptIds.length);
            for (int i = 0; i < n; i++) all[promptIds.length + i] = generated[i];
            String promptText = t.decode(promptIds);
            String fullText = t.decode(all);
            assertEquals(PROMPT, promptText);
            assertTrue(fullText.startsWith(promptText), fullText);
            generatedText = fullText.substring(promptText.length());
        }
        assertEquals(generatedText, j.get("text").asText());
        assertTrue(text.out().startsWith(PROMPT + generatedText + System.lineSeparator()), text.out());
        assertTrue(text.out().contains("generated ids: " + Arrays.toString(generated)), text.out());
        assertTrue(!generatedText.isBlank(), "generated text is empty for ids " + Arrays.toString(generated));

        // Same prompt ids through ONNX Runtime's greedy decode: the ids must be equal. The weights are
        // random, so ORT's top-1/top-2 gaps are small (well under 1% of max |logit| here); the failure
        // message gives the gap of every step so that a flip caused by fp16 rounding is recognisable.
        GreedyResult ort;
        try (OrtDecoderRunner r = OrtDecoderRunner.open(onnx)) {
            ort = r.greedy(promptIds, NEW_TOKENS);
        }
        double[] relativeGaps = new double[ort.tokens().length];
        for (int i = 0; i < relativeGaps.length; i++) {
            float[] row = ort.stepLogits().get(i);
            double maxAbs = 0;
            for (float v : row) maxAbs = Math.max(maxAbs, Math.abs(v));
            relativeGaps[i] = Margins.top1Top2Gap(row) / maxAbs;
        }
        long[] expected = ort.tokens();
        if (j.get("finishReason").asText().equals("EOS")) expected = Arrays.copyOf(expected, generated.length);
        System.out.printf("run --prompt \"%s\": prompt ids %s; tokenfab emu %s, ORT %s; ORT top1-top2 gaps / max|logit| %s%n"
                        + "text: %s%n", PROMPT, Arrays.toString(promptIds), Arrays.toString(generated), Arrays.toString(ort.tokens()),
                Arrays.toString(relativeGaps), generatedText);
        assertArrayEquals(expected, Arrays.stream(generated).asLongStream().toArray(),
                "greedy ids vs ONNX Runtime; ORT top1-top2 gaps / max|logit| per step: " + Arrays.toString(relativeGaps));
    }

    @Test
    void packageWithoutTokenizerSaysUsePromptIds() throws Exception {
        Path onnx = dir.resolve("synth.onnx");
        SyntheticDecoderWriter.write(SynthSpec.llamaDemo().seed(3).build(), onnx);
        Path pkg = compile(onnx, QuantScheme.FP16, dir.resolve("synth.tfpkg"));
        try (ModelPackage p = PackageReader.open(pkg)) {
            TextException e = assertThrows(TextException.class, () -> Tokenizer.forPackage(pkg, p.manifest()));
            assertEquals(TextException.ErrorCode.NO_TOKENIZER, e.code());
            assertEquals("package " + pkg + " has no tokenizer.json; use --prompt-ids", e.getMessage());
        }
        Cli cli = run(pkg.toString(), "--prompt", "hello");
        assertNotEquals(0, cli.code());
        assertTrue(cli.err().contains("has no tokenizer.json; use --prompt-ids"), cli.err());
    }

    @Test
    void exactlyOneOfPromptAndPromptIds() {
        Path pkg = dir.resolve("never-read.tfpkg");
        Cli both = run(pkg.toString(), "--prompt", "hi", "--prompt-ids", "1,2");
        assertEquals(CommandLine.ExitCode.USAGE, both.code(), both.err());
        assertTrue(both.err().contains("exactly one of --prompt TEXT or --prompt-ids"), both.err());
        Cli neither = run(pkg.toString());
        assertEquals(CommandLine.ExitCode.USAGE, neither.code(), neither.err());
    }
}
