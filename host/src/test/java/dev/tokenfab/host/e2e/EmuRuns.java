package dev.tokenfab.host.e2e;

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
        try (var p = PackageAccess.open(pkg);
             Device device = EmuDevices.open(ModelConfig.from(p.manifest()).platform());
             Decoder decoder = Decoder.load(device, p, 1)) {
            Generator.Result r = new Generator(decoder).generate(prompt, newTokens, new Sampler(Sampler.Settings.greedy()), true);
            return r.logits();
        }
    }

    /** Logits after each token of {@code tokens} fed one position at a time. */
    static float[][] teacherForcedLogits(Path pkg, int[] tokens) throws Exception {
        try (var p = PackageAccess.open(pkg);
             Device device = EmuDevices.open(ModelConfig.from(p.manifest()).platform());
             Decoder decoder = Decoder.load(device, p, 1);
             var seq = decoder.kvCache().openSequence()) {
            float[][] out = new float[tokens.length][];
            for (int pos = 0; pos < tokens.length; pos++) out[pos] = decoder.forward(seq, tokens[pos], pos);
            return out;
        }
    }

    /** Greedy tokens of several sequences decoded in lockstep with forwardBatch (prefill and decode mixed). */
    static int[][] greedyBatch(Path pkg, int[][] prompts, int newTokens) throws Exception {
        int n = prompts.length;
        try (var p = PackageAccess.open(pkg);
             Device device = EmuDevices.open(ModelConfig.from(p.manifest()).platform());
             Decoder decoder = Decoder.load(device, p, n)) {
            java.util.List<dev.tokenfab.host.runtime.KvCache.Sequence> seqs = new java.util.ArrayList<>();
            for (int b = 0; b < n; b++) seqs.add(decoder.kvCache().openSequence());
            int[][] out = new int[n][newTokens];
            int[] generated = new int[n];
            int[] tokens = new int[n];
            int[] positions = new int[n];
            for (int b = 0; b < n; b++) tokens[b] = prompts[b][0];
            while (java.util.Arrays.stream(generated).anyMatch(g -> g < newTokens)) {
                float[][] logits = decoder.forwardBatch(seqs, tokens, positions);
                for (int b = 0; b < n; b++) {
                    int pos = positions[b]++;
                    if (pos + 1 < prompts[b].length) {
                        tokens[b] = prompts[b][pos + 1];
                    } else {
                        tokens[b] = Sampler.argmax(logits[b]);
                        if (generated[b] < newTokens) out[b][generated[b]++] = tokens[b];
                    }
                }
            }
            for (var s : seqs) s.close();
            return out;
        }
    }
}
