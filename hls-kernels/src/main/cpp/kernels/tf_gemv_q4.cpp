// tf_gemv_q4: y[b][r] = sum_c scale[r][g(c)] * (q[r][c] - zero[r][g(c)]) * x[b][c] + bias[r] over
// 4-bit group-quantized weights (PackedFormat.Q4_GROUP: element c of a row in byte c/2, low
// nibble for even c; rows padded to whole bytes; zero = 8 when zeros is NULL). The engine is in
// tf_gemv.h: x loaded once (in the lane order of an unpacked word); per row tile a DATAFLOW of
// load weights (512-bit words) -> unpack/dequant + MAC -> store y.
#include "tokenfab_kernels.h"
#include "tf_gemv.h"

namespace {

// One 512-bit word = 64 bytes = 128 int4 weights, elements [128k, 128k + 128) of the row.
constexpr int kQ4WeightsPerWord = 2 * tf::kAxiBeatBytes;
// Group layouts with a compile-time unpack (the usual GPTQ/AWQ/MatMulNBits sizes):
// kWordGroups: groupSize a multiple of 128, one (scale, zero) per word;
// 8 / 16 / 32: groupSize 16 / 32 / 64, groupSize / 2 bytes per group, several groups per word;
// kAnyGroups: any other size (odd sizes split a byte), looked up per element.
constexpr int kWordGroups = -1;
constexpr int kAnyGroups = 0;

// Dequantizer of one row: lane j < 64 holds the low nibble of byte j (element 128k + 2j), lane
// 64 + j its high nibble (element 128k + 2j + 1), each as (q - zero) * scale of its group.
template <int GroupBytes>
struct Q4Format {
    static constexpr int kWeightsPerWord = kQ4WeightsPerWord;
    static constexpr int kHalf = kQ4WeightsPerWord / 2;
    static constexpr int32_t xLane(int i) { return i < kHalf ? 2 * i : 2 * (i - kHalf) + 1; }

    const float* sRow;     // [groups] scales of this row
    const uint8_t* zRow;   // [groups] zero points of this row, or nullptr (zero point 8)
    int32_t groupSize;     // elements per group
    int32_t groups;        // groups per row = colsElems / groupSize
    int32_t colsElems;

    TF_INLINE int zero(int32_t g) const { return zRow != nullptr ? zRow[g] : 8; }

