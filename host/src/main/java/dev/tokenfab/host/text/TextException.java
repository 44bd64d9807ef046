package dev.tokenfab.host.text;

/** The one checked error of the text package; {@link #code()} says which of a closed set of failures it is. */
public final class TextException extends Exception {

    /** What went wrong. */
    public enum ErrorCode {
        /** the model package records no tokenizer file (compiled from a folder without tokenizer.json) */
        NO_TOKENIZER,
        /** tokenizer.json is missing, unreadable or not a Hugging Face tokenizer */
        TOKENIZER_UNREADABLE,
        /** DJL's bundled native tokenizers library is absent for this OS/arch or could not be loaded */
        NATIVE_UNAVAILABLE,
        /** the tokenizer produced or was given ids the model cannot take */
        TOKEN_OUT_OF_RANGE
    }

    private final ErrorCode code;

    public TextException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public TextException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() { return code; }
}
