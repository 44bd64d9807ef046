// Testbench of tf_gemv_f16 against a double-precision reference (fp16 weights decoded from the
// IEEE definition, including subnormals), odd shapes, batch 1..5, with and without bias.
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
    tb::Checker check("tf_gemv_f16");
    tb::Rng rng(16);
    const int shapes[][2] = {{1, 1}, {3, 7}, {17, 33}, {64, 64}, {31, 257}, {8, 2051}};
    for (const auto& shape : shapes) {
        for (int batch = 1; batch <= 5; ++batch) {
            for (int withBias = 0; withBias <= 1; ++withBias) {
                const int rows = shape[0], cols = shape[1];
                std::vector<uint16_t> w(size_t(rows) * cols);
                for (size_t i = 0; i < w.size(); ++i) {
                    // Mostly normal weights in [-2, 2); every 13th a subnormal code.
                    w[i] = i % 13 == 0 ? static_cast<uint16_t>(rng.intIn(1, 0x3ff) | (rng.intIn(0, 1) << 15))
                                       : tb::doubleToHalfRef(rng.uniform(-2.0f, 2.0f));
                }
                const auto bias = rng.floats(rows);
                const auto x = rng.floats(size_t(batch) * cols, -2.0f, 2.0f);
                std::vector<float> y(size_t(batch) * rows, -999.0f);
                tf_gemv_f16(w.data(), withBias ? bias.data() : nullptr, x.data(), y.data(), rows, cols, batch);
                std::vector<double> expected, mag;
                tb::gemvReference(
                    rows, cols, batch, [&](int r, int c) { return tb::halfToDouble(w[size_t(r) * cols + c]); },
                    x.data(), withBias ? bias.data() : nullptr, expected, mag);
                const std::string name = std::to_string(rows) + "x" + std::to_string(cols) + " batch " +
                                         std::to_string(batch) + (withBias ? " bias" : "");
                check.close(name.c_str(), expected, y.data(), mag, kAbsTol, kRelTol);
                tb::checkBatchEqualsSingle(check, name, rows, batch, y.data(), [&](int b, float* y1) {
                    tf_gemv_f16(w.data(), withBias ? bias.data() : nullptr, x.data() + size_t(b) * cols, y1, rows, cols, 1);
                });
            }
        }
    }
    return check.finish();
}
