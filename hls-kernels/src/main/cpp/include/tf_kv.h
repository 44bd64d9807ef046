// Paged KV cache geometry shared by tf_kv_write and tf_attention (see tokenfab_kernels.h):
// a pool is pages of [pageTokens][numKvHeads][headDimElems]; int8 pools carry one fp32 scale per
// (token, kv head) in a parallel pool [pages][pageTokens][numKvHeads].
#ifndef TF_KV_H
#define TF_KV_H
#include "tf_hls.h"

namespace tf {

// Symmetric int8 KV quantization: scale = maxabs / 127 maps the largest magnitude to +-127.
constexpr float kKvInt8Max = 127.0f;

// Index of the (token, kv head) slot holding `position`: element row start is slot * headDim,
// the int8 scale is scales[slot].
TF_INLINE int64_t kvSlot(const int32_t* pageTable, int32_t position, int32_t kvHead, int32_t numKvHeads,
                         int32_t pageTokens) {
    const int32_t page = pageTable[position / pageTokens];
    const int32_t inPage = position % pageTokens;
    return (static_cast<int64_t>(page) * pageTokens + inPage) * numKvHeads + kvHead;
}

}  // namespace tf

#endif
