package dev.tokenfab.compiler.build;

import dev.tokenfab.format.FormatException.ErrorCode;

/**
 * A step's check of its own output against a reference (FINN's verify step): the ONNX graph for import,
 * the dense weights for quantization, the platform's banks for the plan, the written files for the
 * package, ONNX Runtime for accuracy. Recorded in {@code verification.json}; a FAIL stops the build.
 *
 * @param check     what was compared, against what, with which limit
 * @param status    SUCCESS or FAIL
 * @param detail    the measured figure or the first culprit
 * @param failCode  the error code the build stops with on FAIL
 */
public record Verification(String check, Status status, String detail, ErrorCode failCode) {

    public enum Status { SUCCESS, FAIL }

    public static Verification success(String check, String detail) {
        return new Verification(check, Status.SUCCESS, detail, null);
    }

    public static Verification fail(String check, String detail, ErrorCode code) {
        return new Verification(check, Status.FAIL, detail, code);
    }

    public boolean failed() { return status == Status.FAIL; }
}
