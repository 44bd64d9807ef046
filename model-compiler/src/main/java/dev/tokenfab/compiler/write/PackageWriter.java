package dev.tokenfab.compiler.write;

import dev.tokenfab.format.plan.Part;
import dev.tokenfab.format.pkg.PackageLayout;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.PackageJson;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.plan.DataflowPlan;
import dev.tokenfab.compiler.quant.PackedTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a model package directory exactly as {@link Manifest} describes it, in two phases:
 * {@link #writeTemporary} puts everything into a sibling {@code <out>.tmp-<random>} (every file written
 * and hashed), and {@link #commit} renames it to {@code out} once the build's later steps (package
 * read-back, accuracy) have passed; on any failure the temporary directory is deleted and an existing
 * {@code out} is left untouched. An existing {@code out} is replaced by renaming it aside, renaming the new
 * package in, then deleting the old one.
 */
public final class PackageWriter {
    private PackageWriter() {}

    /** Bytes hashed/written per chunk. */
    private static final int CHUNK_BYTES = 16 << 20;

    public static final String MANIFEST = PackageLayout.MANIFEST;
    public static final String DATAFLOW = PackageLayout.DATAFLOW;
    public static final String TOKENIZER = PackageLayout.TOKENIZER;
    public static final String REPORTS_DIR = PackageLayout.REPORTS_DIR;

    /** Package-relative path of bank {@code bank}'s file. */
    public static String bankFile(int bank) { return PackageLayout.bankFile(bank); }

    /** A package written into its temporary sibling folder, not yet renamed to the output. */
    public record Temporary(Path dir, Manifest manifest) {}

