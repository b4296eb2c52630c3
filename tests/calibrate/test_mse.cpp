#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/calibrate/aciq.hpp"
#include "qmath/calibrate/mse_search.hpp"

using qmath::clip_grid;

namespace {
// Exact N(0,1) mass in bins of width w over [-L, L] (tails folded into the edge bins).
std::vector<double> gaussian_mass(double L, double w) {
  const std::size_t n = static_cast<std::size_t>(std::llround(2 * L / w));
  std::vector<double> m(n);
  for (std::size_t j = 0; j < n; ++j) {
    const double a = -L + static_cast<double>(j) * w;
    m[j] = qmath::detail::norm_cdf(a + w) - qmath::detail::norm_cdf(a);
  }
  return m;
}
}  // namespace

TEST_CASE("aciq / exact Gaussian: reference values of the N(0,1) uniform quantizer") {
  // peers_math.md (g): midrise 2^b levels.
  CHECK(qmath::gaussian_clip_mse(2.6816, clip_grid::midrise(4)) == doctest::Approx(0.0115429).epsilon(2e-5));
  CHECK(qmath::gaussian_clip_mse(3.9376, clip_grid::midrise(8)) == doctest::Approx(8.76862e-5).epsilon(2e-5));
  CHECK(qmath::gaussian_optimal_clip(clip_grid::midrise(4)) == doctest::Approx(2.6816).epsilon(5e-5));
  CHECK(qmath::gaussian_optimal_clip(clip_grid::midrise(8)) == doctest::Approx(3.9376).epsilon(5e-5));
  CHECK(qmath::gaussian_optimal_clip(clip_grid::midrise(2)) == doctest::Approx(1.9914).epsilon(5e-5));
  CHECK(qmath::gaussian_clip_mse(1.5958, clip_grid::midrise(1)) == doctest::Approx(0.36338).epsilon(1e-4));
  // Restricted range (2^b - 1 levels, mid-tread): 4 bits alpha 2.4739, MSE 0.0128894.
  CHECK(qmath::gaussian_optimal_clip(clip_grid::symmetric_restricted(4)) == doctest::Approx(2.4739).epsilon(1e-4));
  CHECK(qmath::gaussian_clip_mse(2.4739, clip_grid::symmetric_restricted(4)) == doctest::Approx(0.0128894).epsilon(1e-4));
  // ACIQ approximation minimisers: 1.71 / 2.15 / 2.55 / 3.92 sigma; exact MSE there.
  CHECK(qmath::aciq_gaussian_clip(2) == doctest::Approx(1.7106).epsilon(1e-4));
  CHECK(qmath::aciq_gaussian_clip(3) == doctest::Approx(2.1516).epsilon(1e-4));
  CHECK(qmath::aciq_gaussian_clip(4) == doctest::Approx(2.5591).epsilon(1e-4));
  CHECK(qmath::aciq_gaussian_clip(8) == doctest::Approx(3.9240).epsilon(1e-4));
  CHECK(qmath::gaussian_clip_mse(2.5591, clip_grid::midrise(4)) == doctest::Approx(0.0117359).epsilon(1e-4));
  CHECK(qmath::aciq_gaussian_clip(4, 3.0) == doctest::Approx(3 * 2.5591).epsilon(1e-4));
  // Laplace: stationary point of 2 b^2 e^(-a/b) + a^2/(3 4^M): b e^(-a/b) = a / (3 4^M).
  for (int bits : {2, 4, 8}) {
    const double a = qmath::aciq_laplace_clip(bits);
    CHECK(std::exp(-a) == doctest::Approx(a / (3 * std::ldexp(1.0, 2 * bits))).epsilon(1e-6));
  }
  CHECK(qmath::aciq_laplace_clip(4, 2.0) == doctest::Approx(2 * qmath::aciq_laplace_clip(4)).epsilon(1e-8));
}

TEST_CASE("mse search: exact Gaussian mass histogram reproduces 2.6816 / 0.011543 and 3.9376 / 8.769e-5") {
  const double w = 0.005;
  const auto m = gaussian_mass(8.0, w);
  auto r4 = qmath::mse_threshold(m, -8.0, w, clip_grid::midrise(4));
  REQUIRE(r4);
  // Candidates are bin edges (step 0.005) and the curve is flat at the optimum.
  CHECK(std::fabs(r4->threshold - 2.6816) <= 2 * w);
  CHECK(r4->mse == doctest::Approx(0.0115429).epsilon(5e-4));
  auto r8 = qmath::mse_threshold(m, -8.0, w, clip_grid::midrise(8));
  REQUIRE(r8);
  CHECK(std::fabs(r8->threshold - 3.9376) <= 3 * w);
  CHECK(r8->mse == doctest::Approx(8.769e-5).epsilon(2e-3));
  // The histogram MSE agrees with the closed form at a fixed threshold.
  CHECK(qmath::histogram_clip_mse(m, -8.0, w, 2.6816, clip_grid::midrise(4)) ==
        doctest::Approx(qmath::gaussian_clip_mse(2.6816, clip_grid::midrise(4))).epsilon(1e-4));
  // Exhaustive search finds the same optimum as coarse-to-fine here.
  qmath::mse_search_options ex;
  ex.search = qmath::mse_search_options::method::exhaustive;
  CHECK(qmath::mse_threshold(m, -8.0, w, clip_grid::midrise(4), ex)->threshold == doctest::Approx(r4->threshold));
}

TEST_CASE("mse search: sampled N(0,1) through a collected histogram") {
  // 2e5 samples: the sampling error of an MSE estimate is ~ sqrt(Var(e^2)/n)/MSE ~ 0.3%,
  // and the optimum of the flat curve moves by a few hundredths of sigma.
  const auto x = qmath_test::gaussian(200000, 81);
  qmath::histogram h(qmath::histogram_mode::magnitude);
  REQUIRE(h.add(x));
  auto r = qmath::mse_threshold(h, clip_grid::midrise(4));
  REQUIRE(r);
  CHECK(r->threshold == doctest::Approx(2.6816).epsilon(0.03));
  CHECK(r->mse == doctest::Approx(0.011543).epsilon(0.02));
  // The optimum beats min/max clipping by a wide margin at 4 bits.
  CHECK(r->mse < 0.5 * qmath::histogram_clip_mse(h.weights(), h.lower(), h.bin_width(), h.observed().hi, clip_grid::midrise(4)));
}

TEST_CASE("mse search: errors") {
  std::vector<double> z(10, 0.0), e;
  CHECK(qmath::mse_threshold(z, 0, 1, clip_grid::symmetric(8)).error() == qmath::errc::empty_input);
  CHECK(qmath::mse_threshold(e, 0, 1, clip_grid::symmetric(8)).error() == qmath::errc::empty_input);
  std::vector<double> one{1.0};
  CHECK(qmath::mse_threshold(one, 0, 0, clip_grid::symmetric(8)).error().argument() == "width");
  clip_grid bad{5, 5, 0, 1};
  CHECK(qmath::mse_threshold(one, 0, 1, bad).error().argument() == "grid");
  CHECK(qmath::mse_threshold(qmath::histogram{}, clip_grid::symmetric(8)).error() == qmath::errc::empty_input);
}
