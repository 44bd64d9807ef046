// Stand-in for Vitis HLS <ap_int.h>, used only when the Vitis headers are absent (C-simulation with
// plain g++). ap_uint<W> / ap_int<W> for 1 <= W <= kTfApMaxWidth bits, with the semantics of UG1399
// "Arbitrary Precision Data Types" that tokenfab's kernels rely on:
//   - a value is W bits, two's complement for ap_int; assignment from any integer or ap type
//     truncates to W bits (wrap-around) and ap_int sign-extends from bit W-1;
//   - + - * & | ^ of two ap operands return a type wide enough for the exact result, with the
//     widths of Vitis's ap_int_base::RType (mult W1+W2, plus/minus max(...)+1, logic max(...)); the
//     wrap happens when that result is assigned to a narrower variable, as in Vitis. A C integer
//     operand counts as the ap type of its width and signedness (int = ap_int<32>);
//   - << and >> keep the left operand's type (bits shifted out are lost; >> of ap_int is arithmetic;
//     a negative shift amount shifts the other way);
//   - comparisons compare values (signed against unsigned included);
//   - range(hi, lo) / x(hi, lo) read as ap_uint<W> and can be assigned to; x[i] reads and writes bit
//     i; concat(b) and (a, b) concatenate (the comma form is a value here, not an assignable ref);
//   - to_uint64()/to_int64()/to_int()/to_uint() give the low bits; the implicit conversion to a C
//     integer exists only for W <= 64 (stricter than Vitis, which truncates wider values silently).
// Not covered: division and modulo, ap_fixed, string construction, to_string, reversed ranges
// (hi < lo). Widths up to 64 bits are one machine word and every operation is a word operation
// (the kernels use them in their inner loops); wider values are arrays of 64-bit words.
#ifndef TF_HLS_STUB_AP_INT_H
#define TF_HLS_STUB_AP_INT_H
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

// Widest ap type of the stand-in: Vitis's default AP_INT_MAX_W is 1024; 4096 covers a 1024-bit
// accumulator's products (mult width W1 + W2) with room to spare.
constexpr int kTfApMaxWidth = 4096;

template <int W, bool S> class tf_ap_int_base;
template <int W, bool S> class tf_ap_range_ref;
template <int W, bool S> class tf_ap_bit_ref;

namespace tf_ap_detail {
constexpr int maxOf(int a, int b) { return a > b ? a : b; }
constexpr int wordsOf(int w) { return (w + 63) / 64; }

// The result widths of Vitis ap_int_base<W1,S1>::RType<W2,S2> (ap_int_base.h).
template <int W1, bool S1, int W2, bool S2>
struct RType {
    static constexpr int kMultW = W1 + W2;
    static constexpr bool kMultS = S1 || S2;
    static constexpr int kPlusW = maxOf(W1 + (S2 && !S1), W2 + (S1 && !S2)) + 1;
    static constexpr bool kPlusS = S1 || S2;
    static constexpr int kMinusW = kPlusW;
    static constexpr bool kMinusS = true;
    static constexpr int kLogicW = maxOf(W1 + (S2 && !S1), W2 + (S1 && !S2));
    static constexpr bool kLogicS = S1 || S2;
    // Comparisons: both values fit a signed type one bit wider than the wider operand.
    static constexpr int kCmpW = maxOf(W1, W2) + 1;
};

// A C integer operand as an ap type: bool = ap_uint<1>, int = ap_int<32>, ...
template <typename T>
struct CInt {
    static constexpr int kWidth = std::is_same_v<T, bool> ? 1 : static_cast<int>(sizeof(T) * 8);
    static constexpr bool kSigned = std::is_signed_v<T>;
    using Type = tf_ap_int_base<kWidth, kSigned>;
};
template <typename T>
using EnableInt = std::enable_if_t<std::is_integral_v<T>, int>;

[[noreturn]] inline void badRange(int hi, int lo, int width) {
    std::fflush(stdout);
    std::fprintf(stderr, "ap_int stand-in: range(%d, %d) outside an ap type of %d bits (need %d > hi >= lo >= 0)\n",
                 hi, lo, width, width);
    std::abort();
}

// Implicit conversion to a C integer, only for W <= 64 (see the header comment).
template <class D, bool Small, bool S>
struct Conv {};
template <class D, bool S>
struct Conv<D, true, S> {
    using Raw = std::conditional_t<S, int64_t, uint64_t>;
    constexpr operator Raw() const { return static_cast<Raw>(static_cast<const D*>(this)->tf_word(0)); }
};
// A range of a word-sized value reads as a C integer too (what kernels do with unpacked fields).
template <class D, bool Small>
struct RangeConv {};
template <class D>
struct RangeConv<D, true> {
    operator uint64_t() const { return static_cast<const D*>(this)->to_uint64(); }
};
}  // namespace tf_ap_detail

