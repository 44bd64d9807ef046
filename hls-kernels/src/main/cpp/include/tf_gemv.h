// Stages shared by the GEMV kernels (tf_gemv_q8, tf_gemv_q4, tf_gemv_f16). Each GEMV top is a
// DATAFLOW region of three stages:
//   load x (m_axi -> on-chip x buffer) -> dequant/MAC over weight rows (m_axi weight port, one
//   read of every row for all batch vectors) -> store y (scale, bias, m_axi write).
// The MAC stage is per format and lives in the kernel's file; it hands one fp32 dot product per
// (row, batch vector) to the store stage through an hls::stream.
#ifndef TF_GEMV_H
#define TF_GEMV_H
#include "tf_hls.h"

namespace tf {

// Batch vectors processed together inside one weight-row pass (their partial sums stay in
// registers on the CPU, in parallel DSP lanes in HLS). Larger batches loop over tiles of this
// size while the row is still on chip, so the weights are still read once from memory.
constexpr int kGemvBatchTile = 4;
// Row dot products in flight between MAC and store: one AXI beat of fp32 values per row tile.
constexpr int kRowSumsDepth = kAxiBeatBytes / static_cast<int>(sizeof(float)) * kGemvBatchTile;

// Stage 1: copy x[batch][colsElems] into the on-chip buffer xBuf[batch][colsElems].
inline void gemvLoadX(const float* x, float* xBuf, int32_t colsElems, int32_t batch) {
    const int64_t n = static_cast<int64_t>(colsElems) * batch;
LoadX_Elems:
    for (int64_t i = 0; i < n; ++i) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxBatch * kMaxColsElems
#pragma HLS PIPELINE II = 1
        xBuf[i] = x[i];
    }
}

// Stage 3: y[b][r] = dot(b, r) * (scales ? scales[r] : 1) + (bias ? bias[r] : 0). Dots arrive
// row-major over (row, batch vector), the order in which the MAC stage produces them.
inline void gemvStoreY(hls::stream<float>& rowSums, const float* scales, const float* bias, float* y,
                       int32_t rowsElems, int32_t batch) {
StoreY_Rows:
    for (int32_t r = 0; r < rowsElems; ++r) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxRowsElems
        const float scale = scales != nullptr ? scales[r] : 1.0f;
        const float b0 = bias != nullptr ? bias[r] : 0.0f;
    StoreY_Batch:
        for (int32_t b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxBatch
#pragma HLS PIPELINE II = 1
            y[static_cast<int64_t>(b) * rowsElems + r] = rowSums.read() * scale + b0;
        }
    }
}

// Sub-vectors of kMacLanes weights per MAC beat for a batch tile of bt vectors: enough
// independent accumulator chains (sub x bt) to cover the fp32 add latency (4 cycles on the CPU,
// ~4-5 in HLS at 300 MHz) without exceeding the register file (16 ymm on AVX2).
constexpr int macSubVectors(int bt) { return bt == 1 ? 4 : 2; }

// out[b] = sum over sub-vectors and lanes of acc[.][b][.] (the final reduction of a row).
template <int U, int BT, int L>
TF_INLINE void reduceAccumulators(const float (&acc)[U][BT][L], float* out) {
Reduce_Batch:
    for (int b = 0; b < BT; ++b) {
        float s = 0.0f;
    Reduce_Lanes:
        for (int u = 0; u < U; ++u) {
            for (int l = 0; l < L; ++l) s += acc[u][b][l];
        }
        out[b] = s;
    }
}

// Dot products of one dense weight row (int8 or fp16 elements, Dequant converts one to fp32) with
// BT x vectors (x rows at stride colsElems). Each beat dequantizes U sub-vectors of kMacLanes
// weights once and feeds all BT x vectors; the U x BT x kMacLanes accumulators are independent, so the fp32 adds pipeline (HLS) and
// vectorize without reassociation (g++).
template <int BT, typename T, typename Dequant>
TF_INLINE void denseRowDots(const T* wRow, const float* xb, int32_t colsElems, float* out) {
    constexpr int L = kMacLanes;
    constexpr int U = macSubVectors(BT);
    const Dequant dq{};
    float acc[U][BT][L] = {};
    int32_t c = 0;
Dense_Mac_Beats:
    for (; c + U * L <= colsElems; c += U * L) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxColsElems / 16
#pragma HLS PIPELINE II = 1
    Dense_Mac_Sub:
        for (int u = 0; u < U; ++u) {
#pragma HLS UNROLL
            float wv[L];
        Dense_Dequant:
            for (int l = 0; l < L; ++l) {
#pragma HLS UNROLL
                wv[l] = dq(wRow[c + u * L + l]);
            }
        Dense_Mac_Batch:
            for (int b = 0; b < BT; ++b) {
#pragma HLS UNROLL
                const float* xc = xb + static_cast<int64_t>(b) * colsElems + c + u * L;
            Dense_Mac_Lanes:
                for (int l = 0; l < L; ++l) {
#pragma HLS UNROLL
                    acc[u][b][l] += wv[l] * xc[l];
                }
            }
        }
    }
Dense_Mac_Tail:
    for (; c < colsElems; ++c) {
        const float wv = dq(wRow[c]);
        for (int b = 0; b < BT; ++b) acc[0][b][0] += wv * xb[static_cast<int64_t>(b) * colsElems + c];
    }
    reduceAccumulators<U, BT, L>(acc, out);
}

// One weight row against every batch vector, in tiles of kGemvBatchTile while the row is on chip;
// emits one dot per batch vector to the store stage.
template <typename T, typename Dequant>
TF_INLINE void denseRowAllBatches(const T* wRow, const float* xBuf, hls::stream<float>& rowSums,
                                  int32_t colsElems, int32_t batch) {
    float dots[kGemvBatchTile];
Dense_BatchTiles:
    for (int32_t b0 = 0; b0 < batch; b0 += kGemvBatchTile) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxBatch / kGemvBatchTile
        const float* xb = xBuf + static_cast<int64_t>(b0) * colsElems;
        const int32_t bt = batch - b0 < kGemvBatchTile ? batch - b0 : kGemvBatchTile;
        switch (bt) {
            case 1: denseRowDots<1, T, Dequant>(wRow, xb, colsElems, dots); break;
            case 2: denseRowDots<2, T, Dequant>(wRow, xb, colsElems, dots); break;
            case 3: denseRowDots<3, T, Dequant>(wRow, xb, colsElems, dots); break;
            default: denseRowDots<4, T, Dequant>(wRow, xb, colsElems, dots); break;
        }
    Dense_Emit:
        for (int32_t b = 0; b < bt; ++b) rowSums.write(dots[b]);
    }
}

}  // namespace tf

#endif
