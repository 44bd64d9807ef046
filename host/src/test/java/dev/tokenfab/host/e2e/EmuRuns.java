package dev.tokenfab.host.e2e;

import dev.tokenfab.compiler.pkg.Manifest;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.runtime.Decoder;
import dev.tokenfab.host.runtime.EmuDevices;
import dev.tokenfab.host.runtime.Generator;
import dev.tokenfab.host.runtime.ModelConfig;
import dev.tokenfab.host.runtime.Sampler;
import java.nio.file.Path;

/** Greedy runs on the emulated card with the logits kept. */
final class EmuRuns {
    private EmuRuns() {}

    static float[][] greedyLogits(Path pkg, int[] prompt, int newTokens) throws Exception {
        Manifest m = PackageAccess.manifest(pkg);
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, pkg, Decoder.Options.forBatch(m.model(), 1))) {
            Generator.Result r = new Generator(decoder).generate(prompt, newTokens, new Sampler(Sampler.Settings.greedy()), true);
            return r.logits();
        }
    }

    /** Logits after each token of {@code tokens} fed one position at a time. */
    static float[][] teacherForcedLogits(Path pkg, int[] tokens) throws Exception {
        Manifest m = PackageAccess.manifest(pkg);
        try (Device device = EmuDevices.open(ModelConfig.from(m).platform());
             Decoder decoder = Decoder.load(device, m, pkg, Decoder.Options.forBatch(m.model(), 1));
             var seq = decoder.kvCache().openSequence()) {
            float[][] out = new float[tokens.length][];
            for (int pos = 0; pos < tokens.length; pos++) out[pos] = decoder.forward(seq, tokens[pos], pos);
            return out;
        }
    }
}
