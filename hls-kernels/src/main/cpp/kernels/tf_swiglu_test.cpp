// Testbench of tf_swiglu against silu(g) * u in double, including large |gate| (exp overflow side).
#include <cmath>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
constexpr double kRelTol = 1e-6;  // expf + divide + multiply: a few ulps
constexpr double kAbsTol = 1e-7;
}  // namespace

int main() {
    tb::Checker check("tf_swiglu");
    tb::Rng rng(9);
    for (int n : {1, 7, 1000}) {
        for (float amp : {1.0f, 20.0f, 100.0f}) {
            const auto g = rng.floats(n, -amp, amp), u = rng.floats(n, -3.0f, 3.0f);
            std::vector<float> out(n, -999.0f);
            tf_swiglu(g.data(), u.data(), out.data(), n);
            std::vector<double> expected(n);
            for (int i = 0; i < n; ++i) expected[i] = double(g[i]) / (1.0 + std::exp(-double(g[i]))) * u[i];
            check.closeElementwise(("n " + std::to_string(n) + " amp " + std::to_string(amp)).c_str(), expected,
                                   out.data(), kAbsTol, kRelTol);
        }
    }
    return check.finish();
}
