// Public array API: known answers from the issue, bad input, properties.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qmath/core/compute_qparams.hpp"
#include "qmath/quantize/fake_quant.hpp"
#include "qmath/quantize/pack.hpp"
#include "qmath/quantize/quantize.hpp"
#include "test_support.hpp"

using namespace qmath;
using qtest::for_each_level;

TEST_CASE("api: ONNX QuantizeLinear uint8 known answer on every level") {
  const std::vector<float> x{0.f, 2.f, 3.f, 1000.f, -254.f, -1000.f};
  const std::vector<std::uint8_t> want{128, 129, 130, 255, 1, 0};
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    auto q = quantize_to_vector(std::span<const float>(x), qparams<uint8_affine_per_tensor>{2.f, 128});
    REQUIRE(q);
    CHECK(*q == want);
  });
}

TEST_CASE("api: ONNX int4 / uint4 per-axis known answer, packed first byte 0x21") {
  const std::vector<float> x{0, 2.5f, 4.8f, 8.6f, -30, -20, 6, 9, 12, 15, 16, 40};
  const std::vector<std::size_t> shape{3, 4};
  using i4 = scheme<4, signedness::signed_int, mapping::affine, per_channel<0>>;
  using u4 = scheme<4, signedness::unsigned_int, mapping::affine, per_channel<0>>;
  const std::vector<std::int8_t> want_i{1, 2, 3, 5, -8, -6, 3, 4, 4, 5, 5, 7};
  const std::vector<std::uint8_t> want_u{1, 2, 3, 5, 0, 0, 3, 4, 4, 5, 5, 11};
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    const qparams<i4> pi{{2, 3, 4}, {1, 1, 1}};
    auto q = quantize_to_vector(std::span<const float>(x), shape, pi);
    REQUIRE(q);
    CHECK(*q == want_i);
    auto qu = quantize_to_vector(std::span<const float>(x), shape, qparams<u4>{{2, 3, 4}, {1, 1, 1}});
    REQUIRE(qu);
    CHECK(*qu == want_u);
    std::vector<std::uint8_t> packed(6);
    REQUIRE(pack(std::span<const std::int8_t>(*q), 4, std::span(packed)).ok());
    CHECK(packed[0] == 0x21);
    CHECK(packed[1] == 0x53);
    std::vector<std::uint8_t> fused(6);
    REQUIRE(quantize_packed(std::span<const float>(x), shape, pi, std::span(fused)).ok());
    CHECK(fused == packed);
    std::vector<float> back(12), back2(12);
    REQUIRE(dequantize_packed(std::span<const std::uint8_t>(fused), shape, pi, std::span(back)).ok());
    REQUIRE(dequantize(std::span<const std::int8_t>(*q), shape, pi, std::span(back2)).ok());
    CHECK(back == back2);
    CHECK(back[4] == (-8 - 1) * 3.0f);
  });
}

TEST_CASE("api: ONNX blocked quantization known answer (groups of 2 along axis 1)") {
  const std::vector<float> x{6, 12, 50, 5, 1, 8, 4, 5, 0, 20, 10, 4};
  using S = scheme<8, signedness::unsigned_int, mapping::affine, per_group<2, 1>>;
  const qparams<S> p{{1.5f, 2.5f, 3, 4.9f, 5.1f, 6.9f}, {0, 1, 1, 0, 2, 3}};
  const std::vector<std::uint8_t> want{4, 8, 21, 3, 1, 4, 1, 1, 2, 6, 4, 4};
  for_each_level([&](isa) {
    auto q = quantize_to_vector(std::span<const float>(x), std::vector<std::size_t>{3, 4}, p);
    REQUIRE(q);
    CHECK(*q == want);
  });
}

