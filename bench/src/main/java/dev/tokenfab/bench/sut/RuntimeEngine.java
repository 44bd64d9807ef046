package dev.tokenfab.bench.sut;

import dev.tokenfab.bench.BenchException;
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
import dev.tokenfab.host.runtime.KvCache;
import dev.tokenfab.host.runtime.KvCacheException;
import dev.tokenfab.host.runtime.Sampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tokenfab runtime (dev.tokenfab.host.runtime.Decoder) as a bench engine: one sequence per
 * prompt, all advanced together by {@link Decoder#forwardBatch} (the prompt token by token, as the
 * runtime's Generator feeds it), greedy sampling, no EOS stop.
 *
 * <p>The package is opened with the compiler's {@link PackageReader} (version and checksums verified).
 */
public final class RuntimeEngine implements TokenfabEngine {

    private final Device device;
    private final Decoder decoder;
    private final DeviceInfo.Kind kind;
    private boolean closed;

    private RuntimeEngine(Device device, Decoder decoder, DeviceInfo.Kind kind) {
        this.device = device;
        this.decoder = decoder;
        this.kind = kind;
    }

    /** The service entry: META-INF/services/dev.tokenfab.bench.sut.TokenfabEngine$Provider. */
    public static final class Provider implements TokenfabEngine.Provider {
        @Override
        public TokenfabEngine open(Path modelPackage, String deviceName, int maxBatch) throws BenchException {
            Manifest manifest = readManifest(modelPackage);
            DeviceInfo.Kind kind;
            Platform platform;
            try {
                kind = Devices.parseKind(deviceName);
                platform = Platform.parse(manifest.platform());
            } catch (IllegalArgumentException e) {
                throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, modelPackage + ": " + e.getMessage(), e);
            }
            Device device = null;
            try {
                device = Devices.open(kind, platform);
                Decoder decoder = Decoder.load(device, manifest, modelPackage, Decoder.Options.forBatch(manifest.model(), maxBatch));
                return new RuntimeEngine(device, decoder, kind);
            } catch (DeviceException e) {
                if (device != null) device.close();
                throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE,
                        "tokenfab on " + deviceName + " with " + modelPackage + ": " + e.getMessage(), e);
            }
        }
    }

    /** Opens the package with the compiler's reader (format version and SHA-256 of every file verified). */
    static Manifest readManifest(Path packageDir) throws BenchException {
        try (ModelPackage pkg = PackageReader.open(packageDir)) {
            return pkg.manifest();
        } catch (FormatException e) {
            throw new BenchException(BenchException.ErrorCode.SYSTEM_UNAVAILABLE, e.getMessage(), e);
        }
    }

    @Override public int vocabularySize() { return decoder.config().vocabSize(); }

    @Override public String deviceDescription() { return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + device.info().name(); }

    @Override public boolean emulated() { return kind == DeviceInfo.Kind.EMU; }

    @Override
    public void generate(List<long[]> prompts, int generateTokens, TokenSink sink) throws BenchException {
        if (closed) throw new IllegalStateException("RuntimeEngine is closed");
        int batch = prompts.size();
        int promptLen = prompts.getFirst().length;
        List<KvCache.Sequence> seqs = new ArrayList<>();
        try {
            for (int b = 0; b < batch; b++) seqs.add(decoder.kvCache().openSequence());
            int[] tokens = new int[batch];
            int[] positions = new int[batch];
            float[][] logits = null;
            for (int pos = 0; pos < promptLen; pos++) {
                for (int b = 0; b < batch; b++) {
                    tokens[b] = Math.toIntExact(prompts.get(b)[pos]);
                    positions[b] = pos;
                }
                logits = decoder.forwardBatch(seqs, tokens, positions);
            }
            for (int i = 0; i < generateTokens; i++) {
                if (i > 0) {
                    for (int b = 0; b < batch; b++) positions[b] = promptLen + i - 1;
                    logits = decoder.forwardBatch(seqs, tokens, positions);
                }
                for (int b = 0; b < batch; b++) {
                    tokens[b] = Sampler.argmax(logits[b]);
                    sink.onToken(b, i, tokens[b]);
                }
            }
        } catch (DeviceException | KvCacheException e) {
            throw new BenchException(BenchException.ErrorCode.RUN_FAILED, "tokenfab decode failed: " + e.getMessage(), e);
        } finally {
            for (KvCache.Sequence s : seqs.reversed()) s.close();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        decoder.close();
        device.close();
    }
}
