package dev.tokenfab.bench.sut;

import dev.tokenfab.bench.BenchException;
import java.nio.file.Path;
import java.util.List;

/**
 * What the bench needs from the tokenfab runtime (dev.tokenfab.host.runtime, branch runtime): load a
 * package on a device and decode greedily. {@link RuntimeEngine} adapts the runtime's
 * Decoder; it is registered as a {@link Provider} service
 * (META-INF/services/dev.tokenfab.bench.sut.TokenfabEngine$Provider) so another engine (a remote
 * card, a future runtime API) can replace it without touching the harness.
 */
public interface TokenfabEngine extends AutoCloseable {

    int vocabularySize();

    /** Same contract as {@link SystemUnderTest#generate}. */
    void generate(List<long[]> prompts, int generateTokens, TokenSink sink) throws BenchException;

    /** "emu", "xrt", "opencl" plus the device's name. */
    String deviceDescription();

    /** True when the device computes in emulation (host CPU), so its wall time is not card performance. */
    boolean emulated();

    @Override
    void close();

    /** Opens an engine for a package on a device ("emu", "xrt", "opencl") with room for {@code maxBatch} sequences. */
    interface Provider {
        TokenfabEngine open(Path modelPackage, String device, int maxBatch) throws BenchException;
    }
}