TEST_CASE("api: division semantics and tie rounding known answers") {
  const std::vector<float> x{0.273939937f};
  const qparams<uint8_affine_per_tensor> p{0.00214854861f, 0};
  for_each_level([&](isa) {
    quantize_options o;
    CHECK((*quantize_to_vector(std::span<const float>(x), p, o))[0] == 127);
    o.div = division::reciprocal;
    CHECK((*quantize_to_vector(std::span<const float>(x), p, o))[0] == 128);
    const std::vector<float> ties{0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f};
    const qparams<int8_sym_per_tensor> one{1.f, 0};
    CHECK(*quantize_to_vector(std::span<const float>(ties), one) == std::vector<std::int8_t>{0, 2, 2, 0, -2, -2});
    quantize_options a;
    a.round = rounding::half_away;
    CHECK(*quantize_to_vector(std::span<const float>(ties), one, a) == std::vector<std::int8_t>{1, 2, 3, -1, -2, -3});
    a.round = rounding::toward_zero;
    CHECK(*quantize_to_vector(std::span<const float>(ties), one, a) == std::vector<std::int8_t>{0, 1, 2, 0, -1, -2});
  });
}

TEST_CASE("api: non-finite data: error naming the first index, or map") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> x(50, 1.0f);
  x[37] = inf;
  x[41] = nan;
  x[45] = -inf;
  const qparams<uint8_affine_per_tensor> p{0.5f, 10};
  for_each_level([&](isa) {
    std::vector<std::uint8_t> q(50);
    const status st = quantize(std::span<const float>(x), p, std::span(q));
    CHECK(st.code() == errc::non_finite);
    CHECK(st.argument() == "x");
    CHECK(st.index() == 37);
    quantize_options m;
    m.nonfinite = nonfinite_policy::map;
    REQUIRE(quantize(std::span<const float>(x), p, std::span(q), m).ok());
    CHECK(q[37] == 255);
    CHECK(q[41] == 10);
    CHECK(q[45] == 0);
    CHECK(q[0] == 12);
    std::vector<float> y(50);
    CHECK(fake_quant(std::span<const float>(x), p, std::span(y), {}).index() == 37);
    REQUIRE(fake_quant(std::span<const float>(x), p, std::span(y), {}, m).ok());
    CHECK(y[41] == 0.0f);
    CHECK(y[37] == (255 - 10) * 0.5f);
  });
}

TEST_CASE("api: bad input names the argument") {
  const std::vector<float> x(8, 1.f);
  std::vector<std::int8_t> q(8);
  using S = int8_affine_per_tensor;
  CHECK(quantize(std::span<const float>(x), qparams<S>{0.f, 0}, std::span(q)).argument() == "scale");
  CHECK(quantize(std::span<const float>(x), qparams<S>{-1.f, 0}, std::span(q)).argument() == "scale");
  CHECK(quantize(std::span<const float>(x), qparams<S>{std::nanf(""), 0}, std::span(q)).argument() == "scale");
  CHECK(quantize(std::span<const float>(x), qparams<S>{INFINITY, 0}, std::span(q)).argument() == "scale");
  CHECK(quantize(std::span<const float>(x), qparams<S>{1.f, 128}, std::span(q)).argument() == "zero_point");
  CHECK(quantize(std::span<const float>(x), qparams<S>{1.f, -129}, std::span(q)).code() == errc::out_of_range);
  CHECK(quantize(std::span<const float>(x), qparams<S>{1.f, 0}, std::span(q).first(7)).argument() == "q");
  CHECK(quantize(std::span<const float>(), qparams<S>{1.f, 0}, std::span<std::int8_t>()).code() == errc::empty_input);
  CHECK(quantize(std::span<const float>(x), qparams<int8_sym_per_tensor>{1.f, 3}, std::span(q)).argument() ==
        "zero_point");
  quantize_options bad;
  bad.round = static_cast<rounding>(9);
  CHECK(quantize(std::span<const float>(x), qparams<S>{1.f, 0}, std::span(q), bad).argument() == "round");
  // Granularity errors.
  const qparams<int4_sym_g32> g{{1.f}, {0}};
  CHECK(quantize(std::span<const float>(x), std::vector<std::size_t>{1, 8}, g, std::span(q)).argument() ==
        "group_size");
  CHECK(quantize(std::span<const float>(x), std::vector<std::size_t>{8}, g, std::span(q)).argument() == "axis");
  const qparams<int8_sym_per_channel> c{{1.f, 1.f}, {0, 0}};
  CHECK(quantize(std::span<const float>(x), std::vector<std::size_t>{2, 3}, c, std::span(q)).argument() == "shape");
  CHECK(quantize(std::span<const float>(x), std::vector<std::size_t>{4, 2}, c, std::span(q)).argument() == "scale");
  CHECK(quantize(std::span<const float>(x), std::vector<std::size_t>{2, 4}, qparams<int8_sym_per_channel>{{1.f, 0.f}, {0, 0}},
                 std::span(q))
            .index() == 1);
  std::vector<float> y(8);
  CHECK(dequantize(std::span<const std::int8_t>(q), qparams<S>{1.f, 0}, std::span(y).first(3)).argument() == "x");
  CHECK(dequantize(std::span<const std::int8_t>(q), qparams<S>{0.f, 0}, std::span(y)).argument() == "scale");
  std::vector<std::uint8_t> m(3);
  CHECK(fake_quant(std::span<const float>(x), qparams<S>{1.f, 0}, std::span(y), std::span(m)).argument() == "mask");
}

