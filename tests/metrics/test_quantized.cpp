#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/metrics/quantized.hpp"

TEST_CASE("quantized-form metrics: full-scale uniform signal through core's int8 / int4 gives 6.02 b dB") {
  // Levels k * D, D = 2^(1-b), k in [-2^(b-1), 2^(b-1) - 1]: 2^b cells covering
  // [-1 - D/2, 1 - D/2). A signal uniform over exactly those cells has noise
  // D^2/12 and power 1/3 + D^2/4: SQNR = 10 log10(4/D^2 + 3) = 6.02 b dB + 10 log10(1 + 3 D^2/4).
  const std::size_t n = 1 << 16;
  for (int b : {4, 8}) {
    const double D = std::ldexp(1.0, 1 - b);
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i)
      x[i] = static_cast<float>(-1.0 - D / 2 + 2.0 * (static_cast<double>(i) + 0.5) / static_cast<double>(n));
    const std::array<std::size_t, 1> shape{n};
    qmath::result<qmath::error_stats> e = b == 8
        ? qmath::quantization_error<qmath::int8_sym_per_tensor>(x, shape, {static_cast<float>(D), 0})
        : qmath::quantization_error<qmath::int4_sym_per_tensor>(x, shape, {static_cast<float>(D), 0});
    REQUIRE(e);
    CAPTURE(b);
    CHECK(std::fabs(e->sqnr_db() - 6.0206 * b) <= 10 * std::log10(1 + 0.75 * D * D) + 0.005);
    CHECK(e->max_abs() <= D / 2 * (1 + 1e-6));
  }
}

TEST_CASE("quantized-form metrics: per channel equals per-tensor on each channel; errors") {
  const std::array<std::size_t, 2> shape{4, 50};
  const auto w = qmath_test::gaussian(200, 3);
  qmath::qparams<qmath::int8_sym_per_channel> q{{0.01f, 0.02f, 0.03f, 0.04f}, {0, 0, 0, 0}};
  auto per = qmath::quantization_error_per_slot<qmath::int8_sym_per_channel>(w, shape, q);
  REQUIRE(per);
  REQUIRE(per->size() == 4);
  qmath::error_stats total;
  for (std::size_t c = 0; c < 4; ++c) {
    const std::array<std::size_t, 1> s1{50};
    auto one = qmath::quantization_error<qmath::int8_sym_per_tensor>(std::span<const float>(w).subspan(c * 50, 50), s1,
                                                                     {q.scale[c], 0});
    REQUIRE(one);
    CHECK((*per)[c].sum_sq_err == one->sum_sq_err);
    total.merge((*per)[c]);
  }
  auto all = qmath::quantization_error<qmath::int8_sym_per_channel>(w, shape, q);
  CHECK(all->sum_sq_err == doctest::Approx(total.sum_sq_err).epsilon(1e-14));
  // Reciprocal vs exact division tie (core known answer): 0.273939937 / 0.00214854861.
  std::vector<float> t{0.273939937f};
  const std::array<std::size_t, 1> s1{1};
  qmath::fake_quant_options rec{qmath::rounding::half_even, qmath::division::reciprocal};
  auto er = qmath::quantization_error<qmath::uint8_affine_per_tensor>(t, s1, {0.00214854861f, 0}, rec);
  auto ee = qmath::quantization_error<qmath::uint8_affine_per_tensor>(t, s1, {0.00214854861f, 0});
  CHECK(er->max_abs() != ee->max_abs());
  qmath::qparams<qmath::int8_sym_per_channel> bad{{0.01f, 0.0f, 0.03f, 0.04f}, {0, 0, 0, 0}};
  CHECK(qmath::quantization_error<qmath::int8_sym_per_channel>(w, shape, bad).error().index() == 1);
  qmath::qparams<qmath::int8_sym_per_channel> few{{0.01f}, {0}};
  CHECK(qmath::quantization_error<qmath::int8_sym_per_channel>(w, shape, few).error() == qmath::errc::size_mismatch);
}

TEST_CASE("quantized-form metrics: core's array path and the per-slot path give the same bits on every level") {
  qmath_test::cap_guard guard;
  const std::array<std::size_t, 2> shape{8, 96};
  const auto w = qmath_test::gaussian(8 * 96, 17);
  auto p = qmath::partition_for<qmath::int4_sym_g32>(shape);
  qmath::minmax_observer o(*p);
  REQUIRE(o.observe(w));
  auto q = qmath::calibrated_qparams<qmath::int4_sym_g32>(o);
  REQUIRE(q);
  const qmath::fake_quant_options fo{qmath::rounding::half_even, qmath::division::reciprocal};
  std::vector<float> y(w.size());
  REQUIRE(qmath::fake_quantize_slots<qmath::int4_sym_g32>(w, *p, *q, y, fo));
  const qmath::error_stats ref = *qmath::compare(w, y);
  for (qmath::isa l : qmath_test::runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l));
    auto e = qmath::quantization_error<qmath::int4_sym_g32>(w, shape, *q, fo);
    REQUIRE(e);
    CHECK(e->sum_sq_err == ref.sum_sq_err);
    CHECK(e->max_abs_err == ref.max_abs_err);
  }
}
