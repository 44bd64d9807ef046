// tf_gelu_erf: out = 0.5 x (1 + erf(x / sqrt(2))) (exact GELU, ONNX Gelu approximate="none").
#include "tokenfab_kernels.h"
#include "tf_hls.h"

namespace {
constexpr float kInvSqrt2 = 0.7071067811865476f;  // 1 / sqrt(2)
}  // namespace

extern "C" void tf_gelu_erf(const float* x, float* out, int32_t nElems) {
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem0
#pragma HLS INTERFACE m_axi port = out offset = slave bundle = gmem1
#pragma HLS INTERFACE s_axilite port = nElems
#pragma HLS INTERFACE s_axilite port = return
GeluErf_Elems:
    for (int32_t i = 0; i < nElems; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxElementwiseElems
#pragma HLS PIPELINE II = 1
        const float v = x[i];
        out[i] = 0.5f * v * (1.0f + hls::erf(v * kInvSqrt2));
    }
}
