// Regression tests: one TEST_CASE per bug found by the fuzzers or the
// bad-input matrix (tests/hardening/test_bad_input.cpp), each reproducing it
// exactly.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qmath/calibrate/histogram.hpp"
#include "qmath/core/compute_qparams.hpp"
#include "qmath/gemm/gemm.hpp"
#include "qmath/quantize/fake_quant.hpp"
#include "qmath/quantize/pack.hpp"
#include "qmath/quantize/quantize.hpp"
#include "qmath/simd/isa.hpp"

TEST_CASE("regression: a shape whose element count wraps size_t is rejected (was an out-of-bounds read)") {
  // {2^63 + 1, 2} has 2^64 + 2 elements, which wrapped to 2 and matched a
  // 2-element tensor: compute_qparams then read ~2^64 elements.
  using pc = qmath::int8_sym_per_channel_dyn;
  const std::size_t shape[2] = {(std::size_t{1} << 63) + 1, 2};
  std::vector<float> x(2, 1.0f);
  qmath::qparams<pc> p{};
  p.axis = 1;
  CHECK(qmath::compute_qparams<pc>(x, shape, p, {}).code() == qmath::errc::out_of_range);
  qmath::qparams<pc> q{{0.1f, 0.1f}, {0, 0}, 1};
  std::vector<std::int8_t> codes(2);
  CHECK(qmath::quantize(std::span<const float>(x), shape, q, std::span(codes)).argument() == "shape");
}

TEST_CASE("regression: choose_qparams never returns a non-finite or silently wrong scale") {
  const float fmax = std::numeric_limits<float>::max();
  // Was scale = +Inf (max - min overflows float).
  CHECK(qmath::choose_qparams<qmath::uint8_affine_per_tensor>(-fmax, fmax, {}).error().argument() == "max_val");
  // Found by fuzz_qparams: onnxruntime, symmetric, power-of-two: the Inf
  // scale went through frexp and came back as 1.0.
  qmath::qparams_options o;
  o.convention = qmath::qparams_convention::onnxruntime;
  o.constraint = qmath::scale_constraint::power_of_two;
  CHECK(qmath::choose_qparams(-0x1.e7fee6p+127f, 0.0f, 0, 31, qmath::mapping::symmetric, o).error().code() ==
        qmath::errc::out_of_range);
  // Found by fuzz_qparams: tflite symmetric 2-bit with reduce_range has no
  // code above the zero point (scale was amax / 0 = Inf).
  qmath::qparams_options t;
  t.convention = qmath::qparams_convention::tflite;
  t.range = qmath::range_reduction::reduce_range;
  CHECK(qmath::choose_qparams(-1.0f, 0.0f, -2, 1, qmath::mapping::symmetric, t).error().argument() == "qmax");
  // eps = 0 gave scale 0 for an all-zero range.
  qmath::qparams_options e;
  e.eps = 0.0f;
  CHECK(qmath::choose_qparams<qmath::uint8_affine_per_tensor>(0.0f, 0.0f, e).error().argument() == "eps");
}

TEST_CASE("regression: fake_quant gives +0, not -0, for tiny negative inputs on every level") {
  // Found by fuzz_quantize: x = -2^-38, scale 2^-30 rounds to code offset 0;
  // SSE4.1/AVX2/AVX-512 rounding kept the sign (-0.0) where the reference
  // float(q - zp) * scale is +0.0.
  const std::vector<float> x(67, -0x1p-38f);  // SIMD blocks and a scalar tail
  const qmath::qparams<qmath::int8_sym_per_tensor> p{0x1p-30f, 0};
  const qmath::isa saved = qmath::max_isa();
  for (int l = 0; l < qmath::isa_count; ++l) {
    const auto li = static_cast<qmath::isa>(l);
    if (!qmath::isa_is_native_family(li) || !qmath::cpu_supports(li)) continue;
    REQUIRE(qmath::set_max_isa(li).ok());
    std::vector<float> y(x.size(), 1.0f);
    REQUIRE(qmath::fake_quant(std::span<const float>(x), p, std::span(y), {}).ok());
    INFO("level " << qmath::to_string(li));
    for (float v : y) CHECK_FALSE(std::signbit(v));
  }
  (void)qmath::set_max_isa(saved);
}

