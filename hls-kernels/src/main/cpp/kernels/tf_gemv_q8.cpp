// tf_gemv_q8: y[b][r] = scale[r] * sum_c q[r][c] * x[b][c] + bias[r] over int8 weights with one
// symmetric scale per output row (PackedFormat.Q8_CHANNEL). The engine is in tf_gemv.h: x loaded
// once; per row tile a DATAFLOW of load weights (512-bit words) -> dequant + MAC -> store y.
#include "tokenfab_kernels.h"
#include "tf_gemv.h"

namespace {

// One 512-bit word = 64 int8 weights, lane i = element i of the word's column range. The row
// scale is applied once per dot in the store stage, so dequant is the int8 -> fp32 conversion.
struct Q8Format {
    static constexpr int kWeightsPerWord = tf::kAxiBeatBytes;
    static constexpr int32_t xLane(int i) { return i; }
    TF_INLINE void dequant(const tf::AxiWord& w, int32_t /*k*/, float (&out)[kWeightsPerWord]) const {
    Q8_Dequant_Lanes:
        for (int i = 0; i < kWeightsPerWord; ++i) {
#pragma HLS UNROLL
            out[i] = static_cast<float>(static_cast<int8_t>(tf::wordByte(w, i)));
        }
    }
};

// Stage 2 of a tile: dequant + MAC (AVX-512 / AVX2 clones in C-simulation).
TF_CPU_DISPATCH
void gemvQ8Mac(const tf::AxiWord* wTile, int32_t nRows, int32_t wordsPerRow, const float* xq, int32_t batch,
               float* sums, tf::LaneVec* state, const uint8_t* next, int64_t nextBytes) {
    tf::gemvMacTile<Q8Format>(wTile, nRows, wordsPerRow, xq, batch, [](int32_t) { return Q8Format{}; }, sums, state, next,
                              nextBytes);
}

}  // namespace

extern "C" void tf_gemv_q8(const int8_t* w, const float* scales, const float* bias, const float* x, float* y,
                           int32_t rowsElems, int32_t colsElems, int32_t batch) {
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem0 max_widen_bitwidth = 512 max_read_burst_length = 64
#pragma HLS INTERFACE m_axi port = scales offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = bias offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = y offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = rowsElems
#pragma HLS INTERFACE s_axilite port = colsElems
#pragma HLS INTERFACE s_axilite port = batch
#pragma HLS INTERFACE s_axilite port = return
    if (rowsElems <= 0 || colsElems <= 0 || batch <= 0) return;
    tf::gemvDenseEngine<Q8Format>(reinterpret_cast<const uint8_t*>(w), sizeof(int8_t), scales, bias, x, y, rowsElems, colsElems,
                                       batch, gemvQ8Mac);
}
