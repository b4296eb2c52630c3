#pragma once
// Histogram collector for calibration (2048 bins by default).
//
// Two layouts:
//
//  * growable (default): bin j covers [(k0 + j) w, (k0 + j + 1) w) with a
//    power-of-two width w = 2^e and an integer offset k0 (k0 = 0 for
//    magnitude histograms). An element v goes to bin floor(v / w) - k0, which
//    is exact (division by a power of two). The layout is canonical: e is the
//    smallest exponent for which all observed values fit in nbins bins (and
//    max|v| / w <= 2^22, so bin indices stay exact in float), k0 =
//    floor(min / w). When a batch extends the range, w doubles as often as
//    needed and pairs of bins merge, so no count is ever lost or split; and
//    streaming, one-shot and merged collection give the SAME counts, bit for
//    bit. The price: the data spans between nbins/2 and nbins bins (not
//    exactly nbins). All-zero data uses w = 2^-126.
//
//  * fixed(lo, hi, nbins): bin j covers [lo + j w, lo + (j+1) w), w = (hi-lo)/nbins;
//    bin index floor((v - lo) * (1/w)) in float; values outside [lo, hi) are
//    counted in the first / last bin (and in clamped()). The TensorRT layout
//    (2048 bins over [0, max|x|], after a min/max pass) is
//    fixed(histogram_mode::magnitude, 0, amax). Merging needs identical layouts.
//
// Modes: histogram_mode::magnitude bins |x| (TensorRT entropy calibration,
// symmetric schemes); histogram_mode::signed_values bins x (affine schemes).
//
// Example:
//   qmath::histogram h(qmath::histogram_mode::magnitude);      // 2048 bins, growable
//   QMATH_TRY(h.add(batch));
//   auto t = qmath::entropy_threshold(h);                       // calibrate/entropy.hpp

#include <algorithm>
#include <cmath>
#include <utility>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "qmath/calibrate/common.hpp"

namespace qmath {

enum class histogram_mode : unsigned char {
  magnitude,      ///< bins |x|, range starts at 0
  signed_values,  ///< bins x
};

class histogram {
 public:
  static constexpr std::uint32_t default_bins = 2048;

  /// Growable power-of-two layout (see file comment). nbins must be >= 2 and
  /// even (checked by add(); default 2048).
  explicit histogram(histogram_mode mode = histogram_mode::magnitude, std::uint32_t nbins = default_bins,
                     calibration_nonfinite policy = calibration_nonfinite::error)
      : mode_(mode), policy_(policy), nbins_(nbins), counts_(nbins, 0) {}

  /// Fixed layout over [lo, hi) (see file comment).
  /// Errors: lo/hi non-finite or lo >= hi; magnitude mode with lo < 0; nbins < 1.
  static result<histogram> fixed(histogram_mode mode, float lo, float hi, std::uint32_t nbins = default_bins,
                                 calibration_nonfinite policy = calibration_nonfinite::error) {
    if (!std::isfinite(lo)) return invalid_argument("lo", "must be finite");
    if (!std::isfinite(hi) || !(hi > lo)) return invalid_argument("hi", "must be finite and > lo");
    if (mode == histogram_mode::magnitude && lo < 0) return invalid_argument("lo", "must be >= 0 in magnitude mode");
    if (nbins < 1) return invalid_argument("nbins", "must be >= 1");
    const double w = (static_cast<double>(hi) - lo) / nbins;
    const float inv = static_cast<float>(1.0 / w);
    if (!std::isfinite(inv) || !(inv > 0)) return invalid_argument("hi", "range too small or too large for float bins");
    histogram h(mode, nbins, policy);
    h.fixed_ = true;
    h.lo_ = lo;
    h.width_ = w;
    h.inv_ = inv;
    return h;
  }

