// Stand-in for Vitis HLS <ap_int.h>, used only when the Vitis headers are absent (C-simulation with
// plain g++). Covers what tokenfab's kernels use: ap_uint<W>/ap_int<W> for W <= 64 with wrap-around
// arithmetic, conversion to/from integers, and range(hi, lo) bit slicing. Not a general replacement.
#ifndef TF_HLS_STUB_AP_INT_H
#define TF_HLS_STUB_AP_INT_H
#include <cstdint>
#include <type_traits>

template <int W, bool Signed>
class tf_ap_int_base {
    static_assert(W >= 1 && W <= 64, "the ap_int stand-in supports widths 1..64");
    using Raw = std::conditional_t<Signed, int64_t, uint64_t>;
    Raw v_;
    static constexpr uint64_t kMask = W == 64 ? ~0ull : ((1ull << W) - 1ull);
    static constexpr Raw wrap(uint64_t bits) {
        bits &= kMask;
        if constexpr (Signed) {
            // Sign-extend from bit W-1.
            const uint64_t sign = 1ull << (W - 1);
            return static_cast<Raw>((bits ^ sign) - sign);
        } else {
            return bits;
        }
    }

public:
    constexpr tf_ap_int_base() : v_(0) {}
    template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
    constexpr tf_ap_int_base(T x) : v_(wrap(static_cast<uint64_t>(static_cast<int64_t>(x)))) {}
    template <int W2, bool S2>
    constexpr tf_ap_int_base(const tf_ap_int_base<W2, S2>& o) : v_(wrap(static_cast<uint64_t>(o.raw()))) {}

    constexpr Raw raw() const { return v_; }
    constexpr operator Raw() const { return v_; }
    constexpr uint64_t to_uint64() const { return static_cast<uint64_t>(v_) & kMask; }
    constexpr int to_int() const { return static_cast<int>(v_); }
    constexpr unsigned to_uint() const { return static_cast<unsigned>(v_); }

    // Bits [hi..lo] as an unsigned value (Vitis returns an ap_range_ref; reading it is what we need).
    constexpr uint64_t range(int hi, int lo) const {
        const int width = hi - lo + 1;
        const uint64_t m = width >= 64 ? ~0ull : ((1ull << width) - 1ull);
        return (to_uint64() >> lo) & m;
    }
    constexpr bool operator[](int bit) const { return (to_uint64() >> bit) & 1ull; }

    tf_ap_int_base& operator+=(int64_t o) { v_ = wrap(static_cast<uint64_t>(v_ + o)); return *this; }
    tf_ap_int_base& operator-=(int64_t o) { v_ = wrap(static_cast<uint64_t>(v_ - o)); return *this; }
    tf_ap_int_base& operator++() { return *this += 1; }
};

template <int W> using ap_uint = tf_ap_int_base<W, false>;
template <int W> using ap_int = tf_ap_int_base<W, true>;

#endif
