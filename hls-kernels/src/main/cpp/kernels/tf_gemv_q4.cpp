// tf_gemv_q4: y[b][r] = sum_c scale[r][g(c)] * (q[r][c] - zero[r][g(c)]) * x[b][c] + bias[r] over
// 4-bit group-quantized weights (PackedFormat.Q4_GROUP: element c of a row in byte c/2, low
// nibble for even c; rows padded to whole bytes; zero = 8 when zeros is NULL).
// DATAFLOW: load x (split into even/odd element planes) -> unpack/dequant a chunk of the row into
// fp32 low/high planes -> MAC against all batch vectors -> store y.
#include "tokenfab_kernels.h"
#include "tf_gemv.h"

namespace {

using tf::kMacLanes;

// Row bytes unpacked per chunk: 512 bytes = 1024 weights, 8 AXI beats; 2 x 2 KiB of fp32 planes
// stay in L1 (CPU) / fit two BRAM36 blocks each (HLS).
constexpr int kChunkBytes = 512;
// MAC beat in bytes: U sub-vectors of kMacLanes (see tf::macSubVectors); x planes are padded past
// the row end by this much so a beat never reads outside them.
constexpr int kQ4BeatBytes = 4 * kMacLanes;
// Bytes per quantization group for the usual group sizes 32..128 (GPTQ/AWQ/MatMulNBits).
constexpr int kGroupBytesMin = 32 / 2;
constexpr int kGroupBytesMax = 128 / 2;

TF_INLINE int32_t roundUp(int32_t n, int32_t m) { return (n + m - 1) / m * m; }

// Elements of the even/odd x planes per batch vector: ceil(cols / 2), padded with zeros.
TF_INLINE int32_t planeElems(int32_t colsElems) { return roundUp((colsElems + 1) / 2, kQ4BeatBytes) + kQ4BeatBytes; }

// Stage 1: xe[b][j] = x[b][2j], xo[b][j] = x[b][2j+1]; zero past the end of the row.
void q4LoadX(const float* x, float* xe, float* xo, int32_t colsElems, int32_t batch) {
    const int32_t plane = planeElems(colsElems);
Q4_LoadX_Batch:
    for (int32_t b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxBatch
        const float* xb = x + static_cast<int64_t>(b) * colsElems;
    Q4_LoadX_Pairs:
        for (int32_t j = 0; j < plane; ++j) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxColsElems / 2
#pragma HLS PIPELINE II = 1
            xe[static_cast<int64_t>(b) * plane + j] = 2 * j < colsElems ? xb[2 * j] : 0.0f;
            xo[static_cast<int64_t>(b) * plane + j] = 2 * j + 1 < colsElems ? xb[2 * j + 1] : 0.0f;
        }
    }
}

// Unpack whole groups of GB bytes (GB = groupSize / 2; a compile-time constant for the common
// group sizes so the byte loop is fully unrolled) as (q - zero) * scale into wl/wh.
template <int GB>
TF_INLINE void q4DequantGroups(const uint8_t* __restrict wRow, const float* sRow, const uint8_t* zRow,
                               int32_t j0, int32_t n, int32_t groupBytes, float* __restrict wl,
                               float* __restrict wh) {
    const int32_t gb = GB > 0 ? GB : groupBytes;
Q4_Dequant_Groups:
    for (int32_t g0 = 0; g0 < n; g0 += gb) {
#pragma HLS LOOP_TRIPCOUNT min = kChunkBytes / kGroupBytesMax max = kChunkBytes / kGroupBytesMin
        const int32_t g = (j0 + g0) / gb;
        const float scale = sRow[g];
        const int zero = zRow != nullptr ? zRow[g] : 8;
    Q4_Dequant_Bytes:
        for (int32_t j = 0; j < gb; ++j) {
#pragma HLS LOOP_TRIPCOUNT min = kGroupBytesMin max = kGroupBytesMax
#pragma HLS PIPELINE II = 1
            const int byte = wRow[j0 + g0 + j];
            wl[g0 + j] = static_cast<float>((byte & 0x0f) - zero) * scale;
            wh[g0 + j] = static_cast<float>((byte >> 4) - zero) * scale;
        }
    }
}

