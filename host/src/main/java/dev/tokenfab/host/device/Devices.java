package dev.tokenfab.host.device;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.kernels.Kernel;
import dev.tokenfab.kernels.KernelException;
import dev.tokenfab.kernels.KernelLibrary;
import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandle;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens a {@link Device} by kind. Backends plug in here: {@code emu} is the C-simulation of the
 * kernels; {@code xrt} and {@code opencl} are refused until their backends are part of the build.
 */
public final class Devices {
    private Devices() {}

    /** Parses "emu", "xrt" or "opencl" (case-insensitive); the error lists the allowed values. */
    public static DeviceInfo.Kind parseKind(String name) {
        for (DeviceInfo.Kind k : DeviceInfo.Kind.values()) if (k.name().equalsIgnoreCase(name)) return k;
        throw new IllegalArgumentException("unknown device '" + name + "'; allowed: emu, xrt, opencl");
    }

    /**
     * Opens a device of {@code kind} for a package planned for {@code platform}.
     *
     * @throws DeviceException UNAVAILABLE when the backend cannot be used in this build or environment
     */
    public static Device open(DeviceInfo.Kind kind, Platform platform) throws DeviceException {
        return switch (kind) {
            case EMU -> new EmuDevice(platform, emulationKernels());
            case XRT -> XrtDevice.open(XrtDevice.Options.defaults(platform, null));
            case OPENCL -> OpenClDevice.open(0, 0, platform);
        };
    }

    /** System property naming a kernel shared library to bind instead of the hls-kernels one (kernel development, XRT tests). */
    public static final String KERNEL_LIBRARY_PROPERTY = "tokenfab.kernelLibrary";

    /**
     * The C-simulation kernels: the library named by {@value #KERNEL_LIBRARY_PROPERTY} when set, else
     * the one shipped in the hls-kernels jar (or the file {@link KernelLibrary#LIBRARY_PATH_PROPERTY}
     * names), loaded once per JVM.
     */
    public static EmuDevice.KernelBinding emulationKernels() throws DeviceException {
        String override = System.getProperty(KERNEL_LIBRARY_PROPERTY);
        if (override != null) return libraryBinding(Path.of(override));
        KernelLibrary lib;
        synchronized (Devices.class) {
            if (kernels == null) {
                try {
                    kernels = KernelLibrary.load();
                } catch (KernelException e) {
                    throw new DeviceException(DeviceException.ErrorCode.UNAVAILABLE, "emulated card: kernel library unavailable: "
                            + e.getMessage() + " (build hls-kernels, or set -D" + KernelLibrary.LIBRARY_PATH_PROPERTY + "=<file>)", e);
                }
            }
            lib = kernels;
        }
        return libraryBinding(lib);
    }

    /** Binds a loaded kernel library, with its address-taking handles (no segment per pointer and launch). */
    public static EmuDevice.KernelBinding libraryBinding(KernelLibrary lib) {
        return new EmuDevice.KernelBinding() {
            @Override
            public MethodHandle handle(Kernel k) throws DeviceException {
                try {
                    return lib.handle(k);
                } catch (KernelException e) {
                    throw new DeviceException(DeviceException.ErrorCode.BAD_BINARY, e.getMessage(), e);
                }
            }

            @Override
            public MethodHandle addressHandle(Kernel k) throws DeviceException {
                try {
                    return lib.addressHandle(k);
                } catch (KernelException e) {
                    throw new DeviceException(DeviceException.ErrorCode.BAD_BINARY, e.getMessage(), e);
                }
            }

            @Override
            public MethodHandle programHandle() throws DeviceException {
                try {
                    return lib.programHandle();
                } catch (KernelException e) {
                    return null; // a library without the interpreter: launches only
                }
            }
        };
    }

    /** Shared by every emulated device of this JVM: the kernels are stateless. */
    private static KernelLibrary kernels;

    /**
     * Binds kernels by symbol in a shared library (loaded for the life of the JVM: kernels may be
     * bound by several devices).
     *
     * @throws DeviceException UNAVAILABLE naming the file when it is missing
     */
    public static EmuDevice.KernelBinding libraryBinding(Path library) throws DeviceException {
        if (!Files.isReadable(library)) {
            throw new DeviceException(DeviceException.ErrorCode.UNAVAILABLE, "kernel library " + library + " not found or not readable");
        }
        SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
        Linker linker = Linker.nativeLinker();
        return new EmuDevice.KernelBinding() {
            private MemorySegment symbol(Kernel k) throws DeviceException {
                return lookup.find(k.symbol()).orElseThrow(() -> new DeviceException(
                        DeviceException.ErrorCode.BAD_BINARY, library + " has no symbol " + k.symbol()));
            }

            @Override
            public MethodHandle handle(Kernel k) throws DeviceException { return linker.downcallHandle(symbol(k), k.descriptor()); }

            @Override
            public MethodHandle addressHandle(Kernel k) throws DeviceException {
                return linker.downcallHandle(symbol(k), KernelLibrary.addressDescriptor(k.descriptor()));
            }

            @Override
            public MethodHandle programHandle() {
                return lookup.find(KernelLibrary.PROGRAM_SYMBOL).map(sym -> linker.downcallHandle(sym, java.lang.foreign.FunctionDescriptor.of(
                        java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_INT))).orElse(null);
            }
        };
    }
}
