// tf_attention: single-token decode attention over the paged KV cache.
// out[h] = softmax_t(scale * q[h] . K[t]) V over t in [0, seqLen), query head h reading KV head
// h / (numHeads / numKvHeads) (MHA, GQA, MQA). One pass per KV head: every K/V row is fetched and
// dequantized once and serves all query heads of its group, with an online (running-max) softmax
// per query head, so no score buffer of seqLen is needed and exp never overflows.
#include "tokenfab_kernels.h"
#include "tf_kv.h"
#include "tf_numeric.h"

namespace {

using tf::kMacLanes;

// Fetch and dequantize one (token, kv head) row of K or V into dst[headDimElems].
TF_INLINE void loadKvRow(const void* pool, const float* scales, int64_t slot, int32_t headDimElems,
                         int32_t kvDtype, float* dst) {
    const int64_t base = slot * headDimElems;
    if (kvDtype == TF_KV_FP16) {
        const uint16_t* src = static_cast<const uint16_t*>(pool) + base;
    Attn_LoadF16:
        for (int32_t d = 0; d < headDimElems; ++d) {
#pragma HLS LOOP_TRIPCOUNT min = 32 max = tf::kMaxHeadDimElems
#pragma HLS PIPELINE II = 1
            dst[d] = tf::halfToFloat(src[d]);
        }
    } else {
        const int8_t* src = static_cast<const int8_t*>(pool) + base;
        const float scale = scales[slot];
    Attn_LoadInt8:
        for (int32_t d = 0; d < headDimElems; ++d) {
#pragma HLS LOOP_TRIPCOUNT min = 32 max = tf::kMaxHeadDimElems
#pragma HLS PIPELINE II = 1
            dst[d] = static_cast<float>(src[d]) * scale;
        }
    }
}

// q . k over headDimElems with kMacLanes partial sums.
TF_INLINE float dotHead(const float* __restrict q, const float* __restrict k, int32_t headDimElems) {
    float acc[kMacLanes] = {};
    int32_t d = 0;
Attn_Dot:
    for (; d + kMacLanes <= headDimElems; d += kMacLanes) {
#pragma HLS PIPELINE II = 1
        for (int l = 0; l < kMacLanes; ++l) acc[l] += q[d + l] * k[d + l];
    }
Attn_DotTail:
    for (; d < headDimElems; ++d) acc[0] += q[d] * k[d];
    float s = 0.0f;
    for (int l = 0; l < kMacLanes; ++l) s += acc[l];
    return s;
}

TF_CPU_DISPATCH
void attentionKvHead(const float* q, const void* kPool, const float* kScales, const void* vPool, const float* vScales,
                     const int32_t* pageTable, float* out, int32_t kvHead, int32_t group, int32_t numKvHeads,
                     int32_t headDimElems, int32_t seqLen, int32_t pageTokens, int32_t kvDtype, float scale,
                     float* kRow, float* vRow, float* acc, float* runMax, float* runSum) {
Attn_InitHeads:
    for (int32_t g = 0; g < group; ++g) {
        runMax[g] = -__builtin_huge_valf();
        runSum[g] = 0.0f;
        for (int32_t d = 0; d < headDimElems; ++d) acc[static_cast<int64_t>(g) * headDimElems + d] = 0.0f;
    }
Attn_Tokens:
    for (int32_t t = 0; t < seqLen; ++t) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxSeqLen
        const int64_t slot = tf::kvSlot(pageTable, t, kvHead, numKvHeads, pageTokens);
        loadKvRow(kPool, kScales, slot, headDimElems, kvDtype, kRow);
        loadKvRow(vPool, vScales, slot, headDimElems, kvDtype, vRow);
    Attn_GroupHeads:
        for (int32_t g = 0; g < group; ++g) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxGroupHeads
            const int32_t h = kvHead * group + g;
            const float s = scale * dotHead(q + static_cast<int64_t>(h) * headDimElems, kRow, headDimElems);
            float* a = acc + static_cast<int64_t>(g) * headDimElems;
            // Online softmax: rescale the running sums when the maximum grows.
            const float m = s > runMax[g] ? s : runMax[g];
            const float corr = hls::exp(runMax[g] - m);  // exp(-inf) = 0 on the first token
            const float p = hls::exp(s - m);
            runSum[g] = runSum[g] * corr + p;
            runMax[g] = m;
        Attn_Accumulate:
            for (int32_t d = 0; d < headDimElems; ++d) {
#pragma HLS LOOP_TRIPCOUNT min = 32 max = tf::kMaxHeadDimElems
#pragma HLS PIPELINE II = 1
                a[d] = a[d] * corr + p * vRow[d];
            }
        }
    }
Attn_Normalize:
    for (int32_t g = 0; g < group; ++g) {
        const int32_t h = kvHead * group + g;
        const float inv = runSum[g] > 0.0f ? 1.0f / runSum[g] : 0.0f;
        for (int32_t d = 0; d < headDimElems; ++d) {
            out[static_cast<int64_t>(h) * headDimElems + d] = acc[static_cast<int64_t>(g) * headDimElems + d] * inv;
        }
    }
}

}  // namespace

extern "C" void tf_attention(const float* q, const void* kPool, const float* kScales, const void* vPool,
                             const float* vScales, const int32_t* pageTable, float* out, int32_t numHeads,
                             int32_t numKvHeads, int32_t headDimElems, int32_t seqLen, int32_t pageTokens,
                             int32_t kvDtype, float scale) {
#pragma HLS INTERFACE m_axi port = q offset = slave bundle = gmem3
#pragma HLS INTERFACE m_axi port = kPool offset = slave bundle = gmem0
#pragma HLS INTERFACE m_axi port = kScales offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = vPool offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = vScales offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = pageTable offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem3
#pragma HLS INTERFACE s_axilite port = numHeads
#pragma HLS INTERFACE s_axilite port = numKvHeads
#pragma HLS INTERFACE s_axilite port = headDimElems
#pragma HLS INTERFACE s_axilite port = seqLen
#pragma HLS INTERFACE s_axilite port = pageTokens
#pragma HLS INTERFACE s_axilite port = kvDtype
#pragma HLS INTERFACE s_axilite port = scale
#pragma HLS INTERFACE s_axilite port = return
    if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0 || headDimElems <= 0 || seqLen < 0 ||
        pageTokens <= 0 || (kvDtype != TF_KV_FP16 && kvDtype != TF_KV_INT8)) {
        return;
    }
    const int32_t group = numHeads / numKvHeads;
    TF_ONCHIP_BUFFER(float, kRow, headDimElems, tf::kMaxHeadDimElems);
    TF_ONCHIP_BUFFER(float, vRow, headDimElems, tf::kMaxHeadDimElems);
    TF_ONCHIP_BUFFER(float, acc, static_cast<int64_t>(group) * headDimElems, tf::kMaxGroupHeads * tf::kMaxHeadDimElems);
    TF_ONCHIP_BUFFER(float, runMax, group, tf::kMaxGroupHeads);
    TF_ONCHIP_BUFFER(float, runSum, group, tf::kMaxGroupHeads);
Attn_KvHeads:
    for (int32_t kvh = 0; kvh < numKvHeads; ++kvh) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxKvHeads
        attentionKvHead(q, kPool, kScales, vPool, vScales, pageTable, out, kvh, group, numKvHeads, headDimElems,
                        seqLen, pageTokens, kvDtype, scale, kRow, vRow, acc, runMax, runSum);
    }
}
