// Stand-in for Vitis HLS <hls_math.h>, used only when the Vitis headers are absent: the hls:: math
// functions tokenfab's kernels call, forwarded to the C++ standard library in single precision.
#ifndef TF_HLS_STUB_HLS_MATH_H
#define TF_HLS_STUB_HLS_MATH_H
#include <cmath>

namespace hls {
inline float sqrt(float x) { return std::sqrt(x); }
inline float rsqrt(float x) { return 1.0f / std::sqrt(x); }
inline float exp(float x) { return std::exp(x); }
inline float tanh(float x) { return std::tanh(x); }
inline float erf(float x) { return std::erf(x); }
inline float cos(float x) { return std::cos(x); }
inline float sin(float x) { return std::sin(x); }
inline float pow(float x, float y) { return std::pow(x, y); }
inline float fabs(float x) { return std::fabs(x); }
inline float nearbyint(float x) { return std::nearbyint(x); }
}  // namespace hls

#endif
