#pragma once
// OCP Microscaling (MX v1.0): blocks of 32 elements sharing one E8M0 scale.
//
//   format        element      emax_elem  element max   bits / element
//   mxfp8_e4m3    fp8_e4m3fn   8          448           8 + 8/32
//   mxfp8_e5m2    fp8_e5m2     15         57344         8 + 8/32
//   mxfp6_e2m3    fp6_e2m3     2          7.5           6 + 8/32
//   mxfp6_e3m2    fp6_e3m2     4          28            6 + 8/32
//   mxfp4         fp4_e2m1     2          6             4 + 8/32
//   mxint8        int8, 1.6 fixed point (code / 64)     0   127/64        8 + 8/32
//
// Encode, per block of 32 (the last block may be shorter and is treated alike):
//   amax      = max |x_i|
//   shared    = floor(log2(amax)) - emax_elem, clamped to [-127, 127]
//               (amax = 0 counts as 2^-126, as the microxcaling reference
//               does, so the shared exponent is clamped to -127: code 0);
//   scale     = E8M0 code shared + 127 (2^shared);
//   element i = the element code of x_i / 2^shared, rounded to nearest (ties
//               to even by default, or away from zero as microxcaling's
//               "nearest"), saturating to +-element max (never Inf or NaN).
//               MXINT8: round(x_i / 2^shared * 64), clamped to [-127, 127].
//   A block holding NaN or +-Inf gets the NaN scale 0xFF and element codes 0.
// The division by 2^shared is exact (done on the exponent, formats::
// encode_scaled): no float32 rounding or flush-to-zero happens on the way.
// Decode: y_i = value(element i) * 2^shared, exact (no product of an element
// and a scale leaves the float32 range but the largest ones, which give Inf);
// a NaN scale gives NaN for the whole block.
//
// Storage (structure of arrays): scales[b] is the E8M0 code of block b
// (mx_scale_count(n) = ceil(n / 32) bytes); elements[i] is the code of
// element i, one per byte (FP4 / FP6 codes in the low bits, MXINT8 as two's
// complement).
//
// Known answers: mxfp4 with amax 6 -> scale 127 (2^0), 6 -> code 0x7; amax 7
// -> the same exponent (floor(log2 7) = 2), 7 saturates to 6.
//
// Metrics: mx_fake_quant writes decode(encode(x)), which goes straight into
// the metrics module (qmath::compare / sqnr_db / mse, metrics/error.hpp).
//
//   std::vector<std::uint8_t> s(qmath::formats::mx_scale_count(x.size())), e(x.size());
//   QMATH_TRY(qmath::formats::mx_encode<qmath::formats::mxfp4>(x, s, e));

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "qmath/core/status.hpp"
#include "qmath/formats/minifloat.hpp"

