package dev.tokenfab.kernels;

/**
 * A failure to load the kernel library, find a kernel in it, or call a kernel with well-formed
 * arguments. Unchecked: every cause is a build or programming error (library not built, wrong
 * argument type), not a condition a caller can recover from at run time. The {@link ErrorCode}
 * says which, and the message names the library path, kernel symbol or argument concerned.
 */
public final class KernelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum ErrorCode {
        /** The OS/architecture has no build of the library (only linux-x86_64 is built). */
        UNSUPPORTED_PLATFORM,
        /** The library is neither on the class path nor at the configured path. */
        LIBRARY_MISSING,
        /** Extracting the library from the jar to a temporary file failed. */
        EXTRACTION_FAILED,
        /** The dynamic loader refused the library file. */
        LIBRARY_LOAD_FAILED,
        /** The library has no symbol for the kernel (a library built from another header). */
        SYMBOL_MISSING,
        /** An argument of {@link KernelLibrary#invoke} has the wrong count, type or memory kind. */
        BAD_ARGUMENT,
        /** The downcall itself threw a checked throwable (never expected from the C ABI). */
        INVOCATION_FAILED
    }

    private final ErrorCode code;

    public KernelException(ErrorCode code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public KernelException(ErrorCode code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
