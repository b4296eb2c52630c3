// int4-weight GEMM and the dynamic-quantization linear layer.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "qmath/gemm/linear.hpp"
#include "qmath/simd/isa.hpp"
#include "test_support.hpp"

namespace {

using qmath::isa;

using gemm_test::cap_guard;
using gemm_test::runnable_levels;

void check_int4(std::mt19937& rng, std::size_t M, std::size_t N, std::size_t K, std::size_t gs, qmath::int4_kind kind,
                bool zps, bool with_bias, bool per_row_scale) {
  const int lo = kind == qmath::int4_kind::signed_int4 ? -8 : 0;
  std::vector<std::int8_t> a(M * (K + 3)), b(K * N);
  std::uniform_int_distribution<int> da(-128, 127), db(lo, lo + 15);
  for (auto& x : a) x = static_cast<std::int8_t>(da(rng));
  for (auto& x : b) x = static_cast<std::int8_t>(db(rng));
  const std::size_t G = K / gs;
  std::vector<float> sc(G * N), asc(per_row_scale ? M : 1), bias(with_bias ? N : 0);
  std::uniform_real_distribution<float> u(0.001f, 0.1f);
  for (auto& x : sc) x = u(rng);
  for (auto& x : asc) x = u(rng);
  for (auto& x : bias) x = u(rng) - 0.05f;
  std::vector<std::int32_t> zp(zps ? G * N : 0);
  for (auto& x : zp) x = db(rng);
  const qmath::matrix_view<std::int8_t> av{a, M, K, K + 3};
  const qmath::matrix_view<std::int8_t> bv{b, K, N};
  qmath::packed_weights_int4 w;
  REQUIRE(qmath::pack_weights_int4(bv, kind, gs, sc, zp, w).ok());
  std::vector<float> ref(M * N), got(M * N);
  REQUIRE(qmath::gemm_int4_reference(av, asc, bv, kind, gs, sc, zp, bias, qmath::matrix_span<float>{ref, M, N}).ok());
  cap_guard guard;
  for (isa l : runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l).ok());
    std::fill(got.begin(), got.end(), -1.0f);
    REQUIRE(qmath::gemm_int4(av, asc, w, bias, qmath::matrix_span<float>{got, M, N}).ok());
    CHECK(qmath::gemm_int4_active_isa() == l);
    INFO("level " << qmath::to_string(l) << " M=" << M << " N=" << N << " K=" << K << " group " << gs);
    CHECK(std::memcmp(got.data(), ref.data(), got.size() * sizeof(float)) == 0);
  }
}

}  // namespace

TEST_CASE("gemm_int4: bit-exact with the reference on every level") {
  std::mt19937 rng(11);
  const std::size_t ms[] = {1, 2, 3, 5, 7, 8, 9, 17};
  const std::size_t ns[] = {1, 15, 16, 17, 33, 48, 49, 100};
  const std::size_t ks[] = {128, 256, 384, 64, 32};
  int t = 0;
  for (std::size_t m : ms) {
    for (std::size_t n : ns) {
      const std::size_t k = ks[t % 5];
      const std::size_t gs = k % 128 == 0 ? (t % 3 == 0 ? 128 : (t % 3 == 1 ? 64 : 32)) : (k % 64 == 0 ? 64 : 32);
      check_int4(rng, m, n, k, gs, t % 2 ? qmath::int4_kind::signed_int4 : qmath::int4_kind::unsigned_int4, t % 3 == 1,
                 t % 4 != 0, t % 5 != 0);
      ++t;
    }
  }
}

TEST_CASE("gemm_int4: extreme codes and activations") {
  for (auto kind : {qmath::int4_kind::signed_int4, qmath::int4_kind::unsigned_int4}) {
    const std::size_t M = 3, N = 20, K = 256;
    const std::int8_t bval = kind == qmath::int4_kind::signed_int4 ? -8 : 15;
    std::vector<std::int8_t> a(M * K, -128), b(K * N, bval);
    std::vector<float> sc(2 * N, 1.0f), one{1.0f};
    qmath::packed_weights_int4 w;
    REQUIRE(qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{b, K, N}, kind, 128, sc, {}, w).ok());
    std::vector<float> c(M * N);
    REQUIRE(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a, M, K}, one, w, {}, qmath::matrix_span<float>{c, M, N})
                .ok());
    CHECK(c[0] == static_cast<float>(-128 * bval * static_cast<int>(K)));
  }
}

