#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/analysis/corrections.hpp"

TEST_CASE("cross-layer equalization: known answer and invariance") {
  const std::vector<float> r1{4, 1}, r2{1, 4};
  auto s = qmath::equalization_scales(r1, r2);
  REQUIRE(s);
  CHECK((*s)[0] == 2.0f);
  CHECK((*s)[1] == 0.5f);
  // W1 [2 channels, 2 inputs] rows with absmax 4 and 1; W2 [3, 2] columns with absmax 1 and 4.
  std::vector<float> w1{4, -2, 0.5f, -1}, b1{1, 1}, w2{1, 4, -0.5f, 2, 0.25f, -4};
  auto w1o = w1, b1o = b1, w2o = w2;
  auto sc = qmath::cross_layer_equalize(w1, b1, w2, 2);
  REQUIRE(sc);
  CHECK(*sc == std::vector<float>{2.0f, 0.5f});
  auto ra = qmath::channel_ranges(w1, 2, 2, false);
  auto rb = qmath::channel_ranges(w2, 3, 2, true);
  CHECK(*ra == std::vector<float>{2, 2});
  CHECK(*rb == std::vector<float>{2, 2});
  // The function through ReLU is unchanged: y = W2 relu(W1 x + b1).
  const std::vector<float> x{0.3f, -0.7f};
  auto net = [&](const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c) {
    std::vector<double> h(2), y(3);
    for (int i = 0; i < 2; ++i) h[i] = std::max(0.0, static_cast<double>(a[2 * i]) * x[0] + a[2 * i + 1] * x[1] + b[i]);
    for (int n = 0; n < 3; ++n) y[n] = c[2 * n] * h[0] + c[2 * n + 1] * h[1];
    return y;
  };
  const auto y0 = net(w1o, b1o, w2o), y1 = net(w1, b1, w2);
  for (int n = 0; n < 3; ++n) CHECK(y1[n] == doctest::Approx(y0[n]).epsilon(1e-6));
  // min_max ranges and degenerate channels.
  const std::vector<float> z{0, 3};
  CHECK(*qmath::equalization_scales(z, r2) == std::vector<float>{1.0f, std::sqrt(3.0f / 4.0f)});
  CHECK(qmath::channel_ranges(w1o, 2, 2, false, qmath::channel_range::min_max)->at(0) == 6.0f);
  std::vector<float> neg{-1, 1};
  CHECK(qmath::equalization_scales(neg, r2).error().argument() == "r1");
  CHECK(qmath::cross_layer_equalize(w1, b1, w2, 3).error().argument() == "w1");
}

TEST_CASE("SmoothQuant: known answer") {
  const std::vector<float> act{16, 1}, w{1, 4};
  auto s = qmath::smoothquant_scales(act, w, 0.5);
  REQUIRE(s);
  CHECK((*s)[0] == doctest::Approx(4.0));
  CHECK((*s)[1] == doctest::Approx(0.5));
  std::vector<float> X{16, 1, -8, 0.5f}, W{1, 4, -0.5f, -2};  // X [2 tokens, 2 ch], W [2 out, 2 in]
  REQUIRE(qmath::scale_columns(X, *s, true));
  REQUIRE(qmath::scale_columns(W, *s));
  CHECK(*qmath::channel_ranges(X, 2, 2, true) == std::vector<float>{4, 2});
  CHECK(*qmath::channel_ranges(W, 2, 2, true) == std::vector<float>{4, 2});
  CHECK(*qmath::smoothquant_scales(act, w, 1.0) == std::vector<float>{16, 1});
  CHECK(qmath::smoothquant_scales(act, w, 1.5).error().argument() == "alpha");
  CHECK(qmath::smoothquant_scales(act, std::vector<float>{1}).error() == qmath::errc::size_mismatch);
  CHECK(qmath::scale_columns(X, std::vector<float>{1, 0}).index() == 1);
}

TEST_CASE("bias correction: the expected output error vanishes") {
  const std::size_t N = 4, K = 16;
  const auto w = qmath_test::gaussian(N * K, 91);
  std::vector<float> wq(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) wq[i] = std::floor(w[i] * 4.0f) / 4.0f;  // biased rounding
  const auto mean = qmath_test::uniform(K, 92, 0.5f, 2.0f);
  std::vector<float> b(N, 0.1f), bc = b;
  REQUIRE(qmath::bias_correct(w, wq, mean, bc));
  for (std::size_t n = 0; n < N; ++n) {
    double ref = b[n], got = bc[n];
    for (std::size_t k = 0; k < K; ++k) {
      ref += static_cast<double>(w[n * K + k]) * mean[k];
      got += static_cast<double>(wq[n * K + k]) * mean[k];
    }
    CHECK(got == doctest::Approx(ref).epsilon(1e-6));
  }
  CHECK(qmath::bias_correct(w, wq, std::vector<float>(K - 1), bc).argument() == "w");
  std::vector<float> bad = wq;
  bad[3] = NAN;
  CHECK(qmath::bias_correct(w, bad, mean, bc).index() == 3);
}
