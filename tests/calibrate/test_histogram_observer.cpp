#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/calibrate/histogram_observer.hpp"
#include "qmath/calibrate/qparams.hpp"

TEST_CASE("histogram observer: per channel / per group = looping per tensor; merge; ranges -> qparams") {
  const std::size_t R = 4, K = 600;
  auto a = qmath_test::gaussian(R * K, 301), b = qmath_test::gaussian(R * K, 302);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] *= static_cast<float>(1 + i / K);
    b[i] *= static_cast<float>(1 + i / K) * 1.5f;
  }
  const std::array<std::size_t, 2> ext{R, K};
  for (std::size_t axis : {std::size_t{0}, std::size_t{1}}) {
    auto p = qmath::partition::per_channel(ext, axis);
    qmath::histogram_observer o(*p), o1(*p), o2(*p);
    REQUIRE(o.observe(a));
    REQUIRE(o.observe(b));
    REQUIRE(o1.observe(a));
    REQUIRE(o2.observe(b));
    REQUIRE(o1.merge(o2));
    const std::size_t nch = axis == 0 ? R : K;
    REQUIRE(o.slots() == nch);
    for (std::size_t ch = 0; ch < nch; ch += (axis == 0 ? 1 : 97)) {
      std::vector<float> va, vb;
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t k = 0; k < K; ++k)
          if ((axis == 0 ? r : k) == ch) va.push_back(a[r * K + k]), vb.push_back(b[r * K + k]);
      qmath::histogram h;
      REQUIRE(h.add(va));
      REQUIRE(h.add(vb));
      CHECK(std::equal(h.counts().begin(), h.counts().end(), o.slot(ch).counts().begin()));
      CHECK(h.bin_width() == o.slot(ch).bin_width());
      CHECK(std::equal(h.counts().begin(), h.counts().end(), o1.slot(ch).counts().begin()));
    }
  }
  auto pg = qmath::partition_for<qmath::int8_sym_per_channel>(ext);
  qmath::histogram_observer oc(*pg);
  REQUIRE(oc.observe(a));
  auto er = qmath::entropy_ranges(oc);
  REQUIRE(er);
  REQUIRE(er->size() == R);
  for (std::size_t r = 1; r < R; ++r) CHECK((*er)[r].hi > (*er)[r - 1].hi);  // channel scales grow
  auto q = qmath::qparams_from_ranges<qmath::int8_sym_per_channel>(*er, *pg);
  REQUIRE(q);
  CHECK(q->scale[0] == static_cast<float>((*er)[0].hi) / 127.5f);
  auto mr = qmath::mse_ranges(oc, qmath::clip_grid::symmetric(8));
  REQUIRE(mr);
  auto pr = qmath::percentile_ranges(oc, 99.9);
  REQUIRE(pr);
  CHECK((*pr)[0].lo == -(*pr)[0].hi);
  qmath::histogram_observer sgn(*pg, qmath::histogram_mode::signed_values);
  REQUIRE(sgn.observe(a));
  auto sr = qmath::percentile_ranges(sgn, 99.0);
  REQUIRE(sr);
  CHECK((*sr)[0].lo < 0);
  CHECK(qmath::entropy_ranges(sgn).error().index() == 0);
  std::vector<float> bad(a);
  bad[7] = NAN;
  CHECK(oc.observe(bad).code() == qmath::errc::non_finite);
}
