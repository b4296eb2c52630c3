#pragma once
// Scalar reference GEMM: the definition every kernel is tested against.
//
//   acc[i][j] = sum_k (A[i][k] - za) * (B[k][j] - zb[j])      exact, int64
//   acc32     = saturate_int32(acc)                           (== acc for K <= gemm_max_exact_k_int32)
//   then the output stage (gemm/types.hpp); requantization calls
//   requantize_value_float / requantize_value_fixed of quantize/requantize.hpp.
//
// It reads B unpacked (any order / ld), so it also checks the packing.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

#include "qmath/detail/checks.hpp"
#include "qmath/gemm/types.hpp"
#include "qmath/quantize/requantize.hpp"

namespace qmath {
namespace detail {

inline std::int32_t saturate_i32(std::int64_t v) noexcept {
  constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
  return static_cast<std::int32_t>(v < lo ? lo : (v > hi ? hi : v));
}

/// A float that the compiler cannot fuse into a following add (no FMA).
inline float no_contract(float x) noexcept {
  volatile float v = x;
  return v;
}

template <class T>
constexpr status check_zero_point_of(std::int32_t z, const char* arg) noexcept {
  constexpr std::int32_t lo = std::is_signed_v<T> ? -128 : 0, hi = std::is_signed_v<T> ? 127 : 255;
  if (z < lo || z > hi) return out_of_range(arg, "outside the range of the activation type");
  return ok_status;
}

/// The final value of one element (see the output stage structs).
inline std::int32_t stage_value(std::int64_t acc, std::size_t, std::size_t j, const output_int32& s) noexcept {
  const std::int32_t v = add_wrap(saturate_i32(acc), s.bias.empty() ? 0 : s.bias[j]);
  return v < s.lo ? s.lo : (v > s.hi ? s.hi : v);
}
inline std::int32_t stage_value(std::int64_t acc, std::size_t, std::size_t j, const output_requantize& s) noexcept {
  return requantize_value_float(saturate_i32(acc), s.bias.empty() ? 0 : s.bias[j],
                                s.multiplier[s.multiplier.size() == 1 ? 0 : j], s.out);
}
inline std::int32_t stage_value(std::int64_t acc, std::size_t, std::size_t j,
                                const output_requantize_fixed& s) noexcept {
  return requantize_value_fixed(saturate_i32(acc), s.bias.empty() ? 0 : s.bias[j],
                                s.multiplier[s.multiplier.size() == 1 ? 0 : j], s.out);
}
inline float stage_value(std::int64_t acc, std::size_t i, std::size_t j, const output_dequantize& s) noexcept {
  const float sc = no_contract(s.a_scale[s.a_scale.size() == 1 ? 0 : i] * s.b_scale[s.b_scale.size() == 1 ? 0 : j]);
  float y = no_contract(static_cast<float>(acc) * sc);
  if (!s.bias.empty()) y = y + s.bias[j];
  y = y < s.lo ? s.lo : y;
  return y > s.hi ? s.hi : y;
}

template <class Stage>
struct stage_output;
template <> struct stage_output<output_int32> { static constexpr bool quantized = false; };
template <> struct stage_output<output_requantize> { static constexpr bool quantized = true; };
template <> struct stage_output<output_requantize_fixed> { static constexpr bool quantized = true; };
template <> struct stage_output<output_dequantize> { static constexpr bool quantized = false; };

/// Validate a stage against the problem and the output element type.
template <class Out>
status check_stage(const output_int32& s, std::size_t, std::size_t n) noexcept {
  if (!std::is_same_v<Out, std::int32_t>) return invalid_argument("c", "output_int32 writes int32");
  if (!s.bias.empty() && s.bias.size() != n) return size_mismatch("bias", "must be empty or hold N values");
  if (!s.bias.empty() && s.bias.data() == nullptr) return invalid_argument("bias", "data is null");
  if (s.lo > s.hi) return invalid_argument("lo", "must be <= hi");
  return ok_status;
}
template <class Out, class S>
  requires(std::is_same_v<S, output_requantize> || std::is_same_v<S, output_requantize_fixed>)
status check_stage(const S& s, std::size_t, std::size_t n) noexcept {
  if constexpr (!(std::is_same_v<Out, std::int8_t> || std::is_same_v<Out, std::uint8_t>)) {
    return invalid_argument("c", "requantization writes int8 or uint8");
  } else {
    if (!(s.multiplier.size() == 1 || s.multiplier.size() == n))
      return size_mismatch("multiplier", "must hold 1 or N values");
    if (s.multiplier.data() == nullptr) return invalid_argument("multiplier", "data is null");
    if (!s.bias.empty() && s.bias.size() != n) return size_mismatch("bias", "must be empty or hold N values");
    constexpr std::int32_t tmin = std::numeric_limits<Out>::min(), tmax = std::numeric_limits<Out>::max();
    if (s.out.zero_point < tmin || s.out.zero_point > tmax) return out_of_range("zero_point", "outside the output type");
    if (s.out.clamp_min < tmin || s.out.clamp_min > s.out.clamp_max)
      return out_of_range("clamp_min", "outside the output type or > clamp_max");
    if (s.out.clamp_max > tmax) return out_of_range("clamp_max", "outside the output type");
    for (std::size_t j = 0; j < s.multiplier.size(); ++j) {
      if constexpr (std::is_same_v<S, output_requantize>) {
        const float m = s.multiplier[j];
        if (!(m >= 0.0f) || m > std::numeric_limits<float>::max())
          return invalid_argument("multiplier", "must be finite and >= 0").at(j);
      } else {
        const fixed_multiplier m = s.multiplier[j];
        if (m.multiplier < 0 || m.shift < -31 || m.shift > 31)
          return out_of_range("multiplier", "M0 must be >= 0 and shift in [-31, 31]").at(j);
      }
    }
    return ok_status;
  }
}
template <class Out>
status check_stage(const output_dequantize& s, std::size_t m, std::size_t n) noexcept {
  if (!std::is_same_v<Out, float>) return invalid_argument("c", "output_dequantize writes float");
  if (!(s.a_scale.size() == 1 || s.a_scale.size() == m)) return size_mismatch("a_scale", "must hold 1 or M values");
  if (!(s.b_scale.size() == 1 || s.b_scale.size() == n)) return size_mismatch("b_scale", "must hold 1 or N values");
  if (!s.bias.empty() && s.bias.size() != n) return size_mismatch("bias", "must be empty or hold N values");
  const auto finite = [](float x) { return x == x && x - x == 0.0f; };
  for (std::size_t i = 0; i < s.a_scale.size(); ++i)
    if (!finite(s.a_scale[i])) return invalid_argument("a_scale", "must be finite").at(i);
  for (std::size_t j = 0; j < s.b_scale.size(); ++j)
    if (!finite(s.b_scale[j])) return invalid_argument("b_scale", "must be finite").at(j);
  for (std::size_t j = 0; j < s.bias.size(); ++j)
    if (!finite(s.bias[j])) return invalid_argument("bias", "must be finite").at(j);
  if (s.lo != s.lo || s.hi != s.hi || s.lo > s.hi) return invalid_argument("lo", "lo and hi must be ordered, not NaN");
  return ok_status;
}

template <class Out>
status check_output(const matrix_span<Out>& c, std::size_t m, std::size_t n) noexcept {
  if (c.rows != m || c.cols != n) return size_mismatch("c", "must be M x N");
  if (c.data.data() == nullptr) return invalid_argument("c", "data is null");
  if (c.stride() < n) return invalid_argument("c", "leading dimension ld is smaller than N");
  if (m - 1 > (std::numeric_limits<std::size_t>::max() - n) / c.stride()) return size_mismatch("c", "size overflows size_t");
  if ((m - 1) * c.stride() + n > c.data.size()) return size_mismatch("c", "data is smaller than (M - 1) * ld + N");
  return ok_status;
}

}  // namespace detail

/// Reference C = stage(A x B) with B unpacked (K x N) and its zero points
/// (empty, 1 or N values). Slow (a triple loop); for tests and as the
/// definition of the result.
template <class TA, class TB, class Out, class Stage>
status gemm_reference(matrix_view<TA> a, std::int32_t a_zero_point, matrix_view<TB> b,
                      std::span<const std::int32_t> b_zero_point, matrix_span<Out> c, const Stage& stage) noexcept {
  QMATH_TRY(detail::check_view(a, "a", a.order == matrix_order::col_major));
  QMATH_TRY(detail::check_view(b, "b", b.order == matrix_order::col_major));
  if (a.cols != b.rows) return size_mismatch("b", "rows of B must equal columns of A (K)");
  QMATH_TRY(detail::check_zero_point_of<TA>(a_zero_point, "a_zero_point"));
  if (!(b_zero_point.empty() || b_zero_point.size() == 1 || b_zero_point.size() == b.cols))
    return size_mismatch("b_zero_point", "must hold 0, 1 or N values");
  QMATH_TRY(detail::check_output(c, a.rows, b.cols));
  QMATH_TRY(detail::check_no_overlap(c.data, a.data, "c"));
  QMATH_TRY(detail::check_no_overlap(c.data, b.data, "c"));
  QMATH_TRY(detail::check_stage<Out>(stage, a.rows, b.cols));
  const std::size_t M = a.rows, N = b.cols, K = a.cols;
  for (std::size_t i = 0; i < M; ++i) {
    for (std::size_t j = 0; j < N; ++j) {
      const std::int64_t zb = b_zero_point.empty() ? 0 : b_zero_point[b_zero_point.size() == 1 ? 0 : j];
      std::int64_t acc = 0;
      for (std::size_t k = 0; k < K; ++k) acc += (static_cast<std::int64_t>(a(i, k)) - a_zero_point) * (b(k, j) - zb);
      c.data[i * c.stride() + j] = static_cast<Out>(detail::stage_value(acc, i, j, stage));
    }
  }
  return ok_status;
}

}  // namespace qmath
