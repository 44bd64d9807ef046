package dev.tokenfab.host.device;

import dev.tokenfab.kernels.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * A kernel's downcall adapted once to {@code (long[]) -> int} for {@code invokeExact}: every
 * argument travels as one long (a pointer's address, 0 for NULL; an int; a float's raw bits), so a
 * launch boxes nothing and allocates nothing. Shared by the emulated card's launches and by the
 * C-simulation behind XRT's noop shim ({@link CsimCompute}).
 */
final class RawDowncalls {

    private RawDowncalls() {}

    private static final MethodHandle SEGMENT_AT, INT_OF, FLOAT_OF;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SEGMENT_AT = l.findStatic(RawDowncalls.class, "segmentAt", MethodType.methodType(MemorySegment.class, long.class));
            INT_OF = l.findStatic(RawDowncalls.class, "intOf", MethodType.methodType(int.class, long.class));
            FLOAT_OF = l.findStatic(RawDowncalls.class, "floatOf", MethodType.methodType(float.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("restricted")
    private static MemorySegment segmentAt(long address) { return address == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(address); }

    private static int intOf(long v) { return (int) v; }

    private static float floatOf(long bits) { return Float.intBitsToFloat((int) bits); }

    /**
     * {@code byAddress} (pointers as {@code long}) when not null, else {@code bySegment} (pointers as
     * zero-length global segments, no arena acquired per call), spread over a {@code long[]}; a void
     * return reads as 0.
     *
     * @throws DeviceException BAD_BINARY when the downcall's arity is not the kernel's
     */
    static MethodHandle spread(Kernel kernel, MethodHandle byAddress, MethodHandle bySegment) throws DeviceException {
        MethodHandle raw = byAddress != null ? byAddress : bySegment;
        int n = kernel.args().size();
        if (raw.type().parameterCount() != n) {
            throw new DeviceException(DeviceException.ErrorCode.BAD_BINARY, kernel.symbol() + ": binding takes "
                    + raw.type().parameterCount() + " arguments, the kernel " + n);
        }
        MethodHandle[] filters = new MethodHandle[n];
        for (int i = 0; i < n; i++) {
            filters[i] = switch (kernel.args().get(i).kind()) {
                case POINTER -> byAddress != null ? null : SEGMENT_AT; // null filter: the long goes through as is
                case INT -> INT_OF;
                case FLOAT -> FLOAT_OF;
            };
        }
        return MethodHandles.filterArguments(raw, 0, filters)
                .asSpreader(long[].class, n)
                .asType(MethodType.methodType(int.class, long[].class));
    }
}