template <int W, bool S>
class tf_ap_int_base : public tf_ap_detail::Conv<tf_ap_int_base<W, S>, (W <= 64), S> {
    static_assert(W >= 1 && W <= kTfApMaxWidth, "ap_int stand-in: width must be 1..kTfApMaxWidth");

public:
    static constexpr int width = W;
    static constexpr bool sign_flag = S;
    // 64-bit words; bits above W in the top word are copies of bit W-1 (ap_int) or zeros (ap_uint).
    static constexpr int kWords = tf_ap_detail::wordsOf(W);
    static constexpr int kTopBits = W - 64 * (kWords - 1);

    constexpr tf_ap_int_base() : w_{} {}
    template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
    constexpr tf_ap_int_base(T x) : w_{} {
        if constexpr (std::is_floating_point_v<T>) {
            const int64_t i = static_cast<int64_t>(x);  // truncates toward zero; |x| < 2^63 only
            setFromWord(static_cast<uint64_t>(i), i < 0);
        } else if constexpr (std::is_signed_v<T>) {
            setFromWord(static_cast<uint64_t>(static_cast<int64_t>(x)), x < 0);
        } else {
            setFromWord(static_cast<uint64_t>(x), false);
        }
    }
    template <int W2, bool S2>
    constexpr tf_ap_int_base(const tf_ap_int_base<W2, S2>& o) : w_{} {
        for (int i = 0; i < kWords; ++i) w_[i] = o.tf_word_ext(i);
        normalize();
    }
    template <int W2, bool S2>
    tf_ap_int_base(const tf_ap_range_ref<W2, S2>& r) : tf_ap_int_base(r.get()) {}
    template <int W2, bool S2>
    tf_ap_int_base(const tf_ap_bit_ref<W2, S2>& b) : tf_ap_int_base(static_cast<bool>(b)) {}

    // ---- stand-in internals (word access for the free operators) ----------------------------------
    constexpr uint64_t tf_word(int i) const { return w_[i]; }
    constexpr uint64_t tf_fill() const { return S && static_cast<int64_t>(w_[kWords - 1]) < 0 ? ~0ull : 0ull; }
    // Word i of the value sign- or zero-extended to any width.
    constexpr uint64_t tf_word_ext(int i) const { return i < kWords ? w_[i] : tf_fill(); }
    constexpr void tf_set_word(int i, uint64_t v) { w_[i] = v; }
    constexpr void tf_normalize() { normalize(); }

    // ---- conversions -----------------------------------------------------------------------------
    constexpr uint64_t to_uint64() const { return w_[0]; }
    constexpr int64_t to_int64() const { return static_cast<int64_t>(w_[0]); }
    constexpr int to_int() const { return static_cast<int>(w_[0]); }
    constexpr unsigned to_uint() const { return static_cast<unsigned>(w_[0]); }
    constexpr long long to_long() const { return static_cast<long long>(w_[0]); }
    constexpr unsigned long long to_ulong() const { return static_cast<unsigned long long>(w_[0]); }
    constexpr int length() const { return W; }
    constexpr bool is_zero() const {
        for (int i = 0; i < kWords; ++i)
            if (w_[i] != 0) return false;
        return true;
    }

