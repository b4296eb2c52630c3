#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "qmath/quantize/element.hpp"

using namespace qmath;

TEST_CASE("element: ONNX QuantizeLinear uint8 known answer") {
  const float x[] = {0.f, 2.f, 3.f, 1000.f, -254.f, -1000.f};
  const std::int32_t want[] = {128, 129, 130, 255, 1, 0};
  for (int i = 0; i < 6; ++i) CHECK(quantize_value(x[i], 2.f, 128, 0, 255) == want[i]);
  static_assert(quantize_value(3.f, 2.f, 128, 0, 255) == 130);
}

TEST_CASE("element: ONNX uint16 known answer") {
  const float x[] = {0, -128, 3, -3, 2.9f, -2.9f, 3.1f, -3.1f, 65536, -65534, 70000, -70000};
  const std::int32_t want[] = {32767, 32703, 32769, 32765, 32768, 32766, 32769, 32765, 65535, 0, 65535, 0};
  for (int i = 0; i < 12; ++i) CHECK(quantize_value(x[i], 2.f, 32767, 0, 65535) == want[i]);
}

TEST_CASE("element: division vs reciprocal (issue known answer)") {
  const float scale = 0.00214854861f, x = 0.273939937f;
  CHECK(quantize_value(x, scale, 0, -128, 127, rounding::half_even, division::reciprocal) == 127);  // clamped
  CHECK(quantize_value(x, scale, 0, 0, 255, rounding::half_even, division::reciprocal) == 128);
  CHECK(quantize_value(x, scale, 0, 0, 255, rounding::half_even, division::exact) == 127);
  CHECK(x * (1.0f / scale) == 127.5f);
  CHECK(x / scale < 127.5f);
}

TEST_CASE("element: rounding modes on ties") {
  const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f};
  const std::int32_t even[] = {0, 2, 2, 0, -2, -2}, away[] = {1, 2, 3, -1, -2, -3}, zero[] = {0, 1, 2, 0, -1, -2};
  for (int i = 0; i < 6; ++i) {
    CHECK(quantize_value(x[i], 1.f, 0, -128, 127) == even[i]);
    CHECK(quantize_value(x[i], 1.f, 0, -128, 127, rounding::half_away) == away[i]);
    CHECK(quantize_value(x[i], 1.f, 0, -128, 127, rounding::toward_zero) == zero[i]);
  }
  // Stochastic: floor or floor + 1.
  for (std::uint32_t b : {0u, 0x7fffffffu, 0xffffffffu}) {
    const auto q = quantize_value(2.5f, 1.f, 0, -128, 127, rounding::stochastic, division::exact, b);
    CHECK((q == 2 || q == 3));
  }
  CHECK(quantize_value(2.25f, 1.f, 0, -128, 127, rounding::stochastic, division::exact, 0u) == 3);           // u = 0
  CHECK(quantize_value(2.25f, 1.f, 0, -128, 127, rounding::stochastic, division::exact, 0xffffffffu) == 2);  // u ~ 1
}

TEST_CASE("element: non-finite values map to the zero point or saturate") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  CHECK(quantize_value(nan, 0.5f, 7, 0, 255) == 7);
  CHECK(quantize_value(inf, 0.5f, 7, 0, 255) == 255);
  CHECK(quantize_value(-inf, 0.5f, 7, 0, 255) == 0);
  CHECK(quantize_value(3e38f, 1e-30f, 0, -8, 7) == 7);
  CHECK(quantize_value(-3e38f, 1e-30f, 0, -8, 7) == -8);
}

TEST_CASE("element: dequantize and fake quant") {
  CHECK(dequantize_value(130, 2.f, 128) == 4.f);
  CHECK(dequantize_value(-128, 0.5f, 0) == -64.f);
  static_assert(dequantize_value(0, 1.5f, -2) == 3.0f);
  // PyTorch fake_quantize: y = (clamp(round(x*inv)+zp) - zp) * scale, mask on the unclamped code.
  const float x[] = {0.3f, 200.f, -200.f, 127.4f, 127.6f, -128.4f, -128.6f};
  const float y[] = {0.f, 127.f, -128.f, 127.f, 127.f, -128.f, -128.f};
  const bool m[] = {true, false, false, true, false, true, false};
  for (int i = 0; i < 7; ++i) {
    const auto f = fake_quant_value(x[i], 1.f, 0, -128, 127, rounding::half_even, division::reciprocal);
    CHECK(f.y == y[i]);
    CHECK(f.in_range == m[i]);
  }
  // 127.5 rounds to 128 (even): out of range; 126.5 -> 126: in range.
  CHECK(!fake_quant_value(127.5f, 1.f, 0, -128, 127).in_range);
  CHECK(fake_quant_value(126.5f, 1.f, 0, -128, 127).in_range);
  CHECK(fake_quant_value(std::numeric_limits<float>::infinity(), 1.f, 0, -128, 127).y == 127.f);
}

TEST_CASE("element: idempotence, range and exact zero on a sweep") {
  for (int zp : {-128, -43, 0, 5, 127}) {
    const float scale = 0.0371f;
    CHECK(quantize_value(0.0f, scale, zp, -128, 127) == zp);  // zero is exact
    for (int q = -128; q <= 127; ++q) {
      const float x = dequantize_value(q, scale, zp);
      REQUIRE(quantize_value(x, scale, zp, -128, 127) == q);
      REQUIRE(quantize_value(x, scale, zp, -128, 127, rounding::half_even, division::reciprocal) == q);
    }
  }
}
