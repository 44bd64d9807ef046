package dev.tokenfab.host.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.synth.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real Llama (SentencePiece as BPE, byte fallback) and GPT-2 (byte-level BPE) tokenizer.json files of ../shared/models. */
class TokenizerTest {

    static final String LLAMA = "llama-tiny-genai-fp16/tokenizer.json";
    static final String GPT2 = "gpt2-tiny-ort-fused/tokenizer.json";

    /** Multi-byte UTF-8 (2, 3 and 4 bytes) that both vocabularies split into partial-character tokens. */
    static final String MULTI_BYTE = "héllo 世界 🙂";

    @TempDir Path dir;

    static Path fixture(String relative) {
        Path p = SharedModels.resolve(relative);
        Assumptions.assumeTrue(p != null && Files.isRegularFile(p), SharedModels.missingMessage(relative));
        return p;
    }

    /**
     * Known encodings: the ids the Hugging Face tokenizers give for these vocabularies ("Hello" is 15043
     * in Llama's 32000-token SentencePiece vocabulary, " world" 3186, BOS {@code <s>} = 1; GPT-2 has
     * "Hello" 15496 and "Ġworld" 995 and adds no special tokens).
     */
    @Test
    void llamaHelloWorld() throws Exception {
        try (Tokenizer t = Tokenizer.open(fixture(LLAMA))) {
            assertArrayEquals(new long[] {1, 15043, 3186}, t.encode("Hello world", true));
            assertArrayEquals(new long[] {15043, 3186}, t.encode("Hello world", false));
            assertEquals("Hello world", t.decode(new long[] {1, 15043, 3186}));
        }
    }

    @Test
    void gpt2HelloWorld() throws Exception {
        try (Tokenizer t = Tokenizer.open(fixture(GPT2))) {
            assertArrayEquals(new long[] {15496, 995}, t.encode("Hello world", true));
            assertEquals("Hello world", t.decode(new long[] {15496, 995}));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {LLAMA, GPT2})
    void roundTrips(String fixture) throws Exception {
        try (Tokenizer t = Tokenizer.open(fixture(fixture))) {
            for (String s : List.of("Hello world", "Once upon a time, there was a tiny model.", MULTI_BYTE,
                    "  two leading spaces\nand a newline\ttab", "1234567890 + 0.5 = ?")) {
                assertEquals(s, t.decode(t.encode(s, true)), "decode(encode(s, true)) for \"" + s + "\"");
                assertEquals(s, t.decode(t.encode(s, false)), "decode(encode(s, false)) for \"" + s + "\"");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {LLAMA, GPT2})
    void streamingDecodeEqualsFullDecode(String fixture) throws Exception {
        try (Tokenizer t = Tokenizer.open(fixture(fixture))) {
            for (String s : List.of(MULTI_BYTE, "Once upon a time 🙂🙂 über naïve 日本語")) {
                long[] ids = t.encode(s, false);
                StreamDecoder sd = t.streamDecoder();
                List<String> pieces = new ArrayList<>();
                StringBuilder streamed = new StringBuilder();
                for (long id : ids) {
                    String piece = sd.push(id);
                    assertTrue(piece.indexOf('\uFFFD') < 0, "piece with a partial character: " + pieces + " + \"" + piece + "\"");
                    pieces.add(piece);
                    streamed.append(piece);
                }
                streamed.append(sd.flush());
                assertEquals(t.decode(ids), streamed.toString(), "pieces " + pieces);
                assertEquals(s, streamed.toString());
                assertEquals(s, sd.text());
                // The emoji alone takes several tokens in both vocabularies (byte fallback / byte-level):
                // some pushes must have returned nothing while a character was incomplete.
                assertTrue(pieces.contains(""), "expected a held-back partial character in " + pieces + " for ids " + ids.length);
            }
        }
    }

    @Test
    void streamToStopsAtThePackagesEos() throws Exception {
        // Llama's </s> is 2; the package's generation settings decide what stops the stream.
        try (Tokenizer t = Tokenizer.open(fixture(LLAMA), List.of(2), 1)) {
            assertTrue(t.isEos(2));
            StringBuilder out = new StringBuilder();
            String text = t.streamTo(new int[] {1, 15043}, new int[] {3186, 2, 3186}, out);
            assertEquals(" world", text);
            assertEquals(" world", out.toString());
        }
    }

    /** SentencePiece drops the first token's leading space: the stream must keep it after a prompt. */
    @Test
    void streamAfterAPromptKeepsTheLeadingSpace() throws Exception {
        try (Tokenizer t = Tokenizer.open(fixture(LLAMA))) {
            assertEquals("world", t.decode(new long[] {3186}));
            StreamDecoder sd = t.streamDecoder(new long[] {1, 15043});
            assertEquals(" world", sd.push(3186));
            assertEquals("", sd.flush());
            assertEquals(" world", sd.text());
        }
    }

    @Test
    void usesTheBundledNativeLibraryOffline() throws Exception {
        try (Tokenizer t = Tokenizer.open(fixture(GPT2))) {
            if (System.getenv("DJL_OFFLINE") == null) assertEquals("true", System.getProperty(Tokenizer.DJL_OFFLINE_PROPERTY));
        }
        Tokenizer.checkBundledNative("Linux", "amd64"); // the platform this jar serves
        TextException e = assertThrows(TextException.class, () -> Tokenizer.checkBundledNative("Linux", "riscv64"));
        assertEquals(TextException.ErrorCode.NATIVE_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("linux-riscv64") && e.getMessage().contains("--prompt-ids"), e.getMessage());
    }

    @Test
    void closedTokenizerThrows() throws Exception {
        Tokenizer t = Tokenizer.open(fixture(GPT2));
        t.close();
        t.close(); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.encode("x", false));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void missingAndMalformedFilesAreTyped() throws Exception {
        TextException missing = assertThrows(TextException.class, () -> Tokenizer.open(dir.resolve("nope.json")));
        assertEquals(TextException.ErrorCode.TOKENIZER_UNREADABLE, missing.code());
        assertTrue(missing.getMessage().contains("nope.json"), missing.getMessage());

        Path bad = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": 42}");
        TextException malformed = assertThrows(TextException.class, () -> Tokenizer.open(bad));
        assertEquals(TextException.ErrorCode.TOKENIZER_UNREADABLE, malformed.code(), malformed.getMessage());
        assertTrue(malformed.getMessage().contains(bad.toString()), malformed.getMessage());
    }

    @Test
    void promptIdsOutsideTheModelVocabularyAreTyped() throws Exception {
        try (Tokenizer t = Tokenizer.open(fixture(GPT2))) {
            // The fused GPT-2 fixture's model has 1000 tokens but ships the 50257-token GPT-2 tokenizer.
            TextException e = assertThrows(TextException.class, () -> t.encodePrompt("Hello world", 1000));
            assertEquals(TextException.ErrorCode.TOKEN_OUT_OF_RANGE, e.code());
            assertTrue(e.getMessage().contains("15496"), e.getMessage());
            assertArrayEquals(new int[] {15496, 995}, t.encodePrompt("Hello world", 50257));
        }
    }
}
