// Testbench of tf_gelu_erf against 0.5 x (1 + erf(x / sqrt 2)) in double.
#include <cmath>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
constexpr double kRelTol = 1e-6;  // erff: a few ulps
constexpr double kAbsTol = 1e-7;
}  // namespace

int main() {
    tb::Checker check("tf_gelu_erf");
    tb::Rng rng(11);
    for (int n : {1, 9, 1000}) {
        for (float amp : {1.0f, 10.0f}) {
            const auto x = rng.floats(n, -amp, amp);
            std::vector<float> out(n, -999.0f);
            tf_gelu_erf(x.data(), out.data(), n);
            std::vector<double> expected(n);
            for (int i = 0; i < n; ++i) expected[i] = 0.5 * x[i] * (1.0 + std::erf(x[i] / std::sqrt(2.0)));
            check.closeElementwise(("n " + std::to_string(n) + " amp " + std::to_string(amp)).c_str(), expected,
                                   out.data(), kAbsTol, kRelTol);
        }
    }
    return check.finish();
}
