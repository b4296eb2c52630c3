// Fuzz target: calibrators (min/max, moving average, growable and fixed
// histograms, percentile) with batches of any size, range growth across
// batches, and merging; under the ISA cap chosen by the input.
// Properties: ranges equal the naive finite min/max per slot; a batch with
// NaN/Inf is rejected under the error policy and leaves the state unchanged;
// streaming, one-shot and merged growable histograms give identical counts
// and layouts whose totals equal the finite count and whose range covers the
// data; merged observers equal one observer over all batches; percentiles
// equal numpy's "linear" definition on the sorted values; the moving average
// merged across two observers equals one observer within rounding.
#include <algorithm>
#include <cmath>
#include <vector>

#include "fuzz_support.hpp"
#include "qmath/calibrate/entropy.hpp"
#include "qmath/calibrate/histogram.hpp"
#include "qmath/calibrate/minmax.hpp"
#include "qmath/calibrate/percentile.hpp"

namespace {

bool same_counts(const qmath::histogram& a, const qmath::histogram& b) {
  return a.total() == b.total() && a.lower() == b.lower() && a.bin_width() == b.bin_width() &&
         std::equal(a.counts().begin(), a.counts().end(), b.counts().begin(), b.counts().end());
}

}  // namespace

QMATH_FUZZ_TARGET(calibrate) {
  qmath_fuzz::reader r(data, size);
  qmath_fuzz::pick_cap(r);
  const auto policy = r.flag() ? qmath::calibration_nonfinite::skip : qmath::calibration_nonfinite::error;
  const std::size_t rows = r.range(1, 6), cols = r.range(1, 6);
  const std::size_t nb = r.range(1, 5);
  std::vector<std::vector<float>> batches(nb);
  // Later batches are scaled up: the growable histograms must regrid.
  for (std::size_t b = 0; b < nb; ++b) {
    const float grow = std::ldexp(1.0f, static_cast<int>(r.byte() % 24) - 8);
    batches[b].resize(rows * cols);
    for (float& v : batches[b]) v = r.value() * grow;
  }
  const std::size_t shape[2] = {rows, cols};
  const std::size_t axis = r.byte() % 2;
  auto part = qmath::partition::per_channel(shape, axis);
  QMATH_FUZZ_CHECK(part.has_value());
  const auto mode = r.flag() ? qmath::histogram_mode::magnitude : qmath::histogram_mode::signed_values;
  const std::uint32_t nbins = static_cast<std::uint32_t>(2 * r.range(1, 64));

  qmath::minmax_observer one(*part, policy), left(*part, policy), right(*part, policy);
  qmath::percentile_observer p_one(qmath::partition::per_tensor(), policy), p_left(qmath::partition::per_tensor(), policy),
      p_right(qmath::partition::per_tensor(), policy);
  qmath::moving_average_observer ma_one(qmath::partition::per_tensor(), 0.25, policy),
      ma_left(qmath::partition::per_tensor(), 0.25, policy), ma_right(qmath::partition::per_tensor(), 0.25, policy);
  qmath::histogram h_stream(mode, nbins, policy), h_left(mode, nbins, policy), h_right(mode, nbins, policy);
  std::vector<float> all, accepted;
  std::vector<float> lo(one.ranges().size(), INFINITY), hi(one.ranges().size(), -INFINITY);
  const std::size_t split = r.range(0, nb);
  for (std::size_t b = 0; b < nb; ++b) {
    const auto& x = batches[b];
    bool bad = false;
    for (float v : x) bad |= !std::isfinite(v);
    const auto before = std::vector<qmath::value_range>(one.ranges().begin(), one.ranges().end());
    const qmath::status st = one.observe(x);
    if (bad && policy == qmath::calibration_nonfinite::error) {
      QMATH_FUZZ_CHECK(st.code() == qmath::errc::non_finite && st.index() < x.size() && !std::isfinite(x[st.index()]));
      QMATH_FUZZ_CHECK(std::equal(before.begin(), before.end(), one.ranges().begin(), one.ranges().end()));
      const std::uint64_t t = h_stream.total();
      QMATH_FUZZ_CHECK(h_stream.add(x).code() == qmath::errc::non_finite && h_stream.total() == t);
      QMATH_FUZZ_CHECK(p_one.observe(x).code() == qmath::errc::non_finite);
      continue;
    }
    QMATH_FUZZ_CHECK(st.ok());
    QMATH_FUZZ_CHECK(h_stream.add(x).ok());
    QMATH_FUZZ_CHECK(p_one.observe(x).ok());
    QMATH_FUZZ_CHECK(ma_one.observe(x).ok());
    auto& mm = b < split ? left : right;
    auto& pp = b < split ? p_left : p_right;
    auto& ma = b < split ? ma_left : ma_right;
    auto& hh = b < split ? h_left : h_right;
    QMATH_FUZZ_CHECK(mm.observe(x).ok() && pp.observe(x).ok() && ma.observe(x).ok() && hh.add(x).ok());
    all.insert(all.end(), x.begin(), x.end());
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!std::isfinite(x[i])) continue;
      accepted.push_back(x[i]);
      const std::size_t s = axis == 0 ? i / cols : i % cols;
      lo[s] = std::min(lo[s], x[i] + 0.0f);
      hi[s] = std::max(hi[s], x[i] + 0.0f);
    }
  }
  for (std::size_t s = 0; s < lo.size(); ++s) {
    const qmath::value_range g = one.ranges()[s];
    if (lo[s] > hi[s]) QMATH_FUZZ_CHECK(g.empty());
    else QMATH_FUZZ_CHECK(g.lo == lo[s] && g.hi == hi[s]);
  }
  QMATH_FUZZ_CHECK(left.merge(right).ok());
  QMATH_FUZZ_CHECK(std::equal(left.ranges().begin(), left.ranges().end(), one.ranges().begin(), one.ranges().end()));
  QMATH_FUZZ_CHECK(left.count() == one.count());

  // Histograms: one-shot over everything accepted == streaming == merged.
  QMATH_FUZZ_CHECK(h_stream.total() == accepted.size());
  QMATH_FUZZ_CHECK(h_left.merge(h_right).ok());
  QMATH_FUZZ_CHECK(same_counts(h_left, h_stream));
  if (!all.empty()) {
    qmath::histogram h_once(mode, nbins, policy);
    QMATH_FUZZ_CHECK(h_once.add(all).ok());
    QMATH_FUZZ_CHECK(same_counts(h_once, h_stream));
  }
  if (!accepted.empty()) {
    double vmin = INFINITY, vmax = -INFINITY;
    for (float v : accepted) {
      const double d = mode == qmath::histogram_mode::magnitude ? std::fabs(double{v}) : double{v};
      vmin = std::min(vmin, d);
      vmax = std::max(vmax, d);
    }
    QMATH_FUZZ_CHECK(h_stream.lower() <= vmin && vmax < h_stream.upper());
    auto t = qmath::entropy_threshold(h_stream);
    if (t) QMATH_FUZZ_CHECK(std::isfinite(t->threshold) && t->threshold >= 0 && std::isfinite(t->divergence));
    // Percentile (exact, merged == one) against the sorted values.
    QMATH_FUZZ_CHECK(p_left.merge(p_right).ok());
    std::vector<float> sorted = accepted;
    std::sort(sorted.begin(), sorted.end());
    const double pct = static_cast<double>(r.byte() % 101);
    const double rr = pct / 100.0 * static_cast<double>(sorted.size() - 1);
    const std::size_t k = static_cast<std::size_t>(std::floor(rr));
    const double want = k + 1 < sorted.size() ? sorted[k] + (rr - static_cast<double>(k)) * (double{sorted[k + 1]} - sorted[k])
                                              : double{sorted[k]};
    auto got1 = p_one.percentile(pct), got2 = p_left.percentile(pct);
    QMATH_FUZZ_CHECK(got1.has_value() && got2.has_value());
    QMATH_FUZZ_CHECK(*got1 == *got2);
    QMATH_FUZZ_CHECK(*got1 == want || (std::isnan(*got1) && std::isnan(want)));
    // Moving average: merged == one observer, up to double rounding.
    QMATH_FUZZ_CHECK(ma_left.merge(ma_right).ok());
    const qmath::value_range a = ma_left.range(), b = ma_one.range();
    auto close = [](float u, float v) {
      return u == v || std::fabs(double{u} - v) <= 1e-5 * std::max(std::fabs(double{u}), std::fabs(double{v})) + 1e-30;
    };
    QMATH_FUZZ_CHECK(close(a.lo, b.lo) && close(a.hi, b.hi));
  }
  // Fixed histogram: every value counted once (outside values clamped).
  auto hf = qmath::histogram::fixed(mode, 0.0f, r.value(), nbins, policy);
  if (hf && !all.empty()) {
    QMATH_FUZZ_CHECK(hf->add(all).ok() || policy == qmath::calibration_nonfinite::error);
    std::uint64_t sum = 0;
    for (auto c : hf->counts()) sum += c;
    QMATH_FUZZ_CHECK(sum == hf->total());
  }
  return 0;
}
