// Testbench of tf_kv_write: fp16 encoding bit-exact against a from-the-definition RNE encoder on
// hard values (ties, subnormals, overflow, signed zero) and random ones; int8 codes and scales
// exact against the reference formula; writes land in the page the page table names and touch
// nothing else.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "tf_testbench.h"
#include "tokenfab_kernels.h"

namespace {

constexpr uint16_t kUntouched16 = 0xABCD;
constexpr int8_t kUntouched8 = 0x5A;
constexpr float kUntouchedScale = -7.0f;

struct Geometry { int kvHeads, headDim, pageTokens, pages; };

std::vector<float> specialValues(tb::Rng& rng, size_t n) {
    const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, -1e9f, INFINITY, -INFINITY,
                              5.960464477539063e-08f /* 2^-24, min subnormal */, 2.98023223876953125e-08f /* tie -> 0 */,
                              8.940696716308594e-08f /* 1.5 x 2^-24 tie -> 2 x 2^-24 */, 6.103515625e-05f /* 2^-14 */,
                              6.0975551605224609375e-05f /* largest subnormal */, 1.00048828125f /* 1 + 2^-11 tie */,
                              1.00146484375f /* 1 + 3 x 2^-11 tie */, 1e-10f, 3.14159265f};
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) {
        if (i < sizeof specials / sizeof specials[0]) {
            v[i] = specials[i];
        } else {
            // Random magnitudes across the whole half range, subnormals included.
            const float e = rng.uniform(-26.0f, 16.5f);
            v[i] = (rng.intIn(0, 1) ? -1.0f : 1.0f) * std::exp2(e);
        }
    }
    return v;
}

}  // namespace

int main() {
    tb::Checker check("tf_kv_write");
    tb::Rng rng(6);
    const Geometry geometries[] = {{1, 32, 4, 3}, {2, 64, 16, 3}, {8, 128, 16, 2}, {3, 20, 5, 4}};
    for (const Geometry& g : geometries) {
        const size_t poolElems = size_t(g.pages) * g.pageTokens * g.kvHeads * g.headDim;
        const size_t scaleElems = size_t(g.pages) * g.pageTokens * g.kvHeads;
        // Logical page i lives in pool page (pages - 1 - i): reversed, to catch ignored page tables.
        std::vector<int32_t> pageTable(g.pages);
        for (int i = 0; i < g.pages; ++i) pageTable[i] = g.pages - 1 - i;
        for (int position : {0, g.pageTokens - 1, g.pageTokens, g.pages * g.pageTokens - 1}) {
            const size_t n = size_t(g.kvHeads) * g.headDim;
            const int page = pageTable[position / g.pageTokens], slotInPage = position % g.pageTokens;
            const size_t tokenSlot = (size_t(page) * g.pageTokens + slotInPage) * g.kvHeads;
            const std::string where = std::to_string(g.kvHeads) + "x" + std::to_string(g.headDim) + " pos " +
                                      std::to_string(position);
            // ---- fp16
            {
                const auto k = specialValues(rng, n);
                const auto v = rng.floats(n, -3.0f, 3.0f);
                std::vector<uint16_t> kPool(poolElems, kUntouched16), vPool(poolElems, kUntouched16);
                tf_kv_write(kPool.data(), nullptr, vPool.data(), nullptr, pageTable.data(), position, k.data(), v.data(),
                            g.kvHeads, g.headDim, g.pageTokens, TF_KV_FP16);
                std::vector<uint16_t> kExp(poolElems, kUntouched16), vExp(poolElems, kUntouched16);
                for (size_t i = 0; i < n; ++i) {
                    kExp[tokenSlot * g.headDim + i] = tb::doubleToHalfRef(k[i]);
                    vExp[tokenSlot * g.headDim + i] = tb::doubleToHalfRef(v[i]);
                }
                check.exact(("fp16 K " + where).c_str(), kExp.data(), kPool.data(), poolElems);
                check.exact(("fp16 V " + where).c_str(), vExp.data(), vPool.data(), poolElems);
            }
            // ---- int8
            {
                auto k = rng.floats(n, -4.0f, 4.0f);
                const auto v = rng.floats(n, -0.01f, 0.01f);
                for (int d = 0; d < g.headDim; ++d) k[d] = 0.0f;  // kv head 0 of K all zero: scale 0
                std::vector<int8_t> kPool(poolElems, kUntouched8), vPool(poolElems, kUntouched8);
                std::vector<float> kScales(scaleElems, kUntouchedScale), vScales(scaleElems, kUntouchedScale);
                tf_kv_write(kPool.data(), kScales.data(), vPool.data(), vScales.data(), pageTable.data(), position,
                            k.data(), v.data(), g.kvHeads, g.headDim, g.pageTokens, TF_KV_INT8);
                std::vector<int8_t> kExp(poolElems, kUntouched8), vExp(poolElems, kUntouched8);
                std::vector<float> ksExp(scaleElems, kUntouchedScale), vsExp(scaleElems, kUntouchedScale);
                for (int pass = 0; pass < 2; ++pass) {
                    const std::vector<float>& src = pass == 0 ? k : v;
                    std::vector<int8_t>& dst = pass == 0 ? kExp : vExp;
                    std::vector<float>& sc = pass == 0 ? ksExp : vsExp;
                    for (int h = 0; h < g.kvHeads; ++h) {
                        float maxAbs = 0.0f;
                        for (int d = 0; d < g.headDim; ++d) maxAbs = std::fmax(maxAbs, std::fabs(src[size_t(h) * g.headDim + d]));
                        const float scale = maxAbs / 127.0f;
                        sc[tokenSlot + h] = scale;
                        for (int d = 0; d < g.headDim; ++d) {
                            const float q = scale > 0.0f ? std::nearbyint(src[size_t(h) * g.headDim + d] / scale) : 0.0f;
                            dst[(tokenSlot + h) * g.headDim + d] = static_cast<int8_t>(std::fmax(-127.0f, std::fmin(127.0f, q)));
                        }
                    }
                }
                check.exact(("int8 K " + where).c_str(), kExp.data(), kPool.data(), poolElems);
                check.exact(("int8 V " + where).c_str(), vExp.data(), vPool.data(), poolElems);
                std::vector<double> ks(ksExp.begin(), ksExp.end()), vs(vsExp.begin(), vsExp.end());
                check.closeElementwise(("int8 K scales " + where).c_str(), ks, kScales.data(), 0.0, 0.0);
                check.closeElementwise(("int8 V scales " + where).c_str(), vs, vScales.data(), 0.0, 0.0);
            }
        }
    }
    return check.finish();
}
