package dev.tokenfab.format.pkg;

import dev.tokenfab.format.plan.Part;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenfab.format.FormatException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.plan.DataflowPlan;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Opens a model package: checks the format version, every listed file's presence, size and (by
 * default) SHA-256, and that every tensor shard lies inside its bank file; then maps the bank files
 * read-only.
 */
public final class PackageReader {
    private PackageReader() {}

    /** How much to check on open. */
    public enum Verification {
        /** sizes, then SHA-256 of every file, hashed in parallel (default) */
        SHA256,
        /** sizes and layout only: for trusted packages on a fast path, by explicit choice */
        SIZES_ONLY
    }

    /** Hash chunk: big enough to amortize the call, small enough to stream through the page cache. */
    private static final long HASH_CHUNK_BYTES = 16L << 20;

    /** Opens with full verification. */
    public static ModelPackage open(Path dir) throws FormatException {
        return open(dir, Verification.SHA256);
    }

    /**
     * @throws FormatException FILE_NOT_FOUND (no such directory), PACKAGE_VERSION, PACKAGE_CORRUPT (naming the file or tensor)
     */
    public static ModelPackage open(Path dir, Verification verification) throws FormatException {
        if (!Files.isDirectory(dir)) throw new FormatException(ErrorCode.FILE_NOT_FOUND, "package " + dir + " is not a directory");
        Path manifestPath = dir.resolve(PackageLayout.MANIFEST);
        if (!Files.isRegularFile(manifestPath)) {
            throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "package " + dir + " has no " + PackageLayout.MANIFEST);
        }
        Manifest manifest;
        try {
            JsonNode node = PackageJson.mapper().readTree(manifestPath.toFile());
            JsonNode v = node.get("formatVersion");
            if (v == null || !v.isInt()) {
                throw new FormatException(ErrorCode.PACKAGE_CORRUPT, manifestPath + ": no integer formatVersion");
            }
            if (v.intValue() != Manifest.FORMAT_VERSION) {
                throw new FormatException(ErrorCode.PACKAGE_VERSION, manifestPath + ": format version " + v.intValue()
                        + ", this reader supports " + Manifest.FORMAT_VERSION + " only; recompile the model");
            }
            manifest = PackageJson.mapper().treeToValue(node, Manifest.class);
        } catch (IOException e) {
            throw new FormatException(ErrorCode.PACKAGE_CORRUPT, manifestPath + ": not a valid manifest (" + e.getMessage() + ")", e);
        }

        Map<String, Manifest.FileEntry> files = new HashMap<>();
        for (Manifest.FileEntry f : manifest.files()) {
            Path p = resolveInside(dir, f.path());
            try {
                if (!Files.isRegularFile(p)) throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "package file " + p + " is missing");
                long size = Files.size(p);
                if (size != f.sizeBytes()) {
                    throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "package file " + p + " has " + size
                            + " bytes, manifest says " + f.sizeBytes());
                }
            } catch (IOException e) {
                throw FormatException.io(p, e);
            }
            files.put(f.path(), f);
        }
        if (verification == Verification.SHA256) verifyHashes(dir, manifest.files());
        if (!files.containsKey(PackageLayout.DATAFLOW)) {
            throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "package " + dir + " lists no " + PackageLayout.DATAFLOW);
        }
        DataflowPlan plan;
        try {
            plan = PackageJson.mapper().readValue(dir.resolve(PackageLayout.DATAFLOW).toFile(), DataflowPlan.class);
        } catch (IOException e) {
            throw new FormatException(ErrorCode.PACKAGE_CORRUPT, dir.resolve(PackageLayout.DATAFLOW) + ": not a valid plan (" + e.getMessage() + ")", e);
        }
        checkLayout(dir, manifest, files);

        Arena arena = Arena.ofShared();
        try {
            Map<String, MemorySegment> mapped = new HashMap<>();
            for (Manifest.Tensor t : manifest.tensors()) {
                for (Manifest.Shard s : t.shards()) {
                    if (mapped.containsKey(s.file())) continue;
                    Path p = dir.resolve(s.file());
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                        mapped.put(s.file(), ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
                    } catch (IOException e) {
                        throw FormatException.io(p, e);
                    }
                }
            }
            return new ModelPackage(dir, manifest, plan, arena, mapped);
        } catch (FormatException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Path resolveInside(Path dir, String rel) throws FormatException {
        Path p = dir.resolve(rel).normalize();
        if (Path.of(rel).isAbsolute() || !p.startsWith(dir.normalize())) {
            throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "manifest file entry '" + rel + "' escapes the package " + dir);
        }
        return p;
    }

    private static void checkLayout(Path dir, Manifest m, Map<String, Manifest.FileEntry> files) throws FormatException {
        for (Manifest.Tensor t : m.tensors()) {
            int next = 0;
            for (Manifest.Shard s : t.shards()) {
                Manifest.FileEntry f = files.get(s.file());
                if (f == null) {
                    throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "tensor " + t.name() + " lives in " + s.file()
                            + ", which the manifest does not list");
                }
                if (s.rowStart() != next || s.rows() <= 0) {
                    throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "tensor " + t.name() + ": shards do not cover rows contiguously at row " + next);
                }
                next += s.rows();
                for (String part : t.format().partNames(t.zeroPoints())) {
                    Part p = s.parts().get(part);
                    long expected = t.format().partBytes(part, s.rows(), t.cols(), t.groupSize());
                    if (p == null || p.sizeBytes() != expected || p.offsetBytes() < 0 || p.offsetBytes() + p.sizeBytes() > f.sizeBytes()) {
                        throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "tensor " + t.name() + " part " + part + " in "
                                + dir.resolve(s.file()) + ": " + (p == null ? "missing" : "range [" + p.offsetBytes() + ", +"
                                + p.sizeBytes() + ") invalid for a file of " + f.sizeBytes() + " bytes (expected size " + expected + ")"));
                    }
                }
            }
            if (next != t.rows()) {
                throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "tensor " + t.name() + ": shards cover " + next + " of " + t.rows() + " rows");
            }
        }
    }

    private static void verifyHashes(Path dir, List<Manifest.FileEntry> entries) throws FormatException {
        int threads = Math.max(1, Math.min(entries.size(), Runtime.getRuntime().availableProcessors()));
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> fs = new ArrayList<>();
            for (Manifest.FileEntry f : entries) {
                fs.add(pool.submit(() -> {
                    Path p = dir.resolve(f.path());
                    String actual = sha256(p);
                    if (!actual.equalsIgnoreCase(f.sha256())) {
                        throw new FormatException(ErrorCode.PACKAGE_CORRUPT, "package file " + p + " fails its SHA-256 check (manifest "
                                + f.sha256() + ", file " + actual + ")");
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof FormatException ce) throw ce;
            throw new FormatException(ErrorCode.IO_ERROR, "hashing package " + dir + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FormatException(ErrorCode.IO_ERROR, "package verification interrupted", e);
        }
    }

    static String sha256(Path p) throws FormatException {
        MessageDigest sha = PackageLayout.sha256();
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > 0) {
                MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                for (long o = 0; o < size; o += HASH_CHUNK_BYTES) {
                    sha.update(seg.asSlice(o, Math.min(HASH_CHUNK_BYTES, size - o)).asByteBuffer());
                }
            }
        } catch (IOException e) {
            throw FormatException.io(p, e);
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