    // ---- bits and ranges -------------------------------------------------------------------------
    constexpr bool test(int i) const { return (w_[i >> 6] >> (i & 63)) & 1ull; }
    constexpr void set_bit(int i, bool v) {
        const uint64_t m = 1ull << (i & 63);
        w_[i >> 6] = v ? (w_[i >> 6] | m) : (w_[i >> 6] & ~m);
        normalize();
    }
    constexpr void set(int i) { set_bit(i, true); }
    constexpr void clear(int i) { set_bit(i, false); }
    constexpr bool operator[](int i) const { return test(i); }
    tf_ap_bit_ref<W, S> operator[](int i) { return tf_ap_bit_ref<W, S>(this, i); }

    // Bits [hi..lo] (hi >= lo) as ap_uint<W>; assignable: x.range(7, 4) = v.
    tf_ap_range_ref<W, S> range(int hi, int lo) const {
        return tf_ap_range_ref<W, S>(const_cast<tf_ap_int_base*>(this), hi, lo);
    }
    tf_ap_range_ref<W, S> range() const { return range(W - 1, 0); }
    tf_ap_range_ref<W, S> operator()(int hi, int lo) const { return range(hi, lo); }

    // Bits [hi..lo] as an unsigned value of this width (what a range reads).
    constexpr tf_ap_int_base<W, false> tf_get_range(int hi, int lo) const {
        checkRange(hi, lo);
        tf_ap_int_base<W, false> r;
        if constexpr (kWords == 1) {
            const int n = hi - lo + 1;
            const uint64_t bits = w_[0] & lowMask(kTopBits);
            r.tf_set_word(0, (bits >> lo) & lowMask(n));
        } else {
            const tf_ap_int_base<W, false> u(*this);
            r = (u >> lo) & lowBits(hi - lo + 1);
        }
        return r;
    }
    template <int W2, bool S2>
    constexpr void tf_set_range(int hi, int lo, const tf_ap_int_base<W2, S2>& v) {
        checkRange(hi, lo);
        if constexpr (kWords == 1) {
            const uint64_t m = lowMask(hi - lo + 1) << lo;
            w_[0] = (w_[0] & ~m) | ((v.tf_word(0) << lo) & m);
            normalize();
        } else {
            const tf_ap_int_base<W, false> m = lowBits(hi - lo + 1) << lo;
            const tf_ap_int_base<W, false> bits = tf_ap_int_base<W, false>(v) << lo;
            const tf_ap_int_base<W, false> cur(*this);
            *this = tf_ap_int_base((cur & ~m) | (bits & m));
        }
    }

    // Bits of this followed by the bits of b: ap_uint<W + W2>.
    template <int W2, bool S2>
    tf_ap_int_base<W + W2, false> concat(const tf_ap_int_base<W2, S2>& b) const {
        using R = tf_ap_int_base<W + W2, false>;
        return R(R(tf_ap_int_base<W, false>(*this)) << W2) | R(tf_ap_int_base<W2, false>(b));
    }

    // ---- shifts (same type as this; bits shifted out are lost) -----------------------------------
    constexpr tf_ap_int_base operator<<(int n) const { return n < 0 ? shr(-n) : shl(n); }
    constexpr tf_ap_int_base operator>>(int n) const { return n < 0 ? shl(-n) : shr(n); }
    template <int W2, bool S2>
    constexpr tf_ap_int_base operator<<(const tf_ap_int_base<W2, S2>& n) const { return *this << shiftAmount(n); }
    template <int W2, bool S2>
    constexpr tf_ap_int_base operator>>(const tf_ap_int_base<W2, S2>& n) const { return *this >> shiftAmount(n); }

