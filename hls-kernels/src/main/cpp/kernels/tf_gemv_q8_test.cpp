// Testbench of tf_gemv_q8 against a double-precision reference over odd and aligned shapes,
// batch 1..6 (exercises batch tiles), with and without bias.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
// fp32 accumulation over up to 4k terms in interleaved partial sums: relative error against the
// sum of |terms| stays below ~n * 2^-24 in the worst case, far below this in practice.
constexpr double kRelTol = 2e-6;
constexpr double kAbsTol = 1e-6;
}  // namespace


int main() {
    tb::Checker check("tf_gemv_q8");
    tb::Rng rng(8);
    const int shapes[][2] = {{1, 1}, {3, 7}, {17, 33}, {64, 64}, {5, 100}, {31, 257}, {128, 1024}, {9, 4099}};
    for (const auto& shape : shapes) {
        for (int batch = 1; batch <= 6; ++batch) {
            for (int withBias = 0; withBias <= 1; ++withBias) {
                const int rows = shape[0], cols = shape[1];
                std::vector<int8_t> w(static_cast<size_t>(rows) * cols);
                for (auto& q : w) q = static_cast<int8_t>(rng.intIn(-127, 127));
                const auto scales = rng.floats(rows, 0.001f, 0.05f);
                const auto bias = rng.floats(rows);
                const auto x = rng.floats(static_cast<size_t>(batch) * cols, -2.0f, 2.0f);
                std::vector<float> y(static_cast<size_t>(batch) * rows, -999.0f);
                tf_gemv_q8(w.data(), scales.data(), withBias ? bias.data() : nullptr, x.data(), y.data(), rows, cols,
                           batch);
                std::vector<double> expected, mag;
                tb::gemvReference(
                    rows, cols, batch, [&](int r, int c) { return double(w[size_t(r) * cols + c]) * scales[r]; },
                    x.data(), withBias ? bias.data() : nullptr, expected, mag);
                const std::string name = std::to_string(rows) + "x" + std::to_string(cols) + " batch " +
                                         std::to_string(batch) + (withBias ? " bias" : "");
                check.close(name.c_str(), expected, y.data(), mag, kAbsTol, kRelTol);
                tb::checkBatchEqualsSingle(check, name, rows, batch, y.data(), [&](int b, float* y1) {
                    tf_gemv_q8(w.data(), scales.data(), withBias ? bias.data() : nullptr, x.data() + size_t(b) * cols, y1,
                               rows, cols, 1);
                });
            }
        }
    }
    return check.finish();
}
