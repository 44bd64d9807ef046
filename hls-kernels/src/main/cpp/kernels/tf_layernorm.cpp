// tf_layernorm: y = (x - mean) / sqrt(var + eps) * weight + bias per row (biased variance, as
// torch.nn.LayerNorm and ONNX LayerNormalization). bias may be NULL. Two passes: mean, then
// centered variance (numerically safer than E[x^2] - mean^2), then the affine output.
#include "tokenfab_kernels.h"
#include "tf_hls.h"
#include "tf_numeric.h"

extern "C" void tf_layernorm(const float* x, const float* weight, const float* bias, float* y, int32_t nElems,
                             float eps, int32_t batch) {
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem0
#pragma HLS INTERFACE m_axi port = weight offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = bias offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = y offset = slave bundle = gmem0
#pragma HLS INTERFACE s_axilite port = nElems
#pragma HLS INTERFACE s_axilite port = eps
#pragma HLS INTERFACE s_axilite port = batch
#pragma HLS INTERFACE s_axilite port = return
    if (nElems <= 0 || batch <= 0) return;
LayerNorm_Rows:
    for (int32_t b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxBatch
        const float* xr = x + static_cast<int64_t>(b) * nElems;
        float* yr = y + static_cast<int64_t>(b) * nElems;
        const float n = static_cast<float>(nElems);
        const float mean0 = tf::laneSum(xr, nElems, [](float v) { return v; }) / n;
        const float sumD = tf::laneSum(xr, nElems, [mean0](float v) { return v - mean0; });
        const float sumD2 = tf::laneSum(xr, nElems, [mean0](float v) { return (v - mean0) * (v - mean0); });
        // The mean is kept as mean0 + meanCorr and never rounded to one fp32 value: x - mean0 is
        // exact for x near the mean (Sterbenz), so the output keeps its precision when |mean| >> std.
        const float meanCorr = sumD / n;
        const float varRaw = (sumD2 - sumD * sumD / n) / n;
        const float var = varRaw > 0.0f ? varRaw : 0.0f;
        const float inv = 1.0f / hls::sqrt(var + eps);
    LayerNorm_Affine:
        for (int32_t i = 0; i < nElems; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxNormElems
#pragma HLS PIPELINE II = 1
            yr[i] = ((xr[i] - mean0) - meanCorr) * inv * weight[i] + (bias != nullptr ? bias[i] : 0.0f);
        }
    }
}