    /**
     * Writes the whole package into {@code <out>.tmp-<random>} beside {@code out}; the caller then
     * {@link #commit}s it or {@link #deleteTree deletes} it.
     *
     * @throws CompileException IO_ERROR (path named), FILE_NOT_FOUND (tokenizer); on failure the temporary folder is gone
     */
    public static Temporary writeTemporary(Path out, PackageInput in, int threads) throws CompileException {
        Path abs = out.toAbsolutePath().normalize();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.createDirectories(abs.getParent());
            Files.createDirectories(tmp.resolve("weights"));
            List<Manifest.FileEntry> files = new ArrayList<>(writeBanks(tmp, in, threads));
            files.add(writeJson(tmp, DATAFLOW, in.plan()));
            Manifest.Generation gen = writeTokenizer(tmp, in.model().generation(), in.model().config().maxContextTokens(), files);
            for (Map.Entry<String, Object> r : in.reports().entrySet()) {
                String rel = REPORTS_DIR + "/" + r.getKey();
                files.add(r.getValue() instanceof String s ? writeBytes(tmp, rel, s.getBytes(StandardCharsets.UTF_8))
                        : writeJson(tmp, rel, r.getValue()));
            }
            files.sort(Comparator.comparing(Manifest.FileEntry::path));
            Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, in.producer(), in.model().config(), in.quant(),
                    in.plan().platform(), tensors(in.plan()), files, gen);
            Files.write(tmp.resolve(MANIFEST), PackageJson.mapper().writeValueAsBytes(manifest));
            return new Temporary(tmp, manifest);
        } catch (IOException | UncheckedIOException e) {
            deleteTree(tmp);
            IOException io = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw CompileException.io(abs, io);
        } catch (CompileException | RuntimeException | Error e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /**
     * Renames the temporary package {@code tmp} to {@code out} (an existing {@code out} is renamed aside
     * first and deleted after); on failure {@code tmp} is deleted and an existing {@code out} is kept.
     *
     * @throws CompileException IO_ERROR naming {@code out}
     */
    public static void commit(Path tmp, Path out) throws CompileException {
        Path abs = out.toAbsolutePath().normalize();
        try {
            rename(tmp, abs);
        } catch (IOException e) {
            deleteTree(tmp);
            throw CompileException.io(abs, e);
        }
    }

    private static List<Manifest.Tensor> tensors(DataflowPlan plan) {
        List<Manifest.Tensor> out = new ArrayList<>();
        for (DataflowPlan.TensorPlacement p : plan.placements()) {
            List<Manifest.Shard> shards = p.shards().stream()
                    .map(s -> new Manifest.Shard(s.rowStart(), s.rows(), s.bank(), bankFile(s.bank()), s.parts())).toList();
            out.add(new Manifest.Tensor(p.tensor(), p.format(), p.rows(), p.cols(), p.groupSize(), p.zeroPoints(), shards));
        }
        return out;
    }

    /** One part range to copy into a bank file. */
    private record Piece(long offsetBytes, MemorySegment src) {}

    private static List<Manifest.FileEntry> writeBanks(Path tmp, PackageInput in, int threads) throws CompileException, IOException {
        Map<Integer, List<Piece>> byBank = new TreeMap<>();
        Map<Integer, Long> bankSize = new TreeMap<>();
        for (DataflowPlan.TensorPlacement p : in.plan().placements()) {
            PackedTensor t = in.model().tensors().get(p.tensor());
            if (t == null || t.format() != p.format() || t.rows() != p.rows() || t.cols() != p.cols()) {
                throw new IllegalArgumentException("plan placement of " + p.tensor() + " does not match the packed tensor");
            }
            Map<String, MemorySegment> parts = t.parts();
            for (DataflowPlan.ShardPlacement s : p.shards()) {
                for (Map.Entry<String, Part> e : s.parts().entrySet()) {
                    long start = p.format().partBytes(e.getKey(), s.rowStart(), p.cols(), p.groupSize());
                    MemorySegment src = parts.get(e.getKey()).asSlice(start, e.getValue().sizeBytes());
                    byBank.computeIfAbsent(s.bank(), b -> new ArrayList<>()).add(new Piece(e.getValue().offsetBytes(), src));
                    long end = e.getValue().offsetBytes() + e.getValue().sizeBytes();
                    long aligned = (end + Manifest.PART_ALIGNMENT_BYTES - 1) / Manifest.PART_ALIGNMENT_BYTES * Manifest.PART_ALIGNMENT_BYTES;
                    bankSize.merge(s.bank(), aligned, Math::max);
                }
            }
        }
        List<Manifest.FileEntry> entries = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads))) {
            List<Future<Manifest.FileEntry>> fs = new ArrayList<>();
            for (Map.Entry<Integer, List<Piece>> e : byBank.entrySet()) {
                fs.add(pool.submit(() -> writeBank(tmp, e.getKey(), e.getValue(), bankSize.get(e.getKey()))));
            }
            for (Future<Manifest.FileEntry> f : fs) entries.add(f.get());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompileException(ErrorCode.IO_ERROR, "package write interrupted", e);
        }
        return entries;
    }

    private static Manifest.FileEntry writeBank(Path tmp, int bank, List<Piece> pieces, long sizeBytes) throws IOException {
        pieces.sort(Comparator.comparingLong(Piece::offsetBytes));
        String rel = bankFile(bank);
        MessageDigest sha = sha256();
        ByteBuffer zeros = ByteBuffer.allocate((int) Manifest.PART_ALIGNMENT_BYTES);
        try (FileChannel ch = FileChannel.open(tmp.resolve(rel), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long pos = 0;
            for (Piece p : pieces) {
                pos = pad(ch, sha, zeros, pos, p.offsetBytes());
                for (long o = 0; o < p.src().byteSize(); o += CHUNK_BYTES) {
                    ByteBuffer b = p.src().asSlice(o, Math.min(CHUNK_BYTES, p.src().byteSize() - o)).asByteBuffer();
                    sha.update(b.duplicate());
                    while (b.hasRemaining()) ch.write(b);
                }
                pos += p.src().byteSize();
            }
            pad(ch, sha, zeros, pos, sizeBytes);
        }
        return new Manifest.FileEntry(rel, sizeBytes, HexFormat.of().formatHex(sha.digest()));
    }

    private static long pad(FileChannel ch, MessageDigest sha, ByteBuffer zeros, long pos, long to) throws IOException {
        while (pos < to) {
            int n = (int) Math.min(zeros.capacity(), to - pos);
            ByteBuffer z = zeros.duplicate().limit(n);
            sha.update(z.duplicate());
            while (z.hasRemaining()) ch.write(z);
            pos += n;
        }
        return pos;
    }

    private static Manifest.Generation writeTokenizer(Path tmp, DecoderModel.Generation g, int maxContext, List<Manifest.FileEntry> files)
            throws CompileException, IOException {
        if (g == null) g = DecoderModel.Generation.none();
        String tokenizer = null;
        if (g.tokenizerJson() != null) {
            try {
                files.add(writeBytes(tmp, TOKENIZER, Files.readAllBytes(g.tokenizerJson())));
            } catch (NoSuchFileException e) {
                throw new CompileException(ErrorCode.FILE_NOT_FOUND, "tokenizer " + g.tokenizerJson() + " does not exist", e);
            }
            tokenizer = TOKENIZER;
        }
        return new Manifest.Generation(g.eosTokenIds(), g.bosTokenId(), maxContext, tokenizer);
    }

    private static Manifest.FileEntry writeJson(Path tmp, String rel, Object value) throws IOException {
        return writeBytes(tmp, rel, PackageJson.mapper().writeValueAsBytes(value));
    }

    private static Manifest.FileEntry writeBytes(Path tmp, String rel, byte[] bytes) throws IOException {
        Path p = tmp.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new Manifest.FileEntry(rel, bytes.length, HexFormat.of().formatHex(sha256().digest(bytes)));
    }

    static MessageDigest sha256() { return PackageLayout.sha256(); }

    private static void rename(Path tmp, Path out) throws IOException {
        if (Files.exists(out)) {
            Path old = out.resolveSibling(out.getFileName() + ".old-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.move(old, out, StandardCopyOption.ATOMIC_MOVE);   // put the previous package back
                throw e;
            }
            deleteTree(old);
        } else {
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Deletes a directory tree, best effort (used on failure paths and for the replaced package). */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | UncheckedIOException e) {
            System.getLogger(PackageWriter.class.getName()).log(System.Logger.Level.WARNING, "could not delete " + dir, e);
        }
    }

    /** Keeps insertion order for report maps built by callers. */
    public static Map<String, Object> reports() { return new LinkedHashMap<>(); }
}
