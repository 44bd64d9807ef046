package dev.tokenfab.format.plan;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.tokenfab.format.quant.KvCacheDtype;
import dev.tokenfab.format.quant.PackedFormat;
import java.util.List;
import java.util.Map;

/**
 * {@code dataflow.json}: how a packed decoder runs on one platform. Everything under a field or
 * record whose name ends in {@code Modeled} is an estimate from this plan and {@link Platform}
 * constants, never a measurement. Placement (banks, byte offsets) is exact: the package writer lays
 * the bank files out from it.
 *
 * @param planVersion       {@link #PLAN_VERSION}
 * @param platform          platform enum name
 * @param vitisPlatform     v++ --platform value
 * @param kernelClockMhz    kernel clock assumed by every cycle figure
 * @param kernels           the kernels the decode loop uses (C symbols of tokenfab_kernels.h), with compute units and lanes
 * @param stages            one token's pipeline, in order; per-layer stages carry repeat = numLayers
 * @param placements        every packed tensor's row shards, banks and byte ranges
 * @param banks             every memory bank the plan uses
 * @param memory            activation and KV-cache buffers
 * @param estimateModeled   modeled performance and power at batch 1 and {@code memory.contextTokens}
 */
public record DataflowPlan(
        int planVersion,
        String platform,
        String vitisPlatform,
        int kernelClockMhz,
        List<KernelUse> kernels,
        List<Stage> stages,
        List<TensorPlacement> placements,
        List<BankUse> banks,
        MemoryPlan memory,
        EstimateModeled estimateModeled) {

    public static final int PLAN_VERSION = 1;

    /**
     * @param symbol               C symbol, e.g. {@code tf_gemv_q4}
     * @param computeUnits         instances in the design (GEMV: one per weight bank so every bank streams)
     * @param macLanesPerUnit      multiply-accumulates (or elements) per cycle per unit
     * @param initiationInterval   cycles between successive lane-groups (1 = fully pipelined)
     * @param resourcesModeled     estimated programmable-logic use of all units together
     */
    public record KernelUse(String symbol, int computeUnits, int macLanesPerUnit, int initiationInterval,
                            ResourcesModeled resourcesModeled) {}

    /** Estimated resources; formulas and constants in {@code DataflowPlanner} (model-compiler). */
    public record ResourcesModeled(long dsp, long bram36, long uram, long lut) {
        public ResourcesModeled plus(ResourcesModeled o) { return new ResourcesModeled(dsp + o.dsp, bram36 + o.bram36, uram + o.uram, lut + o.lut); }
    }

    /**
     * @param name                    stage name, e.g. {@code attn.qkv}
     * @param kernel                  C symbol it runs
     * @param tensors                 weights it reads (layer 0's names for per-layer stages)
     * @param repeat                  times per token (numLayers for per-layer stages)
     * @param macLanes                parallel lanes of one compute unit
     * @param initiationInterval      1
     * @param cyclesPerTokenModeled   cycles for all repeats at batch 1
     * @param bytesPerTokenModeled    memory bytes read for all repeats at batch 1 (weights + KV)
     * @param computeSecondsModeled   cycles / clock
     * @param memorySecondsModeled    sum over repeats of the busiest bank's bytes / (bank bandwidth x efficiency)
     * @param secondsModeled          sum over repeats of max(compute, memory): the stage's share of a step
     */
    public record Stage(String name, String kernel, List<String> tensors, int repeat, int macLanes, int initiationInterval,
                        long cyclesPerTokenModeled, long bytesPerTokenModeled, double computeSecondsModeled,
                        double memorySecondsModeled, double secondsModeled) {
        /** Which side of the stage's roofline limits it (memory when the two are equal). */
        public Bound bound() { return memorySecondsModeled >= computeSecondsModeled ? Bound.MEMORY : Bound.COMPUTE; }
    }

    /** One tensor's placement. */
    public record TensorPlacement(String tensor, PackedFormat format, int rows, int cols, int groupSize, boolean zeroPoints,
                                  List<ShardPlacement> shards) {}

    /** A row range in one bank; parts' offsets are inside that bank's file. */
    public record ShardPlacement(int rowStart, int rows, int bank, Map<String, Part> parts) {}

    /** Memory technology of a bank; serialized as {@code "HBM"} / {@code "DDR"}. */
    public enum MemoryKind { HBM, DDR }

    /**
     * @param kind                   HBM or DDR
     * @param weightBytes            bytes of the bank file (aligned parts)
     * @param kvCacheBytes           KV pools placed here at maxContextTokens
     * @param activationBytes        activation buffers placed here
     * @param bytesReadPerTokenModeled weights + KV streamed from this bank per token at batch 1
     */
    public record BankUse(int bank, MemoryKind kind, long capacityBytes, long weightBytes, long kvCacheBytes,
                          long activationBytes, long bytesReadPerTokenModeled) {}

    /**
     * @param kvCache            KV element type
     * @param contextTokens      context at which KV reads are modeled
     * @param maxContextTokens   KV capacity per sequence
     * @param maxBatch           sequences the KV and activation buffers are sized for
     * @param kvBytesPerToken    KV bytes one position occupies over all layers (K + V, scales included)
     * @param activationBank     bank of the activation buffers
     * @param activationBytes    activation buffers' size
     * @param kvPools            one K and one V pool per layer
     */
    public record MemoryPlan(KvCacheDtype kvCache, int contextTokens, int maxContextTokens, int maxBatch,
                             long kvBytesPerToken, int activationBank, long activationBytes, List<KvPool> kvPools) {}

    /** @param kind K or V pool of the layer */
    public record KvPool(int layer, KvKind kind, int bank, long sizeBytes) {}

    /** Keys or values; serialized as {@code "k"} / {@code "v"} (plan version 1's strings). */
    public enum KvKind {
        K("k"), V("v");

        private final String json;

        KvKind(String json) { this.json = json; }

        @JsonValue
        public String json() { return json; }
    }

    /**
     * What limits a modeled decode step or stage; serialized as {@code "memory"} / {@code "compute"}
     * (plan version 1's strings), which {@link #toString()} also returns so printed lines keep them.
     */
    public enum Bound {
        MEMORY("memory"), COMPUTE("compute");

        private final String json;

        Bound(String json) { this.json = json; }

        @JsonValue
        public String json() { return json; }

        @Override
        public String toString() { return json; }
    }

    /**
     * Modeled decode performance and power (roofline, compute bound, board watts), as
     * {@link dev.tokenfab.format.card.CardModel} computes it ({@link dev.tokenfab.format.card.CardEstimate#toPlanEstimate()});
     * every constant and its source are there and in {@link Platform}.
     *
     * @param batch                           sequences decoded together (weights read once per step)
     * @param contextTokens                   KV positions read per sequence per step
     * @param weightBytesPerStep              weights streamed per decode step (whole batch)
     * @param kvBytesPerStep                  KV bytes read per step (whole batch)
     * @param bytesPerToken                   (weights + KV) per step / batch
     * @param aggregateBytesPerSecond         peak bandwidth of the banks the plan reads
     * @param hbmEfficiency                   achievable fraction of peak (constant, cited in CardModel)
     * @param rooflineTokensPerSecond         aggregate bandwidth / bytes per token (no efficiency, no imbalance)
     * @param memoryBoundTokensPerSecond      batch / sum over stages of memory time (each stage limited by its busiest bank)
     * @param computeBoundTokensPerSecond     batch / sum over stages of compute time (clock / cycles)
     * @param tokensPerSecond                 batch / sum over stages of max(compute, memory): a per-stage roofline
     * @param bound                           memory or compute, whichever total is larger
     * @param idleWatts                       platform idle constant
     * @param memoryWatts                     DRAM access energy x traffic
     * @param fabricWatts                     active lanes x watts per lane x activity
     * @param boardWatts                      idle + memory + fabric, capped at the board limit
     * @param tokensPerJoule                  tokensPerSecond / boardWatts
     * @param resources                       total programmable-logic estimate and fraction of the device
     */
    public record EstimateModeled(int batch, int contextTokens, long weightBytesPerStep, long kvBytesPerStep,
                                  double bytesPerToken, double aggregateBytesPerSecond, double hbmEfficiency,
                                  double rooflineTokensPerSecond, double memoryBoundTokensPerSecond,
                                  double computeBoundTokensPerSecond, double tokensPerSecond, Bound bound,
                                  double idleWatts, double memoryWatts, double fabricWatts, double boardWatts,
                                  double tokensPerJoule, ResourcesModeled resources, double dspFraction,
                                  double bram36Fraction, double uramFraction, double lutFraction) {}

    /** The placement of one tensor. @throws IllegalArgumentException naming the tensor when absent */
    public TensorPlacement placement(String tensor) {
        for (TensorPlacement p : placements) if (p.tensor().equals(tensor)) return p;
        throw new IllegalArgumentException("plan has no placement for tensor " + tensor);
    }
}
