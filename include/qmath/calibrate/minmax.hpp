#pragma once
// Min/max and moving-average min/max observers, per tensor / channel / group.
//
// minmax_observer: range_s = [min x, max x] over every finite value of slot s
// seen so far. Exactly mergeable: merge(a, b) == observing a's and b's data.
//
// moving_average_observer (PyTorch MovingAverageMinMaxObserver, c = 0.01):
//   first batch:  lo = min(X), hi = max(X)
//   later:        lo <- lo + c (min(X) - lo),  hi <- hi + c (max(X) - hi)
// State is kept in double. A batch in which a slot has no finite value (skip
// policy) leaves that slot unchanged. Merge (the stream a then b):
//   with m_b batches in b, D = (1-c)^m_b and U_b = sum_j c (1-c)^(m_b-j) v_j
//   (b's batches all treated as updates), the merged value is D * ema_a + U_b,
// which equals sequential observation up to double rounding (not bit-exact:
// the order of operations differs). Merge is order-sensitive, like the EMA.
//
// Example:
//   qmath::minmax_observer obs;                       // per tensor
//   QMATH_TRY(obs.observe(batch1));
//   QMATH_TRY(obs.observe(batch2));
//   qmath::value_range r = obs.range();               // [min, max] of both
//   auto pc = qmath::partition::per_channel(extents, 0);
//   qmath::minmax_observer per_ch(*pc);               // one range per channel

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "qmath/calibrate/common.hpp"
#include "qmath/calibrate/partition.hpp"

namespace qmath {

namespace detail {

// Per-slot ranges of one batch; returns the number of non-finite values.
inline std::size_t slot_ranges(std::span<const float> x, const partition& p, std::vector<value_range>& out) {
  out.assign(p.slots(), value_range{});
  std::size_t bad = 0;
  p.for_each_run(x.size(), [&](std::size_t b, std::size_t len, std::size_t slot, std::size_t stride) {
    if (stride == 0) {
      value_range r;
      bad += minmax_run(x.data() + b, len, r);
      out[slot].merge(r);
    } else {
      value_range* o = out.data() + slot;
      for (std::size_t j = 0; j < len; ++j) {
        const float v = x[b + j];
        if (!std::isfinite(v)) {
          ++bad;
          continue;
        }
        o[j].lo = v < o[j].lo ? v : o[j].lo;
        o[j].hi = v > o[j].hi ? v : o[j].hi;
      }
    }
  });
  for (value_range& r : out) {  // -0.0 -> +0.0, as the kernels do
    r.lo += 0.0f;
    r.hi += 0.0f;
  }
  return bad;
}

}  // namespace detail

/// Running [min, max] per slot (see file comment).
class minmax_observer {
 public:
  explicit minmax_observer(partition p = partition::per_tensor(),
                           calibration_nonfinite policy = calibration_nonfinite::error)
      : part_(p), policy_(policy), ranges_(p.slots()) {}

  /// Observe one batch (x.size() must match the partition; any size per tensor).
  status observe(std::span<const float> x) {
    QMATH_TRY(part_.check_size(x.size(), "x"));
    const std::size_t bad = detail::slot_ranges(x, part_, scratch_);
    if (bad != 0 && policy_ == calibration_nonfinite::error) return detail::non_finite_at(x, "x");
    for (std::size_t s = 0; s < ranges_.size(); ++s) ranges_[s].merge(scratch_[s]);
    skipped_ += bad;
    count_ += x.size() - bad;
    ++batches_;
    return ok_status;
  }

  /// Combine with an observer of the same partition.
  status merge(const minmax_observer& o) {
    if (o.ranges_.size() != ranges_.size()) return size_mismatch("other", "observers have different partitions");
    for (std::size_t s = 0; s < ranges_.size(); ++s) ranges_[s].merge(o.ranges_[s]);
    skipped_ += o.skipped_;
    count_ += o.count_;
    batches_ += o.batches_;
    return ok_status;
  }

