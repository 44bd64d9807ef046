package dev.tokenfab.host.device;

/** One kernel argument: a device buffer range, a null pointer, or a scalar register value. */
public sealed interface KernelArg {

    /** A pointer argument: {@code buffer} starting at {@code offsetBytes}. */
    record Buffer(DeviceBuffer buffer, long offsetBytes) implements KernelArg {}

    /** A NULL pointer (optional bias, zero points, KV scales). */
    record Null() implements KernelArg {}

    record I32(int value) implements KernelArg {}

    record F32(float value) implements KernelArg {}

    static KernelArg of(DeviceBuffer b) { return new Buffer(b, 0); }

    static KernelArg of(DeviceBuffer b, long offsetBytes) { return new Buffer(b, offsetBytes); }

    static KernelArg i32(int v) { return new I32(v); }

    static KernelArg f32(float v) { return new F32(v); }

    KernelArg NULL = new Null();
}
