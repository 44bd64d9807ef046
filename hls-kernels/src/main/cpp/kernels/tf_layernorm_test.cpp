// Testbench of tf_layernorm: odd widths, batch 1..4, offset rows (large mean), bias present/absent.
#include <cmath>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
// fp32 mean and centered variance; rows with |mean| >> std lose a few more bits in x - mean.
constexpr double kRelTol = 2e-5;
constexpr double kAbsTol = 2e-5;
}  // namespace

int main() {
    tb::Checker check("tf_layernorm");
    tb::Rng rng(3);
    for (int n : {2, 7, 64, 100, 4097}) {
        for (int batch = 1; batch <= 4; ++batch) {
            for (float offset : {0.0f, 50.0f}) {
                for (int withBias = 0; withBias <= 1; ++withBias) {
                    const float eps = 1e-5f;
                    auto x = rng.floats(size_t(batch) * n, -1.0f, 1.0f);
                    for (auto& v : x) v += offset;
                    const auto w = rng.floats(n, 0.5f, 1.5f);
                    const auto bias = rng.floats(n);
                    std::vector<float> y(x.size(), -999.0f);
                    tf_layernorm(x.data(), w.data(), withBias ? bias.data() : nullptr, y.data(), n, eps, batch);
                    std::vector<double> expected(x.size());
                    for (int b = 0; b < batch; ++b) {
                        double mean = 0, var = 0;
                        for (int i = 0; i < n; ++i) mean += x[size_t(b) * n + i];
                        mean /= n;
                        for (int i = 0; i < n; ++i) var += (x[size_t(b) * n + i] - mean) * (x[size_t(b) * n + i] - mean);
                        var /= n;
                        const double inv = 1.0 / std::sqrt(var + eps);
                        for (int i = 0; i < n; ++i) {
                            expected[size_t(b) * n + i] =
                                (x[size_t(b) * n + i] - mean) * inv * w[i] + (withBias ? bias[i] : 0.0);
                        }
                    }
                    const std::string name = "n " + std::to_string(n) + " batch " + std::to_string(batch) +
                                             " offset " + std::to_string(offset) + (withBias ? " bias" : "");
                    check.closeElementwise(name.c_str(), expected, y.data(), kAbsTol, kRelTol);
                }
            }
        }
    }
    return check.finish();
}
