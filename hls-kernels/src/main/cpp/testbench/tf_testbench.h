// Shared helpers of the kernel testbenches (C-simulation): a deterministic generator, fp16
// helpers for building inputs, and a comparison that prints the first mismatch (index, expected,
// actual) and makes the testbench return non-zero, as the Vitis HLS examples' testbenches do.
#ifndef TF_TESTBENCH_H
#define TF_TESTBENCH_H
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace tb {

// SplitMix64 (Steele et al. 2014): deterministic across platforms, no <random> distribution quirks.
class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [lo, hi).
    float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(next() >> 40) / 16777216.0f; }
    int intIn(int lo, int hiInclusive) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hiInclusive - lo + 1)); }
    std::vector<float> floats(size_t n, float lo = -1.0f, float hi = 1.0f) {
        std::vector<float> v(n);
        for (auto& x : v) x = uniform(lo, hi);
        return v;
    }

private:
    uint64_t s_;
};

// Counts failures across the checks of one testbench; main returns failures() != 0.
class Checker {
public:
    explicit Checker(const char* kernel) : kernel_(kernel) {}

    // |expected - actual| <= absTol + relTol * scale[i] (scale = magnitude of the terms that were
    // summed, or |expected| for element-wise results). Prints only the first mismatch of a case.
    bool close(const char* caseName, const std::vector<double>& expected, const float* actual,
               const std::vector<double>& scale, double absTol, double relTol) {
        ++cases_;
        for (size_t i = 0; i < expected.size(); ++i) {
            const double tol = absTol + relTol * scale[i];
            const double err = std::fabs(expected[i] - static_cast<double>(actual[i]));
            if (!(err <= tol) && !(std::isinf(expected[i]) && expected[i] == actual[i])) {
                std::printf("%s [%s]: mismatch at index %zu: expected %.9g, actual %.9g (tolerance %.3g)\n", kernel_,
                            caseName, i, expected[i], static_cast<double>(actual[i]), tol);
                ++failures_;
                return false;
            }
        }
        return true;
    }
    bool closeElementwise(const char* caseName, const std::vector<double>& expected, const float* actual,
                          double absTol, double relTol) {
        std::vector<double> scale(expected.size());
        for (size_t i = 0; i < expected.size(); ++i) scale[i] = std::fabs(expected[i]);
        return close(caseName, expected, actual, scale, absTol, relTol);
    }
    template <typename T>
    bool exact(const char* caseName, const T* expected, const T* actual, size_t n) {
        ++cases_;
        for (size_t i = 0; i < n; ++i) {
            if (expected[i] != actual[i]) {
                std::printf("%s [%s]: mismatch at index %zu: expected %lld, actual %lld\n", kernel_, caseName, i,
                            static_cast<long long>(expected[i]), static_cast<long long>(actual[i]));
                ++failures_;
                return false;
            }
        }
        return true;
    }
    int finish() const {
        std::printf("%s: %d cases, %d failed\n", kernel_, cases_, failures_);
        return failures_ == 0 ? 0 : 1;
    }

private:
    const char* kernel_;
    int cases_ = 0;
    int failures_ = 0;
};

// Double-precision GEMV reference shared by the GEMV testbenches: expected[b][r] =
// sum_c weight(r, c) * x[b][c] + (bias ? bias[r] : 0), with weight(r, c) the dequantized weight
// computed by the testbench from its own decoding (never the kernel's), and mag[b][r] = sum_c
// |term| + 1, the scale for Checker::close.
template <typename WeightAt>
void gemvReference(int rows, int cols, int batch, WeightAt weight, const float* x, const float* bias,
                   std::vector<double>& expected, std::vector<double>& mag) {
    expected.assign(size_t(batch) * rows, 0.0);
    mag.assign(size_t(batch) * rows, 0.0);
    for (int b = 0; b < batch; ++b) {
        for (int r = 0; r < rows; ++r) {
            double s = 0, m = 0;
            for (int c = 0; c < cols; ++c) {
                const double t = weight(r, c) * x[size_t(b) * cols + c];
                s += t;
                m += std::fabs(t);
            }
            expected[size_t(b) * rows + r] = s + (bias != nullptr ? bias[r] : 0.0);
            mag[size_t(b) * rows + r] = m + 1.0;
        }
    }
}

// Reference binary16 decode written from the IEEE 754 definition (independent of tf_numeric.h).
inline double halfToDouble(uint16_t h) {
    const int sign = (h >> 15) & 1;
    const int exp = (h >> 10) & 0x1f;
    const int mant = h & 0x3ff;
    double v;
    if (exp == 0) {
        v = std::ldexp(static_cast<double>(mant), -24);
    } else if (exp == 31) {
        v = mant == 0 ? INFINITY : NAN;
    } else {
        v = std::ldexp(1.0 + mant / 1024.0, exp - 15);
    }
    return sign ? -v : v;
}

// Reference binary16 encode with round-to-nearest-even from the definition: positive codes are
// ordered like their values, so find the two codes around |x| by bisection and take the nearer
// (the even code on a tie).
inline uint16_t doubleToHalfRef(double x) {
    if (std::isnan(x)) return 0x7e00;
    const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    const double a = std::fabs(x);
    // 65520 = max half (65504) + half an ulp (16): at or above it rounds to infinity.
    if (a >= 65520.0) return sign | 0x7c00;
    uint32_t lo = 0, hi = 0x7bff;  // invariant: value(lo) <= a
    if (a >= halfToDouble(0x7bff)) {
        lo = 0x7bff;
    } else {
        while (hi - lo > 1) {
            const uint32_t mid = (lo + hi) / 2;
            if (halfToDouble(static_cast<uint16_t>(mid)) <= a) lo = mid; else hi = mid;
        }
    }
    if (lo == 0x7bff) return sign | static_cast<uint16_t>(lo);
    const double dLo = a - halfToDouble(static_cast<uint16_t>(lo));
    const double dHi = halfToDouble(static_cast<uint16_t>(lo + 1)) - a;
    const uint32_t pick = dLo < dHi ? lo : (dHi < dLo ? lo + 1 : ((lo & 1) == 0 ? lo : lo + 1));
    return sign | static_cast<uint16_t>(pick);
}

// Batch-N rows must equal batch-1 results bit for bit (the engine's summation order does not
// depend on the batch): run vector b alone and compare float bit patterns.
template <typename RunOne>
inline void checkBatchEqualsSingle(tb::Checker& check, const std::string& name, int rows, int batch, const float* y,
                            RunOne runOne) {
    if (batch == 1) return;
    std::vector<uint32_t> expected(size_t(batch) * rows), actual(size_t(batch) * rows);
    std::vector<float> y1(rows);
    for (int b = 0; b < batch; ++b) {
        runOne(b, y1.data());
        std::memcpy(expected.data() + size_t(b) * rows, y1.data(), sizeof(float) * rows);
    }
    std::memcpy(actual.data(), y, sizeof(float) * actual.size());
    check.exact((name + " batch == single (float bits)").c_str(), expected.data(), actual.data(), actual.size());
}

}  // namespace tb

#endif
