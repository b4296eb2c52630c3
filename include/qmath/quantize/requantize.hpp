#pragma once
// Requantization of int32 accumulators (a GEMM / conv output) to 8-bit codes.
//
// Float multiplier path (per tensor or per output channel):
//   a = acc + bias                          int32, two's-complement wrap-around
//   v = float(a) * multiplier               float(a) rounds to nearest even
//   q = clamp(round_half_even(v) + zero_point, clamp_min, clamp_max)
//   (computed as clamp of v to [clamp_min - zp, clamp_max - zp] in float,
//   then round, then + zp: identical, and overflow free)
//
// Fixed-point path, exactly TFLite / gemmlowp:
//   quantize_multiplier(M): M = q * 2^shift with q in [0.5, 1) (frexp),
//     M0 = round_half_away(q * 2^31); if M0 == 2^31 { M0 /= 2; ++shift; }
//     if shift < -31 { M0 = 0; shift = 0 }          (M0 in [2^30, 2^31) otherwise)
//   multiply_by_quantized_multiplier(a, M0, shift) =
//     rounding_divide_by_pot(saturating_rounding_doubling_high_mul(a * 2^max(shift,0), M0), max(-shift,0))
//   q = clamp(that + zero_point, clamp_min, clamp_max)
// where a * 2^left wraps around in int32 (what the vector shift instructions do),
//   SRDHM(a, b) = (a == b == INT32_MIN) ? INT32_MAX
//                 : int32((int64(a)*b + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31)   (C division, toward 0)
//   RDBPOT(x, e) = (x >> e) + ((x & mask) > (mask >> 1) + (x < 0)),  mask = 2^e - 1
//
// The scalar per-element functions are constexpr and public: vectorised GEMM
// epilogues must match them bit for bit.
//
// Example:
//   auto m = qmath::quantize_multiplier(0.25);          // {M0 = 2^30, shift = -1}
//   qmath::requantize_value_fixed(400, 0, *m, {0, -128, 127});   // == 100
//   qmath::requantize_value_float(401, 0, 0.25f, {0, -128, 127}); // 100.25 -> 100

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

#include "qmath/detail/checks.hpp"
#include "qmath/core/rounding.hpp"
#include "qmath/core/status.hpp"

namespace qmath {

/// A real multiplier as M0 * 2^(shift - 31), M0 in [2^30, 2^31) (or 0).
struct fixed_multiplier {
  std::int32_t multiplier;
  int shift;
  friend constexpr bool operator==(const fixed_multiplier&, const fixed_multiplier&) = default;
};

/// Output range and zero point of a requantization.
struct requant_output {
  std::int32_t zero_point;
  std::int32_t clamp_min;
  std::int32_t clamp_max;
};

/// TFLite QuantizeMultiplier. Errors: "multiplier" NaN/Inf, negative, or
/// >= 2^31 (the shift would not fit the fixed-point path).
inline result<fixed_multiplier> quantize_multiplier(double m) noexcept {
  if (!(m >= 0.0) || m > std::numeric_limits<double>::max()) {
    return invalid_argument("multiplier", "must be finite and >= 0");
  }
  if (m >= 2147483648.0) return out_of_range("multiplier", "must be < 2^31");
  if (m == 0.0) return fixed_multiplier{0, 0};
  int shift = 0;
  const double q = std::frexp(m, &shift);
  auto q_fixed = static_cast<std::int64_t>(std::round(q * 2147483648.0));
  if (q_fixed == (std::int64_t{1} << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    q_fixed = 0;
  }
  return fixed_multiplier{static_cast<std::int32_t>(q_fixed), shift};
}

/// gemmlowp SaturatingRoundingDoublingHighMul.
constexpr std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) noexcept {
  const bool overflow = a == b && a == std::numeric_limits<std::int32_t>::min();
  const std::int64_t ab = static_cast<std::int64_t>(a) * static_cast<std::int64_t>(b);
  const std::int64_t nudge = ab >= 0 ? (std::int64_t{1} << 30) : (1 - (std::int64_t{1} << 30));
  const auto high = static_cast<std::int32_t>((ab + nudge) / (std::int64_t{1} << 31));
  return overflow ? std::numeric_limits<std::int32_t>::max() : high;
}

/// gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away
/// from zero. exponent in [0, 31].
constexpr std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent) noexcept {
  const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << exponent) - 1);
  const std::int32_t remainder = x & mask;
  const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// a * 2^n with two's-complement wrap-around (n in [0, 31]).
constexpr std::int32_t shift_left_wrap(std::int32_t a, int n) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) << n);
}

/// a + b with two's-complement wrap-around.
constexpr std::int32_t add_wrap(std::int32_t a, std::int32_t b) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}

/// TFLite MultiplyByQuantizedMultiplier (shift in [-31, 31]).
constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, std::int32_t m0, int shift) noexcept {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shift_left_wrap(x, left), m0), right);
}

