// Testbench of tf_rope: rotate_half and interleaved pairing, rotaryDim < headDim (partial
// rotary, e.g. Phi/GPT-J), positions up to 4095, against a double reference that takes the
// fp32 inv_freq/angle of HF transformers and evaluates cos/sin in double.
#include <cmath>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {
// cosf/sinf of the same fp32 angle: a few ulps; elements are O(1).
constexpr double kAbsTol = 2e-6;
constexpr double kRelTol = 2e-6;
}  // namespace

int main() {
    tb::Checker check("tf_rope");
    tb::Rng rng(5);
    struct Case { int heads, headDim, rotaryDim; };
    const Case cases[] = {{1, 2, 2}, {4, 64, 64}, {3, 64, 32}, {2, 80, 20}, {8, 128, 128}, {2, 256, 64}};
    for (const Case& cs : cases) {
        for (int interleaved = 0; interleaved <= 1; ++interleaved) {
            for (int position : {0, 1, 17, 4095}) {
                for (float theta : {10000.0f, 500000.0f}) {
                    const auto x0 = rng.floats(size_t(cs.heads) * cs.headDim, -2.0f, 2.0f);
                    std::vector<float> x = x0;
                    tf_rope(x.data(), cs.heads, cs.headDim, cs.rotaryDim, position, theta, interleaved);
                    std::vector<double> expected(x0.begin(), x0.end());
                    const int half = cs.rotaryDim / 2;
                    for (int h = 0; h < cs.heads; ++h) {
                        for (int i = 0; i < half; ++i) {
                            const float invFreq = 1.0f / std::pow(theta, float(2 * i) / float(cs.rotaryDim));
                            const double angle = double(float(position) * invFreq);
                            const int i0 = interleaved ? 2 * i : i, i1 = interleaved ? 2 * i + 1 : i + half;
                            const double a = x0[size_t(h) * cs.headDim + i0], b = x0[size_t(h) * cs.headDim + i1];
                            expected[size_t(h) * cs.headDim + i0] = a * std::cos(angle) - b * std::sin(angle);
                            expected[size_t(h) * cs.headDim + i1] = b * std::cos(angle) + a * std::sin(angle);
                        }
                    }
                    const std::string name = std::to_string(cs.heads) + "x" + std::to_string(cs.headDim) + " rot " +
                                             std::to_string(cs.rotaryDim) + (interleaved ? " interleaved" : " half") +
                                             " pos " + std::to_string(position) + " theta " + std::to_string(theta);
                    check.closeElementwise(name.c_str(), expected, x.data(), kAbsTol, kRelTol);
                }
            }
        }
    }
    return check.finish();
}
