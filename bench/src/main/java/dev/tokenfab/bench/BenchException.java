package dev.tokenfab.bench;

/** The one checked exception of the bench module: a code plus a message naming the culprit. */
public final class BenchException extends Exception {

    public enum ErrorCode {
        /** a workload spec does not parse; the message names the token and the allowed forms */
        BAD_WORKLOAD,
        /** a command-line option or setting is out of range */
        BAD_OPTION,
        /** a system under test cannot run here (missing model, runtime, device); the message says why */
        SYSTEM_UNAVAILABLE,
        /** a system failed while running a workload */
        RUN_FAILED,
        /** reading or writing a report file failed */
        IO
    }

    private final ErrorCode code;

    public BenchException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public BenchException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() { return code; }

    @Override
    public String toString() { return "BenchException[" + code + "]: " + getMessage(); }
}
