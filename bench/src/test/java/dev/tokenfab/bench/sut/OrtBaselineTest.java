package dev.tokenfab.bench.sut;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bench.BenchException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The baseline's greedy loop on the real exports, cross-checked with the greedy runs recorded in
 * their REFERENCE.txt (prompt [1,2,3,4], prefill + 10 KV-cache steps). GPT-2's smallest top-1/top-2
 * margin there is 0.0072, far above fp32 run-to-run noise, so token equality is a fair check.
 */
class OrtBaselineTest {

    static final long[] PROMPT = {1, 2, 3, 4};
    static final List<Long> GPT2_GREEDY = List.of(374L, 374L, 374L, 374L, 374L, 374L, 815L, 815L, 132L, 132L, 132L);
    static final List<Long> LLAMA_GREEDY = List.of(25190L, 6074L, 6566L, 21376L, 8002L, 12090L, 28535L, 5663L, 11334L, 6504L, 22969L);

    static List<List<Long>> generate(SystemUnderTest sut, List<long[]> prompts, int n) throws BenchException {
        List<List<Long>> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) out.add(new ArrayList<>());
        sut.generate(prompts, n, (seq, index, token) -> {
            assertEquals(out.get(seq).size(), index, "tokens arrive in order");
            out.get(seq).add(token);
        });
        return out;
    }

    @Test
    void gpt2GreedyMatchesReferenceAtBatch1And2() throws Exception {
        try (OrtBaseline ort = OrtBaseline.open(SharedModels.model(SharedModels.GPT2), OrtBaseline.ExecutionProvider.AUTO, 1)) {
            assertEquals("ort-cpu", ort.name(), "the CPU artifact has no CUDA provider");
            assertEquals(1000, ort.vocabularySize());
            assertEquals(GPT2_GREEDY, generate(ort, List.of(PROMPT), 11).getFirst());
            List<List<Long>> two = generate(ort, List.of(PROMPT, PROMPT), 11);
            assertEquals(GPT2_GREEDY, two.get(0));
            assertEquals(GPT2_GREEDY, two.get(1));
            // prefill only: no tokens, no error
            assertTrue(generate(ort, List.of(PROMPT), 0).getFirst().isEmpty());
        }
    }

    /** The compiler's reference runner (batch 1 only) and the baseline's batched loop agree token for token. */
    @Test
    void agreesWithTheCompilersOrtDecoderRunner() throws Exception {
        for (String m : List.of(SharedModels.GPT2, SharedModels.LLAMA)) {
            Path model = SharedModels.model(m);
            long[] reference;
            try (var runner = dev.tokenfab.compiler.reference.OrtDecoderRunner.open(model)) {
                reference = runner.greedy(PROMPT, 11).tokens();
            }
            try (OrtBaseline ort = OrtBaseline.open(model, OrtBaseline.ExecutionProvider.CPU, 1)) {
                assertEquals(java.util.Arrays.stream(reference).boxed().toList(), generate(ort, List.of(PROMPT), 11).getFirst(), m);
            }
        }
    }

    @Test
    void llamaFp16CacheGreedyMatchesReference() throws Exception {
        try (OrtBaseline ort = OrtBaseline.open(SharedModels.model(SharedModels.LLAMA), OrtBaseline.ExecutionProvider.CPU, 1)) {
            assertEquals(32000, ort.vocabularySize());
            assertEquals(LLAMA_GREEDY, generate(ort, List.of(PROMPT), 11).getFirst());
        }
    }

    @Test
    void unsupportedOrMissingModelsAreUnavailableWithReason(@TempDir Path dir) throws Exception {
        BenchException missing = assertThrows(BenchException.class,
                () -> OrtBaseline.open(dir.resolve("none.onnx"), OrtBaseline.ExecutionProvider.CPU, 1));
        assertEquals(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, missing.code());
        assertTrue(missing.getMessage().contains("none.onnx does not exist"));
        Path body = SharedModels.model("gpt2-torch-export-body/gpt2_past.onnx");
        BenchException e = assertThrows(BenchException.class, () -> OrtBaseline.open(body, OrtBaseline.ExecutionProvider.CPU, 1));
        assertEquals(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("gpt2_past.onnx"), e.getMessage());
        BenchException cuda = assertThrows(BenchException.class,
                () -> OrtBaseline.open(SharedModels.model(SharedModels.GPT2), OrtBaseline.ExecutionProvider.CUDA, 1));
        assertTrue(cuda.getMessage().contains("CUDA execution provider unavailable") && cuda.getMessage().contains("--baseline-ep cpu"),
                cuda.getMessage());
    }
}
