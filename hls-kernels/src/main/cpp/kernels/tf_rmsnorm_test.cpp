// Testbench of tf_rmsnorm: odd widths, batch 1..4, large-magnitude rows, eps dominating a zero row.
#include <cmath>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
// A few fp32 roundings per element (sum of squares, sqrt, two multiplies).
constexpr double kRelTol = 1e-5;
constexpr double kAbsTol = 1e-6;
}  // namespace

int main() {
    tb::Checker check("tf_rmsnorm");
    tb::Rng rng(2);
    for (int n : {1, 7, 64, 100, 4097}) {
        for (int batch = 1; batch <= 4; ++batch) {
            for (float amp : {1.0f, 1000.0f, 0.0f}) {
                const float eps = 1e-5f;
                const auto x = rng.floats(size_t(batch) * n, -amp, amp + 1e-30f);
                const auto w = rng.floats(n, 0.5f, 1.5f);
                std::vector<float> y(x.size(), -999.0f);
                tf_rmsnorm(x.data(), w.data(), y.data(), n, eps, batch);
                std::vector<double> expected(x.size());
                for (int b = 0; b < batch; ++b) {
                    double ss = 0;
                    for (int i = 0; i < n; ++i) ss += double(x[size_t(b) * n + i]) * x[size_t(b) * n + i];
                    const double inv = 1.0 / std::sqrt(ss / n + eps);
                    for (int i = 0; i < n; ++i) expected[size_t(b) * n + i] = x[size_t(b) * n + i] * inv * w[i];
                }
                const std::string name = "n " + std::to_string(n) + " batch " + std::to_string(batch) + " amp " +
                                         std::to_string(amp);
                check.closeElementwise(name.c_str(), expected, y.data(), kAbsTol, kRelTol);
            }
        }
    }
    return check.finish();
}
