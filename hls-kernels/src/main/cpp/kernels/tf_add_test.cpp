// Testbench of tf_add: exact fp32 sums, including in-place (out aliasing a).
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

int main() {
    tb::Checker check("tf_add");
    tb::Rng rng(12);
    for (int n : {1, 7, 4097}) {
        const auto a = rng.floats(n, -100.0f, 100.0f), b = rng.floats(n);
        std::vector<float> out(n, -999.0f);
        tf_add(a.data(), b.data(), out.data(), n);
        std::vector<double> expected(n);
        for (int i = 0; i < n; ++i) expected[i] = a[i] + b[i];  // fp32 add, then widened
        check.closeElementwise(("n " + std::to_string(n)).c_str(), expected, out.data(), 0.0, 0.0);
        std::vector<float> inPlace = a;
        tf_add(inPlace.data(), b.data(), inPlace.data(), n);
        check.closeElementwise(("in place n " + std::to_string(n)).c_str(), expected, inPlace.data(), 0.0, 0.0);
    }
    return check.finish();
}
