#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/calibrate/percentile.hpp"

TEST_CASE("percentile: numpy linear definition, known values") {
  std::vector<float> v{4, 1, 3, 2, 5};
  CHECK(*qmath::percentile_inplace(v, 50) == 3.0);
  CHECK(*qmath::percentile_inplace(v, 0) == 1.0);
  CHECK(*qmath::percentile_inplace(v, 100) == 5.0);
  CHECK(*qmath::percentile_inplace(v, 90) == doctest::Approx(4.6));  // r = 3.6
  CHECK(*qmath::percentile_inplace(v, 12.5) == doctest::Approx(1.5));
  std::vector<float> e;
  CHECK(qmath::percentile_inplace(e, 50).error() == qmath::errc::empty_input);
  CHECK(qmath::percentile_inplace(v, -1).error().argument() == "pct");
}

TEST_CASE("percentile observer: magnitude / two-sided, merge, per channel, non-finite") {
  qmath::percentile_observer o;
  std::vector<float> x{-10, 1, 2, 3, -4};
  REQUIRE(o.observe(x));
  CHECK(*o.magnitude_percentile(100) == 10.0);
  CHECK(*o.magnitude_percentile(50) == 3.0);
  auto r = o.two_sided(75);
  REQUIRE(r);
  CHECK(r->lo == -4.0f);  // P(25) of [-10,-4,1,2,3]: r = 1 -> -4
  CHECK(r->hi == 2.0f);
  const auto a = qmath_test::gaussian(999, 61), b = qmath_test::gaussian(1001, 62);
  std::vector<float> ab(a);
  ab.insert(ab.end(), b.begin(), b.end());
  qmath::percentile_observer m1, m2, one;
  REQUIRE(m1.observe(a));
  REQUIRE(m2.observe(b));
  REQUIRE(m1.merge(m2));
  REQUIRE(one.observe(ab));
  CHECK(*m1.magnitude_percentile(99.9) == *one.magnitude_percentile(99.9));
  const std::array<std::size_t, 2> ext{3, 333};
  qmath::percentile_observer pc(*qmath::partition::per_channel(ext, 0));
  REQUIRE(pc.observe(a));
  for (std::size_t c = 0; c < 3; ++c) {
    qmath::percentile_observer t;
    REQUIRE(t.observe(std::span<const float>(a).subspan(c * 333, 333)));
    CHECK(*pc.percentile(99, c) == *t.percentile(99));
  }
  CHECK(pc.percentile(50, 3).error() == qmath::errc::out_of_range);
  std::vector<float> bad{1, INFINITY};
  CHECK(o.observe(bad).code() == qmath::errc::non_finite);
  qmath::percentile_observer sk(qmath::partition::per_tensor(), qmath::calibration_nonfinite::skip);
  REQUIRE(sk.observe(bad));
  CHECK(sk.count() == 1);
  CHECK(sk.skipped() == 1);
}
