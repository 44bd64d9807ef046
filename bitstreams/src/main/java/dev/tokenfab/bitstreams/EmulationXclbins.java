package dev.tokenfab.bitstreams;

import dev.tokenfab.bitstreams.xclbin.XclbinMode;
import dev.tokenfab.bitstreams.xclbin.XclbinWriter;
import dev.tokenfab.format.plan.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The emulation "bitstreams": one xclbin per platform, written by {@link XclbinWriter} from
 * {@link BankMap#emulation}, that XRT's noop shim loads in CI. They carry the platform's real
 * memory topology and every tokenfab kernel with its arguments, but no bitstream.
 */
public final class EmulationXclbins {

    private EmulationXclbins() {}

    /** File name of the emulation image of {@code p}, e.g. {@code tokenfab-u55c.hw_emu.xclbin}. */
    public static String fileName(Platform p) {
        return "tokenfab-" + p.name().toLowerCase(java.util.Locale.ROOT) + ".hw_emu.xclbin";
    }

    /** Writes (or refreshes, the output is reproducible) the emulation xclbin of {@code p} into {@code dir}. */
    public static Path build(Platform p, Path dir) throws IOException {
        Path file = dir.resolve(fileName(p));
        byte[] bytes = XclbinWriter.toBytes(BankMap.emulation(p), XclbinMode.HW_EMU);
        if (Files.isRegularFile(file) && java.util.Arrays.equals(Files.readAllBytes(file), bytes)) return file;
        return XclbinWriter.write(BankMap.emulation(p), XclbinMode.HW_EMU, file);
    }
}
