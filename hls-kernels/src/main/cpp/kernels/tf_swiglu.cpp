// tf_swiglu: out = silu(gate) * up = gate / (1 + exp(-gate)) * up (Llama MLP).
#include "tokenfab_kernels.h"
#include "tf_hls.h"

extern "C" void tf_swiglu(const float* gate, const float* up, float* out, int32_t nElems) {
#pragma HLS INTERFACE m_axi port = gate offset = slave bundle = gmem0
#pragma HLS INTERFACE m_axi port = up offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = nElems
#pragma HLS INTERFACE s_axilite port = return
SwiGlu_Elems:
    for (int32_t i = 0; i < nElems; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxElementwiseElems
#pragma HLS PIPELINE II = 1
        const float g = gate[i];
        out[i] = g / (1.0f + hls::exp(-g)) * up[i];
    }
}
