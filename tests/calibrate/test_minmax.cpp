#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/calibrate/minmax.hpp"

using qmath::value_range;

TEST_CASE("minmax: finite_range kernel equals scalar on every level, tails and non-finite counts") {
  qmath_test::cap_guard guard;
  auto x = qmath_test::gaussian(1000, 11);
  x[5] = -0.0f;
  std::vector<std::size_t> sizes;
  for (std::size_t n = 0; n <= 100; ++n) sizes.push_back(n);
  for (std::size_t n = 101; n <= 900; n += 37) sizes.push_back(n);
  for (std::size_t n : sizes) {
    for (std::size_t off : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{99}}) {
      if (off + n > x.size()) continue;
      REQUIRE(qmath::set_max_isa(qmath::isa::scalar));
      value_range ref;
      const std::size_t bad_ref = qmath::detail::minmax_run(x.data() + off, n, ref);
      for (qmath::isa l : qmath_test::runnable_levels()) {
        REQUIRE(qmath::set_max_isa(l));
        value_range got;
        const std::size_t bad = qmath::detail::minmax_run(x.data() + off, n, got);
        CHECK(bad == bad_ref);
        CHECK(std::memcmp(&got, &ref, sizeof got) == 0);
      }
    }
  }
  // Non-finite values are excluded and counted on every level (short and long arrays).
  std::vector<float> big = qmath_test::gaussian(5000, 13);
  big[4321] = std::numeric_limits<float>::infinity();
  for (qmath::isa l : qmath_test::runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l));
    value_range r;
    CHECK(qmath::detail::minmax_run(big.data() + 1, big.size() - 1, r) == 1);
    CHECK(std::isfinite(r.hi));
  }
  std::vector<float> y = qmath_test::gaussian(257, 12);
  y[3] = std::numeric_limits<float>::infinity();
  y[100] = std::nanf("");
  y[256] = -std::numeric_limits<float>::infinity();
  float lo = 1e30f, hi = -1e30f;
  for (float v : y)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  for (qmath::isa l : qmath_test::runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l));
    value_range r;
    CHECK(qmath::detail::minmax_run(y.data(), y.size(), r) == 3);
    CHECK(r.lo == lo);
    CHECK(r.hi == hi);
  }
  // Finite values near FLT_MAX: the fast path's running sums overflow, the
  // counting path reruns and must count nothing.
  std::vector<float> huge(1000);
  for (std::size_t i = 0; i < huge.size(); ++i)
    huge[i] = (i % 3 == 0 ? -1.0f : 1.0f) * std::numeric_limits<float>::max() * (0.5f + 0.0004f * float(i % 1000));
  const auto hm = std::minmax_element(huge.begin(), huge.end());
  for (qmath::isa l : qmath_test::runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l));
    value_range r;
    CHECK(qmath::detail::minmax_run(huge.data(), huge.size(), r) == 0);
    CHECK(r.lo == *hm.first);
    CHECK(r.hi == *hm.second);
  }
  // One NaN at every position of a 64-element block (each vector chain of the
  // fast path), in a long array.
  std::vector<float> z = qmath_test::gaussian(640, 14);
  for (std::size_t pos = 256; pos < 320; ++pos) {
    std::vector<float> w = z;
    w[pos] = std::nanf("");
    for (qmath::isa l : qmath_test::runnable_levels()) {
      REQUIRE(qmath::set_max_isa(l));
      value_range r;
      CHECK(qmath::detail::minmax_run(w.data(), w.size(), r) == 1);
      CHECK(std::isfinite(r.lo));
      CHECK(std::isfinite(r.hi));
    }
  }
}

TEST_CASE("minmax: errors, policies, degenerate data") {
  std::vector<float> e;
  CHECK(qmath::finite_range(e).error() == qmath::errc::empty_input);
  std::vector<float> x{1, 2, std::nanf(""), -3};
  auto r = qmath::finite_range(x);
  CHECK(r.error() == qmath::errc::non_finite);
  CHECK(r.error().index() == 2);
  auto s = qmath::finite_range(x, qmath::calibration_nonfinite::skip);
  REQUIRE(s);
  CHECK(s->lo == -3);
  CHECK(s->hi == 2);
  std::vector<float> allbad{std::nanf(""), std::numeric_limits<float>::infinity()};
  CHECK(qmath::finite_range(allbad, qmath::calibration_nonfinite::skip)->empty());
  std::vector<float> c(10, -0.0f);  // constant (negative zero): range [+0, +0]
  auto cr = qmath::finite_range(c);
  CHECK(cr->lo == 0.0f);
  CHECK_FALSE(std::signbit(cr->lo));

  qmath::minmax_observer obs;
  CHECK(obs.observe(x).code() == qmath::errc::non_finite);
  CHECK(obs.range().empty());  // unchanged after a rejected batch
  qmath::minmax_observer skip(qmath::partition::per_tensor(), qmath::calibration_nonfinite::skip);
  CHECK(skip.observe(x));
  CHECK(skip.skipped() == 1);
  CHECK(skip.count() == 3);
  CHECK(skip.range() == value_range{-3, 2});
}

