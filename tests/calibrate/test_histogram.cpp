#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/calibrate/histogram.hpp"
#include "qmath/calibrate/percentile.hpp"

using qmath::histogram;
using qmath::histogram_mode;

namespace {
bool same(const histogram& a, const histogram& b) {
  return a.lower() == b.lower() && a.bin_width() == b.bin_width() && a.total() == b.total() &&
         std::equal(a.counts().begin(), a.counts().end(), b.counts().begin(), b.counts().end());
}
}  // namespace

TEST_CASE("histogram: power-of-two layout, exact bins") {
  std::vector<float> x;
  for (int i = 0; i <= 100; ++i) x.push_back(static_cast<float>(i % 2 ? i : -i));
  histogram h(histogram_mode::magnitude, 16);
  REQUIRE(h.add(x));
  CHECK(h.bin_width() == 8.0);  // floor(100/8) = 12 <= 15, floor(100/4) = 25 > 15
  CHECK(h.lower() == 0.0);
  for (std::size_t j = 0; j < 16; ++j) {
    std::uint64_t want = 0;
    for (int i = 0; i <= 100; ++i) want += static_cast<std::size_t>(i / 8) == j;
    CHECK(h.counts()[j] == want);
  }
  histogram s(histogram_mode::signed_values, 16);
  REQUIRE(s.add(x));
  // span [-100, 99]: w = 16 gives floor(99/16) - floor(-100/16) = 6 + 7 = 13 <= 15; w = 8: 25.
  CHECK(s.bin_width() == 16.0);
  CHECK(s.lower() == -112.0);
  CHECK(s.counts()[0] == 2);  // -100, -98 in [-112, -96); -96 starts bin 1
}

TEST_CASE("histogram: every ISA level counts the same bins") {
  qmath_test::cap_guard guard;
  auto x = qmath_test::gaussian(5003, 31, 2.0);
  x[7] = 0.0f;
  x[8] = -0.0f;
  for (auto mode : {histogram_mode::magnitude, histogram_mode::signed_values}) {
    REQUIRE(qmath::set_max_isa(qmath::isa::scalar));
    histogram ref(mode, 2048);
    REQUIRE(ref.add(x));
    auto fref = histogram::fixed(mode, mode == histogram_mode::magnitude ? 0.0f : -3.0f, 3.3f, 1000);
    REQUIRE(fref);
    REQUIRE(fref->add(x));
    for (qmath::isa l : qmath_test::runnable_levels()) {
      REQUIRE(qmath::set_max_isa(l));
      histogram h(mode, 2048);
      REQUIRE(h.add(x));
      CHECK(same(h, ref));
      auto f = histogram::fixed(mode, mode == histogram_mode::magnitude ? 0.0f : -3.0f, 3.3f, 1000);
      REQUIRE(f->add(x));
      CHECK(same(*f, *fref));
      CHECK(f->clamped() == fref->clamped());
    }
  }
}

TEST_CASE("histogram: range growth keeps every count; streaming = one-shot = merge") {
  const auto a = qmath_test::gaussian(3000, 41, 0.01), b = qmath_test::gaussian(3000, 42, 5.0);
  auto c = qmath_test::uniform(1000, 43, 3.0f, 40.0f);
  std::vector<float> all(a);
  all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), c.begin(), c.end());
  for (auto mode : {histogram_mode::magnitude, histogram_mode::signed_values}) {
    histogram one(mode), s(mode), m1(mode), m2(mode), m3(mode);
    REQUIRE(one.add(all));
    REQUIRE(s.add(a));
    const double w0 = s.bin_width();
    REQUIRE(s.add(b));
    REQUIRE(s.add(c));
    CHECK(s.bin_width() > w0);  // the range grew
    CHECK(s.total() == all.size());
    CHECK(same(s, one));
    REQUIRE(m1.add(c));
    REQUIRE(m2.add(a));
    REQUIRE(m3.add(b));
    REQUIRE(m2.merge(m1));
    REQUIRE(m3.merge(m2));
    CHECK(same(m3, one));
    // Each bin holds exactly the values in [lower + j w, lower + (j+1) w).
    std::vector<std::uint64_t> want(one.bins(), 0);
    for (float v : all) {
      const double t = mode == histogram_mode::magnitude ? std::fabs(v) : v;
      want[static_cast<std::size_t>(std::floor((t - one.lower()) / one.bin_width()))]++;
    }
    CHECK(std::equal(want.begin(), want.end(), one.counts().begin()));
  }
}

