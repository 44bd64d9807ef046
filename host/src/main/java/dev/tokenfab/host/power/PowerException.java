package dev.tokenfab.host.power;

/** The one checked exception of the power package: a code plus a message naming the sensor and, where known, the fix. */
public final class PowerException extends Exception {

    public enum ErrorCode {
        /** the sensor does not exist or cannot be used here; the message says how to fix it */
        UNAVAILABLE,
        /** the sensor exists but permission to read it is missing; the message says how to fix it */
        NO_PERMISSION,
        /** a read failed after the sensor was opened (file vanished, native call returned an error) */
        READ_FAILED,
        /** a sensor produced data we cannot parse (file, field and value in the message) */
        BAD_DATA,
        /** begin/end of a measurement window misused (duplicate or unknown name) */
        BAD_WINDOW
    }

    private final ErrorCode code;

    public PowerException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public PowerException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() { return code; }

    @Override
    public String toString() { return "PowerException[" + code + "]: " + getMessage(); }
}