  /// Count one batch. On error the histogram is unchanged.
  /// The batch is processed in chunks of 16 Ki elements (min/max of the chunk,
  /// growth if needed, then counting while the chunk is in cache, prefetching
  /// the next chunk meanwhile): one pass over memory. The result does not
  /// depend on the chunking (see file comment).
  status add(std::span<const float> x) {
    if (x.empty()) return empty_input("x");
    if (!fixed_ && (nbins_ < 2 || nbins_ % 2 != 0)) return invalid_argument("nbins", "must be even and >= 2");
    const histogram backup_state = shallow_state();
    std::vector<std::uint64_t> backup_counts;
    if (policy_ == calibration_nonfinite::error && x.size() > chunk_elems) backup_counts = counts_;
    std::vector<std::uint32_t> c4(4 * static_cast<std::size_t>(nbins_), 0u);
    std::size_t pending = 0;
    std::vector<float> filtered;
    const detail::calibrate_kernels* k = detail::calib_k();
    for (std::size_t b = 0; b < x.size(); b += chunk_elems) {
      const std::span<const float> c = x.subspan(b, std::min(chunk_elems, x.size() - b));
      value_range r;
      const std::size_t bad = detail::minmax_run(c.data(), c.size(), r);
      if (bad != 0 && policy_ == calibration_nonfinite::error) {
        restore(backup_state, backup_counts);
        return detail::non_finite_at(x, "x");
      }
      skipped_ += bad;
      if (r.empty()) continue;  // only non-finite values, skipped
      if (mode_ == histogram_mode::magnitude) r = value_range{0.0f, r.absmax()};
      if (!fixed_) {
        value_range u = seen_;
        u.merge(r);
        const auto [e, k0] = target_layout(u);
        if (total_ == 0 || e != e_ || k0 != k0_) {
          flush(c4, pending);
          regrid(e, k0);
        }
      }
      std::span<const float> data = c;
      if (bad != 0) {
        filtered.clear();
        for (float v : c)
          if (std::isfinite(v)) filtered.push_back(v);
        data = filtered;
      }
      detail::histogram_pass p = pass();
      if (b + chunk_elems < x.size()) {  // prefetch hint: the next chunk's min/max then hits cache
        p.next = x.data() + b + chunk_elems;
        p.next_n = std::min(chunk_elems, x.size() - b - chunk_elems);
      }
      if (k) k->histogram(data.data(), data.size(), &p, c4.data());
      pending += data.size();
      if (pending >= (std::size_t{1} << 30)) flush(c4, pending);  // 4 sub-histograms: < 2^32 per bin
      if (fixed_) {
        const float top = static_cast<float>(lo_ + width_ * nbins_);
        for (float v : data) {
          const float a = mode_ == histogram_mode::magnitude ? std::fabs(v) : v;
          if (a < lo_ || a >= top) ++clamped_;
        }
      }
      seen_.merge(r);
      total_ += data.size();
    }
    flush(c4, pending);
    return ok_status;
  }

  /// Add the counts of another histogram of the same mode and bin count (and,
  /// for fixed layouts, the same range). Growable histograms always merge
  /// exactly.
  status merge(const histogram& o) {
    if (o.mode_ != mode_ || o.nbins_ != nbins_ || o.fixed_ != fixed_)
      return invalid_argument("other", "histograms differ in mode, bin count or layout kind");
    if (fixed_ && (o.lo_ != lo_ || o.width_ != width_)) return invalid_argument("other", "fixed ranges differ");
    if (o.total_ == 0) {
      skipped_ += o.skipped_;
      return ok_status;
    }
    if (!fixed_) {
      if (total_ == 0) {
        const std::uint64_t sk = skipped_;
        *this = o;
        skipped_ += sk;
        return ok_status;
      }
      histogram other = o;
      value_range u = seen_;
      u.merge(o.seen_);
      grow_to(u);
      other.grow_to(u);
      for (std::uint32_t j = 0; j < nbins_; ++j) counts_[j] += other.counts_[j];
    } else {
      for (std::uint32_t j = 0; j < nbins_; ++j) counts_[j] += o.counts_[j];
    }
    seen_.merge(o.seen_);
    total_ += o.total_;
    skipped_ += o.skipped_;
    clamped_ += o.clamped_;
    return ok_status;
  }

  [[nodiscard]] histogram_mode mode() const noexcept { return mode_; }
  [[nodiscard]] bool is_fixed() const noexcept { return fixed_; }
  [[nodiscard]] std::uint32_t bins() const noexcept { return nbins_; }
  [[nodiscard]] std::span<const std::uint64_t> counts() const noexcept { return counts_; }
  /// Counts as doubles (the input type of the threshold searches).
  [[nodiscard]] std::vector<double> weights() const { return {counts_.begin(), counts_.end()}; }
  /// Lower edge of bin 0 and the bin width.
  [[nodiscard]] double lower() const noexcept { return fixed_ ? lo_ : static_cast<double>(k0_) * width_; }
  [[nodiscard]] double bin_width() const noexcept { return width_; }
  [[nodiscard]] double upper() const noexcept { return lower() + width_ * nbins_; }
  /// Range of the finite values counted (|x| in magnitude mode).
  [[nodiscard]] value_range observed() const noexcept { return seen_; }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
  /// Values outside a fixed range (counted in the edge bins).
  [[nodiscard]] std::uint64_t clamped() const noexcept { return clamped_; }
  /// log2 of the width of a growable histogram.
  [[nodiscard]] int width_exponent() const noexcept { return e_; }

 private:
  static constexpr int e_min = -126;
  static constexpr int index_bits = 22;

  // Smallest exponent e such that r fits (see file comment) and the k0 for it.
  [[nodiscard]] int fitting_exponent(const value_range& r) const noexcept {
    const double amax = std::max(std::fabs(static_cast<double>(r.lo)), std::fabs(static_cast<double>(r.hi)));
    int e = e_min;
    if (amax > 0) {
      int ex = 0;
      (void)std::frexp(amax, &ex);  // amax < 2^ex
      e = std::max(e_min, ex - index_bits);
    }
    for (;; ++e) {
      const double lo = std::floor(std::ldexp(static_cast<double>(r.lo), -e));
      const double hi = std::floor(std::ldexp(static_cast<double>(r.hi), -e));
      if (hi - lo <= static_cast<double>(nbins_) - 1) return e;
    }
  }

