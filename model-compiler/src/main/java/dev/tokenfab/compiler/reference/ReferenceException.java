package dev.tokenfab.compiler.reference;

/** The one checked exception of the ONNX Runtime reference runner; the message names model, tensor or limit. */
public final class ReferenceException extends Exception {

    public enum ErrorCode {
        /** ONNX Runtime could not load the model (message has ORT's text) */
        MODEL_LOAD,
        /** inputs/outputs match none of the decoder conventions the runner knows (message lists them) */
        UNSUPPORTED_IO,
        /** an execution provider was requested that this ONNX Runtime build lacks */
        PROVIDER_UNAVAILABLE,
        /** ONNX Runtime failed while running (message has ORT's text and the step) */
        RUN_FAILED,
        /** a caller argument outside the allowed range (empty prompt, negative token count) */
        BAD_ARGUMENT
    }

    private final ErrorCode code;

    public ReferenceException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ReferenceException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() { return code; }
}
