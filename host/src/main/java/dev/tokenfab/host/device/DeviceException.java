package dev.tokenfab.host.device;

/** The one checked exception of device backends: a code plus the native or backend message. */
public final class DeviceException extends Exception {

    public enum ErrorCode {
        /** backend cannot be used here (library or environment missing); message says how to fix */
        UNAVAILABLE,
        /** no device at that index */
        NO_DEVICE,
        OUT_OF_MEMORY,
        /** bank index not in the device's memory topology */
        BAD_BANK,
        /** buffer offset/size outside the buffer */
        OUT_OF_RANGE,
        /** xclbin or program could not be loaded, or disagrees with the package */
        BAD_BINARY,
        /** kernel arguments do not match the kernel's signature */
        BAD_ARGUMENT,
        /** run did not complete within its timeout */
        TIMEOUT,
        /** a native call failed for another reason (errno / error code in the message) */
        NATIVE_ERROR
    }

    private final ErrorCode code;

    public DeviceException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public DeviceException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() { return code; }

    @Override
    public String getMessage() { return code + ": " + super.getMessage(); }
}