TEST_CASE("gemm_int4: bad input names the argument") {
  std::vector<std::int8_t> b(64 * 4, 1), a(64, 1);
  std::vector<float> sc(4, 1.0f), sc_bad(3, 1.0f), one{1.0f}, c(4);
  qmath::packed_weights_int4 w;
  const qmath::matrix_view<std::int8_t> bv{b, 64, 4};
  CHECK(qmath::pack_weights_int4(bv, qmath::int4_kind::signed_int4, 48, sc, {}, w).argument() == "group_size");
  CHECK(qmath::pack_weights_int4(bv, qmath::int4_kind::signed_int4, 128, sc, {}, w).argument() == "group_size");
  CHECK(qmath::pack_weights_int4(bv, qmath::int4_kind::signed_int4, 32, sc_bad, {}, w).argument() == "scale");
  std::vector<std::int32_t> zp(8, 9);
  CHECK(qmath::pack_weights_int4(bv, qmath::int4_kind::signed_int4, 32, std::vector<float>(8, 1.f), zp, w).argument() ==
        "zero_point");
  std::vector<std::int8_t> b_bad(64 * 4, 9);
  CHECK(qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{b_bad, 64, 4}, qmath::int4_kind::signed_int4, 64, sc,
                                 {}, w)
            .argument() == "b");
  REQUIRE(qmath::pack_weights_int4(bv, qmath::int4_kind::signed_int4, 64, sc, {}, w).ok());
  CHECK(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a, 1, 64}, one, w, {}, qmath::matrix_span<float>{c, 1, 4})
            .ok());
  CHECK(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a, 1, 32}, one, w, {}, qmath::matrix_span<float>{c, 1, 4})
            .argument() == "b");
  CHECK(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a, 1, 64}, {}, w, {}, qmath::matrix_span<float>{c, 1, 4})
            .argument() == "a_scale");
  CHECK(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a, 1, 64}, one, qmath::packed_weights_int4{}, {},
                         qmath::matrix_span<float>{c, 1, 4})
            .argument() == "b");
  CHECK(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a, 1, 64}, one, w, one, qmath::matrix_span<float>{c, 1, 4})
            .argument() == "bias");
  CHECK(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a, 1, 64}, one, w, {}, qmath::matrix_span<float>{c, 1, 3})
            .argument() == "c");
}

