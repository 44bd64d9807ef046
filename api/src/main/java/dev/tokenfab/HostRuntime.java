package dev.tokenfab;

import dev.tokenfab.format.FormatException;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.pkg.ModelPackage;
import dev.tokenfab.format.pkg.PackageReader;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.DeviceInfo;
import dev.tokenfab.host.device.Devices;
import dev.tokenfab.host.runtime.Decoder;
import dev.tokenfab.host.runtime.Generator;
import dev.tokenfab.host.runtime.ModelConfig;
import dev.tokenfab.host.runtime.Sampler;
import dev.tokenfab.host.text.StreamDecoder;
import dev.tokenfab.host.text.TextException;
import dev.tokenfab.host.text.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Optional;

/**
 * The API's one adapter to the host runtime: everything {@link Session} needs from
 * {@code dev.tokenfab.host} (package reader, device, decoder, generator, tokenizer) goes through this
 * class, so a change of the runtime's public API is absorbed here. Owns the package, the device, the
 * loaded decoder and the tokenizer, and closes them in reverse order. Not thread-safe.
 */
final class HostRuntime implements AutoCloseable {

    /** Label of measured figures when the kernels run as C-simulation on the host (emu, XRT noop shim). */
    static final String MEASURED_EMULATED = "measured, host CPU, emulated kernels";

    /** Sequences the decoder is loaded for: a session generates one at a time. */
    private static final int MAX_BATCH = 1;

    private final ModelPackage pkg;
    private final Tokenizer tokenizer; // null when the package has no tokenizer.json
    private final Device device;
    private final Decoder decoder;
    private final ModelConfig config;
    private final ModeledFigures modeled;

    private HostRuntime(ModelPackage pkg, Tokenizer tokenizer, Device device, Decoder decoder, ModelConfig config) {
        this.pkg = pkg;
        this.tokenizer = tokenizer;
        this.device = device;
        this.decoder = decoder;
        this.config = config;
        this.modeled = ModeledFigures.of(pkg.manifest().model(), pkg.plan(), config.platform());
    }

