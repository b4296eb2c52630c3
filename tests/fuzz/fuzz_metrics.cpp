// Fuzz target: error metrics (compare, accumulate_error, per-slot statistics)
// and KL divergence, under the ISA cap chosen by the input.
// Properties: non-finite data is an error naming the first offending index
// (x before y); otherwise the statistics equal a naive double computation
// (to summation-order rounding), max_abs exactly; the dispatched kernel
// gives the same bits as the scalar level; batches accumulated and merged
// equal one pass; per-slot statistics merge to the whole; the documented
// degenerate values (sqnr +inf for y == x, cosine 1 for two zero vectors);
// KL divergence >= 0, == 0 for identical distributions.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "fuzz_support.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/metrics/kl.hpp"

namespace {

bool close(double a, double b, double scale) { return std::fabs(a - b) <= 1e-12 * scale + 1e-300; }

bool same(const qmath::error_stats& a, const qmath::error_stats& b) {
  return a.count == b.count && std::memcmp(&a.sum_sq_err, &b.sum_sq_err, sizeof(double)) == 0 &&
         std::memcmp(&a.sum_sq_ref, &b.sum_sq_ref, sizeof(double)) == 0 &&
         std::memcmp(&a.sum_sq_test, &b.sum_sq_test, sizeof(double)) == 0 &&
         std::memcmp(&a.sum_cross, &b.sum_cross, sizeof(double)) == 0 && a.max_abs_err == b.max_abs_err;
}

}  // namespace