  static constexpr std::size_t chunk_elems = std::size_t{1} << 14;

  // Canonical (e, k0) for the range u.
  [[nodiscard]] std::pair<int, std::int64_t> target_layout(const value_range& u) const noexcept {
    int e = fitting_exponent(u);
    if (total_ != 0 && e < e_) e = e_;
    const std::int64_t k0 = mode_ == histogram_mode::magnitude
                                ? 0
                                : static_cast<std::int64_t>(std::floor(std::ldexp(static_cast<double>(u.lo), -e)));
    return {e, k0};
  }

  // Move the counts to layout (e, k0): pairs of bins merge when e grows.
  void regrid(int e, std::int64_t k0) {
    if (total_ != 0 && (e != e_ || k0 != k0_)) {
      std::vector<std::uint64_t> nc(nbins_, 0);
      const int sh = e - e_;
      for (std::uint32_t j = 0; j < nbins_; ++j) {
        if (counts_[j] == 0) continue;
        const std::int64_t v = k0_ + static_cast<std::int64_t>(j);
        const std::int64_t abs_idx = sh >= 63 ? (v < 0 ? -1 : 0) : (v >> sh);  // floor(v / 2^sh)
        const std::int64_t nj = abs_idx - k0;
        QMATH_ASSERT(nj >= 0 && nj < static_cast<std::int64_t>(nbins_));
        nc[static_cast<std::size_t>(nj)] += counts_[j];
      }
      counts_.swap(nc);
    }
    e_ = e;
    k0_ = k0;
    width_ = std::ldexp(1.0, e);
    lo_ = 0.0f;
    inv_ = static_cast<float>(std::ldexp(1.0, -e));
  }

  void grow_to(const value_range& batch) {
    value_range u = seen_;
    u.merge(batch);
    const auto [e, k0] = target_layout(u);
    regrid(e, k0);
  }

  [[nodiscard]] detail::histogram_pass pass() const noexcept {
    detail::histogram_pass p{};
    p.lo = fixed_ ? lo_ : 0.0f;
    p.inv_width = inv_;
    p.offset = fixed_ ? 0.0f : static_cast<float>(k0_);
    p.nbins = nbins_;
    p.absolute = mode_ == histogram_mode::magnitude;
    return p;
  }

  void flush(std::vector<std::uint32_t>& c4, std::size_t& pending) {
    if (pending == 0) return;
    for (std::uint32_t j = 0; j < nbins_; ++j)
      counts_[j] += static_cast<std::uint64_t>(c4[j]) + c4[nbins_ + j] + c4[2 * nbins_ + j] + c4[3 * nbins_ + j];
    std::fill(c4.begin(), c4.end(), 0u);
    pending = 0;
  }

  // Everything but the counts (for rollback).
  [[nodiscard]] histogram shallow_state() const {
    histogram h(mode_, 0, policy_);
    h.nbins_ = nbins_;
    h.fixed_ = fixed_;
    h.e_ = e_;
    h.k0_ = k0_;
    h.width_ = width_;
    h.lo_ = lo_;
    h.inv_ = inv_;
    h.seen_ = seen_;
    h.total_ = total_;
    h.skipped_ = skipped_;
    h.clamped_ = clamped_;
    return h;
  }
  void restore(const histogram& st, std::vector<std::uint64_t>& counts) {
    std::vector<std::uint64_t> keep = std::move(counts_);
    *this = st;
    counts_ = counts.empty() ? std::move(keep) : std::move(counts);
  }

  histogram_mode mode_;
  calibration_nonfinite policy_;
  std::uint32_t nbins_;
  bool fixed_ = false;
  std::vector<std::uint64_t> counts_;
  int e_ = e_min;
  std::int64_t k0_ = 0;
  double width_ = 1.0;
  float lo_ = 0.0f;
  float inv_ = 1.0f;
  value_range seen_{};
  std::uint64_t total_ = 0, skipped_ = 0, clamped_ = 0;
};

/// Percentile of a histogram's distribution, 0 <= pct <= 100: the value v with
/// a fraction pct/100 of the mass below it, mass spread uniformly inside each
/// bin (linear interpolation of the CDF), clipped to the observed range.
/// Errors: pct outside [0, 100]; an empty histogram.
inline result<double> histogram_percentile(const histogram& h, double pct) {
  if (!(pct >= 0.0 && pct <= 100.0)) return invalid_argument("pct", "must be in [0, 100]");
  if (h.total() == 0) return empty_input("histogram");
  const auto c = h.counts();
  const double target = pct / 100.0 * static_cast<double>(h.total());
  double cum = 0;
  double v = h.upper();
  for (std::size_t j = 0; j < c.size(); ++j) {
    const double next = cum + static_cast<double>(c[j]);
    if (c[j] != 0 && next >= target) {
      const double f = (target - cum) / static_cast<double>(c[j]);
      v = h.lower() + (static_cast<double>(j) + f) * h.bin_width();
      break;
    }
    cum = next;
  }
  const value_range r = h.observed();
  return std::clamp(v, static_cast<double>(r.lo), static_cast<double>(r.hi));
}

}  // namespace qmath