    /**
     * Reads and verifies the package, opens its tokenizer (when it has one) and the device, and uploads
     * the weights. On failure closes whatever it had opened.
     *
     * @param platform the device's platform; null = the package's
     */
    static HostRuntime open(Path packageDir, DeviceKind kind, Platform platform) throws FormatException, DeviceException, TextException {
        if (kind == DeviceKind.OPENCL) {
            // As `tokenfab run`: OpenClDevice ports only the GEMV/element-wise kernels so far; refuse before reading anything.
            throw new DeviceException(DeviceException.ErrorCode.UNAVAILABLE,
                    "device OPENCL: only tf_gemv_q8, tf_gemv_f16, tf_add and tf_swiglu have OpenCL C ports; "
                            + "a full decode needs every kernel: use DeviceKind.EMU or DeviceKind.XRT");
        }
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            ModelPackage pkg = PackageReader.open(packageDir);
            opened.push(pkg);
            Manifest manifest = pkg.manifest();
            ModelConfig config = ModelConfig.from(manifest);
            Tokenizer tokenizer = null;
            if (manifest.generation() != null && manifest.generation().tokenizerFile() != null) {
                tokenizer = Tokenizer.forPackage(pkg.root(), manifest);
                opened.push(tokenizer);
            }
            Device device = Devices.open(deviceKind(kind), platform != null ? platform : config.platform());
            opened.push(device);
            // A device first checks the package against what it has loaded (XRT: the xclbin), as `tokenfab run` does.
            device.checkPackage(manifest);
            Decoder decoder = Decoder.load(device, pkg, MAX_BATCH);
            opened.push(decoder);
            return new HostRuntime(pkg, tokenizer, device, decoder, config);
        } catch (Throwable t) {
            try {
                closeAll(opened);
            } catch (RuntimeException c) {
                t.addSuppressed(c);
            }
            throw t;
        }
    }

    private static DeviceInfo.Kind deviceKind(DeviceKind kind) {
        return switch (kind) {
            case EMU -> DeviceInfo.Kind.EMU;
            case XRT -> DeviceInfo.Kind.XRT;
            case OPENCL -> DeviceInfo.Kind.OPENCL;
        };
    }

    Path packageDir() { return pkg.root(); }

    String deviceName() { return device.info().name(); }

    int vocabSize() { return config.vocabSize(); }

    int maxContextTokens() { return config.model().maxContextTokens(); }

    boolean hasTokenizer() { return tokenizer != null; }

    ModeledFigures modeled() { return modeled; }

    /** The prompt's ids through the package's tokenizer; checked against the vocabulary. */
    int[] encode(String prompt) throws TextException {
        if (tokenizer == null) {
            throw new TextException(TextException.ErrorCode.NO_TOKENIZER,
                    "package " + pkg.root() + " has no tokenizer.json; generate from token ids instead");
        }
        return tokenizer.encodePrompt(prompt, config.vocabSize());
    }

    /**
     * Runs the generation loop once on a fresh KV sequence, handing each token to {@code listener}.
     *
     * @throws IllegalArgumentException naming the id or the lengths when the prompt does not fit the model
     */
    Generation generate(int[] promptIds, GenerationSettings settings, TokenListener listener) throws DeviceException {
        checkPrompt(promptIds, settings.maxNewTokens());
        Sampler sampler = new Sampler(new Sampler.Settings(settings.temperature(), settings.topK(), settings.topP(), settings.seed()));
        StreamDecoder text = tokenizer == null ? null : tokenizer.streamDecoder(Arrays.stream(promptIds).asLongStream().toArray());
        int[] index = {0};
        long start = System.nanoTime();
        Generator.Result r = new Generator(decoder).generate(promptIds, settings.maxNewTokens(), sampler, false, id -> {
            String piece = text == null || tokenizer.isEos(id) ? "" : text.push(id);
            listener.onToken(new Token(index[0]++, id, piece));
        });
        long wallNanos = System.nanoTime() - start;
        Optional<String> generatedText = Optional.empty();
        if (text != null) {
            text.flush();
            generatedText = Optional.of(text.text());
        }
        MeasuredFigures measured = new MeasuredFigures(measuredLabel(), hostCpu(), r.prefillNanos() / 1e6,
                Arrays.stream(r.tokenNanos()).mapToDouble(n -> n / 1e6).toArray(), r.measuredTokensPerSecond(), wallNanos / 1e6);
        return new Generation(promptIds, r.generatedIds(), finishReason(r.finish()), generatedText, measured, modeled);
    }

    private void checkPrompt(int[] promptIds, int maxNewTokens) {
        if (promptIds.length == 0) throw new IllegalArgumentException("promptIds: the prompt needs at least one token");
        for (int id : promptIds) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("promptIds: token id " + id + " outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        if ((long) promptIds.length + maxNewTokens > maxContextTokens()) {
            throw new IllegalArgumentException("prompt (" + promptIds.length + " tokens) + maxNewTokens (" + maxNewTokens
                    + ") exceeds the model's context of " + maxContextTokens() + " tokens");
        }
    }

    private String measuredLabel() {
        DeviceInfo info = device.info();
        return info.emulatedCompute() ? MEASURED_EMULATED : "measured, host wall time, kernels on " + info.name();
    }

    private static String hostCpu() {
        return System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " CPUs visible";
    }

    private static FinishReason finishReason(Generator.FinishReason f) {
        return switch (f) {
            case EOS -> FinishReason.EOS;
            case MAX_TOKENS -> FinishReason.MAX_TOKENS;
            case KV_CACHE_FULL -> FinishReason.KV_CACHE_FULL;
            case CONTEXT_FULL -> FinishReason.CONTEXT_FULL;
        };
    }

    @Override
    public void close() {
        Deque<AutoCloseable> all = new ArrayDeque<>();
        all.push(pkg);
        if (tokenizer != null) all.push(tokenizer);
        all.push(device);
        all.push(decoder);
        closeAll(all);
    }

    /** Closes in stack order (last opened first); the first failure is rethrown after all were tried. */
    private static void closeAll(Deque<AutoCloseable> stack) {
        RuntimeException first = null;
        while (!stack.isEmpty()) {
            try {
                stack.pop().close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException("closing: " + e.getMessage(), e);
                if (first == null) first = r;
                else first.addSuppressed(r);
            }
        }
        if (first != null) throw first;
    }
}