QMATH_FUZZ_TARGET(metrics) {
  qmath_fuzz::reader r(data, size);
  const qmath::isa cap = qmath_fuzz::pick_cap(r);
  const std::size_t rows = r.range(1, 8), cols = r.range(1, 40);
  const std::size_t n = rows * cols;
  std::vector<float> x(n), y(n);
  const int mode = r.byte() % 4;
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = r.value();
    y[i] = mode == 0 ? x[i] : (mode == 1 ? x[i] + r.value() * 0.01f : r.value());
  }
  if (r.byte() % 16 == 0) y.pop_back();  // size mismatch
  auto st = qmath::compare(x, y);
  if (y.size() != x.size()) {
    QMATH_FUZZ_CHECK(!st && st.error().code() == qmath::errc::size_mismatch);
    return 0;
  }
  std::size_t bad_x = n, bad_y = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) && bad_x == n) bad_x = i;
    if (!std::isfinite(y[i]) && bad_y == n) bad_y = i;
  }
  double see = 0, sxx = 0, syy = 0, sxy = 0, axy = 0;
  float mx = 0;
  bool overflow = false;
  for (std::size_t i = 0; i < n; ++i) {
    const float d = x[i] - y[i];
    overflow |= !std::isfinite(d);
    see += double{d} * d;
    sxx += double{x[i]} * x[i];
    syy += double{y[i]} * y[i];
    sxy += double{x[i]} * y[i];
    axy += std::fabs(double{x[i]} * y[i]);
    mx = std::max(mx, std::fabs(d));
  }
  if (bad_x != n) {
    QMATH_FUZZ_CHECK(!st && st.error().code() == qmath::errc::non_finite && st.error().argument() == "x" &&
                     st.error().index() == bad_x);
    return 0;
  }
  if (bad_y != n) {
    QMATH_FUZZ_CHECK(!st && st.error().code() == qmath::errc::non_finite && st.error().argument() == "y" &&
                     st.error().index() == bad_y);
    return 0;
  }
  if (overflow || !std::isfinite(see) || !std::isfinite(sxx) || !std::isfinite(syy)) {
    QMATH_FUZZ_CHECK(!st && st.error().code() == qmath::errc::non_finite);
    return 0;
  }
  QMATH_FUZZ_CHECK(st.has_value());
  const qmath::error_stats& e = *st;
  QMATH_FUZZ_CHECK(e.count == n);
  QMATH_FUZZ_CHECK(close(e.sum_sq_err, see, see) && close(e.sum_sq_ref, sxx, sxx) &&
                   close(e.sum_sq_test, syy, syy) && close(e.sum_cross, sxy, axy));
  QMATH_FUZZ_CHECK(e.max_abs_err == mx);
  if (mode == 0) QMATH_FUZZ_CHECK(e.sqnr_db() == INFINITY && e.relative_l2() == 0.0 && e.mse() == 0.0);
  if (sxx == 0 && syy == 0) QMATH_FUZZ_CHECK(e.cosine() == 1.0);
  QMATH_FUZZ_CHECK(!std::isnan(e.sqnr_db()) && !std::isnan(e.cosine()) && !std::isnan(e.relative_l2()));

  // Same bits on the scalar level.
  QMATH_FUZZ_CHECK(qmath::set_max_isa(qmath::isa::scalar).ok());
  auto scalar = qmath::compare(x, y);
  QMATH_FUZZ_CHECK(scalar.has_value() && same(*scalar, e));
  QMATH_FUZZ_CHECK(qmath::set_max_isa(cap).ok());

  // Two batches merged == one pass (up to rounding).
  const std::size_t k = r.range(0, n);
  qmath::error_stats a, b;
  if (k > 0) QMATH_FUZZ_CHECK(qmath::accumulate_error(std::span(x).first(k), std::span(y).first(k), a).ok());
  if (k < n) QMATH_FUZZ_CHECK(qmath::accumulate_error(std::span(x).subspan(k), std::span(y).subspan(k), b).ok());
  a.merge(b);
  QMATH_FUZZ_CHECK(a.count == n && a.max_abs_err == e.max_abs_err);
  QMATH_FUZZ_CHECK(close(a.sum_sq_err, see, see) && close(a.sum_sq_ref, sxx, sxx) && close(a.sum_cross, sxy, axy));

  // Per channel along a chosen axis: the slots merge to the whole.
  const std::size_t shape[2] = {rows, cols};
  auto part = qmath::partition::per_channel(shape, r.byte() % 2);
  QMATH_FUZZ_CHECK(part.has_value());
  auto slots = qmath::compare_per_slot(x, y, *part);
  QMATH_FUZZ_CHECK(slots.has_value() && slots->size() == part->slots());
  qmath::error_stats m;
  for (const auto& s : *slots) m.merge(s);
  QMATH_FUZZ_CHECK(m.count == n && m.max_abs_err == e.max_abs_err && close(m.sum_sq_err, see, see));

  // KL divergence of two histograms made from the bytes.
  std::vector<double> p(cols), q(cols);
  for (std::size_t j = 0; j < cols; ++j) {
    p[j] = r.byte() % 5;
    q[j] = r.flag() ? p[j] : r.byte() % 5;
  }
  qmath::kl_options ko;
  ko.smoothing = static_cast<qmath::kl_smoothing>(r.byte() % 3);
  auto kl = qmath::kl_divergence(p, q, ko);
  auto kpp = qmath::kl_divergence(p, p, ko);
  // Both distributions need mass (p may lack it: then kl(p, .) fails too).
  bool p_mass = false, q_mass = false;
  for (std::size_t j = 0; j < cols; ++j) p_mass |= p[j] > 0, q_mass |= q[j] > 0;
  QMATH_FUZZ_CHECK(kpp.has_value() == p_mass);
  QMATH_FUZZ_CHECK(kl.has_value() == (p_mass && q_mass));
  if (kl) QMATH_FUZZ_CHECK(*kl >= -1e-12 && !std::isnan(*kl));
  if (kpp) QMATH_FUZZ_CHECK(std::fabs(*kpp) <= 1e-12);
  auto ks = qmath::kl_divergence_samples(x, y, static_cast<std::uint32_t>(r.range(1, 64)));
  if (ks) QMATH_FUZZ_CHECK(*ks >= -1e-12 && !std::isnan(*ks));
  return 0;
}