    constexpr tf_ap_int_base operator~() const {
        tf_ap_int_base r;
        for (int i = 0; i < kWords; ++i) r.w_[i] = ~w_[i];
        r.normalize();
        return r;
    }
    constexpr bool operator!() const { return is_zero(); }
    constexpr tf_ap_int_base operator+() const { return *this; }

    // ---- compound assignment: the full-precision result wraps to W bits ---------------------------
    template <typename B> tf_ap_int_base& operator+=(const B& b) { return *this = *this + b; }
    template <typename B> tf_ap_int_base& operator-=(const B& b) { return *this = *this - b; }
    template <typename B> tf_ap_int_base& operator*=(const B& b) { return *this = *this * b; }
    template <typename B> tf_ap_int_base& operator&=(const B& b) { return *this = *this & b; }
    template <typename B> tf_ap_int_base& operator|=(const B& b) { return *this = *this | b; }
    template <typename B> tf_ap_int_base& operator^=(const B& b) { return *this = *this ^ b; }
    tf_ap_int_base& operator<<=(int n) { return *this = *this << n; }
    tf_ap_int_base& operator>>=(int n) { return *this = *this >> n; }
    tf_ap_int_base& operator++() { return *this += 1; }
    tf_ap_int_base& operator--() { return *this -= 1; }
    tf_ap_int_base operator++(int) { const tf_ap_int_base old = *this; ++*this; return old; }
    tf_ap_int_base operator--(int) { const tf_ap_int_base old = *this; --*this; return old; }

    // Same-width word arithmetic used by the free operators (mod 2^W).
    constexpr void tf_add(const tf_ap_int_base& b) {
        if constexpr (kWords == 1) {
            w_[0] += b.w_[0];
        } else {
            uint64_t carry = 0;
            for (int i = 0; i < kWords; ++i) {
                const unsigned __int128 s = static_cast<unsigned __int128>(w_[i]) + b.w_[i] + carry;
                w_[i] = static_cast<uint64_t>(s);
                carry = static_cast<uint64_t>(s >> 64);
            }
        }
        normalize();
    }
    constexpr void tf_sub(const tf_ap_int_base& b) {
        if constexpr (kWords == 1) {
            w_[0] -= b.w_[0];
        } else {
            uint64_t borrow = 0;
            for (int i = 0; i < kWords; ++i) {
                const uint64_t d = w_[i] - b.w_[i] - borrow;
                borrow = (w_[i] < b.w_[i]) || (w_[i] - b.w_[i] < borrow) ? 1 : 0;
                w_[i] = d;
            }
        }
        normalize();
    }
    constexpr void tf_mul(const tf_ap_int_base& b) {
        if constexpr (kWords == 1) {
            w_[0] *= b.w_[0];
        } else {
            // Schoolbook product of the two's complement words, truncated to kWords words: the low
            // bits of a product do not depend on the high bits of its factors.
            uint64_t r[kWords] = {};
            for (int i = 0; i < kWords; ++i) {
                uint64_t carry = 0;
                for (int j = 0; i + j < kWords; ++j) {
                    const unsigned __int128 p =
                        static_cast<unsigned __int128>(w_[i]) * b.w_[j] + r[i + j] + carry;
                    r[i + j] = static_cast<uint64_t>(p);
                    carry = static_cast<uint64_t>(p >> 64);
                }
            }
            for (int i = 0; i < kWords; ++i) w_[i] = r[i];
        }
        normalize();
    }
    // Signed comparison of two normalized values of the same type: -1, 0, 1.
    constexpr int tf_compare(const tf_ap_int_base& b) const {
        const int top = kWords - 1;
        if (w_[top] != b.w_[top]) {
            if constexpr (S) return static_cast<int64_t>(w_[top]) < static_cast<int64_t>(b.w_[top]) ? -1 : 1;
            return w_[top] < b.w_[top] ? -1 : 1;
        }
        for (int i = top - 1; i >= 0; --i)
            if (w_[i] != b.w_[i]) return w_[i] < b.w_[i] ? -1 : 1;
        return 0;
    }

private:
    uint64_t w_[kWords];

