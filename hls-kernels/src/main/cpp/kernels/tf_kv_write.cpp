// tf_kv_write: store one token's k and v ([numKvHeads][headDimElems] fp32 each) at `position` in
// the paged K and V pools, as fp16 (round-to-nearest-even) or as symmetric int8 with one scale per
// (token, kv head): scale = maxabs / 127, q = round-half-even(x / scale) clamped to [-127, 127]
// (scale = 0 and q = 0 for an all-zero head).
#include "tokenfab_kernels.h"
#include "tf_kv.h"
#include "tf_numeric.h"

namespace {

void writeHead(const float* src, void* pool, float* scales, int64_t slot, int32_t headDimElems, int32_t kvDtype) {
    const int64_t base = slot * headDimElems;
    if (kvDtype == TF_KV_FP16) {
        uint16_t* dst = static_cast<uint16_t*>(pool) + base;
    KvWrite_F16:
        for (int32_t d = 0; d < headDimElems; ++d) {
#pragma HLS LOOP_TRIPCOUNT min = 32 max = tf::kMaxHeadDimElems
#pragma HLS PIPELINE II = 1
            dst[d] = tf::floatToHalf(src[d]);
        }
        return;
    }
    float maxAbs = 0.0f;
KvWrite_MaxAbs:
    for (int32_t d = 0; d < headDimElems; ++d) {
#pragma HLS LOOP_TRIPCOUNT min = 32 max = tf::kMaxHeadDimElems
#pragma HLS PIPELINE II = 1
        const float a = hls::fabs(src[d]);
        maxAbs = a > maxAbs ? a : maxAbs;
    }
    const float scale = maxAbs / tf::kKvInt8Max;
    scales[slot] = scale;
    int8_t* dst = static_cast<int8_t*>(pool) + base;
KvWrite_Int8:
    for (int32_t d = 0; d < headDimElems; ++d) {
#pragma HLS LOOP_TRIPCOUNT min = 32 max = tf::kMaxHeadDimElems
#pragma HLS PIPELINE II = 1
        float q = scale > 0.0f ? hls::nearbyint(src[d] / scale) : 0.0f;
        q = q > tf::kKvInt8Max ? tf::kKvInt8Max : (q < -tf::kKvInt8Max ? -tf::kKvInt8Max : q);
        dst[d] = static_cast<int8_t>(q);
    }
}

}  // namespace

extern "C" void tf_kv_write(void* kPool, float* kScales, void* vPool, float* vScales, const int32_t* pageTable,
                            int32_t position, const float* k, const float* v, int32_t numKvHeads,
                            int32_t headDimElems, int32_t pageTokens, int32_t kvDtype) {
#pragma HLS INTERFACE m_axi port = kPool offset = slave bundle = gmem0
#pragma HLS INTERFACE m_axi port = kScales offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = vPool offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = vScales offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = pageTable offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = k offset = slave bundle = gmem3
#pragma HLS INTERFACE m_axi port = v offset = slave bundle = gmem3
#pragma HLS INTERFACE s_axilite port = position
#pragma HLS INTERFACE s_axilite port = numKvHeads
#pragma HLS INTERFACE s_axilite port = headDimElems
#pragma HLS INTERFACE s_axilite port = pageTokens
#pragma HLS INTERFACE s_axilite port = kvDtype
#pragma HLS INTERFACE s_axilite port = return
    if (position < 0 || numKvHeads <= 0 || headDimElems <= 0 || pageTokens <= 0 ||
        (kvDtype != TF_KV_FP16 && kvDtype != TF_KV_INT8)) {
        return;
    }
KvWrite_Heads:
    for (int32_t h = 0; h < numKvHeads; ++h) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxKvHeads
        const int64_t slot = tf::kvSlot(pageTable, position, h, numKvHeads, pageTokens);
        writeHead(k + static_cast<int64_t>(h) * headDimElems, kPool, kScales, slot, headDimElems, kvDtype);
        writeHead(v + static_cast<int64_t>(h) * headDimElems, vPool, vScales, slot, headDimElems, kvDtype);
    }
}
