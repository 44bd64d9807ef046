// tf_rmsnorm: y[b][i] = x[b][i] / sqrt(mean_i(x[b][i]^2) + eps) * weight[i] (Llama RMSNorm; the
// ONNX RMSNormalization / SimplifiedLayerNormalization semantics with scale = weight).
// Two passes per row over x: sum of squares (tf::laneSum), then scale.
#include "tokenfab_kernels.h"
#include "tf_hls.h"
#include "tf_numeric.h"

extern "C" void tf_rmsnorm(const float* x, const float* weight, float* y, int32_t nElems, float eps, int32_t batch) {
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem0
#pragma HLS INTERFACE m_axi port = weight offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = y offset = slave bundle = gmem0
#pragma HLS INTERFACE s_axilite port = nElems
#pragma HLS INTERFACE s_axilite port = eps
#pragma HLS INTERFACE s_axilite port = batch
#pragma HLS INTERFACE s_axilite port = return
    if (nElems <= 0 || batch <= 0) return;
RmsNorm_Rows:
    for (int32_t b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxBatch
        const float* xr = x + static_cast<int64_t>(b) * nElems;
        float* yr = y + static_cast<int64_t>(b) * nElems;
        const float ss = tf::laneSum(xr, nElems, [](float v) { return v * v; });
        const float inv = 1.0f / hls::sqrt(ss / static_cast<float>(nElems) + eps);
    RmsNorm_Scale:
        for (int32_t k = 0; k < nElems; ++k) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxNormElems
#pragma HLS PIPELINE II = 1
            yr[k] = xr[k] * inv * weight[k];
        }
    }
}
