// The scalar codec (formats/minifloat.hpp): every code of every format,
// every rounding and overflow boundary against an independent nearest-value
// reference, the known answers, encode_scaled and E8M0.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qmath/formats/minifloat.hpp"
#include "support.hpp"

using namespace qmath::formats;
using ftest::bits;
using ftest::from_bits;

namespace {

/// Independent reference: the nearest code by binary search over the
/// (monotonic) positive values in double, ties to the even code; beyond max,
/// the virtual next value max + ulp(max) decides overflow.
template <class F>
std::uint32_t reference_encode(float x, overflow mode) {
  const std::uint32_t sign = std::signbit(x) ? F::sign_bit : 0u;
  if (std::isnan(x)) return F::has_nan ? (sign | F::qnan_code) : F::max_code;
  std::uint32_t ovf = F::max_code;
  if (mode == overflow::non_saturating) ovf = F::has_inf ? F::inf_code : (F::has_nan ? F::qnan_code : F::max_code);
  const double a = std::fabs(static_cast<double>(x));
  if (std::isinf(a)) return sign | ovf;
  const double mx = max_value<F>;
  const double next = mx + std::ldexp(1.0, std::ilogb(max_value<F>) - F::mantissa_bits);
  if (a > mx) {
    const double mid = (mx + next) / 2;
    if (a < mid || (a == mid && (F::max_code & 1u) == 0)) return sign | F::max_code;
    return sign | ovf;
  }
  std::uint32_t lo = 0, hi = F::max_code;  // decode(lo) <= a <= decode(hi)
  while (hi - lo > 1) {
    const std::uint32_t m = (lo + hi) / 2;
    if (static_cast<double>(decode<F>(m)) <= a) lo = m;
    else hi = m;
  }
  const double dl = a - decode<F>(lo), dh = static_cast<double>(decode<F>(hi)) - a;
  std::uint32_t c = dl < dh ? lo : (dh < dl ? hi : ((lo & 1u) ? hi : lo));
  if (a == decode<F>(hi)) c = hi;
  return sign | c;
}

constexpr overflow both_modes[] = {overflow::saturate, overflow::non_saturating};

}  // namespace

#define QMATH_ALL_FORMATS fp16, bf16, fp8_e4m3fn, fp8_e5m2, fp6_e2m3, fp6_e3m2, fp4_e2m1

TEST_CASE_TEMPLATE("minifloat: every code decodes and re-encodes to itself", F, QMATH_ALL_FORMATS) {
  std::uint32_t nan_codes = 0, inf_codes = 0;
  for (std::uint32_t c = 0; c < (1u << F::bits); ++c) {
    const float v = decode<F>(c);
    const std::uint32_t sign = (c & F::sign_bit) ? F::sign_bit : 0u;
    CHECK(std::signbit(v) == (sign != 0));
    if (is_nan_code<F>(c)) {
      ++nan_codes;
      REQUIRE(std::isnan(v));
      CHECK(bits(v) == ((sign ? 0x80000000u : 0u) | 0x7FC00000u));
      for (overflow m : both_modes) CHECK(encode<F>(v, m) == (sign | F::qnan_code));
    } else if (is_inf_code<F>(c)) {
      ++inf_codes;
      REQUIRE(std::isinf(v));
      CHECK(encode<F>(v, overflow::non_saturating) == c);
      CHECK(encode<F>(v, overflow::saturate) == (sign | F::max_code));
    } else {
      REQUIRE(std::isfinite(v));
      for (overflow m : both_modes) {
        CAPTURE(c);
        REQUIRE(encode<F>(v, m) == c);
        REQUIRE(encode_scaled<F>(v, 0, m) == c);
      }
    }
  }
  // Special values of each layout.
  if constexpr (F::nan == nan_kind::ieee) {
    CHECK(inf_codes == 2);
    CHECK(nan_codes == 2 * ((1u << F::mantissa_bits) - 1));
  } else if constexpr (F::nan == nan_kind::all_ones) {
    CHECK(inf_codes == 0);
    CHECK(nan_codes == 2);
  } else {
    CHECK(inf_codes + nan_codes == 0);
  }
  CHECK(decode<F>(F::sign_bit) == 0.0f);
  CHECK(std::signbit(decode<F>(F::sign_bit)));
  CHECK(encode<F>(-0.0f, overflow::saturate) == F::sign_bit);
}

TEST_CASE_TEMPLATE("minifloat: positive codes are strictly increasing, negatives mirror them", F, QMATH_ALL_FORMATS) {
  for (std::uint32_t c = 0; c < F::max_code; ++c) {
    CAPTURE(c);
    REQUIRE(decode<F>(c) < decode<F>(c + 1));
    REQUIRE(decode<F>(c | F::sign_bit) == -decode<F>(c));
  }
  CHECK(decode<F>(F::max_code) == max_value<F>);
}