TEST_CASE("linear_dynamic: int8 and int4 weights match the composed reference and the float product") {
  std::mt19937 rng(21);
  const std::size_t M = 5, N = 37, K = 256;
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(M * K), wf(N * K), bias(N);
  for (auto& v : x) v = nd(rng);
  for (auto& v : wf) v = 0.05f * nd(rng);
  for (auto& v : bias) v = 0.1f * nd(rng);
  // Float reference y = x W^T + b (W is [N][K], PyTorch layout).
  std::vector<double> yf(M * N);
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) {
      double s = bias[j];
      for (std::size_t k = 0; k < K; ++k) s += double(x[i * K + k]) * wf[j * K + k];
      yf[i * N + j] = s;
    }
  auto sqnr = [&](const std::vector<float>& y) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < y.size(); ++i) num += yf[i] * yf[i], den += (y[i] - yf[i]) * (y[i] - yf[i]);
    return 10 * std::log10(num / den);
  };
  // Per-channel symmetric int8 weights.
  std::vector<std::int8_t> w8(N * K);
  std::vector<float> ws(N);
  for (std::size_t j = 0; j < N; ++j) {
    float amax = 0;
    for (std::size_t k = 0; k < K; ++k) amax = std::max(amax, std::fabs(wf[j * K + k]));
    ws[j] = amax / 127;
    for (std::size_t k = 0; k < K; ++k)
      w8[j * K + k] = static_cast<std::int8_t>(qmath::quantize_value(wf[j * K + k], ws[j], 0, -127, 127));
  }
  const qmath::matrix_view<std::int8_t> w8v{w8, K, N, K, qmath::matrix_order::col_major};
  auto pw = qmath::pack_weights(w8v).value();
  std::vector<float> y(M * N), yref(M * N);
  const qmath::matrix_view<float> xv{x, M, K};
  REQUIRE(qmath::linear_dynamic(xv, pw, ws, bias, qmath::matrix_span<float>{y, M, N}).ok());
  // Composed reference: the same row quantization, then gemm_reference.
  std::vector<std::int8_t> q(M * K);
  std::vector<float> qs(M);
  REQUIRE(qmath::detail::quantize_rows_dynamic(xv, q.data(), qs.data()).ok());
  REQUIRE(qmath::gemm_reference(qmath::matrix_view<std::int8_t>{q, M, K}, 0, w8v, {},
                                qmath::matrix_span<float>{yref, M, N}, qmath::output_dequantize{qs, ws, bias})
              .ok());
  CHECK(std::memcmp(y.data(), yref.data(), y.size() * sizeof(float)) == 0);
  CHECK(sqnr(y) > 30.0);
  // int4 group-64 weights.
  const std::size_t gs = 64, G = K / gs;
  std::vector<std::int8_t> w4(K * N);
  std::vector<float> s4(G * N);
  for (std::size_t j = 0; j < N; ++j)
    for (std::size_t g = 0; g < G; ++g) {
      float amax = 0;
      for (std::size_t k = g * gs; k < (g + 1) * gs; ++k) amax = std::max(amax, std::fabs(wf[j * K + k]));
      s4[g * N + j] = amax / 7;
      for (std::size_t k = g * gs; k < (g + 1) * gs; ++k)
        w4[k * N + j] = static_cast<std::int8_t>(qmath::quantize_value(wf[j * K + k], s4[g * N + j], 0, -8, 7));
    }
  qmath::packed_weights_int4 p4;
  REQUIRE(qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{w4, K, N}, qmath::int4_kind::signed_int4, gs, s4, {},
                                   p4)
              .ok());
  REQUIRE(qmath::linear_dynamic(xv, p4, bias, qmath::matrix_span<float>{y, M, N}).ok());
  REQUIRE(qmath::gemm_int4_reference(qmath::matrix_view<std::int8_t>{q, M, K}, qs,
                                     qmath::matrix_view<std::int8_t>{w4, K, N}, qmath::int4_kind::signed_int4, gs, s4,
                                     {}, bias, qmath::matrix_span<float>{yref, M, N})
              .ok());
  CHECK(std::memcmp(y.data(), yref.data(), y.size() * sizeof(float)) == 0);
  CHECK(sqnr(y) > 12.0);
  // Bad input.
  x[3] = std::numeric_limits<float>::infinity();
  CHECK(qmath::linear_dynamic(xv, pw, ws, bias, qmath::matrix_span<float>{y, M, N}).argument() == "x");
  x[3] = 0;
  CHECK(qmath::linear_dynamic(xv, pw, std::vector<float>(2), bias, qmath::matrix_span<float>{y, M, N}).argument() ==
        "w_scale");
  CHECK(qmath::linear_dynamic(xv, qmath::packed_weights{}, ws, bias, qmath::matrix_span<float>{y, M, N}).argument() ==
        "w");
}

TEST_CASE("linear_dynamic: row quantization is bit-exact with quantize_value on every level") {
  std::mt19937 rng(8);
  const std::size_t M = 4, K = 203;
  std::vector<float> x(M * K);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (auto& v : x) v = nd(rng);
  for (std::size_t k = 0; k < K; k += 7) x[k] = 0.5f * static_cast<float>(k % 5);  // ties
  cap_guard guard;
  for (isa l : runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l).ok());
    std::vector<std::int8_t> q(M * K);
    std::vector<float> s(M);
    REQUIRE(qmath::detail::quantize_rows_dynamic(qmath::matrix_view<float>{x, M, K}, q.data(), s.data()).ok());
    for (std::size_t i = 0; i < M; ++i) {
      float lo = 0, hi = 0;
      for (std::size_t k = 0; k < K; ++k) lo = std::min(lo, x[i * K + k]), hi = std::max(hi, x[i * K + k]);
      const auto qp = qmath::choose_qparams(lo, hi, -127, 127, qmath::mapping::symmetric_restricted, {});
      REQUIRE(qp.has_value());
      CHECK(s[i] == qp->scale);
      bool same = true;
      for (std::size_t k = 0; k < K; ++k)
        same = same && q[i * K + k] == qmath::quantize_value(x[i * K + k], qp->scale, 0, -127, 127);
      INFO("level " << qmath::to_string(l) << " row " << i);
      CHECK(same);
    }
  }
}
