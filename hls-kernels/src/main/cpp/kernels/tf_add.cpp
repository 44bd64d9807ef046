// tf_add: out = a + b element-wise (residual connections). out may alias a or b.
#include "tokenfab_kernels.h"
#include "tf_hls.h"

extern "C" void tf_add(const float* a, const float* b, float* out, int32_t nElems) {
#pragma HLS INTERFACE m_axi port = a offset = slave bundle = gmem0
#pragma HLS INTERFACE m_axi port = b offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = nElems
#pragma HLS INTERFACE s_axilite port = return
Add_Elems:
    for (int32_t i = 0; i < nElems; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxElementwiseElems
#pragma HLS PIPELINE II = 1
        out[i] = a[i] + b[i];
    }
}
