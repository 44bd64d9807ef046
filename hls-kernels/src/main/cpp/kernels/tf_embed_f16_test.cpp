// Testbench of tf_embed_f16: one row holding all 65536 binary16 codes, decoded exactly (normals,
// subnormals, signed zeros, infinities; NaN codes must decode to NaN), plus a row offset check.
#include <cmath>
#include <cstdio>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

int main() {
    tb::Checker check("tf_embed_f16");
    constexpr int kCodes = 65536;
    std::vector<uint16_t> table(2 * kCodes);
    for (int i = 0; i < kCodes; ++i) {
        table[i] = static_cast<uint16_t>(i);
        table[kCodes + i] = static_cast<uint16_t>(kCodes - 1 - i);
    }
    for (int row = 0; row < 2; ++row) {
        std::vector<float> out(kCodes, -999.0f);
        tf_embed_f16(table.data(), row, out.data(), kCodes);
        std::vector<double> expected(kCodes);
        int nanMismatch = -1;
        for (int i = 0; i < kCodes; ++i) {
            const uint16_t code = table[size_t(row) * kCodes + i];
            expected[i] = tb::halfToDouble(code);
            if (std::isnan(expected[i])) {
                if (!std::isnan(out[i]) && nanMismatch < 0) nanMismatch = i;
                expected[i] = 0.0;  // compared above
                out[i] = 0.0f;
            }
        }
        if (nanMismatch >= 0) {
            std::printf("tf_embed_f16 [row %d]: mismatch at index %d: expected NaN, actual not NaN\n", row, nanMismatch);
            return 1;
        }
        // Signed zero: -0 must stay -0.
        const int negZeroIndex = row == 0 ? 0x8000 : kCodes - 1 - 0x8000;
        if (!std::signbit(out[negZeroIndex])) {
            std::printf("tf_embed_f16 [row %d]: mismatch at index %d: expected -0, actual %g\n", row, negZeroIndex,
                        double(out[negZeroIndex]));
            return 1;
        }
        check.closeElementwise(row == 0 ? "all codes ascending" : "all codes descending", expected, out.data(), 0.0, 0.0);
    }
    return check.finish();
}
