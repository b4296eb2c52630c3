#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/metrics/error.hpp"

using qmath::error_stats;

namespace {

bool same_bits(const error_stats& a, const error_stats& b) {
  return a.count == b.count && std::memcmp(&a.sum_sq_err, &b.sum_sq_err, 8) == 0 &&
         std::memcmp(&a.sum_sq_ref, &b.sum_sq_ref, 8) == 0 && std::memcmp(&a.sum_sq_test, &b.sum_sq_test, 8) == 0 &&
         std::memcmp(&a.sum_cross, &b.sum_cross, 8) == 0 && std::memcmp(&a.max_abs_err, &b.max_abs_err, 4) == 0;
}

// Plain long-double reference of every statistic.
error_stats reference(const std::vector<float>& x, const std::vector<float>& y) {
  long double e = 0, r = 0, t = 0, c = 0;
  float m = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float d = x[i] - y[i];
    e += static_cast<long double>(d) * d;
    r += static_cast<long double>(x[i]) * x[i];
    t += static_cast<long double>(y[i]) * y[i];
    c += static_cast<long double>(x[i]) * y[i];
    m = std::max(m, std::fabs(d));
  }
  error_stats s;
  s.count = x.size();
  s.sum_sq_err = static_cast<double>(e);
  s.sum_sq_ref = static_cast<double>(r);
  s.sum_sq_test = static_cast<double>(t);
  s.sum_cross = static_cast<double>(c);
  s.max_abs_err = m;
  return s;
}

// Test-local textbook midrise quantizer over [-1, 1] with 2^b levels.
float midrise(float x, int b) {
  const double n = std::ldexp(1.0, b), step = 2.0 / n;
  double k = std::floor((x + 1.0) / step);
  k = std::clamp(k, 0.0, n - 1);
  return static_cast<float>(-1.0 + (k + 0.5) * step);
}

}  // namespace

TEST_CASE("metrics: known values on a small example") {
  const std::vector<float> x{1, 2, 3, 4}, y{1, 2, 3, 5};
  auto r = qmath::compare(x, y);
  REQUIRE(r);
  CHECK(r->count == 4);
  CHECK(r->mse() == doctest::Approx(0.25));
  CHECK(r->rmse() == doctest::Approx(0.5));
  CHECK(r->sqnr_db() == doctest::Approx(10 * std::log10(30.0)));
  CHECK(r->cosine() == doctest::Approx(34.0 / std::sqrt(30.0 * 39.0)));
  CHECK(r->relative_l2() == doctest::Approx(std::sqrt(1.0 / 30.0)));
  CHECK(r->max_abs() == 1.0);
  CHECK(*qmath::mse(x, y) == doctest::Approx(0.25));
  CHECK(*qmath::sqnr_db(x, y) == doctest::Approx(14.7712125472));
  CHECK(*qmath::cosine_similarity(x, x) == doctest::Approx(1.0));
}

TEST_CASE("metrics: degenerate inputs have documented values") {
  const std::vector<float> z{0, 0, 0}, o{1, -1, 2};
  auto same = qmath::compare(o, o);
  CHECK(std::isinf(same->sqnr_db()));
  CHECK(same->sqnr_db() > 0);
  CHECK(same->relative_l2() == 0.0);
  auto zr = qmath::compare(z, o);
  CHECK(zr->sqnr_db() == -std::numeric_limits<double>::infinity());
  CHECK(std::isinf(zr->relative_l2()));
  CHECK(zr->cosine() == 0.0);
  CHECK(qmath::compare(z, z)->cosine() == 1.0);
  error_stats empty;
  CHECK(std::isnan(empty.mse()));
  CHECK(std::isnan(empty.sqnr_db()));
}

