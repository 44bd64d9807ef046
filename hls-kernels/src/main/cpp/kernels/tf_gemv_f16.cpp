// tf_gemv_f16: y[b][r] = sum_c half(W[r][c]) * x[b][c] + bias[r] over IEEE binary16 weights
// (PackedFormat.F16). The engine is in tf_gemv.h: x loaded once; per row tile a DATAFLOW of load
// weights (512-bit words) -> dequant + MAC -> store y.
#include "tokenfab_kernels.h"
#include "tf_gemv.h"
#include "tf_numeric.h"

namespace {

// One 512-bit word = 32 fp16 weights (little-endian), lane i = element i of the word's range.
struct F16Format {
    static constexpr int kWeightsPerWord = tf::kAxiBeatBytes / 2;
    static constexpr int32_t xLane(int i) { return i; }
    TF_INLINE void dequant(const tf::AxiWord& w, int32_t /*k*/, float (&out)[kWeightsPerWord]) const {
    F16_Dequant_Lanes:
        for (int i = 0; i < kWeightsPerWord; ++i) {
#pragma HLS UNROLL
            out[i] = tf::halfToFloat(tf::wordHalf(w, i));
        }
    }
};

// Stage 2 of a tile: dequant + MAC (AVX-512 / AVX2 clones in C-simulation).
TF_CPU_DISPATCH
void gemvF16Mac(const tf::AxiWord* wTile, int32_t nRows, int32_t wordsPerRow, const float* xq, int32_t batch,
                float* sums, tf::LaneVec* state, const uint8_t* next, int64_t nextBytes) {
    tf::gemvMacTile<F16Format>(wTile, nRows, wordsPerRow, xq, batch, [](int32_t) { return F16Format{}; }, sums, state, next,
                               nextBytes);
}

}  // namespace

extern "C" void tf_gemv_f16(const uint16_t* w, const float* bias, const float* x, float* y, int32_t rowsElems,
                            int32_t colsElems, int32_t batch) {
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem0 max_widen_bitwidth = 512 max_read_burst_length = 64
#pragma HLS INTERFACE m_axi port = bias offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = y offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = rowsElems
#pragma HLS INTERFACE s_axilite port = colsElems
#pragma HLS INTERFACE s_axilite port = batch
#pragma HLS INTERFACE s_axilite port = return
    if (rowsElems <= 0 || colsElems <= 0 || batch <= 0) return;
    tf::gemvDenseEngine<F16Format>(reinterpret_cast<const uint8_t*>(w), sizeof(uint16_t), nullptr, bias, x, y, rowsElems,
                                        colsElems, batch, gemvF16Mac);
}