    static constexpr uint64_t lowMask(int n) { return n >= 64 ? ~0ull : ((1ull << n) - 1ull); }
    static constexpr tf_ap_int_base<W, false> lowBits(int n) {
        tf_ap_int_base<W, false> m;
        for (int i = 0; i < kWords; ++i) {
            const int bits = n - 64 * i;
            m.tf_set_word(i, bits <= 0 ? 0 : lowMask(bits));
        }
        m.tf_normalize();
        return m;
    }
    static constexpr void checkRange(int hi, int lo) {
#ifdef TF_CSIM_TESTBENCH
        if (lo < 0 || hi < lo || hi >= W) tf_ap_detail::badRange(hi, lo, W);
#else
        (void)hi;
        (void)lo;
#endif
    }
    template <int W2, bool S2>
    static constexpr int shiftAmount(const tf_ap_int_base<W2, S2>& n) {
        // Amounts beyond the width all give the same result; clamp so the int cannot overflow.
        if constexpr (W2 <= 31) {
            return static_cast<int>(n.to_int64());
        } else {
            using Wide = tf_ap_int_base<(W2 < kTfApMaxWidth ? W2 + 1 : W2), true>;
            constexpr int kClamp = kTfApMaxWidth + 1;
            const Wide v(n);
            if (v.tf_compare(Wide(kClamp)) > 0) return kClamp;
            if (v.tf_compare(Wide(-kClamp)) < 0) return -kClamp;
            return static_cast<int>(v.to_int64());
        }
    }
    constexpr void setFromWord(uint64_t v, bool negative) {
        w_[0] = v;
        for (int i = 1; i < kWords; ++i) w_[i] = negative ? ~0ull : 0ull;
        normalize();
    }
    // Restores the invariant on the top word: sign copies (ap_int) or zeros (ap_uint) above bit W-1.
    constexpr void normalize() {
        if constexpr (kTopBits < 64) {
            uint64_t& t = w_[kWords - 1];
            if constexpr (S) {
                t = static_cast<uint64_t>(static_cast<int64_t>(t << (64 - kTopBits)) >> (64 - kTopBits));
            } else {
                t &= (1ull << kTopBits) - 1ull;
            }
        }
    }
    constexpr tf_ap_int_base shl(int n) const {
        tf_ap_int_base r;
        if (n >= W) return r;
        if constexpr (kWords == 1) {
            r.w_[0] = w_[0] << n;
        } else {
            const int ws = n >> 6, bs = n & 63;
            for (int i = kWords - 1; i >= 0; --i) {
                const uint64_t hi = i - ws >= 0 ? w_[i - ws] : 0;
                const uint64_t lo = i - ws - 1 >= 0 ? w_[i - ws - 1] : 0;
                r.w_[i] = bs == 0 ? hi : (hi << bs) | (lo >> (64 - bs));
            }
        }
        r.normalize();
        return r;
    }
    constexpr tf_ap_int_base shr(int n) const {
        tf_ap_int_base r;
        if (n >= W) {
            for (int i = 0; i < kWords; ++i) r.w_[i] = tf_fill();
            return r;
        }
        if constexpr (kWords == 1) {
            r.w_[0] = S ? static_cast<uint64_t>(static_cast<int64_t>(w_[0]) >> n) : w_[0] >> n;
        } else {
            const int ws = n >> 6, bs = n & 63;
            for (int i = 0; i < kWords; ++i) {
                const uint64_t lo = tf_word_ext(i + ws);
                const uint64_t hi = tf_word_ext(i + ws + 1);
                r.w_[i] = bs == 0 ? lo : (lo >> bs) | (hi << (64 - bs));
            }
        }
        r.normalize();
        return r;
    }
};