// Unpack bytes [j0, j0 + n) of a row into wl (even elements) and wh (odd elements) as
// (q - zero) * scale, zero-filling up to the next MAC beat.
TF_INLINE void q4Dequant(const uint8_t* wRow, const float* sRow, const uint8_t* zRow, int32_t colsElems,
                         int32_t groupSize, int32_t j0, int32_t n, float* wl, float* wh) {
    const int32_t groupBytes = groupSize / 2;
    if (groupSize % 2 == 0 && groupBytes <= kChunkBytes) {
        // Groups start on byte boundaries and the chunk holds whole groups.
        switch (groupBytes) {
            case 16: q4DequantGroups<16>(wRow, sRow, zRow, j0, n, groupBytes, wl, wh); break;
            case 32: q4DequantGroups<32>(wRow, sRow, zRow, j0, n, groupBytes, wl, wh); break;
            case 64: q4DequantGroups<64>(wRow, sRow, zRow, j0, n, groupBytes, wl, wh); break;
            default: q4DequantGroups<0>(wRow, sRow, zRow, j0, n, groupBytes, wl, wh); break;
        }
    } else {
        // Odd group sizes (a group boundary can split a byte) or groups longer than a chunk: look
        // the group up per element.
    Q4_Dequant_Elems:
        for (int32_t j = 0; j < n; ++j) {
            const int byte = wRow[j0 + j];
            const int32_t c = 2 * (j0 + j);
            const int32_t gl = c / groupSize;
            wl[j] = static_cast<float>((byte & 0x0f) - (zRow != nullptr ? zRow[gl] : 8)) * sRow[gl];
            if (c + 1 < colsElems) {
                const int32_t gh = (c + 1) / groupSize;
                wh[j] = static_cast<float>((byte >> 4) - (zRow != nullptr ? zRow[gh] : 8)) * sRow[gh];
            } else {
                wh[j] = 0.0f;
            }
        }
    }
Q4_Dequant_Pad:
    for (int32_t j = n; j < roundUp(n, kQ4BeatBytes); ++j) {
        wl[j] = 0.0f;
        wh[j] = 0.0f;
    }
}

// Dots of one packed row with BT x vectors: chunk by chunk, unpack once, then MAC the two fp32
// planes against every vector with U x BT x kMacLanes independent accumulators.
template <int BT>
TF_INLINE void q4RowDots(const uint8_t* __restrict wRow, const float* sRow, const uint8_t* zRow, const float* __restrict xe,
                         const float* __restrict xo, int32_t colsElems, int32_t groupSize, float* out) {
    constexpr int L = kMacLanes;
    constexpr int U = tf::macSubVectors(BT);
    static_assert(U * L <= kQ4BeatBytes, "x plane padding must cover one MAC beat");
    const int32_t rowBytes = (colsElems + 1) / 2;
    const int32_t plane = planeElems(colsElems);
    // Whole groups per chunk when groups align to bytes, so one scale covers each run.
    const int32_t groupBytes = groupSize / 2;
    const int32_t chunk = groupSize % 2 == 0 && groupBytes <= kChunkBytes ? kChunkBytes / groupBytes * groupBytes
                                                                           : kChunkBytes;
    float wl[kChunkBytes + kQ4BeatBytes];
    float wh[kChunkBytes + kQ4BeatBytes];
    float acc[U][BT][L] = {};
Q4_Chunks:
    for (int32_t j0 = 0; j0 < rowBytes; j0 += chunk) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxColsElems / 2 / kChunkBytes
        const int32_t n = rowBytes - j0 < chunk ? rowBytes - j0 : chunk;
        q4Dequant(wRow, sRow, zRow, colsElems, groupSize, j0, n, wl, wh);
    Q4_Mac_Beats:
        for (int32_t j = 0; j < n; j += U * L) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kChunkBytes / 16
#pragma HLS PIPELINE II = 1
        Q4_Mac_Sub:
            for (int u = 0; u < U; ++u) {
#pragma HLS UNROLL
            Q4_Mac_Batch:
                for (int b = 0; b < BT; ++b) {
#pragma HLS UNROLL
                    const float* xeb = xe + static_cast<int64_t>(b) * plane + j0 + j + u * L;
                    const float* xob = xo + static_cast<int64_t>(b) * plane + j0 + j + u * L;
                Q4_Mac_Lanes:
                    for (int l = 0; l < L; ++l) {
#pragma HLS UNROLL
                        acc[u][b][l] += wl[j + u * L + l] * xeb[l] + wh[j + u * L + l] * xob[l];
                    }
                }
            }
        }
    }
    tf::reduceAccumulators<U, BT, L>(acc, out);
}

