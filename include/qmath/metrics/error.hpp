#pragma once
// Error metrics between a reference x and an approximation y (e.g. its
// quantized-dequantized form), on raw float arrays.
//
// With d_i = x_i - y_i (float subtraction) and n elements, sums in double:
//   mse          = sum d^2 / n
//   rmse         = sqrt(mse)
//   sqnr_db      = 10 log10( sum x^2 / sum d^2 )       (signal-to-quantization-noise)
//   cosine       = sum x y / sqrt(sum x^2 * sum y^2)
//   relative_l2  = sqrt( sum d^2 / sum x^2 )           (= ||x - y|| / ||x||)
//   max_abs      = max |d_i|
// Degenerate values (documented, never NaN from a non-empty accumulator):
//   sqnr_db = +inf when sum d^2 == 0; -inf when sum x^2 == 0 < sum d^2.
//   relative_l2 = 0 when sum d^2 == 0; +inf when sum x^2 == 0 < sum d^2.
//   cosine = 1 when both vectors are all zero, 0 when exactly one is.
//   Every metric of an empty accumulator (count 0) is NaN.
//
// Streaming: error_stats is an accumulator; feed batches with accumulate()
// and combine partial results with merge() (threads, shards). Within one call
// the summation order is fixed (16 lanes, see metrics/kernels.hpp), so every
// ISA gives identical bits; a stream split differently into batches gives the
// same values up to double rounding (relative ~1e-15).
// Non-finite values in x or y: an error naming the first offending index.
//
// Example:
//   qmath::error_stats e;
//   QMATH_TRY(qmath::accumulate_error(x, y, e));
//   double db = e.sqnr_db();
//
// Per channel / per group: compare_per_slot() with a qmath::partition fills
// one error_stats per slot (calibrate/partition.hpp).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "qmath/calibrate/partition.hpp"
#include "qmath/core/status.hpp"
#include "qmath/metrics/kernels.hpp"

namespace qmath {

/// Streaming, mergeable accumulator of error statistics (see file comment).
struct error_stats {
  std::uint64_t count = 0;
  double sum_sq_err = 0.0;   ///< sum (x - y)^2
  double sum_sq_ref = 0.0;   ///< sum x^2
  double sum_sq_test = 0.0;  ///< sum y^2
  double sum_cross = 0.0;    ///< sum x y
  float max_abs_err = 0.0f;  ///< max |x - y|

  /// Add another accumulator (the statistics of the concatenated data).
  constexpr void merge(const error_stats& o) noexcept {
    count += o.count;
    sum_sq_err += o.sum_sq_err;
    sum_sq_ref += o.sum_sq_ref;
    sum_sq_test += o.sum_sq_test;
    sum_cross += o.sum_cross;
    max_abs_err = o.max_abs_err > max_abs_err ? o.max_abs_err : max_abs_err;
  }

  [[nodiscard]] double mse() const noexcept {
    return count == 0 ? std::numeric_limits<double>::quiet_NaN() : sum_sq_err / static_cast<double>(count);
  }
  [[nodiscard]] double rmse() const noexcept { return std::sqrt(mse()); }
  [[nodiscard]] double sqnr_db() const noexcept {
    if (count == 0) return std::numeric_limits<double>::quiet_NaN();
    if (sum_sq_err == 0.0) return std::numeric_limits<double>::infinity();
    if (sum_sq_ref == 0.0) return -std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(sum_sq_ref / sum_sq_err);
  }
  [[nodiscard]] double cosine() const noexcept {
    if (count == 0) return std::numeric_limits<double>::quiet_NaN();
    if (sum_sq_ref == 0.0 && sum_sq_test == 0.0) return 1.0;
    if (sum_sq_ref == 0.0 || sum_sq_test == 0.0) return 0.0;
    return sum_cross / std::sqrt(sum_sq_ref * sum_sq_test);
  }
  [[nodiscard]] double relative_l2() const noexcept {
    if (count == 0) return std::numeric_limits<double>::quiet_NaN();
    if (sum_sq_err == 0.0) return 0.0;
    if (sum_sq_ref == 0.0) return std::numeric_limits<double>::infinity();
    return std::sqrt(sum_sq_err / sum_sq_ref);
  }
  [[nodiscard]] double max_abs() const noexcept {
    return count == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(max_abs_err);
  }
};

namespace detail {

inline const metrics_kernels* metrics_k() noexcept {
  const metrics_kernels* k = select_kernels<metrics_kernels>();
  QMATH_ASSERT(k != nullptr);
  return k;
}

inline status first_non_finite(std::span<const float> x, const char* arg) noexcept {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) return status(errc::non_finite, arg, "NaN or Inf in the data", i);
  return ok_status;
}

// Sums of one contiguous run through the dispatched kernel (no validation).
inline error_stats run_error_sums(const float* x, const float* y, std::size_t n) noexcept {
  error_sums_raw r{};
  const metrics_kernels* k = metrics_k();
  if (k) k->error_sums(x, y, n, &r);
  error_stats e;
  e.count = n;
  e.sum_sq_err = r.sum[0];
  e.sum_sq_ref = r.sum[1];
  e.sum_sq_test = r.sum[2];
  e.sum_cross = r.sum[3];
  e.max_abs_err = r.max_abs;
  return e;
}

inline bool stats_finite(const error_stats& e) noexcept {
  return std::isfinite(e.sum_sq_err) && std::isfinite(e.sum_sq_ref) && std::isfinite(e.sum_sq_test) &&
         std::isfinite(e.sum_cross);
}

inline status explain_non_finite(std::span<const float> x, std::span<const float> y) noexcept {
  QMATH_TRY(first_non_finite(x, "x"));
  QMATH_TRY(first_non_finite(y, "y"));
  return {errc::non_finite, "y", "x - y overflows float"};
}

inline void add_element(error_stats& e, float x, float y) noexcept {
  const float d = x - y;
  const float ad = std::fabs(d);
  e.count += 1;
  e.sum_sq_err += static_cast<double>(d) * d;
  e.sum_sq_ref += static_cast<double>(x) * x;
  e.sum_sq_test += static_cast<double>(y) * y;
  e.sum_cross += static_cast<double>(x) * y;
  e.max_abs_err = ad > e.max_abs_err ? ad : e.max_abs_err;
}

}  // namespace detail

