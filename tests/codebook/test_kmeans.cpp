#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "qmath/codebook/kmeans.hpp"
#include "test_support.hpp"

namespace {

// The normative arithmetic of kernels.hpp, written out directly.
void reference_nearest(const std::vector<float>& x, const std::vector<float>& c, std::size_t d,
                       std::vector<std::uint32_t>& idx, std::vector<float>& e) {
  const std::size_t n = x.size() / d, k = c.size() / d;
  idx.assign(n, 0);
  e.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    float best = std::numeric_limits<float>::infinity();
    std::uint32_t bj = 0;
    for (std::size_t j = 0; j < k; ++j) {
      float dot = 0.0f, cn = 0.0f;
      for (std::size_t t = 0; t < d; ++t) {
        dot = std::fma(x[i * d + t], c[j * d + t], dot);
        cn = std::fma(c[j * d + t], c[j * d + t], cn);
      }
      const float v = cn - (dot + dot);
      if (v < best) {
        best = v;
        bj = static_cast<std::uint32_t>(j);
      }
    }
    idx[i] = bj;
    e[i] = best;
  }
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("codebook kernel: nearest centroid is bit-identical to the reference on every level") {
  struct shape {
    std::size_t n, d, k;
  };
  // Row tails (not multiples of the 12/6-row tiles or the 96-row block),
  // partial panels, several panels, and panel blocking (k=1100, d=64).
  const shape shapes[] = {{1, 1, 1}, {7, 3, 5}, {101, 17, 33}, {200, 64, 300}, {97, 64, 1100}, {13, 130, 40}};
  for (const shape& s : shapes) {
    const std::vector<float> x = cbtest::gaussian(s.n * s.d, 11 + s.d);
    std::vector<float> c = cbtest::gaussian(s.k * s.d, 99 + s.k);
    // duplicates in later panels: ties must go to the lowest index
    if (s.k > 40) std::copy(c.begin() + 3 * s.d, c.begin() + 4 * s.d, c.begin() + 40 * s.d);
    std::vector<std::uint32_t> ref_idx;
    std::vector<float> ref_e;
    reference_nearest(x, c, s.d, ref_idx, ref_e);
    qmath::detail::centroid_panels cp;
    cp.assign(c.data(), s.k, s.d);
    cbtest::each_level levels;
    levels.run([&](qmath::isa l) {
      CAPTURE(std::string(qmath::to_string(l)));
      CAPTURE(s.n);
      CAPTURE(s.d);
      CAPTURE(s.k);
      std::vector<std::uint32_t> idx(s.n);
      std::vector<float> e(s.n);
      cp.nearest(x.data(), s.d, s.n, idx.data(), e.data());
      CHECK(idx == ref_idx);
      CHECK(same_bits(e, ref_e));
      for (std::uint32_t j : idx) CHECK(j != 40);
    });
  }
}

TEST_CASE("codebook kernel: squared distances with the 16-partial reduction, every level") {
  for (std::size_t d : {1u, 5u, 16u, 31u, 64u, 100u}) {
    const std::size_t n = 9;
    const std::vector<float> x = cbtest::gaussian(n * d, 5 + d), c = cbtest::gaussian(d, 77 + d);
    std::vector<float> ref(n);
    for (std::size_t i = 0; i < n; ++i) {
      float s[16] = {};
      for (std::size_t t = 0; t < d; ++t) {
        const float u = x[i * d + t] - c[t];
        s[t % 16] = std::fma(u, u, s[t % 16]);
      }
      for (int w = 8; w >= 1; w /= 2)
        for (int l = 0; l < w; ++l) s[l] += s[l + w];
      ref[i] = s[0];
      double exact = 0;
      for (std::size_t t = 0; t < d; ++t) exact += (double(x[i * d + t]) - c[t]) * (double(x[i * d + t]) - c[t]);
      CHECK(ref[i] == doctest::Approx(exact).epsilon(1e-5));
    }
    cbtest::each_level levels;
    levels.run([&](qmath::isa l) {
      CAPTURE(std::string(qmath::to_string(l)));
      CAPTURE(d);
      std::vector<float> out(n);
      qmath::detail::codebook_select()->l2sq_rows(x.data(), d, n, d, c.data(), out.data());
      CHECK(same_bits(out, ref));
    });
  }
}

TEST_CASE("kmeans: separated blobs are recovered and the objective never increases") {
  const std::size_t n = 3000, d = 8, k = 6;
  const std::vector<float> x = cbtest::blobs(n, d, k, 10.0, 0.5, 3);
  for (auto init : {qmath::kmeans_init::random, qmath::kmeans_init::kmeans_plus_plus}) {
    qmath::kmeans_options o;
    o.k = k;
    o.max_iter = 30;
    o.init = init;
    o.max_points_per_centroid = 0;  // all 3000 points (the default 256 would subsample to 1536)
    auto r = qmath::kmeans(x, d, o);
    REQUIRE(r);
    CHECK(r->n_train == n);
    REQUIRE(r);
    REQUIRE(r->objective.size() == r->iterations);
    for (std::size_t i = 1; i < r->objective.size(); ++i)
      CHECK(r->objective[i] <= r->objective[i - 1] * (1 + 1e-9));
    if (init == qmath::kmeans_init::kmeans_plus_plus) {
      // k-means++ on well-separated blobs finds them: MSE per value ~ sigma^2.
      CHECK(r->objective.back() / double(n * d) == doctest::Approx(0.25).epsilon(0.05));
      CHECK(r->converged);
    }
    std::vector<std::uint32_t> idx(n);
    std::vector<float> dist(n);
    REQUIRE(qmath::kmeans_assign(x, d, r->centroids, idx, dist));
    double s = 0;
    for (float v : dist) s += v;
    if (r->converged) CHECK(s == doctest::Approx(r->objective.back()).epsilon(1e-4));
  }
}

TEST_CASE("kmeans: same seed gives the same bits on every ISA level") {
  const std::size_t n = 1000, d = 13, k = 24;
  const std::vector<float> x = cbtest::blobs(n, d, 10, 2.0, 1.0, 21);
  for (auto init : {qmath::kmeans_init::random, qmath::kmeans_init::kmeans_plus_plus}) {
    qmath::kmeans_options o;
    o.k = k;
    o.max_iter = 8;
    o.init = init;
    o.seed = 42;
    std::vector<float> first;
    std::vector<double> first_obj;
    cbtest::each_level levels;
    levels.run([&](qmath::isa l) {
      CAPTURE(std::string(qmath::to_string(l)));
      auto r = qmath::kmeans(x, d, o);
      REQUIRE(r);
      if (first.empty()) {
        first = r->centroids;
        first_obj = r->objective;
      } else {
        CHECK(same_bits(r->centroids, first));
        CHECK(r->objective == first_obj);
      }
    });
    // Any thread count gives the same bits.
    o.num_threads = 3;
    auto rt = qmath::kmeans(x, d, o);
    REQUIRE(rt);
    CHECK(same_bits(rt->centroids, first));
    CHECK(rt->objective == first_obj);
    o.num_threads = 1;
    // Another seed gives another result.
    o.seed = 43;
    auto r2 = qmath::kmeans(x, d, o);
    REQUIRE(r2);
    CHECK(!same_bits(r2->centroids, first));
  }
}

TEST_CASE("kmeans: empty clusters are re-seeded by splitting the largest") {
  const std::size_t d = 2;
  // 200 points around (0,0) and (5,5); the third initial centroid is far away
  // and gets no point in the first assignment.
  std::vector<float> x = cbtest::blobs(200, d, 2, 0.0, 0.3, 8);
  for (std::size_t i = 0; i < 200; ++i)
    if (i % 2) x[i * 2] += 5.0f, x[i * 2 + 1] += 5.0f;
  const std::vector<float> init = {0.0f, 0.0f, 5.0f, 5.0f, 1000.0f, 1000.0f};
  qmath::kmeans_options o;
  o.k = 3;
  o.max_iter = 10;
  o.init = qmath::kmeans_init::given;
  auto r = qmath::kmeans(x, d, o, init);
  REQUIRE(r);
  CHECK(r->splits >= 1);
  std::vector<std::uint32_t> idx(200);
  REQUIRE(qmath::kmeans_assign(x, d, r->centroids, idx));
  std::size_t cnt[3] = {};
  for (auto j : idx) ++cnt[j];
  CHECK(cnt[0] > 0);
  CHECK(cnt[1] > 0);
  CHECK(cnt[2] > 0);
  CHECK(r->centroids[4] < 10.0f);
}

TEST_CASE("kmeans: subsampling to max_points_per_centroid, tolerance stop, k == n") {
  const std::vector<float> x = cbtest::gaussian(5000 * 2, 4);
  qmath::kmeans_options o;
  o.k = 4;
  o.max_points_per_centroid = 100;
  o.max_iter = 5;
  auto r = qmath::kmeans(x, 2, o);
  REQUIRE(r);
  CHECK(r->n_train == 400);
  o.max_points_per_centroid = 0;
  o.max_iter = 200;
  o.tolerance = 1e-2;
  r = qmath::kmeans(x, 2, o);
  REQUIRE(r);
  CHECK(r->n_train == 5000);
  CHECK(r->converged);
  CHECK(r->iterations < 200);
  // k == n: every point is a centroid, objective 0.
  const std::vector<float> few = {1, 2, 3, 4, 5};
  o.k = 5;
  o.tolerance = 0;
  r = qmath::kmeans(few, 1, o);
  REQUIRE(r);
  CHECK(r->objective.back() == 0.0);
  // max_iter == 0: initialisation only
  o.max_iter = 0;
  r = qmath::kmeans(few, 1, o);
  REQUIRE(r);
  CHECK(r->objective.empty());
  CHECK(r->centroids.size() == 5);
}

TEST_CASE("kmeans: bad input is reported with the argument's name") {
  const std::vector<float> x = cbtest::gaussian(40, 1);
  qmath::kmeans_options o;
  o.k = 4;
  auto arg = [](const auto& r) { return std::string(r.error().argument()); };
  CHECK(arg(qmath::kmeans(x, 0, o)) == "d");
  CHECK(arg(qmath::kmeans(std::span<const float>(), 4, o)) == "x");
  CHECK(qmath::kmeans(std::span<const float>(), 4, o).error().code() == qmath::errc::empty_input);
  CHECK(arg(qmath::kmeans(x, 3, o)) == "x");  // 40 % 3 != 0
  o.k = 0;
  CHECK(arg(qmath::kmeans(x, 4, o)) == "k");
  o.k = 11;  // n = 10
  auto r = qmath::kmeans(x, 4, o);
  CHECK(arg(r) == "k");
  CHECK(r.error().code() == qmath::errc::out_of_range);
  o.k = 2;
  std::vector<float> bad = x;
  bad[17] = std::numeric_limits<float>::quiet_NaN();
  r = qmath::kmeans(bad, 4, o);
  CHECK(arg(r) == "x");
  CHECK(r.error().code() == qmath::errc::non_finite);
  CHECK(r.error().index() == 17);
  bad[17] = std::numeric_limits<float>::infinity();
  CHECK(qmath::kmeans(bad, 4, o).error().code() == qmath::errc::non_finite);
  o.init = qmath::kmeans_init::given;
  CHECK(arg(qmath::kmeans(x, 4, o, std::vector<float>(7))) == "init_centroids");
  o.init = qmath::kmeans_init::random;
  o.tolerance = -1;
  CHECK(arg(qmath::kmeans(x, 4, o)) == "tolerance");
  std::vector<std::uint32_t> idx(9);
  CHECK(std::string(qmath::kmeans_assign(x, 4, std::vector<float>(8), idx).argument()) == "idx");
  idx.resize(10);
  CHECK(std::string(qmath::kmeans_assign(x, 4, std::vector<float>(6), idx).argument()) == "centroids");
  CHECK(std::string(qmath::kmeans_assign(x, 4, std::vector<float>(), idx).argument()) == "centroids");
  std::vector<float> dist(3);
  CHECK(std::string(qmath::kmeans_assign(x, 4, std::vector<float>(8), idx, dist).argument()) == "dist");
}
