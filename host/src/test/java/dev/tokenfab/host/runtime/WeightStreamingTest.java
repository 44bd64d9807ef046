package dev.tokenfab.host.runtime;

import dev.tokenfab.format.quant.KvCacheDtype;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.format.pkg.Manifest;
import dev.tokenfab.format.quant.PackedFormat;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.Devices;
import dev.tokenfab.host.device.EmuDevice;
import dev.tokenfab.kernels.KernelLibrary;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layer weights streamed from host memory through two device slots decode exactly as resident weights. */
class WeightStreamingTest {

    @TempDir Path dir;

    /** TestPackages' llama shape with {@code layers} blocks (more layers than slots, so slots are reused). */
    static DecoderConfig llama(int layers) {
        DecoderConfig t = TestPackages.llama(40);
        return new DecoderConfig(t.family(), t.vocabSize(), t.hiddenSize(), layers, t.numHeads(), t.numKvHeads(), t.headDim(),
                t.intermediateSize(), t.maxContextTokens(), t.norm(), t.normEpsilon(), t.activation(), t.positions(), t.ropeTheta(),
                t.rotaryDim(), t.ropeLayout(), t.tiedEmbeddings(), t.hasLmHead(), t.attentionBias(), t.mlpBias());
    }

    /** Greedy tokens (and every step's logits) of one sequence. */
    static float[][] greedy(Decoder d, int steps) throws Exception {
        float[][] logits = new float[steps][];
        try (KvCache.Sequence seq = d.kvCache().openSequence()) {
            int token = 3;
            for (int pos = 0; pos < steps; pos++) {
                logits[pos] = d.forward(seq, token, pos);
                token = Sampler.argmax(logits[pos]);
            }
        }
        return logits;
    }

    private void assertStreamedEqualsResident(DecoderConfig c, PackedFormat format) throws Exception {
        Manifest m = TestPackages.write(dir, c, format, KvCacheDtype.FP16, 11);
        int steps = 20;
        float[][] resident;
        try (Device device = EmuDevices.open(Platform.U55C);
             Decoder d = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1).withResidency(Decoder.WeightResidency.RESIDENT))) {
            assertFalse(d.weights().streamed());
            resident = greedy(d, steps);
        }
        try (Device device = EmuDevices.open(Platform.U55C);
             Decoder d = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1).withResidency(Decoder.WeightResidency.STREAMED))) {
            assertTrue(d.weights().streamed());
            float[][] streamed = greedy(d, steps);
            for (int i = 0; i < steps; i++) assertArrayEquals(resident[i], streamed[i], "step " + i + ": streamed logits differ");
            LayerStreamer.Stats st = d.weights().streamStats();
            assertTrue(st.layersUploaded() >= (long) steps * c.numLayers(), "uploads " + st);
            assertTrue(st.uploadedBytes() > 0);
        }
    }

    @Test
    void streamedLlamaQ4DecodesIdenticallyToResident() throws Exception {
        assertStreamedEqualsResident(llama(5), PackedFormat.Q4_GROUP);
    }

    @Test
    void streamedGpt2Q8DecodesIdenticallyToResident() throws Exception {
        assertStreamedEqualsResident(TestPackages.gpt2(40), PackedFormat.Q8_CHANNEL);
    }

    @Test
    void aModelLargerThanTheCardRunsStreamed() throws Exception {
        DecoderConfig c = llama(16);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16, 5);
        long residentMax = Collections.max(DeviceWeights.residentBytesByBank(m).values());
        LayerStreamer.Layout layout = LayerStreamer.Layout.of(m);
        long streamedMax = 0;
        for (int b : DeviceWeights.residentBytesByBank(m).keySet()) {
            streamedMax = Math.max(streamedMax, layout.residentBytesByBank().getOrDefault(b, 0L) + 2 * layout.slotBytesByBank().getOrDefault(b, 0L));
        }
        assertTrue(streamedMax < residentMax, "streaming needs " + streamedMax + " bytes per bank, resident " + residentMax);
        long cap = streamedMax + (residentMax - streamedMax) / 2; // the "card": too small for the weights, room for 2 layer slots
        float[][] reference;
        try (Device device = EmuDevices.open(Platform.U55C); Decoder d = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1))) {
            reference = greedy(d, 12);
        }
        Devices.open(dev.tokenfab.host.device.DeviceInfo.Kind.EMU, Platform.U55C).close(); // skips via EmuDevices above when unavailable
        try (EmuDevice small = new EmuDevice(Platform.U55C, Devices.libraryBinding(KernelLibrary.libraryPath()), cap)) {
            DeviceException oom = assertThrows(DeviceException.class, () -> Decoder.load(small, m, dir,
                    Decoder.Options.forBatch(c, 1).withResidency(Decoder.WeightResidency.RESIDENT)).close());
            assertEquals(DeviceException.ErrorCode.OUT_OF_MEMORY, oom.code());
            try (Decoder d = Decoder.load(small, m, dir, Decoder.Options.forBatch(c, 1))) { // AUTO picks streaming
                assertTrue(d.weights().streamed());
                float[][] streamed = greedy(d, 12);
                for (int i = 0; i < streamed.length; i++) assertArrayEquals(reference[i], streamed[i], "step " + i);
                System.out.printf("model of %d weight bytes per bank ran on a card of %d bytes per bank (streaming needs %d)%n",
                        residentMax, cap, streamedMax);
            }
        }
    }

    /** A backend without concurrent writes (XRT, noop shim) streams sequentially on the compute thread: same logits. */
    @Test
    void streamedOnXrtUploadsSequentiallyWithTheSameLogits() throws Exception {
        dev.tokenfab.host.device.xrt.XrtTestSupport.assumeNoopXrt();
        dev.tokenfab.host.device.CsimCompute.Simulator sim = dev.tokenfab.host.device.xrt.XrtTestSupport.assumeSimulator();
        DecoderConfig c = llama(3);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q4_GROUP, KvCacheDtype.FP16, 4);
        float[][] resident;
        try (Device device = EmuDevices.open(Platform.U55C); Decoder d = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1))) {
            resident = greedy(d, 10);
        }
        try (dev.tokenfab.host.device.XrtDevice xrt = dev.tokenfab.host.device.XrtDevice.open(
                     dev.tokenfab.host.device.XrtDevice.Options.emulation(Platform.U55C, sim));
             Decoder d = Decoder.load(xrt, m, dir, Decoder.Options.forBatch(c, 1).withResidency(Decoder.WeightResidency.STREAMED))) {
            assertTrue(d.weights().streamed());
            float[][] streamed = greedy(d, 10);
            for (int i = 0; i < streamed.length; i++) assertArrayEquals(resident[i], streamed[i], "step " + i);
        }
    }

    @Test
    void anAbortedStepResynchronizesTheSlots() throws Exception {
        DecoderConfig c = llama(3);
        Manifest m = TestPackages.write(dir, c, PackedFormat.Q8_CHANNEL, KvCacheDtype.FP16, 2);
        try (Device device = EmuDevices.open(Platform.U55C);
             Decoder d = Decoder.load(device, m, dir, Decoder.Options.forBatch(c, 1).withResidency(Decoder.WeightResidency.STREAMED))) {
            float[][] first = greedy(d, 4);
            // walk part of a step by hand: the next forward must skip to layer 0 and still match
            d.weights().acquireLayer(0);
            d.weights().releaseLayer(0);
            float[][] again = greedy(d, 4);
            for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], again[i], "step " + i);
        }
    }
}
