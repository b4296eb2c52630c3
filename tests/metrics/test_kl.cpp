#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/metrics/kl.hpp"

TEST_CASE("kl: known values, normalisation and smoothing") {
  const std::vector<double> p{1, 1}, q{3, 1};
  // p = [.5,.5], q = [.75,.25]: .5 ln(2/3) + .5 ln 2
  CHECK(*qmath::kl_divergence(p, q) == doctest::Approx(0.5 * std::log(2.0 / 3.0) + 0.5 * std::log(2.0)));
  CHECK(*qmath::kl_divergence(p, p) == 0.0);
  const std::vector<double> p2{2, 2};  // scale-free
  CHECK(*qmath::kl_divergence(p2, q) == doctest::Approx(*qmath::kl_divergence(p, q)));
  const std::vector<double> a{1, 1, 0}, b{1, 0, 1};
  qmath::kl_options none;
  none.smoothing = qmath::kl_smoothing::none;
  CHECK(std::isinf(*qmath::kl_divergence(a, b, none)));
  // Redistribute: a -> [.5 - 5e-5, .5 - 5e-5, 1e-4], b likewise permuted.
  qmath::kl_options red;
  red.smoothing = qmath::kl_smoothing::redistribute;
  red.epsilon = 1e-4;
  const double e = 1e-4, h = 0.5 - e / 2;
  const double want = h * std::log(h / h) + h * std::log(h / e) + e * std::log(e / h);
  CHECK(*qmath::kl_divergence(a, b, red) == doctest::Approx(want).epsilon(1e-12));
  // Additive (default): a -> ([.5,.5,0] + 1e-6) / (1 + 3e-6).
  const double d = 1 + 3e-6, ha = (0.5 + 1e-6) / d, ea = 1e-6 / d;
  const double want_add = ha * std::log(ha / ha) + ha * std::log(ha / ea) + ea * std::log(ea / ha);
  CHECK(*qmath::kl_divergence(a, b) == doctest::Approx(want_add).epsilon(1e-12));
  // Zero entries of P with smoothing none contribute nothing.
  CHECK(*qmath::kl_divergence(std::vector<double>{1, 0}, std::vector<double>{1, 1}, none) == doctest::Approx(std::log(2.0)));
}

TEST_CASE("kl: errors") {
  const std::vector<double> p{1, 1}, q3{1, 1, 1}, z{0, 0}, neg{1, -1};
  CHECK(qmath::kl_divergence(p, q3).error() == qmath::errc::size_mismatch);
  CHECK(qmath::kl_divergence(std::vector<double>{}, std::vector<double>{}).error() == qmath::errc::empty_input);
  CHECK(qmath::kl_divergence(p, z).error().argument() == "q");
  CHECK(qmath::kl_divergence(neg, p).error().index() == 1);
  qmath::kl_options big;
  big.smoothing = qmath::kl_smoothing::redistribute;
  big.epsilon = 0.6;
  CHECK(qmath::kl_divergence(std::vector<double>{1, 0, 0}, std::vector<double>{1, 1, 1}, big).error().argument() ==
        "epsilon");
  big.epsilon = 1.5;
  CHECK(qmath::kl_divergence(p, p, big).error().argument() == "epsilon");
}

TEST_CASE("kl: sample sets") {
  const auto x = qmath_test::gaussian(20000, 5);
  CHECK(*qmath::kl_divergence_samples(x, x, 256) == 0.0);
  const auto y = qmath_test::gaussian(20000, 6, 2.0);
  auto r = qmath::kl_divergence_samples(x, y, 256);
  REQUIRE(r);
  const double kl = *r;
  // KL(N(0,1) || N(0,4)) = ln 2 + 1/8 - 1/2 = 0.318; histogram estimate close.
  CHECK(kl == doctest::Approx(0.318).epsilon(0.1));
}