TEST_CASE("metrics: bad input is reported") {
  const std::vector<float> a{1, 2, 3}, b{1, 2};
  std::vector<float> e;
  CHECK(qmath::compare(e, e).error() == qmath::errc::empty_input);
  CHECK(qmath::compare(a, b).error() == qmath::errc::size_mismatch);
  std::vector<float> n{1, std::nanf(""), 3};
  auto r = qmath::compare(a, n);
  CHECK(r.error() == qmath::errc::non_finite);
  CHECK(r.error().argument() == "y");
  CHECK(r.error().index() == 1);
  std::vector<float> inf{1, 2, std::numeric_limits<float>::infinity()};
  CHECK(qmath::compare(inf, a).error().index() == 2);
  // The accumulator is untouched by a failing call.
  error_stats acc;
  CHECK(qmath::accumulate_error(a, a, acc));
  CHECK_FALSE(qmath::accumulate_error(a, n, acc));
  CHECK(acc.count == 3);
}

TEST_CASE("metrics: every ISA level gives the scalar bits, all tail lengths") {
  qmath_test::cap_guard guard;
  const auto x = qmath_test::gaussian(1200, 1);
  auto y = x;
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += static_cast<float>(std::sin(static_cast<double>(i))) * 0.01f;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{15}, std::size_t{16},
                        std::size_t{17}, std::size_t{31}, std::size_t{33}, std::size_t{100}, std::size_t{1023},
                        std::size_t{1200}}) {
    for (std::size_t off : {std::size_t{0}, std::size_t{3}}) {
      if (n + off > x.size()) continue;
      std::span<const float> xs(x.data() + off, n), ys(y.data() + off, n);
      REQUIRE(qmath::set_max_isa(qmath::isa::scalar));
      const error_stats ref = qmath::detail::run_error_sums(xs.data(), ys.data(), n);
      for (qmath::isa l : qmath_test::runnable_levels()) {
        REQUIRE(qmath::set_max_isa(l));
        const error_stats got = qmath::detail::run_error_sums(xs.data(), ys.data(), n);
        CAPTURE(n);
        CAPTURE(static_cast<int>(l));
        CHECK(same_bits(ref, got));
      }
    }
  }
}

TEST_CASE("metrics: agree with a long-double reference; streaming and merge equal one-shot") {
  const auto x = qmath_test::gaussian(10001, 2);
  auto y = x;
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::nearbyint(x[i] * 20.0f) / 20.0f;
  const error_stats ref = reference(x, y);
  auto one = qmath::compare(x, y);
  REQUIRE(one);
  CHECK(one->sum_sq_err == doctest::Approx(ref.sum_sq_err).epsilon(1e-13));
  CHECK(one->sum_sq_ref == doctest::Approx(ref.sum_sq_ref).epsilon(1e-13));
  CHECK(one->sum_sq_test == doctest::Approx(ref.sum_sq_test).epsilon(1e-13));
  CHECK(one->sum_cross == doctest::Approx(ref.sum_cross).epsilon(1e-13));
  CHECK(one->max_abs_err == ref.max_abs_err);
  error_stats streamed, a, b;
  std::span<const float> xs(x), ys(y);
  for (std::size_t i = 0; i < x.size(); i += 777) {
    const std::size_t n = std::min<std::size_t>(777, x.size() - i);
    REQUIRE(qmath::accumulate_error(xs.subspan(i, n), ys.subspan(i, n), streamed));
  }
  REQUIRE(qmath::accumulate_error(xs.first(5000), ys.first(5000), a));
  REQUIRE(qmath::accumulate_error(xs.subspan(5000), ys.subspan(5000), b));
  a.merge(b);
  for (const error_stats* s : {&streamed, &a}) {
    CHECK(s->count == one->count);
    CHECK(s->sum_sq_err == doctest::Approx(one->sum_sq_err).epsilon(1e-13));
    CHECK(s->sum_cross == doctest::Approx(one->sum_cross).epsilon(1e-13));
    CHECK(s->max_abs_err == one->max_abs_err);
  }
}