TEST_CASE_TEMPLATE("minifloat: every float32 near every rounding and overflow boundary", F, QMATH_ALL_FORMATS) {
  // +-64 ulps around each midpoint (and each value), both modes, both signs,
  // against the reference; plus random bit patterns.
  const auto xs = ftest::tricky_inputs<F>(64, 200000);
  std::size_t checked = 0;
  for (overflow m : both_modes) {
    for (float x : xs) {
      const auto got = encode<F>(x, m);
      const auto want = reference_encode<F>(x, m);
      if (got != want) {
        CAPTURE(x);
        CAPTURE(bits(x));
        CAPTURE(static_cast<int>(m));
        REQUIRE(static_cast<std::uint32_t>(got) == want);
      }
      ++checked;
    }
  }
  CHECK(checked == 2 * xs.size());
}

TEST_CASE_TEMPLATE("minifloat: monotonic encode and |error| <= half an ulp", F, QMATH_ALL_FORMATS) {
  ftest::rng r(5);
  for (int i = 0; i < 100000; ++i) {
    const float x = std::ldexp(static_cast<float>(r.next() >> 8) * 0x1p-24f, static_cast<int>(r.next() % 40) - 30);
    const float y = x * 1.0001f + 1e-30f;
    const float qx = decode<F>(encode<F>(x, overflow::saturate)), qy = decode<F>(encode<F>(y, overflow::saturate));
    REQUIRE(qx <= qy);
    REQUIRE(decode<F>(encode<F>(qx, overflow::saturate)) == qx);  // idempotent
    if (x <= max_value<F>) {
      // ulp at the magnitude of x: spacing of the binade (subnormal spacing below the smallest normal).
      const int e = std::max(std::ilogb(x), 1 - F::bias);
      const double half_ulp = std::ldexp(1.0, e - F::mantissa_bits - 1);
      REQUIRE(std::fabs(static_cast<double>(qx) - x) <= half_ulp);
    }
  }
}

TEST_CASE("minifloat: issue 11 known answers") {
  // ONNX test_quantizelinear_e4m3fn / e5m2: x = [0,1,2,1e5,200], scale 2.
  const float x[] = {0.0f, 1.0f, 2.0f, 100000.0f, 200.0f};
  const float e4[] = {0.0f, 0.5f, 1.0f, 448.0f, 96.0f};
  const float e5[] = {0.0f, 0.5f, 1.0f, 49152.0f, 96.0f};
  for (int i = 0; i < 5; ++i) {
    CHECK(decode<fp8_e4m3fn>(encode<fp8_e4m3fn>(x[i] / 2.0f, overflow::saturate)) == e4[i]);
    CHECK(decode<fp8_e5m2>(encode<fp8_e5m2>(x[i] / 2.0f, overflow::saturate)) == e5[i]);
  }
  // E2M1 ties to even.
  CHECK(decode<fp4_e2m1>(encode<fp4_e2m1>(0.75f, overflow::saturate)) == 1.0f);
  CHECK(decode<fp4_e2m1>(encode<fp4_e2m1>(1.75f, overflow::saturate)) == 2.0f);
  CHECK(decode<fp4_e2m1>(encode<fp4_e2m1>(3.5f, overflow::saturate)) == 4.0f);
  CHECK(decode<fp4_e2m1>(encode<fp4_e2m1>(-0.25f, overflow::saturate)) == 0.0f);
  CHECK(encode<fp4_e2m1>(std::numeric_limits<float>::quiet_NaN(), overflow::saturate) == 0x7);  // ONNX: NaN -> 6
  CHECK(encode<fp4_e2m1>(-std::numeric_limits<float>::infinity(), overflow::non_saturating) == 0xF);
  // e4m3fn overflow (ml_dtypes): 464 -> 448, 465 -> NaN (non-saturating) / 448.
  CHECK(encode<fp8_e4m3fn>(464.0f, overflow::non_saturating) == 0x7E);
  CHECK(encode<fp8_e4m3fn>(465.0f, overflow::non_saturating) == 0x7F);
  CHECK(encode<fp8_e4m3fn>(-465.0f, overflow::non_saturating) == 0xFF);
  CHECK(encode<fp8_e4m3fn>(465.0f, overflow::saturate) == 0x7E);
  CHECK(encode<fp8_e4m3fn>(std::numeric_limits<float>::infinity(), overflow::saturate) == 0x7E);
  // e5m2: 61440 is the midpoint to the next binade and overflows; Inf stays Inf.
  CHECK(encode<fp8_e5m2>(61439.0f, overflow::non_saturating) == 0x7B);
  CHECK(encode<fp8_e5m2>(61440.0f, overflow::non_saturating) == 0x7C);
  CHECK(encode<fp8_e5m2>(61440.0f, overflow::saturate) == 0x7B);
  // fp16 / bf16 shorthands.
  CHECK(fp16_from_float(65520.0f) == 0x7C00);
  CHECK(fp16_from_float(65519.0f) == 0x7BFF);
  CHECK(float_from_fp16(0x0001) == 0x1p-24f);
  CHECK(bf16_from_float(1.00390625f) == 0x3F80);  // tie to even
  CHECK(bf16_from_float(1.01171875f) == 0x3F82);
  CHECK(float_from_bf16(0x0001) == 0x1p-133f);
  CHECK(bf16_from_float(from_bits(0x00018000u)) == 0x0002);  // float32 subnormal tie -> even (RNE, not flushed)
  CHECK(max_value<fp6_e2m3> == 7.5f);
  CHECK(max_value<fp6_e3m2> == 28.0f);
  CHECK(max_value<fp4_e2m1> == 6.0f);
  CHECK(max_value<fp8_e4m3fn> == 448.0f);
  CHECK(max_value<fp8_e5m2> == 57344.0f);
  static_assert(encode<fp8_e4m3fn>(100.0f) == 0x6C);
  static_assert(decode<fp4_e2m1>(0x7) == 6.0f);
}

