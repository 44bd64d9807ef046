package dev.tokenfab.compiler.quant;

import dev.tokenfab.compiler.error.CompileException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where quantized tensors live between the quantize and write passes. Either native memory (small
 * models, tests) or a memory-mapped scratch file, so that packing a multi-GB model needs neither
 * Java heap nor direct memory: the OS page cache holds it. Thread-safe allocation; segments die with
 * {@link #close()}, which also deletes the scratch file.
 */
public final class PackedStore implements AutoCloseable {

    /** Allocation alignment: a 64-byte AXI beat, so fast paths may assume it. */
    private static final long ALIGN_BYTES = 64;

    private final Arena arena;
    private final MemorySegment mapped;   // null for the in-memory store
    private final Path file;              // null for the in-memory store
    private long usedBytes;
    private boolean closed;

    private PackedStore(Arena arena, MemorySegment mapped, Path file) {
        this.arena = arena;
        this.mapped = mapped;
        this.file = file;
    }

    public static PackedStore inMemory() { return new PackedStore(Arena.ofShared(), null, null); }

    /** A scratch file of {@code capacityBytes} (sparse), mapped read-write. */
    public static PackedStore mappedFile(Path file, long capacityBytes) throws CompileException {
        try {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(Math.max(capacityBytes, 1));
            }
            Arena arena = Arena.ofShared();
            try (FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                return new PackedStore(arena, ch.map(FileChannel.MapMode.READ_WRITE, 0, Math.max(capacityBytes, 1), arena), file);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (IOException e) {
            throw CompileException.io(file, e);
        }
    }

    /** Capacity a mapped store needs for tensors of these sizes (alignment included). */
    public static long capacityFor(Iterable<Long> partSizesBytes) {
        long total = 0;
        for (long s : partSizesBytes) total += align(s);
        return total;
    }

    static long align(long bytes) { return (bytes + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES; }

    /** A zero-filled segment of {@code bytes}. */
    public synchronized MemorySegment allocate(long bytes) {
        if (closed) throw new IllegalStateException("PackedStore is closed");
        if (mapped == null) return arena.allocate(Math.max(bytes, 1), ALIGN_BYTES).asSlice(0, bytes);
        long start = usedBytes;
        if (start + bytes > mapped.byteSize()) {
            throw new IllegalStateException("PackedStore scratch " + file + " full: " + (start + bytes) + " > " + mapped.byteSize() + " bytes");
        }
        usedBytes = start + align(bytes);
        return mapped.asSlice(start, bytes);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        arena.close();
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                System.getLogger(PackedStore.class.getName()).log(System.Logger.Level.WARNING, "could not delete scratch " + file, e);
            }
        }
    }
}
