package dev.tokenfab.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The C-simulation build of the decode kernels ({@code libtokenfab_kernels.so}, built from
 * {@code src/main/cpp} and shipped in this module's jar under {@value #RESOURCE}), opened through
 * the FFM API.
 *
 * <p>{@link #load()} opens the library found by {@link #libraryPath()}; each instance owns a shared
 * {@link Arena} that keeps the library mapped until {@link #close()}. {@link #handle(Kernel)}
 * gives the downcall handle of a kernel (the fast path: call it with {@code invokeExact} using
 * native segments and ints/floats; nothing is checked there, so a short buffer is a native
 * fault); {@link #invoke(Kernel, Object...)} is the checked path: argument types, shapes and
 * every buffer's size against what the kernel touches.
 *
 * <p>Thread-safety: instances are safe to share; the kernels keep no state between calls, so
 * concurrent calls are fine as long as they do not write the same memory. Closing while a call is
 * in flight fails with {@link IllegalStateException} (the arena cannot close while a kernel runs).
 * Handles obtained before {@code close()} throw {@link IllegalStateException} afterwards instead of
 * calling into an unmapped library.
 *
 * <p>Downcalls are made without {@code Linker.Option.critical}: a GEMV over an LM head runs for
 * tens of milliseconds, far too long to hold off the garbage collector, and the state transition
 * it saves (tens of nanoseconds) is noise next to the shortest kernel call.
 */
public final class KernelLibrary implements AutoCloseable {

    /** Class-path location of the library inside the hls-kernels jar. */
    public static final String RESOURCE = "/native/linux-x86_64/libtokenfab_kernels.so";

    /** System property naming a library file to use instead of the jar's copy. */
    public static final String LIBRARY_PATH_PROPERTY = "tokenfab.kernels.library";

    private static final Object PATH_LOCK = new Object();
    private static Path resolvedPath; // guarded by PATH_LOCK

    private final Path path;
    private final Arena arena;
    private final SymbolLookup lookup;
    private final Map<Kernel, MethodHandle> handles = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private KernelLibrary(Path path, Arena arena, SymbolLookup lookup) {
        this.path = path;
        this.arena = arena;
        this.lookup = lookup;
    }

    /**
     * Opens the library at {@link #libraryPath()}.
     *
     * @throws KernelException UNSUPPORTED_PLATFORM, LIBRARY_MISSING, EXTRACTION_FAILED or
     *     LIBRARY_LOAD_FAILED
     */
    public static KernelLibrary load() {
        return open(libraryPath());
    }

    /**
     * Opens a kernel library file (another build of the same header, e.g. one the XRT backend was
     * handed).
     *
     * @throws KernelException LIBRARY_MISSING when the file does not exist, LIBRARY_LOAD_FAILED
     *     when the dynamic loader refuses it
     */
    @SuppressWarnings("restricted") // loading native code is this class's job; callers enable native access
    public static KernelLibrary open(Path libraryFile) {
        Path file = libraryFile.toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            throw new KernelException(KernelException.ErrorCode.LIBRARY_MISSING, "no kernel library at " + file);
        }
        Arena arena = Arena.ofShared();
        try {
            return new KernelLibrary(file, arena, SymbolLookup.libraryLookup(file, arena));
        } catch (IllegalArgumentException e) {
            arena.close();
            throw new KernelException(KernelException.ErrorCode.LIBRARY_LOAD_FAILED,
                    "cannot load kernel library " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The library file on the file system: the {@value #LIBRARY_PATH_PROPERTY} system property if
     * set; else the class-path resource itself when it is a plain file (a build tree); else a copy
     * extracted once per JVM from the jar to a private temporary file (owner-only permissions,
     * deleted on exit). The XRT backend uses the same path for its C-simulation.
     *
     * @throws KernelException UNSUPPORTED_PLATFORM, LIBRARY_MISSING or EXTRACTION_FAILED
     */
    public static Path libraryPath() {
        synchronized (PATH_LOCK) {
            if (resolvedPath == null) {
                resolvedPath = resolvePath();
            }
            return resolvedPath;
        }
    }

    private static Path resolvePath() {
        String configured = System.getProperty(LIBRARY_PATH_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new KernelException(KernelException.ErrorCode.LIBRARY_MISSING,
                        "-D" + LIBRARY_PATH_PROPERTY + " names " + p + ", which is not a file");
            }
            return p;
        }
        checkPlatform();
        URL url = KernelLibrary.class.getResource(RESOURCE);
        if (url == null) {
            throw new KernelException(KernelException.ErrorCode.LIBRARY_MISSING,
                    "class-path resource " + RESOURCE + " not found; build it with ./mvnw -pl hls-kernels package"
                            + " (needs g++ and make) or set -D" + LIBRARY_PATH_PROPERTY + "=<path>");
        }
        if ("file".equals(url.getProtocol())) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException | IllegalArgumentException e) {
                // Fall through: an odd file URL can still be read as a stream.
            }
        }
        return extract(url);
    }

    private static void checkPlatform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new KernelException(KernelException.ErrorCode.UNSUPPORTED_PLATFORM,
                    "the kernel library is built for linux-x86_64 only; this JVM runs on " + os + "/" + arch);
        }
    }

    /** Copies the library at {@code url} (a jar entry) to a private temporary file. Package-private for tests. */
    static Path extract(URL url) {
        Path tmp = null;
        try (InputStream in = url.openStream()) {
            try {
                tmp = Files.createTempFile("libtokenfab_kernels-", ".so",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                tmp = Files.createTempFile("libtokenfab_kernels-", ".so");
            }
            try (OutputStream out = Files.newOutputStream(tmp)) { // keeps the owner-only permissions
                in.transferTo(out);
            }
            tmp.toFile().deleteOnExit();
            return tmp;
        } catch (IOException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            String where = e instanceof FileSystemException fse && fse.getFile() != null ? fse.getFile()
                    : System.getProperty("java.io.tmpdir");
            throw new KernelException(KernelException.ErrorCode.EXTRACTION_FAILED,
                    "cannot extract " + url + " to " + where + ": " + e.getMessage(), e);
        }
    }

    /** The library file this instance has open. */
    public Path path() {
        return path;
    }

    /**
     * The downcall handle of a kernel, with the type of {@link Kernel#descriptor()}: POINTER args
     * are {@link MemorySegment}s (native; {@link MemorySegment#NULL} for an absent optional
     * pointer), INT args {@code int}, FLOAT args {@code float}; returns {@code void} ({@code int}
     * for {@link Kernel#ARGMAX}).
     *
     * @throws IllegalStateException if this library is closed
     * @throws KernelException SYMBOL_MISSING if the library lacks the kernel's symbol
     */
    @SuppressWarnings("restricted")
    public MethodHandle handle(Kernel kernel) {
        checkOpen();
        return handles.computeIfAbsent(kernel, k -> {
            MemorySegment symbol = lookup.find(k.symbol()).orElseThrow(() -> new KernelException(
                    KernelException.ErrorCode.SYMBOL_MISSING, "symbol " + k.symbol() + " not found in " + path));
            return Linker.nativeLinker().downcallHandle(symbol, k.descriptor());
        });
    }

    /**
     * The downcall handle of a kernel with every POINTER argument passed as its raw address
     * ({@code long}; 0 for NULL) instead of a {@link MemorySegment}: the same C call (a pointer and
     * a 64-bit integer are passed alike by the x86-64 and AArch64 C ABIs), but a caller holding
     * addresses allocates no segment per call and no arena is acquired. Nothing about the address is
     * checked: the caller owns its validity. INT and FLOAT args and the return as {@link #handle}.
     *
     * @throws IllegalStateException if this library is closed
     * @throws KernelException SYMBOL_MISSING if the library lacks the kernel's symbol
     */
    @SuppressWarnings("restricted")
    public MethodHandle addressHandle(Kernel kernel) {
        checkOpen();
        return addressHandles.computeIfAbsent(kernel, k -> {
            MemorySegment symbol = lookup.find(k.symbol()).orElseThrow(() -> new KernelException(
                    KernelException.ErrorCode.SYMBOL_MISSING, "symbol " + k.symbol() + " not found in " + path));
            return Linker.nativeLinker().downcallHandle(symbol, addressDescriptor(k.descriptor()));
        });
    }

    private final Map<Kernel, MethodHandle> addressHandles = new ConcurrentHashMap<>();

    /** Symbol of the program interpreter ({@code tf_exec_program} in tokenfab_kernels.h). */
    public static final String PROGRAM_SYMBOL = "tf_exec_program";

    /**
     * The downcall of {@code int32_t tf_exec_program(const int64_t* program, int32_t commands)}, type
     * {@code (long programAddress, int commands) -> int}: runs recorded commands, each
     * {@link #programOpcode opcode} followed by the kernel's arguments as int64 (address, int, or
     * float bits); returns {@code commands}, or {@code -(i + 1)} for an unknown opcode at command i.
     *
     * @throws IllegalStateException if this library is closed
     * @throws KernelException SYMBOL_MISSING if the library predates the interpreter
     */
    @SuppressWarnings("restricted")
    public MethodHandle programHandle() {
        checkOpen();
        MethodHandle h = programHandle;
        if (h == null) {
            MemorySegment symbol = lookup.find(PROGRAM_SYMBOL).orElseThrow(() -> new KernelException(
                    KernelException.ErrorCode.SYMBOL_MISSING, "symbol " + PROGRAM_SYMBOL + " not found in " + path));
            h = Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            programHandle = h;
        }
        return h;
    }

    private volatile MethodHandle programHandle;

    /** The TF_OP_* opcode of {@code kernel} in a program, or -1 for a kernel programs cannot run (ARGMAX: it returns a value). */
    public static int programOpcode(Kernel kernel) {
        return switch (kernel) {
            case GEMV_Q8 -> 0;
            case GEMV_Q4 -> 1;
            case GEMV_F16 -> 2;
            case EMBED_Q8 -> 3;
            case EMBED_Q4 -> 4;
            case EMBED_F16 -> 5;
            case RMSNORM -> 6;
            case LAYERNORM -> 7;
            case ROPE -> 8;
            case KV_WRITE -> 9;
            case ATTENTION -> 10;
            case SWIGLU -> 11;
            case GELU_TANH -> 12;
            case GELU_ERF -> 13;
            case ADD -> 14;
            case ARGMAX -> -1;
        };
    }

    /** {@code d} with each address argument as a {@code long}. */
    public static FunctionDescriptor addressDescriptor(FunctionDescriptor d) {
        MemoryLayout[] args = d.argumentLayouts().stream()
                .map(l -> l instanceof AddressLayout ? (MemoryLayout) ValueLayout.JAVA_LONG : l).toArray(MemoryLayout[]::new);
        return d.returnLayout().map(r -> FunctionDescriptor.of(r, args)).orElseGet(() -> FunctionDescriptor.ofVoid(args));
    }

    /**
     * Calls a kernel with arguments in the order of {@link Kernel#args()}: a native
     * {@link MemorySegment} (or {@code null} for a NULL pointer) per POINTER, an {@link Integer}
     * per INT, a {@link Float} per FLOAT.
     *
     * @return the kernel's result for {@link Kernel#ARGMAX}, otherwise 0
     * @throws IllegalStateException if this library, or an argument's arena, is closed
     * @throws KernelException BAD_ARGUMENT naming the argument on a wrong count or type, a heap
     *     segment, an invalid size (e.g. a group size that does not divide cols), or a segment
     *     smaller than the kernel will read or write (see {@link KernelArgChecks}); SYMBOL_MISSING
     *     as {@link #handle}
     */
    public int invoke(Kernel kernel, Object... args) {
        MethodHandle h = handle(kernel);
        List<Kernel.Arg> spec = kernel.args();
        if (args.length != spec.size()) {
            throw new KernelException(KernelException.ErrorCode.BAD_ARGUMENT, kernel.symbol() + " takes "
                    + spec.size() + " arguments " + spec.stream().map(Kernel.Arg::name).toList() + ", got "
                    + args.length);
        }
        Object[] converted = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            converted[i] = convert(kernel, spec.get(i), args[i]);
        }
        KernelArgChecks.check(kernel, converted);
        try {
            Object result = h.invokeWithArguments(converted);
            return result instanceof Integer r ? r : 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new KernelException(KernelException.ErrorCode.INVOCATION_FAILED, kernel.symbol() + ": " + t, t);
        }
    }

    private static Object convert(Kernel kernel, Kernel.Arg arg, Object value) {
        return switch (arg.kind()) {
            case POINTER -> {
                if (value == null) {
                    yield MemorySegment.NULL;
                }
                if (!(value instanceof MemorySegment seg)) {
                    throw badArgument(kernel, arg, "a MemorySegment", value);
                }
                if (!seg.isNative()) {
                    throw new KernelException(KernelException.ErrorCode.BAD_ARGUMENT, kernel.symbol() + " argument "
                            + arg.name() + " is a heap segment; kernels need native memory (Arena.allocate)");
                }
                yield seg;
            }
            case INT -> {
                if (!(value instanceof Integer)) {
                    throw badArgument(kernel, arg, "an Integer", value);
                }
                yield value;
            }
            case FLOAT -> {
                if (!(value instanceof Float)) {
                    throw badArgument(kernel, arg, "a Float", value);
                }
                yield value;
            }
        };
    }

    private static KernelException badArgument(Kernel kernel, Kernel.Arg arg, String expected, Object value) {
        return new KernelException(KernelException.ErrorCode.BAD_ARGUMENT, kernel.symbol() + " argument "
                + arg.name() + " must be " + expected + ", got "
                + (value == null ? "null" : value.getClass().getSimpleName() + " " + value));
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("KernelLibrary " + path + " is closed");
        }
    }

    /** Unmaps the library. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            arena.close();
            closed = true;
            handles.clear();
        }
    }

    @Override
    public String toString() {
        return "KernelLibrary[" + path + (closed ? ", closed]" : "]");
    }
}