TEST_CASE("regression: reciprocal division with a scale below 2^-128 maps 0 to the zero point on every level") {
  // Found by fuzz_quantize: 1 / scale = +Inf, 0 * Inf = NaN; the kernels
  // zeroed NaN only for non-finite x, so max(NaN, lo) gave qmin instead of
  // the reference's zero point.
  const std::vector<float> x(37, 0.0f);
  const qmath::qparams<qmath::uint8_affine_per_tensor> p{0x1.006fdp-129f, 128};
  qmath::quantize_options o;
  o.div = qmath::division::reciprocal;
  const qmath::isa saved = qmath::max_isa();
  for (int l = 0; l < qmath::isa_count; ++l) {
    const auto li = static_cast<qmath::isa>(l);
    if (!qmath::isa_is_native_family(li) || !qmath::cpu_supports(li)) continue;
    REQUIRE(qmath::set_max_isa(li).ok());
    INFO("level " << qmath::to_string(li));
    for (auto r : {qmath::rounding::half_even, qmath::rounding::stochastic}) {
      o.round = r;
      std::vector<std::uint8_t> q(x.size(), 7);
      REQUIRE(qmath::quantize(std::span<const float>(x), p, std::span(q), o).ok());
      for (auto v : q) CHECK(v == 128);
      std::vector<float> y(x.size(), 1.0f);
      REQUIRE(qmath::fake_quant(std::span<const float>(x), p, std::span(y), {}, o).ok());
      for (float v : y) CHECK(v == 0.0f);
    }
  }
  (void)qmath::set_max_isa(saved);
}

TEST_CASE("regression: growable histograms bin tiny negatives below 0 even when x / width underflows") {
  // Found by fuzz_calibrate: with width 2^128 (values near FLT_MAX, 2 bins),
  // -2^-43 * 2^-128 underflows to -0, floor(-0) = 0: the value landed in the
  // bin of [0, w) instead of [-w, 0), so one-shot and streamed counts differed.
  const std::vector<float> a{-0x1.49bc1ap+127f}, b{-0x1p-43f}, c{0.0f};
  std::vector<float> all{a[0], b[0], c[0]};
  const qmath::isa saved = qmath::max_isa();
  for (int l = 0; l < qmath::isa_count; ++l) {
    const auto li = static_cast<qmath::isa>(l);
    if (!qmath::isa_is_native_family(li) || !qmath::cpu_supports(li)) continue;
    REQUIRE(qmath::set_max_isa(li).ok());
    qmath::histogram once(qmath::histogram_mode::signed_values, 2), stream(qmath::histogram_mode::signed_values, 2);
    REQUIRE(once.add(all).ok());
    REQUIRE(stream.add(a).ok());
    REQUIRE(stream.add(b).ok());
    REQUIRE(stream.add(c).ok());
    INFO("level " << qmath::to_string(li));
    CHECK(once.lower() == stream.lower());
    CHECK(std::equal(once.counts().begin(), once.counts().end(), stream.counts().begin(), stream.counts().end()));
    CHECK(once.counts()[0] == 2);  // -1.29e38 and -2^-43 lie below 0
  }
  (void)qmath::set_max_isa(saved);
}

TEST_CASE("regression: a GEMM output whose (M - 1) * ld + N wraps size_t is rejected (was written out of bounds)") {
  std::vector<std::uint8_t> a(12, 1);
  std::vector<std::int8_t> b(12, 1);
  auto pw = qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 4, 3});
  REQUIRE(pw);
  std::vector<std::int32_t> c(9);
  // 2 * 2^63 + 3 == 3 (mod 2^64) <= 9: the size check passed.
  CHECK(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 3, 4}, 0, *pw,
                    qmath::matrix_span<std::int32_t>{c, 3, 3, std::size_t{1} << 63}, qmath::output_int32{})
            .argument() == "c");
}

TEST_CASE("regression: packed_size does not overflow") {
  // count * bits wrapped for count > 2^61: packed_size(2^62 + 3, 4) was 1.
  CHECK(qmath::packed_size((std::size_t{1} << 62) + 3, 4) == (std::size_t{1} << 61) + 2);
  CHECK(qmath::packed_size(std::numeric_limits<std::size_t>::max(), 8) == std::numeric_limits<std::size_t>::max());
}