TEST_CASE_TEMPLATE("minifloat: encode_scaled(x, s) is encode(x * 2^-s), exactly", F, QMATH_ALL_FORMATS) {
  ftest::rng r(17);
  for (int i = 0; i < 200000; ++i) {
    const float x = from_bits(r.next());
    const int s = static_cast<int>(r.next() % 61) - 30;
    for (overflow m : both_modes) {
      REQUIRE(encode_scaled<F>(x, 0, m) == encode<F>(x, m));
      const float y = std::ldexp(x, -s);
      // Only where x * 2^-s is an exact normal float32 (or non-finite input).
      if (!std::isfinite(x) || (std::isnormal(y) && std::ldexp(y, s) == x)) {
        CAPTURE(x);
        CAPTURE(s);
        REQUIRE(encode_scaled<F>(x, s, m) == encode<F>(y, m));
      }
    }
  }
  // Scaling that leaves float32 range on the way is still exact.
  CHECK(encode_scaled<F>(0x1p-140f, -140, overflow::saturate) == encode<F>(1.0f, overflow::saturate));
  CHECK(encode_scaled<F>(0x1p120f, 120, overflow::saturate) == encode<F>(1.0f, overflow::saturate));
}

TEST_CASE("minifloat: encode_scaled ties away from zero") {
  CHECK(encode_scaled<fp4_e2m1>(0.75f, 0, overflow::saturate, tie_rule::away_from_zero) == 0x2);  // 1.0
  CHECK(encode_scaled<fp4_e2m1>(1.25f, 0, overflow::saturate, tie_rule::away_from_zero) == 0x3);  // 1.5
  CHECK(encode_scaled<fp4_e2m1>(1.25f, 0, overflow::saturate, tie_rule::to_even) == 0x2);        // 1.0
  CHECK(encode_scaled<fp4_e2m1>(-0.25f, 0, overflow::saturate, tie_rule::away_from_zero) == 0x9);  // -0.5
  CHECK(encode_scaled<fp8_e4m3fn>(1.0625f, 0, overflow::saturate, tie_rule::away_from_zero) == 0x39);
  CHECK(encode_scaled<fp8_e4m3fn>(1.0625f, 0, overflow::saturate, tie_rule::to_even) == 0x38);
  CHECK(encode_scaled<fp4_e2m1>(12.0f, 1, overflow::saturate) == 0x7);
}

TEST_CASE("minifloat: E8M0 and floor_log2") {
  for (int c = 0; c < 255; ++c) CHECK(decode_e8m0(static_cast<std::uint8_t>(c)) == std::ldexp(1.0f, c - 127));
  CHECK(std::isnan(decode_e8m0(0xFF)));
  CHECK(e8m0_from_exponent(0) == 127);
  CHECK(e8m0_from_exponent(-200) == 0);
  CHECK(e8m0_from_exponent(300) == 254);
  ftest::rng r(3);
  for (int i = 0; i < 100000; ++i) {
    const float x = from_bits(r.next() & 0x7FFFFFFFu);
    if (!std::isfinite(x) || x == 0.0f) continue;
    REQUIRE(floor_log2(x) == std::ilogb(x));
    REQUIRE(floor_log2(-x) == std::ilogb(x));
  }
  CHECK(floor_log2(std::numeric_limits<float>::denorm_min()) == -149);
  CHECK(floor_log2(6.0f) == 2);
  CHECK(floor_log2(0.999f) == -1);
}
