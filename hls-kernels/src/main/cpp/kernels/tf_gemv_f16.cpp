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

void gemvF16Engine(const uint16_t* w, const float* bias, const float* x, float* y, int32_t rowsElems,
                   int32_t colsElems, int32_t batch) {
    const int32_t wordsPerRow = tf::ceilDiv(colsElems, F16Format::kWeightsPerWord);
    const int32_t tileRows = tf::tileRows(wordsPerRow);
    // On-chip buffers (the DATAFLOW channels are wTile and sums, ping-pong buffers in HLS).
    TF_ONCHIP_BUFFER(float, xq, static_cast<int64_t>(batch) * wordsPerRow * F16Format::kWeightsPerWord,
                     tf::kMaxBatch * tf::kMaxColsElems);
    TF_ONCHIP_BUFFER(tf::AxiWord, wTile, static_cast<int64_t>(tileRows) * wordsPerRow, tf::kTileWords);
    TF_ONCHIP_BUFFER(float, sums, tf::kMaxTileRows * tf::kMaxBatch, tf::kMaxTileRows * tf::kMaxBatch);
    TF_ONCHIP_BUFFER(tf::LaneVec, state, tf::kMacStateBeats, tf::kMacStateBeats);
    tf::gemvLoadX<F16Format>(x, xq, colsElems, batch);
F16_Tiles:
    for (int32_t r0 = 0; r0 < rowsElems; r0 += tileRows) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxRowsElems
#pragma HLS DATAFLOW
        const int32_t nRows = rowsElems - r0 < tileRows ? rowsElems - r0 : tileRows;
        const uint8_t* wBytes = reinterpret_cast<const uint8_t*>(w);
        const int64_t rowBytes = 2 * static_cast<int64_t>(colsElems);
        tf::gemvLoadWeights(wBytes, rowBytes, r0, nRows, wTile);
        const int32_t nextRows = rowsElems - r0 - nRows < tileRows ? rowsElems - r0 - nRows : tileRows;
        gemvF16Mac(wTile, nRows, wordsPerRow, xq, batch, sums, state, wBytes + (r0 + nRows) * rowBytes, nextRows * rowBytes);
        tf::gemvStoreTile(sums, nullptr, bias, y, r0, nRows, rowsElems, batch);
    }
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
    gemvF16Engine(w, bias, x, y, rowsElems, colsElems, batch);
}