/// Fixed-point requantization of one accumulator (bias added with wrap-around).
constexpr std::int32_t requantize_value_fixed(std::int32_t acc, std::int32_t bias, fixed_multiplier m,
                                              requant_output o) noexcept {
  const std::int32_t v = multiply_by_quantized_multiplier(add_wrap(acc, bias), m.multiplier, m.shift);
  // v + zero_point cannot overflow in int64; clamp first.
  const std::int64_t q = static_cast<std::int64_t>(v) + o.zero_point;
  return static_cast<std::int32_t>(q < o.clamp_min ? o.clamp_min : (q > o.clamp_max ? o.clamp_max : q));
}

/// Float-multiplier requantization of one accumulator.
constexpr std::int32_t requantize_value_float(std::int32_t acc, std::int32_t bias, float multiplier,
                                              requant_output o) noexcept {
  float v = static_cast<float>(add_wrap(acc, bias)) * multiplier;
  if (v != v) v = 0.0f;
  const float lo = static_cast<float>(o.clamp_min - o.zero_point);
  const float hi = static_cast<float>(o.clamp_max - o.zero_point);
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return static_cast<std::int32_t>(round_half_even(v)) + o.zero_point;
}

namespace detail {

template <class Out>
constexpr status check_requant(std::size_t n, std::size_t cols, std::size_t bias_n, std::size_t mult_n,
                               std::size_t out_n, const requant_output& o) noexcept {
  if (cols == 0) return invalid_argument("cols", "must be > 0");
  if (n == 0) return empty_input("acc");
  if (n % cols != 0) return size_mismatch("acc", "size must be a multiple of cols");
  if (out_n != n) return size_mismatch("out", "must have the size of acc");
  if (bias_n != 0 && bias_n != cols) return size_mismatch("bias", "must be empty or have cols entries");
  if (mult_n != 1 && mult_n != cols) return size_mismatch("multiplier", "must have 1 or cols entries");
  constexpr std::int32_t tmin = std::numeric_limits<Out>::min(), tmax = std::numeric_limits<Out>::max();
  if (o.clamp_min < tmin || o.clamp_min > o.clamp_max) return out_of_range("clamp_min", "outside the output type");
  if (o.clamp_max > tmax) return out_of_range("clamp_max", "outside the output type");
  if (o.zero_point < tmin || o.zero_point > tmax) return out_of_range("zero_point", "outside the output type");
  return ok_status;
}

}  // namespace detail

/// Requantize a row-major [rows][cols] int32 matrix with float multipliers:
/// `multiplier` has 1 entry (per tensor) or `cols` (per output channel =
/// column), `bias` is empty or has `cols` entries. Out: int8_t or uint8_t.
template <class Out>
  requires(std::is_same_v<Out, std::int8_t> || std::is_same_v<Out, std::uint8_t>)
status requantize_float(std::span<const std::int32_t> acc, std::size_t cols, std::span<const std::int32_t> bias,
                        std::span<const float> multiplier, requant_output o, std::span<Out> out) noexcept {
  QMATH_TRY(detail::check_requant<Out>(acc.size(), cols, bias.size(), multiplier.size(), out.size(), o));
  QMATH_TRY(detail::check_no_overlap(out, acc, "out"));
  for (std::size_t j = 0; j < multiplier.size(); ++j) {
    if (!is_finite(multiplier[j]) || !(multiplier[j] >= 0.0f)) {
      return invalid_argument("multiplier", "must be finite and >= 0").at(j);
    }
  }
  const bool per_channel = multiplier.size() != 1;
  for (std::size_t i = 0, r = 0; r < acc.size(); r += cols) {
    for (std::size_t j = 0; j < cols; ++j, ++i) {
      const std::int32_t b = bias.empty() ? 0 : bias[j];
      out[i] = static_cast<Out>(requantize_value_float(acc[i], b, multiplier[per_channel ? j : 0], o));
    }
  }
  return ok_status;
}

/// Same with fixed-point multipliers (from quantize_multiplier).
template <class Out>
  requires(std::is_same_v<Out, std::int8_t> || std::is_same_v<Out, std::uint8_t>)
status requantize_fixed(std::span<const std::int32_t> acc, std::size_t cols, std::span<const std::int32_t> bias,
                        std::span<const fixed_multiplier> multiplier, requant_output o, std::span<Out> out) noexcept {
  QMATH_TRY(detail::check_requant<Out>(acc.size(), cols, bias.size(), multiplier.size(), out.size(), o));
  QMATH_TRY(detail::check_no_overlap(out, acc, "out"));
  for (std::size_t j = 0; j < multiplier.size(); ++j) {
    const fixed_multiplier m = multiplier[j];
    if (m.multiplier < 0 || m.shift < -31 || m.shift > 31) {
      return out_of_range("multiplier", "M0 must be >= 0 and shift in [-31, 31]").at(j);
    }
  }
  const bool per_channel = multiplier.size() != 1;
  for (std::size_t i = 0, r = 0; r < acc.size(); r += cols) {
    for (std::size_t j = 0; j < cols; ++j, ++i) {
      const std::int32_t b = bias.empty() ? 0 : bias[j];
      out[i] = static_cast<Out>(requantize_value_fixed(acc[i], b, multiplier[per_channel ? j : 0], o));
    }
  }
  return ok_status;
}

}  // namespace qmath