TEST_CASE("minmax: streaming = one-shot = merge; per-channel = looping per-tensor") {
  const std::size_t C = 5, K = 37;
  const auto a = qmath_test::gaussian(C * K, 21), b = qmath_test::gaussian(C * K, 22, 3.0);
  std::vector<float> ab(a);
  ab.insert(ab.end(), b.begin(), b.end());
  qmath::minmax_observer s, one, m1, m2;
  REQUIRE(s.observe(a));
  REQUIRE(s.observe(b));
  REQUIRE(one.observe(ab));
  REQUIRE(m1.observe(b));
  REQUIRE(m2.observe(a));
  REQUIRE(m1.merge(m2));
  CHECK(s.range() == one.range());
  CHECK(m1.range() == one.range());
  CHECK(s.count() == ab.size());

  const std::array<std::size_t, 2> ext{C, K};
  for (std::size_t axis : {std::size_t{0}, std::size_t{1}}) {
    qmath::minmax_observer pc(*qmath::partition::per_channel(ext, axis));
    REQUIRE(pc.observe(a));
    REQUIRE(pc.observe(b));
    const std::size_t nch = axis == 0 ? C : K;
    REQUIRE(pc.ranges().size() == nch);
    for (std::size_t ch = 0; ch < nch; ++ch) {
      std::vector<float> v;
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t k = 0; k < K; ++k)
          if ((axis == 0 ? c : k) == ch) v.push_back(a[c * K + k]), v.push_back(b[c * K + k]);
      qmath::minmax_observer t;
      REQUIRE(t.observe(v));
      CHECK(pc.ranges()[ch] == t.range());
    }
  }
  qmath::minmax_observer pg(*qmath::partition::per_group(ext, 1, 16));  // 3 groups per row
  REQUIRE(pg.observe(a));
  REQUIRE(pg.ranges().size() == C * 3);
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t g = 0; g < 3; ++g) {
      qmath::minmax_observer t;
      REQUIRE(t.observe(std::span<const float>(a).subspan(c * K + 16 * g, g == 2 ? 5 : 16)));
      CHECK(pg.ranges()[c * 3 + g] == t.range());
    }
  CHECK(pg.observe(std::span<const float>(a).first(10)).code() == qmath::errc::size_mismatch);
  CHECK(pg.merge(s).code() == qmath::errc::size_mismatch);
}

TEST_CASE("moving average: PyTorch recurrence, merge = sequential") {
  qmath::moving_average_observer m;
  const std::vector<float> b1{-1, 2}, b2{-3, 4}, b3{0, 10};
  REQUIRE(m.observe(b1));
  CHECK(m.range() == value_range{-1, 2});  // first batch copies
  REQUIRE(m.observe(b2));
  CHECK(m.range().lo == doctest::Approx(-1 + 0.01 * (-3 + 1)));
  CHECK(m.range().hi == doctest::Approx(2 + 0.01 * (4 - 2)));
  REQUIRE(m.observe(b3));
  const double lo3 = (-1 - 0.02) + 0.01 * (0 - (-1.02)), hi3 = 2.02 + 0.01 * (10 - 2.02);
  CHECK(m.range().lo == doctest::Approx(lo3));
  CHECK(m.range().hi == doctest::Approx(hi3));

  // Merge of (b1) and (b2, b3) equals the sequential stream.
  qmath::moving_average_observer x, y;
  REQUIRE(x.observe(b1));
  REQUIRE(y.observe(b2));
  REQUIRE(y.observe(b3));
  REQUIRE(x.merge(y));
  CHECK(x.range().lo == doctest::Approx(lo3).epsilon(1e-6));
  CHECK(x.range().hi == doctest::Approx(hi3).epsilon(1e-6));
  CHECK(x.batches() == 3);
  // Longer random stream, split at every point.
  std::vector<std::vector<float>> batches;
  for (int i = 0; i < 12; ++i) batches.push_back(qmath_test::gaussian(64, 100 + i, 1 + i % 3));
  qmath::moving_average_observer seq;
  for (auto& bt : batches) REQUIRE(seq.observe(bt));
  for (std::size_t cut = 1; cut < batches.size(); ++cut) {
    qmath::moving_average_observer p, q;
    for (std::size_t i = 0; i < cut; ++i) REQUIRE(p.observe(batches[i]));
    for (std::size_t i = cut; i < batches.size(); ++i) REQUIRE(q.observe(batches[i]));
    REQUIRE(p.merge(q));
    CHECK(p.range().lo == doctest::Approx(seq.range().lo).epsilon(1e-6));
    CHECK(p.range().hi == doctest::Approx(seq.range().hi).epsilon(1e-6));
  }
  qmath::moving_average_observer bad(qmath::partition::per_tensor(), 0.0);
  CHECK(bad.observe(b1).argument() == "averaging_constant");
  qmath::moving_average_observer other_c(qmath::partition::per_tensor(), 0.5);
  CHECK_FALSE(seq.merge(other_c));
}
