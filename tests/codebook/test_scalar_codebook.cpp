#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "qmath/codebook/scalar_codebook.hpp"
#include "test_support.hpp"

namespace {

double mse_of(const std::vector<float>& x, const std::vector<float>& cb, std::size_t group_size) {
  std::vector<std::uint8_t> q(x.size());
  REQUIRE(qmath::scalar_encode(x, group_size, cb, cb.size() / (x.size() / group_size), q));
  std::vector<float> r(x.size());
  REQUIRE(qmath::scalar_decode(q, group_size, cb, cb.size() / (x.size() / group_size), r));
  double e = 0;
  for (std::size_t i = 0; i < x.size(); ++i) e += (double(x[i]) - r[i]) * (double(x[i]) - r[i]);
  return e / double(x.size());
}

// Minimal SSE over every partition of sorted v into L cells (brute force).
double brute_optimal(std::vector<double> v, std::size_t L) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  double best = 1e300;
  std::vector<std::size_t> cut(L + 1);
  auto cost = [&](std::size_t a, std::size_t b) {
    double m = 0;
    for (std::size_t i = a; i < b; ++i) m += v[i];
    m /= double(b - a);
    double s = 0;
    for (std::size_t i = a; i < b; ++i) s += (v[i] - m) * (v[i] - m);
    return s;
  };
  // enumerate cuts 0 = c0 < c1 < ... < cL = n
  std::vector<std::size_t> c(L - 1);
  for (std::size_t i = 0; i + 1 < L; ++i) c[i] = i + 1;
  while (true) {
    double s = 0;
    std::size_t a = 0;
    for (std::size_t i = 0; i + 1 < L; ++i) s += cost(a, c[i]), a = c[i];
    s += cost(a, n);
    best = std::min(best, s);
    int k = static_cast<int>(L) - 2;
    while (k >= 0 && c[k] == n - (L - 1 - k)) --k;
    if (k < 0) break;
    ++c[k];
    for (std::size_t i = k + 1; i + 1 < L; ++i) c[i] = c[i - 1] + 1;
  }
  return best;
}

}  // namespace

TEST_CASE("scalar codebook: Lloyd-Max on a large N(0,1) sample meets Max's optimal MSE within 0.5%") {
  const std::vector<float> x = cbtest::gaussian(std::size_t{1} << 19, 2024);
  const double expected[] = {0.11748, 0.034548, 0.0095010};
  for (unsigned bits = 2; bits <= 4; ++bits) {
    qmath::scalar_codebook_options o;
    o.levels = std::size_t{1} << bits;
    std::vector<float> cb(o.levels);
    auto sse = qmath::fit_scalar_codebook(x, {}, o, cb);
    REQUIRE(sse);
    const double mse = *sse / double(x.size());
    CAPTURE(bits);
    CHECK(std::fabs(mse / expected[bits - 2] - 1) < 0.005);
    CHECK(mse_of(x, cb, x.size()) == doctest::Approx(mse).epsilon(1e-4));
    CHECK(std::is_sorted(cb.begin(), cb.end()));
    if (bits == 2) {  // levels +-0.4528, +-1.5104
      CHECK(cb[0] == doctest::Approx(-1.5104).epsilon(0.01));
      CHECK(cb[1] == doctest::Approx(-0.4528).epsilon(0.01));
      CHECK(cb[2] == doctest::Approx(0.4528).epsilon(0.01));
      CHECK(cb[3] == doctest::Approx(1.5104).epsilon(0.01));
    }
  }
}

TEST_CASE("scalar codebook: the exact solver on a N(0,1) sample meets Max's optimal MSE") {
  const std::vector<float> x = cbtest::gaussian(std::size_t{1} << 16, 31337);  // sampling noise ~0.6%
  const double expected[] = {0.11748, 0.034548, 0.0095010};
  for (unsigned bits = 2; bits <= 4; ++bits) {
    qmath::scalar_codebook_options o;
    o.levels = std::size_t{1} << bits;
    o.method = qmath::scalar_codebook_method::optimal;
    std::vector<float> cb(o.levels), cl(o.levels);
    const double opt = *qmath::fit_scalar_codebook(x, {}, o, cb);
    o.method = qmath::scalar_codebook_method::lloyd;
    const double lloyd = *qmath::fit_scalar_codebook(x, {}, o, cl);
    CAPTURE(bits);
    CHECK(std::fabs(opt / double(x.size()) / expected[bits - 2] - 1) < 0.02);
    CHECK(opt <= lloyd * (1 + 1e-9));
    CHECK(opt >= lloyd * (1 - 1e-3));  // Lloyd-Max converges to the optimum on a Gaussian
  }
}