/// Add the statistics of (x, y) to `acc`. Sizes must match and be > 0; on
/// error `acc` is unchanged.
inline status accumulate_error(std::span<const float> x, std::span<const float> y, error_stats& acc) noexcept {
  if (x.empty()) return empty_input("x");
  if (x.size() != y.size()) return size_mismatch("y", "must have as many elements as x");
  const error_stats e = detail::run_error_sums(x.data(), y.data(), x.size());
  if (!detail::stats_finite(e)) return detail::explain_non_finite(x, y);
  acc.merge(e);
  return ok_status;
}

/// The statistics of (x, y) in one call.
inline result<error_stats> compare(std::span<const float> x, std::span<const float> y) noexcept {
  error_stats e;
  QMATH_TRY(accumulate_error(x, y, e));
  return e;
}

/// Per channel / per group: `out[s]` receives the statistics of the elements
/// of slot s (partition p, see calibrate/partition.hpp); out.size() must be
/// p.slots(). Statistics are added to `out` (zero-initialise it first, or keep
/// accumulating batches). On error `out` is unchanged.
inline status accumulate_error_per_slot(std::span<const float> x, std::span<const float> y, const partition& p,
                                        std::span<error_stats> out) {
  QMATH_TRY(p.check_size(x.size(), "x"));
  if (x.size() != y.size()) return size_mismatch("y", "must have as many elements as x");
  if (out.size() != p.slots()) return size_mismatch("out", "must have partition.slots() elements");
  std::vector<error_stats> tmp(out.size());
  bool finite = true;
  p.for_each_run(x.size(), [&](std::size_t b, std::size_t len, std::size_t slot, std::size_t stride) {
    if (stride == 0) {
      const error_stats e = detail::run_error_sums(x.data() + b, y.data() + b, len);
      finite = finite && detail::stats_finite(e);
      tmp[slot].merge(e);
    } else {
      for (std::size_t j = 0; j < len; ++j) detail::add_element(tmp[slot + j], x[b + j], y[b + j]);
    }
  });
  for (const error_stats& e : tmp) finite = finite && detail::stats_finite(e);
  if (!finite) return detail::explain_non_finite(x, y);
  for (std::size_t s = 0; s < out.size(); ++s) out[s].merge(tmp[s]);
  return ok_status;
}

/// Per-slot statistics in one call (owning convenience overload).
inline result<std::vector<error_stats>> compare_per_slot(std::span<const float> x, std::span<const float> y,
                                                         const partition& p) {
  std::vector<error_stats> out(p.slots());
  QMATH_TRY(accumulate_error_per_slot(x, y, p, out));
  return out;
}

/// Shorthands (one pass each; use compare() to get all metrics at once).
inline result<double> mse(std::span<const float> x, std::span<const float> y) noexcept {
  auto r = compare(x, y);
  if (!r) return r.error();
  return r->mse();
}
inline result<double> sqnr_db(std::span<const float> x, std::span<const float> y) noexcept {
  auto r = compare(x, y);
  if (!r) return r.error();
  return r->sqnr_db();
}
inline result<double> cosine_similarity(std::span<const float> x, std::span<const float> y) noexcept {
  auto r = compare(x, y);
  if (!r) return r.error();
  return r->cosine();
}

}  // namespace qmath