TEST_CASE("api: properties — idempotence, range, exact zero, every level") {
  qtest::rng r(3);
  std::vector<float> x(999);
  for (auto& v : x) v = r.gauss() * 3.0f;
  x[100] = 0.0f;
  for_each_level([&](isa) {
    auto check = [&](auto tag) {
      using S = decltype(tag);
      using T = typename S::storage_type;
      auto p = compute_qparams<S>(x, qparams_options{});
      REQUIRE(p);
      std::vector<T> q(x.size()), q2(x.size());
      std::vector<float> y(x.size());
      REQUIRE(quantize(std::span<const float>(x), *p, std::span(q)).ok());
      for (T v : q) REQUIRE((v >= S::qmin && v <= S::qmax));
      CHECK(static_cast<std::int32_t>(q[100]) == p->zero_point);  // zero is exact
      REQUIRE(dequantize(std::span<const T>(q), *p, std::span(y)).ok());
      CHECK(y[100] == 0.0f);
      REQUIRE(quantize(std::span<const float>(y), *p, std::span(q2)).ok());
      CHECK(q == q2);
      quantize_options rcp;
      rcp.div = division::reciprocal;
      REQUIRE(quantize(std::span<const float>(y), *p, std::span(q2), rcp).ok());
      CHECK(q == q2);
    };
    check(uint8_affine_per_tensor{});
    check(int8_affine_per_tensor{});
    check(int8_sym_per_tensor{});
    check(int8_symr_per_tensor{});
    check(uint4_affine_per_tensor{});
    check(int16_sym{});
    check(uint16_affine_per_tensor{});
  });
}

namespace {
template <int B>
double sqnr_bits(const std::vector<float>& x) {
  using S = scheme<B, signedness::signed_int, mapping::symmetric, per_tensor>;
  auto p = compute_qparams<S>(x, qparams_options{});
  std::vector<typename S::storage_type> q(x.size());
  std::vector<float> y(x.size());
  REQUIRE(quantize(std::span<const float>(x), *p, std::span(q)).ok());
  REQUIRE(dequantize(std::span<const typename S::storage_type>(q), *p, std::span(y)).ok());
  double s = 0, e = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    s += double(x[i]) * x[i];
    e += double(x[i] - y[i]) * (x[i] - y[i]);
  }
  return 10.0 * std::log10(s / e);
}
}  // namespace

