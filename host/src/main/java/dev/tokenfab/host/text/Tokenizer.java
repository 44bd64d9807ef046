package dev.tokenfab.host.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.tokenfab.format.pkg.Manifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} (BPE, byte-level BPE, SentencePiece-as-BPE, WordPiece: whatever
 * the Rust tokenizers library reads), through DJL's maintained JNI binding. Owns a native handle:
 * close it; any use after {@link #close} throws {@link IllegalStateException}.
 *
 * <p>Offline by construction: DJL extracts the native library bundled in its jar
 * ({@code native/lib/<os>-<arch>/cpu/}) to its cache directory ({@code DJL_CACHE_DIR}, default
 * {@code ~/.djl.ai}) and would download a CUDA flavor when it sees a GPU; we set {@code ai.djl.offline}
 * so it always takes the bundled CPU library (DJL 0.38.0 LibUtils.copyJniLibrary: offline selects the
 * "cpu" flavor, then copies it from the classpath). Where no library is bundled for this platform,
 * {@link #open} fails with {@link TextException.ErrorCode#NATIVE_UNAVAILABLE} before touching DJL.
 *
 * <p>{@link #bosTokenId()} and {@link #eosTokenIds()} come from the package's generation settings
 * (genai_config.json / config.json at compile time), not from the tokenizer's special tokens: the model
 * stops on what its config says.
 */
public final class Tokenizer implements AutoCloseable {

    /** DJL's switch (env DJL_OFFLINE or this system property) that forbids downloads (ai.djl.util.Utils.isOfflineMode). */
    static final String DJL_OFFLINE_PROPERTY = "ai.djl.offline";

    /** Where DJL 0.38.0 keeps the bundled native library inside its jar: native/lib/{os}-{arch}/cpu/{file}. */
    private static final String BUNDLED_NATIVE_FORMAT = "native/lib/%s-%s/cpu/%s";

    private final HuggingFaceTokenizer hf;
    private final Path file;
    private final List<Integer> eosTokenIds;
    private final int bosTokenId;
    private boolean closed;

    private Tokenizer(HuggingFaceTokenizer hf, Path file, List<Integer> eosTokenIds, int bosTokenId) {
        this.hf = hf;
        this.file = file;
        this.eosTokenIds = List.copyOf(eosTokenIds);
        this.bosTokenId = bosTokenId;
    }

    /**
     * Opens a tokenizer.json with no generation settings (no EOS ids, BOS -1).
     *
     * @throws TextException TOKENIZER_UNREADABLE (file named), NATIVE_UNAVAILABLE (platform named)
     */
    public static Tokenizer open(Path tokenizerJson) throws TextException {
        return open(tokenizerJson, List.of(), -1);
    }

    /**
     * Opens the tokenizer of a model package with the package's BOS/EOS ids.
     *
     * @throws TextException NO_TOKENIZER when the package records none, or as {@link #open(Path)}
     */
    public static Tokenizer forPackage(Path packageDir, Manifest manifest) throws TextException {
        Manifest.Generation g = manifest.generation();
        if (g == null || g.tokenizerFile() == null) {
            throw new TextException(TextException.ErrorCode.NO_TOKENIZER,
                    "package " + packageDir + " has no tokenizer.json; use --prompt-ids");
        }
        return open(packageDir.resolve(g.tokenizerFile()), g.eosTokenIds() == null ? List.of() : g.eosTokenIds(), g.bosTokenId());
    }

    /** As {@link #open(Path)} with explicit generation settings (the package's). */
    static Tokenizer open(Path file, List<Integer> eos, int bos) throws TextException {
        if (!Files.isRegularFile(file)) {
            throw new TextException(TextException.ErrorCode.TOKENIZER_UNREADABLE, "tokenizer " + file + " does not exist");
        }
        checkBundledNative(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
        if (System.getenv("DJL_OFFLINE") == null && System.getProperty(DJL_OFFLINE_PROPERTY) == null) {
            System.setProperty(DJL_OFFLINE_PROPERTY, "true");
        }
        try {
            // Explicit options so that a tokenizer.json's own truncation/padding never cut a prompt.
            HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false"));
            return new Tokenizer(hf, file, eos, bos);
        } catch (IOException e) {
            throw new TextException(TextException.ErrorCode.TOKENIZER_UNREADABLE, "tokenizer " + file + ": " + e.getMessage(), e);
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
            throw new TextException(TextException.ErrorCode.NATIVE_UNAVAILABLE, "cannot load the native tokenizers library for "
                    + platform() + " (DJL extracts it to DJL_CACHE_DIR or ~/.djl.ai, which must be writable): " + e, e);
        } catch (RuntimeException e) {
            // DJL reports a bad tokenizer.json (Rust serde error) and a failed native extraction
            // (ai.djl.engine.EngineException) as unchecked exceptions.
            boolean nativeFailure = e.getClass().getName().startsWith("ai.djl.engine.");
            throw new TextException(nativeFailure ? TextException.ErrorCode.NATIVE_UNAVAILABLE : TextException.ErrorCode.TOKENIZER_UNREADABLE,
                    (nativeFailure ? "native tokenizers library for " + platform() + ": " : "tokenizer " + file + " is not a Hugging Face tokenizer.json: ")
                            + e.getMessage(), e);
        }
    }

    /** Fails with a clear error, without any download attempt, where DJL bundles no library for this platform. */
    static void checkBundledNative(String osName, String osArch) throws TextException {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        String djlOs = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "osx" : os.startsWith("windows") ? "win" : os;
        String djlArch = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("arm64") || arch.equals("aarch64") ? "aarch64" : arch;
        String lib = djlOs.equals("win") ? "tokenizers.dll" : djlOs.equals("osx") ? "libtokenizers.dylib" : "libtokenizers.so";
        String resource = String.format(Locale.ROOT, BUNDLED_NATIVE_FORMAT, djlOs, djlArch, lib);
        if (System.getenv("RUST_LIBRARY_PATH") == null && System.getProperty("RUST_LIBRARY_PATH") == null
                && Tokenizer.class.getClassLoader().getResource(resource) == null) {
            throw new TextException(TextException.ErrorCode.NATIVE_UNAVAILABLE, "DJL tokenizers 0.38.0 bundles no native library for "
                    + djlOs + "-" + djlArch + " (looked for " + resource + " on the class path) and tokenfab does not download one;"
                    + " set RUST_LIBRARY_PATH to a libtokenizers built for this platform, or use --prompt-ids");
        }
    }

    private static String platform() {
        return System.getProperty("os.name") + "/" + System.getProperty("os.arch");
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} the tokenizer's post-processor adds its BOS etc. */
    public long[] encode(String text, boolean addSpecialTokens) {
        check();
        return hf.encode(text, addSpecialTokens, false).getIds();
    }

    /** {@link #encode} as the int ids the runtime takes, checked against the model's vocabulary size. */
    public int[] encodePrompt(String text, int vocabSize) throws TextException {
        long[] ids = encode(text, true);
        if (ids.length == 0) {
            throw new TextException(TextException.ErrorCode.TOKEN_OUT_OF_RANGE, "prompt \"" + text + "\" encodes to no tokens");
        }
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new TextException(TextException.ErrorCode.TOKEN_OUT_OF_RANGE, "tokenizer " + file + " gives id " + ids[i]
                        + " for the prompt, outside the model's vocabulary [0, " + vocabSize + "): tokenizer and model do not match");
            }
            out[i] = (int) ids[i];
        }
        return out;
    }

    /** Text of {@code ids}, special tokens (BOS, EOS, padding) left out. */
    public String decode(long[] ids) {
        check();
        return hf.decode(ids, true);
    }

    /** A fresh incremental decoder over this tokenizer (which must stay open while it is used). */
    public StreamDecoder streamDecoder() {
        return streamDecoder(new long[0]);
    }

    /** A fresh incremental decoder that emits only the text that follows {@code contextIds} (the prompt). */
    public StreamDecoder streamDecoder(long[] contextIds) {
        check();
        return new StreamDecoder(this, contextIds);
    }

    /** The package's EOS ids (empty when opened without a package). */
    public List<Integer> eosTokenIds() { return eosTokenIds; }

    /** The package's BOS id, -1 when unknown. */
    public int bosTokenId() { return bosTokenId; }

    public boolean isEos(long id) { return id >= 0 && id <= Integer.MAX_VALUE && eosTokenIds.contains((int) id); }

    /**
     * Streams the text of generated {@code ids} that follows {@code promptIds} to {@code out} token by
     * token, stopping before the first EOS id; returns the whole generated text.
     */
    public String streamTo(int[] promptIds, int[] ids, Appendable out) throws IOException {
        StreamDecoder sd = streamDecoder(Arrays.stream(promptIds).asLongStream().toArray());
        for (int id : ids) {
            if (isEos(id)) break;
            out.append(sd.push(id));
        }
        out.append(sd.flush());
        return sd.text();
    }

    public Path file() { return file; }

    private void check() {
        if (closed) throw new IllegalStateException("tokenizer " + file + " is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        hf.close();
    }
}
