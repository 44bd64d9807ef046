// Numerics shared by the kernels: exact IEEE binary16 <-> binary32 conversion written branch-free
// (selects only) so that loops over it vectorize on the CPU and pipeline in HLS, and the lane-split
// row reduction of the normalization kernels.
#ifndef TF_NUMERIC_H
#define TF_NUMERIC_H
#include <cstdint>
#include <cstring>

#include "tf_hls.h"

namespace tf {

TF_INLINE uint32_t floatBits(float f) { uint32_t u; std::memcpy(&u, &f, sizeof u); return u; }
TF_INLINE float bitsFloat(uint32_t u) { float f; std::memcpy(&f, &u, sizeof f); return f; }

// binary16 -> binary32, exact for every input (subnormals, +-0, +-inf); a NaN keeps its payload
// and comes out quiet, as x86 F16C (vcvtph2ps) and Java's Float.float16ToFloat produce it.
// Method: F. Giesen, "half_to_float_fast5" (public domain), rewritten with selects.
TF_INLINE float halfToFloat(uint16_t h) {
    constexpr uint32_t kShiftedExp = 0x7c00u << 13;       // half exponent mask in float position
    constexpr uint32_t kRebias = (127u - 15u) << 23;      // float bias minus half bias
    constexpr uint32_t kInfRebias = (128u - 16u) << 23;   // extra shift for inf/NaN: exponent 255
    uint32_t o = static_cast<uint32_t>(h & 0x7fffu) << 13;
    const uint32_t exp = kShiftedExp & o;
    o += kRebias;
    constexpr uint32_t kQuietBit = 1u << 22;
    const uint32_t infNan = (o + kInfRebias) | ((h & 0x03ffu) != 0 ? kQuietBit : 0u);
    // Subnormal half: value = mantissa * 2^-24; renormalize with one exact float subtraction.
    const uint32_t sub = floatBits(bitsFloat(o + (1u << 23)) - bitsFloat(113u << 23));
    o = exp == kShiftedExp ? infNan : (exp == 0 ? sub : o);
    return bitsFloat(o | (static_cast<uint32_t>(h & 0x8000u) << 16));
}

// binary32 -> binary16 with round-to-nearest-even; overflow gives inf, NaN gives a quiet NaN,
// results below the half normal range become subnormals (or zero) with correct rounding.
// Method: F. Giesen, "float_to_half_fast3_rtne" (public domain).
TF_INLINE uint16_t floatToHalf(float f) {
    constexpr uint32_t kF32Inf = 255u << 23;
    constexpr uint32_t kF16Overflow = (127u + 16u) << 23;   // 65520 rounds to inf
    constexpr uint32_t kF16MinNormal = 113u << 23;          // 2^-14
    const float denormMagic = bitsFloat(((127u - 15u) + (23u - 10u) + 1u) << 23);  // 0.5f
    uint32_t u = floatBits(f);
    const uint32_t sign = u & 0x80000000u;
    u ^= sign;
    // Subnormal/zero: adding 0.5 aligns the 10 result bits at the bottom; the FPU rounds (RNE).
    const uint32_t subnormal = floatBits(bitsFloat(u) + denormMagic) - floatBits(denormMagic);
    // Normal: rebias the exponent and round to nearest even on bit 13.
    const uint32_t mantOdd = (u >> 13) & 1u;
    const uint32_t normal = (u + ((15u - 127u) << 23) + 0xfffu + mantOdd) >> 13;
    const uint32_t special = u > kF32Inf ? 0x7e00u : 0x7c00u;
    const uint32_t o = u >= kF16Overflow ? special : (u < kF16MinNormal ? subnormal : normal);
    return static_cast<uint16_t>(o | (sign >> 16));
}

// sum_i f(x[i]) over nElems values with kMacLanes independent partial sums (hides the fp32 add
// latency, see kMacLanes). Shared by tf_rmsnorm (sum of squares) and tf_layernorm (sum, centered sums).
template <typename F>
TF_INLINE float laneSum(const float* x, int32_t nElems, F f) {
    float acc[kMacLanes] = {};
    int32_t i = 0;
LaneSum_Beats:
    for (; i + kMacLanes <= nElems; i += kMacLanes) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = kMaxNormElems / kMacLanes
#pragma HLS PIPELINE II = 1
        for (int l = 0; l < kMacLanes; ++l) acc[l] += f(x[i + l]);
    }
LaneSum_Tail:
    for (; i < nElems; ++i) acc[0] += f(x[i]);
    float s = 0.0f;
    for (int l = 0; l < kMacLanes; ++l) s += acc[l];
    return s;
}

}  // namespace tf

#endif
