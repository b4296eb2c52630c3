#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/calibrate/entropy.hpp"

using qmath::entropy_options;

namespace {
// Direct O(i) evaluation of KL(P||Q) for candidate i (the definition, no prefix sums).
double kl_direct(const std::vector<double>& bins, std::size_t i, std::uint32_t levels,
                 entropy_options::grouping rule) {
  std::vector<double> p(bins.begin(), bins.begin() + static_cast<std::ptrdiff_t>(i)), q(i);
  double out = 0;
  for (std::size_t j = i; j < bins.size(); ++j) out += bins[j];
  p[i - 1] += out;
  REQUIRE(qmath::expand_levels(std::span<const double>(bins.data(), i), levels, q, rule));
  double sp = 0, sq = 0;
  for (std::size_t j = 0; j < i; ++j) sp += p[j], sq += q[j];
  double kl = 0;
  for (std::size_t j = 0; j < i; ++j) {
    if (p[j] == 0) continue;
    if (q[j] == 0) return INFINITY;
    kl += p[j] / sp * std::log((p[j] / sp) / (q[j] / sq));
  }
  return kl;
}
}  // namespace

TEST_CASE("entropy: merge-and-expand known answer") {
  const std::vector<double> b{1, 0, 2, 3, 5, 3, 1, 7};
  std::vector<double> out(8);
  REQUIRE(qmath::expand_levels(b, 2, out));
  CHECK(out == std::vector<double>{2, 0, 2, 2, 4, 4, 4, 4});
  REQUIRE(qmath::expand_levels(b, 2, out, entropy_options::grouping::floor_last_absorbs));
  CHECK(out == std::vector<double>{2, 0, 2, 2, 4, 4, 4, 4});
  // 8 bins into 3 levels: even_split groups {0,1,2},{3,4,5},{6,7}; floor rule {0,1},{2,3},{4..7}.
  REQUIRE(qmath::expand_levels(b, 3, out));
  CHECK(out == std::vector<double>{1.5, 0, 1.5, 11.0 / 3, 11.0 / 3, 11.0 / 3, 4, 4});
  REQUIRE(qmath::expand_levels(b, 3, out, entropy_options::grouping::floor_last_absorbs));
  CHECK(out == std::vector<double>{1, 0, 2.5, 2.5, 4, 4, 4, 4});
  CHECK(qmath::expand_levels(b, 9, out).argument() == "bins");
}

TEST_CASE("entropy: bins[j] = j+1 below 128 has its minimum at i = 128") {
  std::vector<double> h(2048, 0.0);
  for (int j = 0; j < 128; ++j) h[static_cast<std::size_t>(j)] = j + 1;
  auto r = qmath::entropy_threshold(h, 1.0);
  REQUIRE(r);
  CHECK(r->bins == 128);
  CHECK(r->divergence == doctest::Approx(0.0));
  CHECK(r->threshold == 128.5);  // (i + 0.5) * width
  entropy_options edge;
  edge.threshold_rule = entropy_options::edge::bin_edge;
  CHECK(qmath::entropy_threshold(h, 0.5, edge)->threshold == 64.0);  // i * width
  // Every larger i merges unequal neighbours: KL > 0.
  for (std::size_t i : {129u, 200u, 256u, 2048u})
    CHECK(kl_direct(h, i, 128, entropy_options::grouping::even_split) > 1e-6);
}

TEST_CASE("entropy: prefix-sum search equals the direct definition for every candidate") {
  // Gaussian |x| histogram with some empty bins and mass beyond.
  const auto x = qmath_test::gaussian(20000, 71);
  std::vector<double> h(600, 0.0);
  for (float v : x) {
    const std::size_t j = std::min<std::size_t>(599, static_cast<std::size_t>(std::fabs(v) * 100));
    h[j] += 1;
  }
  h[3] = 0;
  h[300] = 0;
  for (auto rule : {entropy_options::grouping::even_split, entropy_options::grouping::floor_last_absorbs}) {
    entropy_options o;
    o.group_rule = rule;
    auto r = qmath::entropy_threshold(h, 0.01, o);
    REQUIRE(r);
    std::size_t best = 0;
    double bkl = INFINITY;
    for (std::size_t i = 128; i <= h.size(); ++i) {
      const double kl = kl_direct(h, i, 128, rule);
      if (kl < bkl - 1e-12) bkl = kl, best = i;
    }
    CHECK(r->bins == best);
    CHECK(r->divergence == doctest::Approx(bkl).epsilon(1e-9));
    CHECK(r->threshold == doctest::Approx((best + 0.5) * 0.01));
  }
}

TEST_CASE("entropy: flat histogram, argmin rules, bin 0 rule, errors") {
  // Flat over the first 256 bins, empty above: KL = 0 for every i >= 256
  // (no mass beyond, and every group spreads equal values); i < 256 folds mass
  // into the last bin, KL > 0.
  std::vector<double> flat(1024, 0.0);
  for (std::size_t j = 0; j < 256; ++j) flat[j] = 5.0;
  entropy_options first, last;
  last.argmin_rule = entropy_options::argmin::last;
  CHECK(qmath::entropy_threshold(flat, 1.0, first)->bins == 256);
  CHECK(qmath::entropy_threshold(flat, 1.0, last)->bins == 1024);
  // A spike at 0 (exact zeros): copy_bin1 removes it before the search, the
  // rest is flat: KL 0 only with nothing folded (i = 512).
  std::vector<double> spike(512, 1.0);
  spike[0] = 1e6;
  entropy_options c1;
  c1.bin0_rule = entropy_options::bin0::copy_bin1;
  auto sp = qmath::entropy_threshold(spike, 1.0, c1);
  CHECK(sp->bins == 512);
  CHECK(sp->divergence == doctest::Approx(0.0));
  CHECK(qmath::entropy_threshold(spike, 1.0)->divergence > 1e-3);
  // Candidate with an empty last bin but mass beyond: infinite, skipped.
  std::vector<double> gap(300, 1.0);
  gap[199] = 0;
  auto g = qmath::entropy_threshold(gap, 1.0, last);
  REQUIRE(g);
  CHECK(g->bins != 200);
  std::vector<double> few(100, 1.0), zero(300, 0.0), neg(300, 1.0), one(300, 1.0);
  neg[5] = -1;
  CHECK(qmath::entropy_threshold(few, 1.0).error().argument() == "weights");
  CHECK(qmath::entropy_threshold(zero, 1.0).error() == qmath::errc::empty_input);
  CHECK(qmath::entropy_threshold(neg, 1.0).error().index() == 5);
  CHECK(qmath::entropy_threshold(one, 0.0).error().argument() == "width");
  qmath::histogram sh(qmath::histogram_mode::signed_values);
  std::vector<float> v{1, 2, 3};
  REQUIRE(sh.add(v));
  CHECK(qmath::entropy_threshold(sh).error().argument() == "histogram");
}

TEST_CASE("entropy: on a collected Gaussian histogram the int8 threshold is in the usual range") {
  const auto x = qmath_test::gaussian(200000, 72);
  qmath::histogram h;
  REQUIRE(h.add(x));
  auto r = qmath::entropy_threshold(h);
  REQUIRE(r);
  // Reported entropy thresholds for N(0,1) int8 sit around 3-4.5 sigma, below max |x|.
  CHECK(r->threshold > 2.5);
  CHECK(r->threshold < h.observed().hi);
}