TEST_CASE("metrics: full-scale uniform signal at b bits gives SQNR = 6.02 b dB") {
  // 2^16 points evenly covering [-1, 1): exactly uniform, so the quantization
  // noise is exactly step^2/12 and SQNR = 20 log10(2^b) up to O(2^-16).
  const std::size_t n = 1 << 16;
  std::vector<float> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = -1.0f + (2.0f * static_cast<float>(i) + 1.0f) / static_cast<float>(n);
  for (int b : {2, 4, 8}) {
    for (std::size_t i = 0; i < n; ++i) y[i] = midrise(x[i], b);
    auto r = qmath::compare(x, y);
    REQUIRE(r);
    CAPTURE(b);
    CHECK(r->sqnr_db() == doctest::Approx(6.0206 * b).epsilon(0.0005));
  }
}

TEST_CASE("metrics: per channel / per group equal looping per tensor") {
  const std::size_t C = 6, K = 70;  // [C, K], groups of 32 along K: 3 groups (last one 6 long)
  const auto x = qmath_test::gaussian(C * K, 3);
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = std::nearbyint(x[i] * 8.0f) / 8.0f;
  const std::array<std::size_t, 2> ext{C, K};
  std::span<const float> xs(x), ys(y);
  SUBCASE("per channel, axis 0 (contiguous rows)") {
    auto p = qmath::partition::per_channel(ext, 0);
    REQUIRE(p);
    auto r = qmath::compare_per_slot(x, y, *p);
    REQUIRE(r);
    REQUIRE(r->size() == C);
    for (std::size_t c = 0; c < C; ++c) CHECK(same_bits((*r)[c], *qmath::compare(xs.subspan(c * K, K), ys.subspan(c * K, K))));
  }
  SUBCASE("per channel, axis 1 (strided columns)") {
    auto p = qmath::partition::per_channel(ext, 1);
    auto r = qmath::compare_per_slot(x, y, *p);
    REQUIRE(r);
    REQUIRE(r->size() == K);
    for (std::size_t k = 0; k < K; ++k) {
      std::vector<float> cx, cy;
      for (std::size_t c = 0; c < C; ++c) {
        cx.push_back(x[c * K + k]);
        cy.push_back(y[c * K + k]);
      }
      const error_stats e = *qmath::compare(cx, cy);
      CHECK((*r)[k].count == C);
      CHECK((*r)[k].sum_sq_err == doctest::Approx(e.sum_sq_err).epsilon(1e-14));
      CHECK((*r)[k].max_abs_err == e.max_abs_err);
    }
  }
  SUBCASE("per group of 32 along axis 1, last group shorter") {
    auto p = qmath::partition::per_group(ext, 1, 32);
    auto r = qmath::compare_per_slot(x, y, *p);
    REQUIRE(r);
    REQUIRE(r->size() == C * 3);
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t g = 0; g < 3; ++g) {
        const std::size_t len = g == 2 ? 6 : 32;
        CHECK(same_bits((*r)[c * 3 + g], *qmath::compare(xs.subspan(c * K + 32 * g, len), ys.subspan(c * K + 32 * g, len))));
      }
  }
  SUBCASE("per group along axis 0 (inner > 1)") {
    auto p = qmath::partition::per_group(ext, 0, 4);  // groups of 4 channels, per column: 2 x 70 slots
    auto r = qmath::compare_per_slot(x, y, *p);
    REQUIRE(r);
    REQUIRE(r->size() == 2 * K);
    for (std::size_t g = 0; g < 2; ++g)
      for (std::size_t k = 0; k < K; ++k) {
        std::vector<float> cx, cy;
        for (std::size_t c = 4 * g; c < std::min(C, 4 * g + 4); ++c) {
          cx.push_back(x[c * K + k]);
          cy.push_back(y[c * K + k]);
        }
        CHECK((*r)[g * K + k].sum_sq_err == doctest::Approx(qmath::compare(cx, cy)->sum_sq_err).epsilon(1e-14));
      }
  }
  SUBCASE("errors") {
    auto p = qmath::partition::per_channel(ext, 0);
    std::vector<float> short_x(x.begin(), x.end() - 1);
    CHECK(qmath::compare_per_slot(short_x, short_x, *p).error() == qmath::errc::size_mismatch);
    CHECK(qmath::partition::per_channel(ext, 2).error().argument() == "axis");
    CHECK(qmath::partition::per_group(ext, 1, 0).error() == qmath::errc::invalid_argument);
  }
}
