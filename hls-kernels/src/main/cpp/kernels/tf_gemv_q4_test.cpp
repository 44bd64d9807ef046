// Testbench of tf_gemv_q4 against a double-precision reference: group sizes 32/64/128 (lane path),
// 16/24 (generic even) and odd sizes (groups splitting bytes), zero points present/absent,
// batch 1..5, with and without bias.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
constexpr double kRelTol = 2e-6;  // see tf_gemv_q8_test.cpp
constexpr double kAbsTol = 1e-6;
}  // namespace


int main() {
    tb::Checker check("tf_gemv_q4");
    tb::Rng rng(4);
    struct Shape { int rows, cols, group; };
    const Shape shapes[] = {{1, 32, 32},   {7, 64, 32},   {13, 128, 64}, {5, 256, 128}, {33, 1152, 128},
                            {3, 96, 32},   {9, 48, 16},   {4, 72, 24},   {6, 21, 7},    {5, 15, 15},
                            {2, 4096, 128}, {17, 2080, 32},
                            {3, 4096, 2048} /* groups longer than one unpack chunk */};
    for (const Shape& s : shapes) {
        for (int batch = 1; batch <= 5; ++batch) {
            for (int variant = 0; variant < 4; ++variant) {
                const bool withZeros = (variant & 1) != 0, withBias = (variant & 2) != 0;
                const int groups = s.cols / s.group, rowBytes = (s.cols + 1) / 2;
                std::vector<uint8_t> w(size_t(s.rows) * rowBytes);
                for (auto& q : w) q = static_cast<uint8_t>(rng.intIn(0, 255));
                const auto scales = rng.floats(size_t(s.rows) * groups, 0.001f, 0.1f);
                std::vector<uint8_t> zeros(size_t(s.rows) * groups);
                for (auto& z : zeros) z = static_cast<uint8_t>(rng.intIn(0, 15));
                const auto bias = rng.floats(s.rows);
                const auto x = rng.floats(size_t(batch) * s.cols, -2.0f, 2.0f);
                std::vector<float> y(size_t(batch) * s.rows, -999.0f);
                tf_gemv_q4(w.data(), scales.data(), withZeros ? zeros.data() : nullptr, withBias ? bias.data() : nullptr,
                           x.data(), y.data(), s.rows, s.cols, s.group, batch);
                std::vector<double> expected, mag;
                // Q4_GROUP decoded from the format definition: low nibble first, zero point 8 when absent.
                const auto weight = [&](int r, int c) {
                    const uint8_t byte = w[size_t(r) * rowBytes + c / 2];
                    const int q = (c % 2 == 0) ? (byte & 15) : (byte >> 4);
                    const int g = c / s.group;
                    const int z = withZeros ? zeros[size_t(r) * groups + g] : 8;
                    return double(q - z) * scales[size_t(r) * groups + g];
                };
                tb::gemvReference(s.rows, s.cols, batch, weight, x.data(), withBias ? bias.data() : nullptr, expected,
                                  mag);
                const std::string name = std::to_string(s.rows) + "x" + std::to_string(s.cols) + " g" +
                                         std::to_string(s.group) + " batch " + std::to_string(batch) +
                                         (withZeros ? " zeros" : "") + (withBias ? " bias" : "");
                check.close(name.c_str(), expected, y.data(), mag, kAbsTol, kRelTol);
                tb::checkBatchEqualsSingle(check, name, s.rows, batch, y.data(), [&](int b, float* y1) {
                    tf_gemv_q4(w.data(), scales.data(), withZeros ? zeros.data() : nullptr, withBias ? bias.data() : nullptr,
                               x.data() + size_t(b) * s.cols, y1, s.rows, s.cols, s.group, 1);
                });
            }
        }
    }
    return check.finish();
}