TEST_CASE("histogram: a rejected multi-chunk batch leaves the histogram unchanged") {
  const auto a = qmath_test::gaussian(1000, 44);
  auto big = qmath_test::gaussian(40000, 45, 50.0);  // 3 chunks, grows the range
  big[35000] = std::nanf("");
  histogram h(histogram_mode::signed_values), ref(histogram_mode::signed_values);
  REQUIRE(h.add(a));
  REQUIRE(ref.add(a));
  auto st = h.add(big);
  CHECK(st.code() == qmath::errc::non_finite);
  CHECK(st.index() == 35000);
  CHECK(same(h, ref));
  CHECK(h.observed() == ref.observed());
  big[35000] = 1.0f;
  REQUIRE(h.add(big));
  std::vector<float> all(a);
  all.insert(all.end(), big.begin(), big.end());
  histogram one(histogram_mode::signed_values);
  REQUIRE(one.add(all));
  CHECK(same(h, one));
}

TEST_CASE("histogram: degenerate data, errors, fixed layout") {
  histogram z;
  std::vector<float> zeros(100, 0.0f);
  REQUIRE(z.add(zeros));
  CHECK(z.counts()[0] == 100);
  CHECK(z.width_exponent() == -126);
  std::vector<float> later{1.5f, -2.0f};
  REQUIRE(z.add(later));  // grows from 2^-126 in one regrid
  CHECK(z.total() == 102);
  CHECK(z.counts()[0] == 100);

  histogram c(histogram_mode::signed_values);
  std::vector<float> con(50, 3.25f);
  REQUIRE(c.add(con));
  CHECK(std::count(c.counts().begin(), c.counts().end(), 50u) == 1);

  histogram h;
  std::vector<float> e, bad{1, std::nanf(""), 2};
  CHECK(h.add(e).code() == qmath::errc::empty_input);
  CHECK(h.add(bad).index() == 1);
  CHECK(h.total() == 0);
  histogram sk(histogram_mode::magnitude, 2048, qmath::calibration_nonfinite::skip);
  REQUIRE(sk.add(bad));
  CHECK(sk.total() == 2);
  CHECK(sk.skipped() == 1);
  histogram odd(histogram_mode::magnitude, 7);
  CHECK(odd.add(later).argument() == "nbins");
  CHECK_FALSE(h.merge(c));  // mode differs

  CHECK(histogram::fixed(histogram_mode::magnitude, -1, 1).error().argument() == "lo");
  CHECK(histogram::fixed(histogram_mode::signed_values, 1, 1).error().argument() == "hi");
  auto f = histogram::fixed(histogram_mode::signed_values, -1.0f, 1.0f, 4);
  std::vector<float> v{-2.0f, -0.75f, -0.25f, 0.25f, 0.75f, 0.99f, 1.0f, 5.0f};
  REQUIRE(f->add(v));
  CHECK(f->counts()[0] == 2);
  CHECK(f->counts()[1] == 1);
  CHECK(f->counts()[2] == 1);
  CHECK(f->counts()[3] == 4);
  CHECK(f->clamped() == 3);
  auto g = histogram::fixed(histogram_mode::signed_values, -1.0f, 2.0f, 4);
  CHECK(f->merge(*g).argument() == "other");
}

TEST_CASE("percentile: histogram approximation within one bin of the exact value") {
  const auto x = qmath_test::gaussian(20000, 51);
  qmath::percentile_observer exact;
  REQUIRE(exact.observe(x));
  histogram hm(histogram_mode::magnitude), hs(histogram_mode::signed_values);
  REQUIRE(hm.add(x));
  REQUIRE(hs.add(x));
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    CAPTURE(p);
    // The two definitions differ by at most one rank (p (n-1) vs p n) plus one bin.
    const double dp = 100.0 / static_cast<double>(x.size());
    const double gm = *exact.magnitude_percentile(std::min(100.0, p + dp)) - *exact.magnitude_percentile(p - dp);
    const double gs = *exact.percentile(std::min(100.0, p + dp)) - *exact.percentile(p - dp);
    CHECK(std::fabs(*qmath::histogram_percentile(hm, p) - *exact.magnitude_percentile(p)) <= hm.bin_width() + gm);
    CHECK(std::fabs(*qmath::histogram_percentile(hs, p) - *exact.percentile(p)) <= hs.bin_width() + gs);
  }
  CHECK(*qmath::histogram_percentile(hs, 0.0) == doctest::Approx(*exact.percentile(0.0)));
  CHECK(qmath::histogram_percentile(hs, 101).error().argument() == "pct");
  CHECK(qmath::histogram_percentile(histogram{}, 50).error() == qmath::errc::empty_input);
}