// Stage 2: every packed row (and its scales/zeros) is read once for all batch vectors.
TF_CPU_DISPATCH
void gemvQ4Mac(const uint8_t* w, const float* scales, const uint8_t* zeros, const float* xe, const float* xo,
               hls::stream<float>& rowSums, int32_t rowsElems, int32_t colsElems, int32_t groupSize,
               int32_t batch) {
    const int32_t rowBytes = (colsElems + 1) / 2;
    const int32_t groups = colsElems / groupSize;
    const int32_t plane = planeElems(colsElems);
    float dots[tf::kGemvBatchTile];
Q4_Rows:
    for (int32_t r = 0; r < rowsElems; ++r) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxRowsElems
        const uint8_t* wRow = w + static_cast<int64_t>(r) * rowBytes;
        const float* sRow = scales + static_cast<int64_t>(r) * groups;
        const uint8_t* zRow = zeros != nullptr ? zeros + static_cast<int64_t>(r) * groups : nullptr;
    Q4_BatchTiles:
        for (int32_t b0 = 0; b0 < batch; b0 += tf::kGemvBatchTile) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxBatch / tf::kGemvBatchTile
            const int64_t xOff = static_cast<int64_t>(b0) * plane;
            const int32_t bt = batch - b0 < tf::kGemvBatchTile ? batch - b0 : tf::kGemvBatchTile;
            switch (bt) {
                case 1: q4RowDots<1>(wRow, sRow, zRow, xe + xOff, xo + xOff, colsElems, groupSize, dots); break;
                case 2: q4RowDots<2>(wRow, sRow, zRow, xe + xOff, xo + xOff, colsElems, groupSize, dots); break;
                case 3: q4RowDots<3>(wRow, sRow, zRow, xe + xOff, xo + xOff, colsElems, groupSize, dots); break;
                default: q4RowDots<4>(wRow, sRow, zRow, xe + xOff, xo + xOff, colsElems, groupSize, dots); break;
            }
        Q4_Emit:
            for (int32_t b = 0; b < bt; ++b) rowSums.write(dots[b]);
        }
    }
}

// The DATAFLOW region: channels first, then the stages from load to store (canonical form, so
// the argument checks stay outside it in the top function).
void gemvQ4Dataflow(const uint8_t* w, const float* scales, const uint8_t* zeros, const float* bias,
                           const float* x, float* y, int32_t rowsElems, int32_t colsElems, int32_t groupSize,
                           int32_t batch) {
    const int64_t plane = planeElems(colsElems);
    TF_ONCHIP_BUFFER(float, xe, batch * plane, tf::kMaxBatch * (tf::kMaxColsElems / 2 + 2 * kQ4BeatBytes));
    TF_ONCHIP_BUFFER(float, xo, batch * plane, tf::kMaxBatch * (tf::kMaxColsElems / 2 + 2 * kQ4BeatBytes));
    // The depth is part of the type (Vitis hls::stream<T, DEPTH>, as the pragma), so the testbench
    // build's bounded FIFO has the depth synthesis gives it.
    hls::stream<float, tf::kRowSumsDepth> rowSums("rowSums");
#pragma HLS STREAM variable = rowSums depth = tf::kRowSumsDepth
#pragma HLS DATAFLOW
    TF_DATAFLOW_BEGIN(gemvQ4)
    TF_DATAFLOW_STAGE(loadX, q4LoadX(x, xe, xo, colsElems, batch));
    // xe/xo are ping-pong buffers: the MAC starts once the load has filled them.
    TF_DATAFLOW_STAGE_AFTER(mac, loadX,
                            gemvQ4Mac(w, scales, zeros, xe, xo, rowSums, rowsElems, colsElems, groupSize, batch));
    TF_DATAFLOW_STAGE(storeY, tf::gemvStoreY(rowSums, nullptr, bias, y, rowsElems, batch));
    TF_DATAFLOW_END
}

}  // namespace

extern "C" void tf_gemv_q4(const uint8_t* w, const float* scales, const uint8_t* zeros, const float* bias,
                           const float* x, float* y, int32_t rowsElems, int32_t colsElems, int32_t groupSize,
                           int32_t batch) {
#pragma HLS INTERFACE m_axi port = w offset = slave bundle = gmem0 max_widen_bitwidth = 512 max_read_burst_length = 64
#pragma HLS INTERFACE m_axi port = scales offset = slave bundle = gmem1
#pragma HLS INTERFACE m_axi port = zeros offset = slave bundle = gmem3
#pragma HLS INTERFACE m_axi port = bias offset = slave bundle = gmem3
#pragma HLS INTERFACE m_axi port = x offset = slave bundle = gmem2
#pragma HLS INTERFACE m_axi port = y offset = slave bundle = gmem2
#pragma HLS INTERFACE s_axilite port = rowsElems
#pragma HLS INTERFACE s_axilite port = colsElems
#pragma HLS INTERFACE s_axilite port = groupSize
#pragma HLS INTERFACE s_axilite port = batch
#pragma HLS INTERFACE s_axilite port = return
    if (rowsElems <= 0 || colsElems <= 0 || batch <= 0 || groupSize <= 0 || colsElems % groupSize != 0) return;
    gemvQ4Dataflow(w, scales, zeros, bias, x, y, rowsElems, colsElems, groupSize, batch);
}
