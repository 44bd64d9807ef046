package dev.tokenfab.host.text;

import java.util.Arrays;

/**
 * Incremental detokenization for streaming output: {@link #push} takes one generated id and returns
 * the text it adds. One token does not always map to whole characters: byte-level BPE (GPT-2) and
 * SentencePiece byte fallback (Llama, {@code <0xE4>}) split a multi-byte UTF-8 character across
 * tokens, and SentencePiece decoders drop the leading space of the first token. So this decodes the
 * running ids, holds back while the text ends in U+FFFD (an incomplete UTF-8 sequence), and returns the
 * new suffix beyond what was already emitted (the approach of Hugging Face's {@code TextStreamer}).
 * The concatenation of all returned pieces equals {@code tokenizer.decode(allIds)}; {@link #flush}
 * returns whatever was held back at the end. Cost: one decode of the running ids per token.
 *
 * <p>Started with context ids (the prompt), it returns only the text after the context's own text:
 * SentencePiece drops the leading space of the first decoded token, so decoding the generated ids
 * alone would glue the first generated word to the prompt.
 * Not thread-safe.
 */
public final class StreamDecoder {

    /** What an incomplete UTF-8 sequence decodes to (the Rust tokenizers use lossy UTF-8 decoding). */
    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private long[] ids;
    private int count;
    /** decode(context): the text before anything this decoder emits */
    private final String contextText;
    private String emitted = "";

    StreamDecoder(Tokenizer tokenizer, long[] contextIds) {
        this.tokenizer = tokenizer;
        this.ids = Arrays.copyOf(contextIds, Math.max(64, contextIds.length * 2));
        this.count = contextIds.length;
        this.contextText = contextIds.length == 0 ? "" : tokenizer.decode(contextIds);
    }

    /** Appends one id; returns the text that is now complete, possibly empty. */
    public String push(long id) {
        if (count == ids.length) ids = Arrays.copyOf(ids, count * 2);
        ids[count++] = id;
        String full = tokenizer.decode(Arrays.copyOf(ids, count));
        if (!full.isEmpty() && full.charAt(full.length() - 1) == REPLACEMENT) return "";
        return advance(full);
    }

    /** The text still held back (an incomplete character at the end, decoded as U+FFFD), or "". */
    public String flush() {
        return advance(tokenizer.decode(Arrays.copyOf(ids, count)));
    }

    /** Everything emitted so far (the context's text not included). */
    public String text() { return emitted; }

    private String advance(String full) {
        // The decode of a longer id list extends the shorter one for the decoders we meet (ByteLevel,
        // Metaspace, ByteFallback+Fuse); if a decoder ever rewrote earlier text we still emit only the
        // part beyond what the reader has, so the stream never repeats or retracts.
        int done = contextText.length() + emitted.length();
        if (full.length() <= done) return "";
        String piece = full.substring(done);
        emitted = emitted + piece;
        return piece;
    }
}