namespace qmath::formats {

/// The MXINT8 element: 8-bit two's complement, value code / 64.
struct int8_fixed_1_6 {
  static constexpr int bits = 8;
  static constexpr int frac_bits = 6;
  static constexpr std::int32_t max_code = 127;
};

/// An MX format: element type and its emax (exponent of its largest power of two).
template <class Elem, int Emax>
struct mx_format {
  using element = Elem;
  static constexpr std::size_t block_size = 32;
  static constexpr int emax_elem = Emax;
};

using mxfp8_e4m3 = mx_format<fp8_e4m3fn, 8>;
using mxfp8_e5m2 = mx_format<fp8_e5m2, 15>;
using mxfp6_e2m3 = mx_format<fp6_e2m3, 2>;
using mxfp6_e3m2 = mx_format<fp6_e3m2, 4>;
using mxfp4 = mx_format<fp4_e2m1, 2>;
using mxint8 = mx_format<int8_fixed_1_6, 0>;

template <class T>
concept mx_scheme = std::is_same_v<T, mxfp8_e4m3> || std::is_same_v<T, mxfp8_e5m2> ||
                    std::is_same_v<T, mxfp6_e2m3> || std::is_same_v<T, mxfp6_e3m2> || std::is_same_v<T, mxfp4> ||
                    std::is_same_v<T, mxint8>;

inline constexpr std::size_t mx_block_size = 32;

/// Number of E8M0 scales for n elements.
constexpr std::size_t mx_scale_count(std::size_t n) noexcept { return (n + mx_block_size - 1) / mx_block_size; }

/// Options of mx_encode / mx_fake_quant.
struct mx_options {
  tie_rule ties = tie_rule::to_even;  ///< element rounding ties (OCP: to even)
};

namespace detail {

/// round(x * 2^k) to an integer with `ties`, clamped to [-lim, lim], exact.
constexpr std::int32_t round_scaled_int(float x, int k, std::int32_t lim, tie_rule ties) noexcept {
  const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t a = b & 0x7FFFFFFFu;
  const bool neg = (b >> 31) != 0;
  if (a == 0) return 0;
  std::uint32_t sig = a & 0x7FFFFFu;
  int ex = static_cast<int>(a >> 23) - 127;
  if ((a >> 23) == 0) {
    const int lz = std::countl_zero(sig) - 8;
    sig <<= lz;
    ex = -126 - lz;
  } else {
    sig |= 0x800000u;
  }
  // |x| * 2^k = sig * 2^(ex + k - 23)
  const int d = 23 - (ex + k);
  std::int64_t q;
  if (d <= 0) {
    q = static_cast<std::int64_t>(lim) + 1;  // >= 2^23: beyond any limit here
  } else if (d > 25) {
    q = 0;
  } else {
    const std::uint32_t half = 1u << (d - 1);
    const std::uint32_t t = sig >> d, rem = sig & ((1u << d) - 1u);
    const bool up = rem > half || (rem == half && (ties == tie_rule::away_from_zero || (t & 1u)));
    q = static_cast<std::int64_t>(t) + (up ? 1 : 0);
  }
  if (q > lim) q = lim;
  return static_cast<std::int32_t>(neg ? -q : q);
}

/// v * 2^e for a finite v, exact where representable, +-Inf beyond float32
/// (integer arithmetic: no flush-to-zero, no rounding mode).
constexpr float scale_pow2(float v, int e) noexcept {
  const std::uint32_t b = std::bit_cast<std::uint32_t>(v);
  const std::uint32_t s = b & 0x80000000u, a = b & 0x7FFFFFFFu;
  if (a == 0 || a >= 0x7F800000u) return v;  // zero, Inf, NaN unchanged
  std::uint32_t sig = a & 0x7FFFFFu;
  int ex = static_cast<int>(a >> 23);
  if (ex == 0) {
    const int lz = std::countl_zero(sig) - 8;
    sig <<= lz;
    ex = 1 - lz;
  } else {
    sig |= 0x800000u;
  }
  const int ne = ex + e;  // biased exponent of the result
  if (ne >= 255) return std::bit_cast<float>(s | 0x7F800000u);
  if (ne >= 1) return std::bit_cast<float>(s | (static_cast<std::uint32_t>(ne) << 23) | (sig & 0x7FFFFFu));
  const int d = 1 - ne;  // subnormal: sig >> d, rounded to nearest even
  if (d > 24) return std::bit_cast<float>(s);
  const std::uint32_t half = 1u << (d - 1), q = sig >> d, rem = sig & ((1u << d) - 1u);
  const std::uint32_t r = q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
  return std::bit_cast<float>(s | r);
}

template <class Elem>
constexpr float element_value(std::uint8_t code) noexcept {
  if constexpr (std::is_same_v<Elem, int8_fixed_1_6>) {
    const auto c = static_cast<std::int8_t>(code);
    return scale_pow2(static_cast<float>(c), -Elem::frac_bits);  // exact
  } else {
    return decode<Elem>(code);
  }
}

}  // namespace detail

/// The E8M0 scale code of one block (see the header comment).
template <mx_scheme MX>
constexpr std::uint8_t mx_block_scale(std::span<const float> block) noexcept {
  std::uint32_t amax = 0;  // bits of max |x|
  for (float v : block) {
    const std::uint32_t a = std::bit_cast<std::uint32_t>(v) & 0x7FFFFFFFu;
    if (a >= 0x7F800000u) return e8m0::nan_code;
    amax = a > amax ? a : amax;
  }
  const int fl = amax == 0 ? -126 : floor_log2(std::bit_cast<float>(amax));
  return e8m0_from_exponent(fl - MX::emax_elem);
}

/// x -> (scales, elements): scales.size() == mx_scale_count(x.size()),
/// elements.size() == x.size(). Errors name the argument; nothing is
/// written on error.
template <mx_scheme MX>
status mx_encode(std::span<const float> x, std::span<std::uint8_t> scales, std::span<std::uint8_t> elements,
                 const mx_options& o = {}) noexcept {
  if (x.data() == nullptr && !x.empty()) return invalid_argument("x", "null data with a non-zero size");
  if (scales.size() != mx_scale_count(x.size()))
    return size_mismatch("scales", "must have mx_scale_count(x.size()) elements");
  if (elements.size() != x.size()) return size_mismatch("elements", "must have x.size() elements");
  if ((scales.data() == nullptr && !scales.empty()) || (elements.data() == nullptr && !elements.empty()))
    return invalid_argument(scales.data() == nullptr ? "scales" : "elements", "null data with a non-zero size");
  using Elem = typename MX::element;
  for (std::size_t b = 0; b < scales.size(); ++b) {
    const std::size_t i0 = b * mx_block_size;
    const std::size_t len = x.size() - i0 < mx_block_size ? x.size() - i0 : mx_block_size;
    const std::uint8_t sc = mx_block_scale<MX>(x.subspan(i0, len));
    scales[b] = sc;
    const int shared = static_cast<int>(sc) - 127;
    for (std::size_t j = 0; j < len; ++j) {
      std::uint8_t c = 0;
      if (sc != e8m0::nan_code) {
        if constexpr (std::is_same_v<Elem, int8_fixed_1_6>)
          c = static_cast<std::uint8_t>(static_cast<std::int8_t>(
              detail::round_scaled_int(x[i0 + j], Elem::frac_bits - shared, Elem::max_code, o.ties)));
        else
          c = static_cast<std::uint8_t>(encode_scaled<Elem>(x[i0 + j], shared, overflow::saturate, o.ties));
      }
      elements[i0 + j] = c;
    }
  }
  return ok_status;
}

/// (scales, elements) -> y, exact; y.size() == elements.size(),
/// scales.size() == mx_scale_count(y.size()).
template <mx_scheme MX>
status mx_decode(std::span<const std::uint8_t> scales, std::span<const std::uint8_t> elements,
                 std::span<float> y) noexcept {
  if (y.data() == nullptr && !y.empty()) return invalid_argument("y", "null data with a non-zero size");
  if (elements.size() != y.size()) return size_mismatch("elements", "must have y.size() elements");
  if (scales.size() != mx_scale_count(y.size()))
    return size_mismatch("scales", "must have mx_scale_count(y.size()) elements");
  if ((scales.data() == nullptr && !scales.empty()) || (elements.data() == nullptr && !elements.empty()))
    return invalid_argument(scales.data() == nullptr ? "scales" : "elements", "null data with a non-zero size");
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::uint8_t sc = scales[i / mx_block_size];
    if (sc == e8m0::nan_code) {
      y[i] = std::bit_cast<float>(0x7FC00000u);
      continue;
    }
    y[i] = detail::scale_pow2(detail::element_value<typename MX::element>(elements[i]), static_cast<int>(sc) - 127);
  }
  return ok_status;
}

/// y = mx_decode(mx_encode(x)) without materialising the codes (y may alias x).
template <mx_scheme MX>
status mx_fake_quant(std::span<const float> x, std::span<float> y, const mx_options& o = {}) noexcept {
  if (x.data() == nullptr && !x.empty()) return invalid_argument("x", "null data with a non-zero size");
  if (y.data() == nullptr && !y.empty()) return invalid_argument("y", "null data with a non-zero size");
  if (y.size() != x.size()) return size_mismatch("y", "must have x.size() elements");
  std::uint8_t s[1], e[mx_block_size];
  for (std::size_t i0 = 0; i0 < x.size(); i0 += mx_block_size) {
    const std::size_t len = x.size() - i0 < mx_block_size ? x.size() - i0 : mx_block_size;
    QMATH_TRY(mx_encode<MX>(x.subspan(i0, len), std::span<std::uint8_t>(s, 1), std::span<std::uint8_t>(e, len), o));
    QMATH_TRY(mx_decode<MX>(std::span<const std::uint8_t>(s, 1), std::span<const std::uint8_t>(e, len),
                            y.subspan(i0, len)));
  }
  return ok_status;
}

}  // namespace qmath::formats