TEST_CASE("scalar codebook: the optimal solver is exact (brute force) and never worse than Lloyd") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const std::vector<float> x = cbtest::gaussian(11, seed);
    for (std::size_t L : {2u, 3u, 4u}) {
      qmath::scalar_codebook_options o;
      o.levels = L;
      o.method = qmath::scalar_codebook_method::optimal;
      std::vector<float> cb(L);
      auto sse = qmath::fit_scalar_codebook(x, {}, o, cb);
      REQUIRE(sse);
      const double bf = brute_optimal(std::vector<double>(x.begin(), x.end()), L);
      CHECK(*sse == doctest::Approx(bf).epsilon(1e-9));
      CHECK(mse_of(x, cb, x.size()) * double(x.size()) == doctest::Approx(bf).epsilon(1e-5));
    }
  }
  // against the plain O(L n^2) dynamic programme, with duplicates and weights
  {
    std::vector<float> v = cbtest::gaussian(300, 99);
    for (std::size_t i = 0; i < 300; i += 7) v[i] = v[i / 2];  // duplicates
    std::vector<float> w(300);
    cbtest::rng g{5};
    for (float& e : w) e = static_cast<float>(0.1 + g.u01());
    std::vector<std::pair<double, double>> p;
    for (std::size_t i = 0; i < 300; ++i) p.emplace_back(v[i], w[i]);
    std::sort(p.begin(), p.end());
    const std::size_t n = p.size();
    auto cost = [&](std::size_t a, std::size_t b) {
      double sw = 0, sx = 0;
      for (std::size_t i = a; i < b; ++i) sw += p[i].second, sx += p[i].second * p[i].first;
      const double mu = sx / sw;
      double c = 0;
      for (std::size_t i = a; i < b; ++i) c += p[i].second * (p[i].first - mu) * (p[i].first - mu);
      return c;
    };
    std::vector<std::vector<double>> cst(n + 1, std::vector<double>(n + 1, 0));
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = a + 1; b <= n; ++b) cst[a][b] = cost(a, b);
    for (std::size_t L : {2u, 5u, 9u, 16u}) {
      std::vector<double> D(n + 1);
      for (std::size_t j = 0; j <= n; ++j) D[j] = cst[0][j];
      for (std::size_t m = 1; m < L; ++m) {
        std::vector<double> E(n + 1, 1e300);
        for (std::size_t j = m + 1; j <= n; ++j)
          for (std::size_t i = m; i < j; ++i) E[j] = std::min(E[j], D[i] + cst[i][j]);
        D = E;
      }
      qmath::scalar_codebook_options o;
      o.levels = L;
      o.method = qmath::scalar_codebook_method::optimal;
      std::vector<float> cb(L);
      auto sse = qmath::fit_scalar_codebook(v, w, o, cb);
      REQUIRE(sse);
      CAPTURE(L);
      CHECK(*sse == doctest::Approx(D[n]).epsilon(1e-9));
    }
  }
  const std::vector<float> y = cbtest::gaussian(1 << 14, 77);
  for (std::size_t L : {4u, 8u, 16u}) {
    qmath::scalar_codebook_options o;
    o.levels = L;
    std::vector<float> a(L), b(L);
    const double lloyd = *qmath::fit_scalar_codebook(y, {}, o, a);
    o.method = qmath::scalar_codebook_method::optimal;
    const double opt = *qmath::fit_scalar_codebook(y, {}, o, b);
    CHECK(opt <= lloyd * (1 + 1e-12));
    CHECK(opt >= lloyd * 0.97);  // Lloyd from quantiles is close on a Gaussian
  }
}

