package dev.tokenfab;

import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.text.TextException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A model package loaded on a device: the weights uploaded once, then any number of generations, each
 * on a fresh KV-cache sequence (so the same prompt and settings give the same tokens). Opened by
 * {@link Tokenfab#open}; owns the package's mapped files, the device and its buffers, and the
 * tokenizer, and frees them all in {@link #close()}. Any use after {@code close()} throws
 * {@link IllegalStateException}.
 *
 * <p>Not thread-safe: one session drives one device from one thread at a time.
 *
 * <p>Errors: the host runtime's typed exceptions, unwrapped: {@link DeviceException} (with its
 * {@link DeviceException.ErrorCode}) when a kernel launch fails, {@link TextException} when a text
 * prompt cannot be encoded; {@link IllegalArgumentException} naming the culprit for a prompt the
 * model cannot take.
 */
public final class Session implements AutoCloseable {

    private final HostRuntime runtime;
    private final DeviceKind deviceKind;
    private boolean closed;

    Session(HostRuntime runtime, DeviceKind deviceKind) {
        this.runtime = runtime;
        this.deviceKind = deviceKind;
    }

    /**
     * Generates from token ids.
     *
     * @param promptIds prompt token ids, each in [0, vocabulary size)
     * @param settings  how many tokens and how to sample
     * @return the tokens, the text when the package has a tokenizer, and the figures
     * @throws DeviceException          when a kernel launch fails
     * @throws IllegalArgumentException when the prompt is empty, an id is outside the vocabulary, or
     *                                  prompt + {@code maxNewTokens} exceed the model's context
     * @throws IllegalStateException    when the session is closed
     */
    public Generation generate(int[] promptIds, GenerationSettings settings) throws DeviceException {
        return stream(promptIds, settings, token -> { });
    }

    /**
     * Generates from text, encoded with the package's tokenizer.
     *
     * @param prompt   prompt text
     * @param settings how many tokens and how to sample
     * @return the tokens, the generated text and the figures
     * @throws TextException            NO_TOKENIZER when the package has none, or when the prompt encodes
     *                                  to no tokens or to ids outside the vocabulary
     * @throws DeviceException          when a kernel launch fails
     * @throws IllegalArgumentException when prompt + {@code maxNewTokens} exceed the model's context
     * @throws IllegalStateException    when the session is closed
     */
    public Generation generate(String prompt, GenerationSettings settings) throws DeviceException, TextException {
        return stream(prompt, settings, token -> { });
    }

    /**
     * Generates from token ids, handing each token to {@code listener} as soon as it is sampled.
     *
     * @param promptIds prompt token ids, each in [0, vocabulary size)
     * @param settings  how many tokens and how to sample
     * @param listener  receives every generated token, in order, on this thread
     * @return the tokens, the text when the package has a tokenizer, and the figures
     * @throws DeviceException          when a kernel launch fails
     * @throws IllegalArgumentException as {@link #generate(int[], GenerationSettings)}
     * @throws IllegalStateException    when the session is closed
     */
    public Generation stream(int[] promptIds, GenerationSettings settings, TokenListener listener) throws DeviceException {
        check();
        Objects.requireNonNull(promptIds, "promptIds");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(listener, "listener");
        return runtime.generate(promptIds.clone(), settings, listener);
    }

    /**
     * Generates from text, handing each token (with the text it adds) to {@code listener} as soon as
     * it is sampled.
     *
     * @param prompt   prompt text
     * @param settings how many tokens and how to sample
     * @param listener receives every generated token, in order, on this thread
     * @return the tokens, the generated text and the figures
     * @throws TextException            as {@link #generate(String, GenerationSettings)}
     * @throws DeviceException          when a kernel launch fails
     * @throws IllegalArgumentException when prompt + {@code maxNewTokens} exceed the model's context
     * @throws IllegalStateException    when the session is closed
     */
    public Generation stream(String prompt, GenerationSettings settings, TokenListener listener) throws DeviceException, TextException {
        check();
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(listener, "listener");
        return runtime.generate(runtime.encode(prompt), settings, listener);
    }

    /**
     * The package's modeled card figures (the same in every {@link Generation} of this session).
     *
     * @return tokens/s, watts and tokens/J modeled from the package's dataflow plan
     * @throws IllegalStateException when the session is closed
     */
    public ModeledFigures modeled() {
        check();
        return runtime.modeled();
    }

    /**
     * The package this session runs.
     *
     * @return the package directory this session was opened on
     * @throws IllegalStateException when the session is closed
     */
    public Path packagePath() {
        check();
        return runtime.packageDir();
    }

    /**
     * The kind of device.
     *
     * @return the kind of device the kernels run on
     * @throws IllegalStateException when the session is closed
     */
    public DeviceKind deviceKind() {
        check();
        return deviceKind;
    }

    /**
     * The device, by name.
     *
     * @return the device's name, e.g. "emulated xilinx_u55c_gen3x16_xdma_3_202210_1"
     * @throws IllegalStateException when the session is closed
     */
    public String deviceName() {
        check();
        return runtime.deviceName();
    }

    /**
     * Whether text prompts work.
     *
     * @return whether the package has a tokenizer (text prompts, generated text)
     * @throws IllegalStateException when the session is closed
     */
    public boolean hasTokenizer() {
        check();
        return runtime.hasTokenizer();
    }

    /**
     * The vocabulary size.
     *
     * @return the model's vocabulary size: token ids are in [0, vocabSize)
     * @throws IllegalStateException when the session is closed
     */
    public int vocabSize() {
        check();
        return runtime.vocabSize();
    }

    /**
     * The context length.
     *
     * @return the model's context length in tokens (prompt + generated tokens at most)
     * @throws IllegalStateException when the session is closed
     */
    public int maxContextTokens() {
        check();
        return runtime.maxContextTokens();
    }

    private void check() {
        if (closed) throw new IllegalStateException("Session is closed");
    }

    /** Frees the device buffers, the device, the tokenizer and the package's mapped files; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        runtime.close();
    }
}