template <int W> using ap_uint = tf_ap_int_base<W, false>;
template <int W> using ap_int = tf_ap_int_base<W, true>;

// ---- bit and range references ---------------------------------------------------------------------
template <int W, bool S>
class tf_ap_bit_ref {
public:
    tf_ap_bit_ref(tf_ap_int_base<W, S>* v, int i) : v_(v), i_(i) {}
    operator bool() const { return v_->test(i_); }
    bool operator~() const { return !v_->test(i_); }
    tf_ap_bit_ref& operator=(bool b) { v_->set_bit(i_, b); return *this; }
    tf_ap_bit_ref& operator=(const tf_ap_bit_ref& o) { return *this = static_cast<bool>(o); }

private:
    tf_ap_int_base<W, S>* v_;
    int i_;
};

template <int W, bool S>
class tf_ap_range_ref : public tf_ap_detail::RangeConv<tf_ap_range_ref<W, S>, (W <= 64)> {
public:
    tf_ap_range_ref(tf_ap_int_base<W, S>* v, int hi, int lo) : v_(v), hi_(hi), lo_(lo) {}
    tf_ap_int_base<W, false> get() const { return v_->tf_get_range(hi_, lo_); }
    operator tf_ap_int_base<W, false>() const { return get(); }
    uint64_t to_uint64() const { return get().to_uint64(); }
    int to_int() const { return get().to_int(); }
    unsigned to_uint() const { return get().to_uint(); }
    int length() const { return hi_ - lo_ + 1; }

    template <int W2, bool S2>
    tf_ap_range_ref& operator=(const tf_ap_int_base<W2, S2>& x) { v_->tf_set_range(hi_, lo_, x); return *this; }
    template <typename T, tf_ap_detail::EnableInt<T> = 0>
    tf_ap_range_ref& operator=(T x) { return *this = typename tf_ap_detail::CInt<T>::Type(x); }
    template <int W2, bool S2>
    tf_ap_range_ref& operator=(const tf_ap_range_ref<W2, S2>& x) { return *this = x.get(); }
    tf_ap_range_ref& operator=(const tf_ap_range_ref& x) { return *this = x.get(); }

private:
    tf_ap_int_base<W, S>* v_;
    int hi_;
    int lo_;
};

// ---- binary operators: ap op ap at the Vitis result width, C integers as their ap type ------------
#define TF_AP_ARITH_OP(op, kind, method)                                                                   \
    template <int W1, bool S1, int W2, bool S2>                                                            \
    constexpr auto operator op(const tf_ap_int_base<W1, S1>& a, const tf_ap_int_base<W2, S2>& b) {         \
        using RT = tf_ap_detail::RType<W1, S1, W2, S2>;                                                    \
        using R = tf_ap_int_base<RT::k##kind##W, RT::k##kind##S>;                                          \
        R r(a);                                                                                            \
        r.method(R(b));                                                                                    \
        return r;                                                                                          \
    }                                                                                                      \
    template <int W1, bool S1, typename T, tf_ap_detail::EnableInt<T> = 0>                                 \
    constexpr auto operator op(const tf_ap_int_base<W1, S1>& a, T b) {                                     \
        return a op typename tf_ap_detail::CInt<T>::Type(b);                                               \
    }                                                                                                      \
    template <int W2, bool S2, typename T, tf_ap_detail::EnableInt<T> = 0>                                 \
    constexpr auto operator op(T a, const tf_ap_int_base<W2, S2>& b) {                                     \
        return typename tf_ap_detail::CInt<T>::Type(a) op b;                                               \
    }
TF_AP_ARITH_OP(+, Plus, tf_add)
TF_AP_ARITH_OP(-, Minus, tf_sub)
TF_AP_ARITH_OP(*, Mult, tf_mul)
#undef TF_AP_ARITH_OP

