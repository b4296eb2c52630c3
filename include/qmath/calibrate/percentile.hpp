#pragma once
// Exact percentile calibration (per tensor / channel / group).
//
// The observer keeps every finite value it sees (memory O(n); for large
// streams use histogram_percentile() on a histogram instead: O(nbins), error
// below one bin width). Percentile definition (numpy's default "linear"):
//   sorted v_0 <= ... <= v_(n-1),  r = pct/100 * (n - 1),  k = floor(r),
//   P(pct) = v_k + (r - k) (v_(k+1) - v_k)
// magnitude_percentile uses |x| (symmetric schemes: amax = P_|x|(99.99));
// two_sided gives [P(100 - pct), P(pct)] of x (affine schemes).
// Merging concatenates the stored values: exact.
//
// Example:
//   qmath::percentile_observer obs;
//   QMATH_TRY(obs.observe(x));
//   auto amax = obs.magnitude_percentile(99.99);

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "qmath/calibrate/common.hpp"
#include "qmath/calibrate/partition.hpp"

namespace qmath {

/// Percentile of values (linear interpolation, see file comment); reorders v.
/// Errors: empty v; pct outside [0, 100].
inline result<double> percentile_inplace(std::span<float> v, double pct) {
  if (v.empty()) return empty_input("values");
  if (!(pct >= 0.0 && pct <= 100.0)) return invalid_argument("pct", "must be in [0, 100]");
  const double r = pct / 100.0 * static_cast<double>(v.size() - 1);
  const std::size_t k = static_cast<std::size_t>(std::floor(r));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  const double a = v[k];
  if (k + 1 >= v.size() || r == static_cast<double>(k)) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(k) + 1, v.end());
  return a + (r - static_cast<double>(k)) * (b - a);
}

class percentile_observer {
 public:
  explicit percentile_observer(partition p = partition::per_tensor(),
                               calibration_nonfinite policy = calibration_nonfinite::error)
      : part_(p), policy_(policy), values_(p.slots()) {}

  status observe(std::span<const float> x) {
    QMATH_TRY(part_.check_size(x.size(), "x"));
    if (policy_ == calibration_nonfinite::error) {
      value_range r;
      if (detail::minmax_run(x.data(), x.size(), r) != 0) return detail::non_finite_at(x, "x");
    }
    part_.for_each_run(x.size(), [&](std::size_t b, std::size_t len, std::size_t slot, std::size_t stride) {
      for (std::size_t j = 0; j < len; ++j) {
        const float v = x[b + j];
        if (!std::isfinite(v)) {
          ++skipped_;
          continue;
        }
        values_[slot + j * stride].push_back(v);
      }
    });
    return ok_status;
  }

  status merge(const percentile_observer& o) {
    if (o.values_.size() != values_.size()) return size_mismatch("other", "observers have different partitions");
    for (std::size_t s = 0; s < values_.size(); ++s)
      values_[s].insert(values_[s].end(), o.values_[s].begin(), o.values_[s].end());
    skipped_ += o.skipped_;
    return ok_status;
  }

  /// P(pct) of the values of slot s.
  [[nodiscard]] result<double> percentile(double pct, std::size_t s = 0) const {
    if (s >= values_.size()) return out_of_range("slot", "must be < partition.slots()");
    std::vector<float> v = values_[s];
    return percentile_inplace(v, pct);
  }
  /// P(pct) of |x| in slot s.
  [[nodiscard]] result<double> magnitude_percentile(double pct, std::size_t s = 0) const {
    if (s >= values_.size()) return out_of_range("slot", "must be < partition.slots()");
    std::vector<float> v = values_[s];
    for (float& a : v) a = std::fabs(a);
    return percentile_inplace(v, pct);
  }
  /// [P(100 - pct), P(pct)] of slot s (pct >= 50).
  [[nodiscard]] result<value_range> two_sided(double pct, std::size_t s = 0) const {
    if (!(pct >= 50.0 && pct <= 100.0)) return invalid_argument("pct", "must be in [50, 100]");
    auto lo = percentile(100.0 - pct, s);
    if (!lo) return lo.error();
    auto hi = percentile(pct, s);
    if (!hi) return hi.error();
    return value_range{static_cast<float>(*lo), static_cast<float>(*hi)};
  }
  [[nodiscard]] std::size_t count(std::size_t s = 0) const noexcept { return values_[s].size(); }
  [[nodiscard]] std::size_t skipped() const noexcept { return skipped_; }

 private:
  partition part_;
  calibration_nonfinite policy_;
  std::vector<std::vector<float>> values_;
  std::size_t skipped_ = 0;
};

}  // namespace qmath