  /// Per-slot ranges (empty ranges for slots with no finite value yet).
  [[nodiscard]] std::span<const value_range> ranges() const noexcept { return ranges_; }
  /// The range of slot 0 (the per-tensor range).
  [[nodiscard]] value_range range() const noexcept { return ranges_[0]; }
  [[nodiscard]] const partition& layout() const noexcept { return part_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
  [[nodiscard]] std::uint64_t batches() const noexcept { return batches_; }
  void reset() {
    ranges_.assign(ranges_.size(), value_range{});
    count_ = skipped_ = batches_ = 0;
  }

 private:
  partition part_;
  calibration_nonfinite policy_;
  std::vector<value_range> ranges_;
  std::vector<value_range> scratch_;
  std::uint64_t count_ = 0, skipped_ = 0, batches_ = 0;
};

/// Exponential moving average of per-batch min/max (see file comment).
class moving_average_observer {
 public:
  static constexpr double default_averaging_constant = 0.01;

  explicit moving_average_observer(partition p = partition::per_tensor(),
                                   double averaging_constant = default_averaging_constant,
                                   calibration_nonfinite policy = calibration_nonfinite::error)
      : part_(p), policy_(policy), c_(averaging_constant), slots_(p.slots()) {}

  /// Errors: the averaging constant is outside (0, 1]; bad batch.
  status observe(std::span<const float> x) {
    if (!(c_ > 0.0 && c_ <= 1.0)) return invalid_argument("averaging_constant", "must be in (0, 1]");
    QMATH_TRY(part_.check_size(x.size(), "x"));
    const std::size_t bad = detail::slot_ranges(x, part_, scratch_);
    if (bad != 0 && policy_ == calibration_nonfinite::error) return detail::non_finite_at(x, "x");
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      if (scratch_[s].empty()) continue;
      slots_[s].update(scratch_[s].lo, scratch_[s].hi, c_);
    }
    skipped_ += bad;
    ++batches_;
    return ok_status;
  }

  /// This observer followed by `later` (see file comment); same partition and
  /// averaging constant required.
  status merge(const moving_average_observer& later) {
    if (later.slots_.size() != slots_.size()) return size_mismatch("other", "observers have different partitions");
    if (later.c_ != c_) return invalid_argument("other", "observers have different averaging constants");
    for (std::size_t s = 0; s < slots_.size(); ++s) slots_[s].append(later.slots_[s]);
    skipped_ += later.skipped_;
    batches_ += later.batches_;
    return ok_status;
  }

  /// Current averaged range of slot s (empty if nothing observed there).
  [[nodiscard]] value_range range(std::size_t s = 0) const noexcept {
    const state& st = slots_[s];
    if (st.batches == 0) return {};
    return {static_cast<float>(st.lo), static_cast<float>(st.hi)};
  }
  [[nodiscard]] std::vector<value_range> ranges() const {
    std::vector<value_range> r(slots_.size());
    for (std::size_t s = 0; s < r.size(); ++s) r[s] = range(s);
    return r;
  }
  [[nodiscard]] double averaging_constant() const noexcept { return c_; }
  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
  [[nodiscard]] std::uint64_t batches() const noexcept { return batches_; }

 private:
  struct state {
    double lo = 0, hi = 0;          // EMA (first batch copied)
    double ulo = 0, uhi = 0;        // EMA with every batch as an update from 0
    double decay = 1;               // (1-c)^batches
    std::uint64_t batches = 0;
    void update(double l, double h, double c) noexcept {
      if (batches == 0) {
        lo = l;
        hi = h;
      } else {
        lo = lo + c * (l - lo);
        hi = hi + c * (h - hi);
      }
      ulo = (1 - c) * ulo + c * l;
      uhi = (1 - c) * uhi + c * h;
      decay *= 1 - c;
      ++batches;
    }
    void append(const state& b) noexcept {
      if (b.batches == 0) return;
      if (batches == 0) {
        *this = b;
        return;
      }
      lo = b.decay * lo + b.ulo;
      hi = b.decay * hi + b.uhi;
      ulo = b.decay * ulo + b.ulo;
      uhi = b.decay * uhi + b.uhi;
      decay *= b.decay;
      batches += b.batches;
    }
  };

  partition part_;
  calibration_nonfinite policy_;
  double c_;
  std::vector<state> slots_;
  std::vector<value_range> scratch_;
  std::uint64_t skipped_ = 0, batches_ = 0;
};

}  // namespace qmath
