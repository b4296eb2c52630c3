#pragma once
// Shared vocabulary of the calibrators.
//
// Non-finite data (NaN, +-Inf): by default a calibrator rejects the whole
// batch with errc::non_finite naming the first offending index and leaves its
// state unchanged; under calibration_nonfinite::skip such values are ignored (and
// counted in skipped()).
// A range is [lo, hi] over the finite values seen; an empty range (nothing
// observed yet, or only skipped values) has lo = +inf, hi = -inf.

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>

#include "qmath/calibrate/kernels.hpp"
#include "qmath/core/status.hpp"

namespace qmath {

/// What a calibrator does with NaN / Inf in its input.
enum class calibration_nonfinite : unsigned char {
  error,  ///< reject the batch (default)
  skip,   ///< ignore those values
};

/// A closed range of observed values.
struct value_range {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();

  [[nodiscard]] constexpr bool empty() const noexcept { return !(lo <= hi); }
  /// max(|lo|, |hi|); 0 for an empty range.
  [[nodiscard]] constexpr float absmax() const noexcept {
    if (empty()) return 0.0f;
    const float a = lo < 0 ? -lo : lo, b = hi < 0 ? -hi : hi;
    return a > b ? a : b;
  }
  /// The union of two ranges.
  constexpr void merge(const value_range& o) noexcept {
    lo = o.lo < lo ? o.lo : lo;
    hi = o.hi > hi ? o.hi : hi;
  }
  friend constexpr bool operator==(const value_range&, const value_range&) = default;
};

namespace detail {

inline const calibrate_kernels* calib_k() noexcept {
  const calibrate_kernels* k = select_kernels<calibrate_kernels>();
  QMATH_ASSERT(k != nullptr);
  return k;
}

/// min/max of the finite values of x; returns the number of non-finite ones.
inline std::size_t minmax_run(const float* x, std::size_t n, value_range& r) noexcept {
  const calibrate_kernels* k = calib_k();
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  std::size_t bad = 0;
  if (k) {
    bad = k->minmax_finite(x, n, &lo, &hi);
  }
  r.lo = lo;
  r.hi = hi;
  return bad;
}

inline status non_finite_at(std::span<const float> x, const char* arg) noexcept {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) return status(errc::non_finite, arg, "NaN or Inf in calibration data", i);
  return status(errc::non_finite, arg, "NaN or Inf in calibration data");
}

}  // namespace detail

/// min/max of the finite values of x in one pass (dispatched kernel).
/// Errors: empty x; a non-finite value under calibration_nonfinite::error.
/// Under skip, an all-non-finite x gives an empty range.
inline result<value_range> finite_range(std::span<const float> x,
                                        calibration_nonfinite policy = calibration_nonfinite::error) noexcept {
  if (x.empty()) return empty_input("x");
  value_range r;
  const std::size_t bad = detail::minmax_run(x.data(), x.size(), r);
  if (bad != 0 && policy == calibration_nonfinite::error) return detail::non_finite_at(x, "x");
  return r;
}

}  // namespace qmath
