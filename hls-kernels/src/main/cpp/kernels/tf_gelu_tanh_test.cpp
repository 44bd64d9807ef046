// Testbench of tf_gelu_tanh against the tanh formula in double.
#include <cmath>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
constexpr double kRelTol = 1e-6;  // tanhf: a few ulps; the cubic in fp32
constexpr double kAbsTol = 1e-7;
}  // namespace

int main() {
    tb::Checker check("tf_gelu_tanh");
    tb::Rng rng(10);
    for (int n : {1, 9, 1000}) {
        for (float amp : {1.0f, 10.0f}) {
            const auto x = rng.floats(n, -amp, amp);
            std::vector<float> out(n, -999.0f);
            tf_gelu_tanh(x.data(), out.data(), n);
            std::vector<double> expected(n);
            for (int i = 0; i < n; ++i) {
                const double v = x[i];
                expected[i] = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
            }
            check.closeElementwise(("n " + std::to_string(n) + " amp " + std::to_string(amp)).c_str(), expected,
                                   out.data(), kAbsTol, kRelTol);
        }
    }
    return check.finish();
}
