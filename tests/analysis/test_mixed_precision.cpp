#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "qmath/analysis/mixed_precision.hpp"

namespace {
// Brute force over all choices.
double brute(const std::vector<qmath::mp_tensor>& t, double budget) {
  double best = INFINITY;
  std::vector<std::size_t> c(t.size(), 0);
  for (;;) {
    double b = 0, e = 0;
    for (std::size_t i = 0; i < t.size(); ++i) b += t[i].options[c[i]].bits, e += t[i].weight * t[i].options[c[i]].error;
    if (b <= budget) best = std::min(best, e);
    std::size_t i = 0;
    while (i < t.size() && ++c[i] == t[i].options.size()) c[i++] = 0;
    if (i == t.size()) break;
  }
  return best;
}
}  // namespace

TEST_CASE("mixed precision: exact DP equals brute force; lagrangian is bracketed by its bound") {
  std::mt19937_64 g(7);
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<qmath::mp_tensor> t(2 + trial % 5);
    double min_total = 0, max_total = 0;
    for (auto& x : t) {
      const double numel = static_cast<double>(16 + g() % 100);
      x.weight = 0.5 + static_cast<double>(g() % 100) / 50;
      double err = 1.0 + static_cast<double>(g() % 1000) / 100;
      for (int bits : {2, 3, 4, 6, 8}) {
        if (g() % 4 == 0 && bits != 8) continue;  // missing options
        x.options.push_back({numel * bits, err, 0});
        err *= 0.1 + static_cast<double>(g() % 60) / 100;
      }
      min_total += x.options.front().bits;
      max_total += x.options.back().bits;
    }
    const double budget = std::floor(min_total + (max_total - min_total) * static_cast<double>(g() % 100) / 100);
    const double opt = brute(t, budget);
    auto dp = qmath::allocate_bits(t, budget, qmath::mp_method::exact_dp);
    REQUIRE(dp);
    CHECK(dp->optimal);
    CHECK(dp->total_bits <= budget);
    CHECK(dp->total_error == doctest::Approx(opt).epsilon(1e-12));
    auto lg = qmath::allocate_bits(t, budget, qmath::mp_method::lagrangian);
    REQUIRE(lg);
    CHECK(lg->total_bits <= budget);
    CHECK(lg->total_error >= opt * (1 - 1e-12));
    CHECK(lg->lower_bound <= opt * (1 + 1e-12));
    auto au = qmath::allocate_bits(t, budget);
    CHECK(au->total_error == doctest::Approx(opt).epsilon(1e-12));
  }
}

TEST_CASE("mixed precision: smallest model meeting a minimum SQNR; errors") {
  std::vector<qmath::mp_tensor> t(2);
  t[0].options = {{400, 10, 12.0}, {800, 1, 24.0}, {1600, 0.1, 48.0}};
  t[1].options = {{100, 5, 30.0}, {200, 0.5, 40.0}};
  auto s = qmath::smallest_meeting_sqnr(t, 20.0);
  REQUIRE(s);
  CHECK(s->choice == std::vector<std::size_t>{1, 0});
  CHECK(s->total_bits == 900);
  CHECK(qmath::smallest_meeting_sqnr(t, 45.0).error().index() == 1);
  CHECK(qmath::allocate_bits(t, 499).error().argument() == "budget");
  auto a = qmath::allocate_bits(t, 1000);
  REQUIRE(a);
  CHECK(a->choice == std::vector<std::size_t>{1, 1});
  std::vector<qmath::mp_tensor> bad(1);
  bad[0].options = {{10.5, 1, 0}};
  CHECK(qmath::allocate_bits(bad, 100).error().argument() == "tensors");
  CHECK(qmath::allocate_bits(std::vector<qmath::mp_tensor>{}, 100).error() == qmath::errc::empty_input);
}