namespace tf_ap_detail {
template <int W, bool S, typename F>
constexpr tf_ap_int_base<W, S> wordwise(const tf_ap_int_base<W, S>& a, const tf_ap_int_base<W, S>& b, F f) {
    tf_ap_int_base<W, S> r;
    for (int i = 0; i < tf_ap_int_base<W, S>::kWords; ++i) r.tf_set_word(i, f(a.tf_word(i), b.tf_word(i)));
    r.tf_normalize();
    return r;
}
}  // namespace tf_ap_detail

#define TF_AP_LOGIC_OP(op)                                                                                 \
    template <int W1, bool S1, int W2, bool S2>                                                            \
    constexpr auto operator op(const tf_ap_int_base<W1, S1>& a, const tf_ap_int_base<W2, S2>& b) {         \
        using RT = tf_ap_detail::RType<W1, S1, W2, S2>;                                                    \
        using R = tf_ap_int_base<RT::kLogicW, RT::kLogicS>;                                                \
        return tf_ap_detail::wordwise(R(a), R(b), [](uint64_t x, uint64_t y) { return x op y; });          \
    }                                                                                                      \
    template <int W1, bool S1, typename T, tf_ap_detail::EnableInt<T> = 0>                                 \
    constexpr auto operator op(const tf_ap_int_base<W1, S1>& a, T b) {                                     \
        return a op typename tf_ap_detail::CInt<T>::Type(b);                                               \
    }                                                                                                      \
    template <int W2, bool S2, typename T, tf_ap_detail::EnableInt<T> = 0>                                 \
    constexpr auto operator op(T a, const tf_ap_int_base<W2, S2>& b) {                                     \
        return typename tf_ap_detail::CInt<T>::Type(a) op b;                                               \
    }
TF_AP_LOGIC_OP(&)
TF_AP_LOGIC_OP(|)
TF_AP_LOGIC_OP(^)
#undef TF_AP_LOGIC_OP

#define TF_AP_CMP_OP(op)                                                                                   \
    template <int W1, bool S1, int W2, bool S2>                                                            \
    constexpr bool operator op(const tf_ap_int_base<W1, S1>& a, const tf_ap_int_base<W2, S2>& b) {         \
        using C = tf_ap_int_base<tf_ap_detail::RType<W1, S1, W2, S2>::kCmpW, true>;                        \
        return C(a).tf_compare(C(b)) op 0;                                                                 \
    }                                                                                                      \
    template <int W1, bool S1, typename T, tf_ap_detail::EnableInt<T> = 0>                                 \
    constexpr bool operator op(const tf_ap_int_base<W1, S1>& a, T b) {                                     \
        return a op typename tf_ap_detail::CInt<T>::Type(b);                                               \
    }                                                                                                      \
    template <int W2, bool S2, typename T, tf_ap_detail::EnableInt<T> = 0>                                 \
    constexpr bool operator op(T a, const tf_ap_int_base<W2, S2>& b) {                                     \
        return typename tf_ap_detail::CInt<T>::Type(a) op b;                                               \
    }
TF_AP_CMP_OP(==)
TF_AP_CMP_OP(!=)
TF_AP_CMP_OP(<)
TF_AP_CMP_OP(<=)
TF_AP_CMP_OP(>)
TF_AP_CMP_OP(>=)
#undef TF_AP_CMP_OP

// -a: signed, one bit wider (Vitis RType minus).
template <int W, bool S>
constexpr auto operator-(const tf_ap_int_base<W, S>& a) {
    return tf_ap_int_base<1, false>(0) - a;
}

// (a, b): the concatenation a.concat(b) as a value.
template <int W1, bool S1, int W2, bool S2>
tf_ap_int_base<W1 + W2, false> operator,(const tf_ap_int_base<W1, S1>& a, const tf_ap_int_base<W2, S2>& b) {
    return a.concat(b);
}

#endif