TEST_CASE("scalar codebook: weights, duplicates and groups") {
  // weight 0 values are ignored; integer weights equal repetition
  const std::vector<float> x = {0, 1, 2, 10, 11, 50};
  const std::vector<float> w = {1, 1, 1, 2, 2, 0};
  const std::vector<float> rep = {0, 1, 2, 10, 10, 11, 11};
  for (auto method : {qmath::scalar_codebook_method::lloyd, qmath::scalar_codebook_method::optimal}) {
    qmath::scalar_codebook_options o;
    o.levels = 2;
    o.method = method;
    std::vector<float> a(2), b(2);
    const double sa = *qmath::fit_scalar_codebook(x, w, o, a);
    const double sb = *qmath::fit_scalar_codebook(rep, {}, o, b);
    CHECK(a == b);
    CHECK(sa == doctest::Approx(sb));
    CHECK(a[0] == doctest::Approx(1.0));
    CHECK(a[1] == doctest::Approx(10.5));
  }
  // fewer distinct values than levels: exact, largest repeated
  qmath::scalar_codebook_options o;
  o.levels = 4;
  std::vector<float> cb(4);
  const std::vector<float> two = {3, -1, 3, -1, 3};
  CHECK(*qmath::fit_scalar_codebook(two, {}, o, cb) == 0.0);
  CHECK(cb == std::vector<float>{-1, 3, 3, 3});
  std::vector<std::uint8_t> q(5);
  REQUIRE(qmath::scalar_encode(two, 5, cb, 4, q));
  CHECK(q == std::vector<std::uint8_t>{1, 0, 1, 0, 1});
  // per-channel: 3 channels of 200 with different scales get different codebooks
  std::vector<float> t = cbtest::gaussian(600, 5);
  for (std::size_t i = 200; i < 400; ++i) t[i] *= 10;
  for (std::size_t i = 400; i < 600; ++i) t[i] = t[i] * 0.1f + 5;
  std::vector<float> cbs(3 * 4);
  auto total = qmath::fit_scalar_codebooks(t, 200, {}, o, cbs);
  REQUIRE(total);
  CHECK(cbs[4 + 3] > 5 * cbs[3]);
  CHECK(cbs[8] > 4.0f);
  CHECK(mse_of(t, cbs, 200) * 600 == doctest::Approx(*total).epsilon(1e-4));
}

TEST_CASE("scalar codebook: encode thresholds and ties") {
  const std::vector<float> cb = {-1, 0, 2, 6};
  // thresholds -0.5, 1, 4: a value on a threshold takes the lower level
  const std::vector<float> x = {-5, -0.5f, -0.4f, 1, 1.0001f, 4, 4.5f, 100};
  std::vector<std::uint8_t> q(x.size());
  REQUIRE(qmath::scalar_encode(x, x.size(), cb, 4, q));
  CHECK(q == std::vector<std::uint8_t>{0, 0, 1, 1, 2, 2, 3, 3});
  std::vector<float> r(x.size());
  REQUIRE(qmath::scalar_decode(q, x.size(), cb, 4, r));
  CHECK(r == std::vector<float>{-1, -1, 0, 0, 2, 2, 6, 6});
}

TEST_CASE("scalar codebook: fixed grids") {
  // bitsandbytes' NF4 table
  const float nf4[] = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
                       -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
                       0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
                       0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
  auto g = qmath::normal_float_levels(4);
  REQUIRE(g);
  REQUIRE(g->size() == 16);
  for (int i = 0; i < 16; ++i) CHECK((*g)[i] == doctest::Approx(nf4[i]).epsilon(2e-6));
  CHECK(qmath::normal_float_levels(2)->size() == 4);
  CHECK(qmath::normal_float_levels(8)->size() == 256);
  CHECK(!qmath::normal_float_levels(9));
  CHECK(qmath::detail::normal_quantile(0.975) == doctest::Approx(1.959963984540054).epsilon(1e-12));
  CHECK(qmath::detail::normal_quantile(1e-10) == doctest::Approx(-6.361340902404056).epsilon(1e-10));

  auto p2 = qmath::power_of_two_levels(3);
  REQUIRE(p2);
  CHECK(*p2 == std::vector<float>{-1, -0.5f, -0.25f, 0, 0.25f, 0.5f, 1});
  auto lg = qmath::log_levels(2, 10.0, false);
  CHECK(*lg == std::vector<float>{-1, -0.1f, 0.1f, 1});
  CHECK(std::string(qmath::log_levels(2, 1.0, false).error().argument()) == "base");
  CHECK(std::string(qmath::log_levels(200, 2.0, false).error().argument()) == "count_per_sign");

  // scaled per group by absmax
  const std::vector<float> x = {0.5f, -2.0f, 1.0f, 0.0f, 0.0f, 0.0f};
  std::vector<float> cbs(2 * 7);
  REQUIRE(qmath::scaled_grid_codebooks(x, 3, *p2, cbs));
  CHECK(cbs[0] == -2.0f);
  CHECK(cbs[6] == 2.0f);
  CHECK(cbs[7] == -1.0f);  // zero group: scale 1
  std::vector<std::uint8_t> q(6);
  REQUIRE(qmath::scalar_encode(x, 3, cbs, 7, q));
  // group 0 levels: -2 -1 -0.5 0 0.5 1 2
  CHECK(q[0] == 4);
  CHECK(q[1] == 0);
  CHECK(q[2] == 5);
  CHECK(q[3] == 3);
}