TEST_CASE("api: SQNR rises with bits (uniform data: ~6.02 dB per bit)") {
  qtest::rng r(8);
  std::vector<float> x(20000);
  for (auto& v : x) v = r.uniform(-1.f, 1.f);
  const double s[] = {sqnr_bits<2>(x), sqnr_bits<3>(x), sqnr_bits<4>(x), sqnr_bits<5>(x),
                      sqnr_bits<6>(x), sqnr_bits<7>(x), sqnr_bits<8>(x), sqnr_bits<16>(x)};
  for (int i = 0; i + 1 < 8; ++i) CHECK(s[i + 1] > s[i]);
  // 8-bit full-range uniform: 20*log10(2^8) ~ 48.2 dB (mid-tread grid: within ~0.5 dB).
  CHECK(s[6] == doctest::Approx(48.16).epsilon(0.02));
  CHECK(s[5] - s[4] == doctest::Approx(6.02).epsilon(0.05));
  CHECK(s[7] > 90.0);
}

TEST_CASE("api: LSQ gradients (issue known answer) and straight-through backward") {
  const std::vector<float> x{0.3f, 200.f, -200.f}, dy{1.f, 1.f, 1.f};
  std::vector<float> dx(3);
  auto g = lsq_backward(x, dy, 1.0f, 0.0f, -128, 127, 1.0f, dx);
  REQUIRE(g);
  CHECK(dx == std::vector<float>{1.f, 0.f, 0.f});
  CHECK(g->d_scale == doctest::Approx(-1.3));
  CHECK(g->d_zero_point == -2.0f);
  const float gf = lsq_grad_factor(3, 127);
  CHECK(gf == 1.0f / std::sqrt(381.0f));
  auto g2 = lsq_backward(x, dy, 1.0f, 0.0f, -128, 127, gf, dx);
  CHECK(g2->d_scale == doctest::Approx(-1.3 * gf));
  CHECK(g2->d_zero_point == doctest::Approx(-2.0 * gf));
  // The backward zero point is int(clamp(zp + 0.5)): 0.6 -> 1.
  auto g3 = lsq_backward(std::vector<float>{0.f}, std::vector<float>{1.f}, 0.5f, 0.6f, 0, 255, 1.0f,
                         std::span(dx).first(1));
  CHECK(g3->d_scale == doctest::Approx(0.0));
  CHECK(lsq_backward(x, dy, 0.0f, 0.f, -128, 127, 1.f, dx).error().argument() == "scale");
  CHECK(lsq_backward(x, std::vector<float>{1.f}, 1.f, 0.f, -128, 127, 1.f, dx).error().argument() == "dy");
  // STE through fake_quant's mask.
  const qparams<int8_sym_per_tensor> p{1.f, 0};
  std::vector<float> y(3);
  std::vector<std::uint8_t> mask(3);
  quantize_options o;
  o.div = division::reciprocal;
  REQUIRE(fake_quant(std::span<const float>(x), p, std::span(y), std::span(mask), o).ok());
  CHECK(y == std::vector<float>{0.f, 127.f, -128.f});
  CHECK(mask == std::vector<std::uint8_t>{1, 0, 0});
  REQUIRE(fake_quant_backward(dy, mask, dx).ok());
  CHECK(dx == std::vector<float>{1.f, 0.f, 0.f});
  CHECK(fake_quant_backward(dy, std::vector<std::uint8_t>{1}, dx).argument() == "mask");
}

TEST_CASE("api: degenerate data — constant and all-zero tensors") {
  const std::vector<float> zeros(37, 0.0f), consts(37, 3.0f);
  for_each_level([&](isa) {
    auto pz = compute_qparams<uint8_affine_per_tensor>(zeros, qparams_options{});
    REQUIRE(pz);
    auto qz = quantize_to_vector(std::span<const float>(zeros), *pz);
    for (auto v : *qz) CHECK(v == 0);
    auto pc = compute_qparams<uint8_affine_per_tensor>(consts, qparams_options{});
    auto qc = quantize_to_vector(std::span<const float>(consts), *pc);
    for (auto v : *qc) CHECK(v == 255);
    auto dc = dequantize_to_vector(std::span<const std::uint8_t>(*qc), *pc);
    for (auto v : *dc) CHECK(v == doctest::Approx(3.0f));
  });
}
