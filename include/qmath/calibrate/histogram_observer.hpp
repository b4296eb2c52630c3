#pragma once
// Histogram calibration per tensor / channel / group.
//
// histogram_observer keeps one qmath::histogram per slot of a partition
// (calibrate/partition.hpp); observe() routes every element to its slot's
// histogram, so slot s of a per-channel observer holds exactly what a
// per-tensor histogram of channel s would (growable layouts: bit for bit).
// The searches then run per slot and give one range per slot, ready for
// qparams_from_ranges<Scheme>() (calibrate/qparams.hpp):
//   entropy_ranges(obs, options)       [-T_s, T_s], T_s = entropy_threshold (magnitude mode)
//   mse_ranges(obs, grid, options)     [-T_s, T_s], T_s = mse_threshold
//   percentile_ranges(obs, pct)        magnitude mode: [-P_s, P_s] of |x|;
//                                      signed mode: [P_s(100 - pct), P_s(pct)]
// Errors: as the per-slot functions, with index = slot.
//
// Example:
//   auto p = qmath::partition_for<qmath::int8_sym_per_channel>(shape);
//   qmath::histogram_observer obs(*p);
//   QMATH_TRY(obs.observe(w));
//   auto r = qmath::entropy_ranges(obs);
//   auto q = qmath::qparams_from_ranges<qmath::int8_sym_per_channel>(*r, *p);

#include <cstddef>
#include <span>
#include <vector>

#include "qmath/calibrate/entropy.hpp"
#include "qmath/calibrate/mse_search.hpp"
#include "qmath/calibrate/partition.hpp"

namespace qmath {

class histogram_observer {
 public:
  explicit histogram_observer(partition p = partition::per_tensor(), histogram_mode mode = histogram_mode::magnitude,
                              std::uint32_t nbins = histogram::default_bins,
                              calibration_nonfinite policy = calibration_nonfinite::error)
      : part_(p), policy_(policy), hists_(p.slots(), histogram(mode, nbins, policy)) {}

  /// Observe one batch; on error (non-finite under the error policy, sizes)
  /// no histogram changes.
  status observe(std::span<const float> x) {
    QMATH_TRY(part_.check_size(x.size(), "x"));
    if (policy_ == calibration_nonfinite::error) {
      value_range r;
      if (detail::minmax_run(x.data(), x.size(), r) != 0) return detail::non_finite_at(x, "x");
    }
    if (part_.kind() == partition_kind::per_tensor) return hists_[0].add(x);
    std::vector<std::vector<float>> buf(hists_.size());
    part_.for_each_run(x.size(), [&](std::size_t b, std::size_t len, std::size_t slot, std::size_t stride) {
      if (stride == 0) {
        buf[slot].insert(buf[slot].end(), x.begin() + static_cast<std::ptrdiff_t>(b),
                         x.begin() + static_cast<std::ptrdiff_t>(b + len));
      } else {
        for (std::size_t j = 0; j < len; ++j) buf[slot + j].push_back(x[b + j]);
      }
    });
    for (std::size_t s = 0; s < hists_.size(); ++s) {
      if (buf[s].empty()) continue;
      QMATH_TRY(hists_[s].add(buf[s]).at(s));
    }
    return ok_status;
  }

  status merge(const histogram_observer& o) {
    if (o.hists_.size() != hists_.size()) return size_mismatch("other", "observers have different partitions");
    for (std::size_t s = 0; s < hists_.size(); ++s) QMATH_TRY(hists_[s].merge(o.hists_[s]).at(s));
    return ok_status;
  }

  [[nodiscard]] const histogram& slot(std::size_t s) const noexcept { return hists_[s]; }
  [[nodiscard]] std::size_t slots() const noexcept { return hists_.size(); }
  [[nodiscard]] const partition& layout() const noexcept { return part_; }

 private:
  partition part_;
  calibration_nonfinite policy_;
  std::vector<histogram> hists_;
};

/// Per-slot entropy thresholds as ranges [-T, T].
inline result<std::vector<value_range>> entropy_ranges(const histogram_observer& o, const entropy_options& opt = {}) {
  std::vector<value_range> r(o.slots());
  for (std::size_t s = 0; s < r.size(); ++s) {
    auto t = entropy_threshold(o.slot(s), opt);
    if (!t) return t.error().at(s);
    r[s] = {static_cast<float>(-t->threshold), static_cast<float>(t->threshold)};
  }
  return r;
}

/// Per-slot MSE-optimal thresholds as ranges [-T, T].
inline result<std::vector<value_range>> mse_ranges(const histogram_observer& o, const clip_grid& g,
                                                   const mse_search_options& opt = {}) {
  std::vector<value_range> r(o.slots());
  for (std::size_t s = 0; s < r.size(); ++s) {
    auto t = mse_threshold(o.slot(s), g, opt);
    if (!t) return t.error().at(s);
    r[s] = {static_cast<float>(-t->threshold), static_cast<float>(t->threshold)};
  }
  return r;
}

/// Per-slot histogram percentiles as ranges (see file comment).
inline result<std::vector<value_range>> percentile_ranges(const histogram_observer& o, double pct) {
  std::vector<value_range> r(o.slots());
  for (std::size_t s = 0; s < r.size(); ++s) {
    const histogram& h = o.slot(s);
    auto hi = histogram_percentile(h, pct);
    if (!hi) return hi.error().at(s);
    if (h.mode() == histogram_mode::magnitude) {
      r[s] = {static_cast<float>(-*hi), static_cast<float>(*hi)};
    } else {
      auto lo = histogram_percentile(h, 100.0 - pct);
      if (!lo) return lo.error().at(s);
      r[s] = {static_cast<float>(*lo), static_cast<float>(*hi)};
    }
  }
  return r;
}

}  // namespace qmath