    TF_INLINE void dequant(const tf::AxiWord& w, int32_t k, float (&out)[kWeightsPerWord]) const {
        if constexpr (GroupBytes == kWordGroups) {
            const int32_t g = k * kWeightsPerWord / groupSize;
            const float s = sRow[g];
            const int z = zero(g);
        Q4_Dequant_Word:
            for (int j = 0; j < kHalf; ++j) {
#pragma HLS UNROLL
                const int byte = tf::wordByte(w, j);
                out[j] = static_cast<float>((byte & 0x0f) - z) * s;
                out[kHalf + j] = static_cast<float>((byte >> 4) - z) * s;
            }
        } else if constexpr (GroupBytes > 0) {
            constexpr int kGroupsPerWord = tf::kAxiBeatBytes / GroupBytes;
        Q4_Dequant_Groups:
            for (int q = 0; q < kGroupsPerWord; ++q) {
#pragma HLS UNROLL
                const int32_t g = k * kGroupsPerWord + q;
                // Groups past the row end (the zero-filled tail of the last word) dequantize to 0.
                const bool inRow = g < groups;
                const float s = inRow ? sRow[g] : 0.0f;
                const int z = inRow ? zero(g) : 0;
            Q4_Dequant_GroupBytes:
                for (int j = q * GroupBytes; j < (q + 1) * GroupBytes; ++j) {
#pragma HLS UNROLL
                    const int byte = tf::wordByte(w, j);
                    out[j] = static_cast<float>((byte & 0x0f) - z) * s;
                    out[kHalf + j] = static_cast<float>((byte >> 4) - z) * s;
                }
            }
        } else {
        Q4_Dequant_Elems:
            for (int j = 0; j < kHalf; ++j) {
#pragma HLS UNROLL
                const int byte = tf::wordByte(w, j);
                const int32_t c = k * kWeightsPerWord + 2 * j;
                const int32_t gl = c / groupSize;
                const int32_t gh = (c + 1) / groupSize;
                out[j] = c < colsElems ? static_cast<float>((byte & 0x0f) - zero(gl)) * sRow[gl] : 0.0f;
                out[kHalf + j] = c + 1 < colsElems ? static_cast<float>((byte >> 4) - zero(gh)) * sRow[gh] : 0.0f;
            }
        }
    }
};

template <int GroupBytes>
TF_INLINE void q4MacTile(const tf::AxiWord* wTile, int32_t r0, int32_t nRows, int32_t wordsPerRow,
                         const float* scales, const uint8_t* zeros, int32_t colsElems, int32_t groupSize,
                         const float* xq, int32_t batch, float* sums, tf::LaneVec* state, const uint8_t* next, int64_t nextBytes) {
    const int32_t groups = colsElems / groupSize;
    const auto makeFmt = [&](int32_t r) {
        const int64_t g0 = static_cast<int64_t>(r0 + r) * groups;
        return Q4Format<GroupBytes>{scales + g0, zeros != nullptr ? zeros + g0 : nullptr, groupSize, groups,
                                    colsElems};
    };
    tf::gemvMacTile<Q4Format<GroupBytes>>(wTile, nRows, wordsPerRow, xq, batch, makeFmt, sums, state, next, nextBytes);
}

// Stage 2 of a tile: unpack/dequant + MAC (AVX-512 / AVX2 clones in C-simulation). The group
// layout is fixed per call, so the switch picks one unpack for the whole tile.
TF_CPU_DISPATCH
void gemvQ4Mac(const tf::AxiWord* wTile, int32_t r0, int32_t nRows, int32_t wordsPerRow, const float* scales,
               const uint8_t* zeros, int32_t colsElems, int32_t groupSize, const float* xq, int32_t batch,
               float* sums, tf::LaneVec* state, const uint8_t* next, int64_t nextBytes) {
    const int layout = groupSize % kQ4WeightsPerWord == 0 ? kWordGroups
                       : (groupSize == 16 || groupSize == 32 || groupSize == 64) ? groupSize / 2
                                                                                 : kAnyGroups;
    switch (layout) {
        case kWordGroups:
            q4MacTile<kWordGroups>(wTile, r0, nRows, wordsPerRow, scales, zeros, colsElems, groupSize, xq, batch, sums, state, next, nextBytes);
            break;
        case 8: q4MacTile<8>(wTile, r0, nRows, wordsPerRow, scales, zeros, colsElems, groupSize, xq, batch, sums, state, next, nextBytes); break;
        case 16: q4MacTile<16>(wTile, r0, nRows, wordsPerRow, scales, zeros, colsElems, groupSize, xq, batch, sums, state, next, nextBytes); break;
        case 32: q4MacTile<32>(wTile, r0, nRows, wordsPerRow, scales, zeros, colsElems, groupSize, xq, batch, sums, state, next, nextBytes); break;
        default:
            q4MacTile<kAnyGroups>(wTile, r0, nRows, wordsPerRow, scales, zeros, colsElems, groupSize, xq, batch, sums, state, next, nextBytes);
            break;
    }
}

void gemvQ4Engine(const uint8_t* w, const float* scales, const uint8_t* zeros, const float* bias, const float* x,
                  float* y, int32_t rowsElems, int32_t colsElems, int32_t groupSize, int32_t batch) {
    const int64_t rowBytes = (colsElems + 1) / 2;
    const int32_t wordsPerRow = tf::ceilDiv(colsElems, kQ4WeightsPerWord);
    const int32_t tileRows = tf::tileRows(wordsPerRow);
    // On-chip buffers (the DATAFLOW channels are wTile and sums, ping-pong buffers in HLS).
    TF_ONCHIP_BUFFER(float, xq, static_cast<int64_t>(batch) * wordsPerRow * kQ4WeightsPerWord,
                     tf::kMaxBatch * tf::kMaxColsElems);
    TF_ONCHIP_BUFFER(tf::AxiWord, wTile, static_cast<int64_t>(tileRows) * wordsPerRow, tf::kTileWords);
    TF_ONCHIP_BUFFER(float, sums, tf::kMaxTileRows * tf::kMaxBatch, tf::kMaxTileRows * tf::kMaxBatch);
    TF_ONCHIP_BUFFER(tf::LaneVec, state, tf::kMacStateBeats, tf::kMacStateBeats);
    tf::gemvLoadX<Q4Format<kAnyGroups>>(x, xq, colsElems, batch);
Q4_Tiles:
    for (int32_t r0 = 0; r0 < rowsElems; r0 += tileRows) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = tf::kMaxRowsElems
#pragma HLS DATAFLOW
        const int32_t nRows = rowsElems - r0 < tileRows ? rowsElems - r0 : tileRows;
        tf::gemvLoadWeights(w, rowBytes, r0, nRows, wTile);
        const int32_t nextRows = rowsElems - r0 - nRows < tileRows ? rowsElems - r0 - nRows : tileRows;
        gemvQ4Mac(wTile, r0, nRows, wordsPerRow, scales, zeros, colsElems, groupSize, xq, batch, sums, state,
                  w + (r0 + nRows) * rowBytes, nextRows * rowBytes);
        tf::gemvStoreTile(sums, nullptr, bias, y, r0, nRows, rowsElems, batch);
    }
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
    gemvQ4Engine(w, scales, zeros, bias, x, y, rowsElems, colsElems, groupSize, batch);
}
