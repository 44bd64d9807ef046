// tf_argmax: index of the first maximum of x[nElems] (greedy sampling over the logits). NaN never
// compares greater, so NaNs are skipped unless x[0] is NaN; returns 0 when nElems <= 0.
#include "tokenfab_kernels.h"
#include "tf_hls.h"

extern "C" int32_t tf_argmax(const float* x, int32_t nElems) {
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem0
#pragma HLS INTERFACE s_axilite port = nElems
#pragma HLS INTERFACE s_axilite port = return
    if (nElems <= 0) return 0;
    int32_t best = 0;
    float bestVal = x[0];
Argmax_Elems:
    for (int32_t i = 1; i < nElems; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxVocabElems
#pragma HLS PIPELINE II = 1
        const float v = x[i];
        if (v > bestVal) {
            bestVal = v;
            best = i;
        }
    }
    return best;
}
