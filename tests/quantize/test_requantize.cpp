#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qmath/quantize/requantize.hpp"

using namespace qmath;

namespace {
__extension__ typedef __int128 i128;
constexpr std::int32_t i32min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t i32max = std::numeric_limits<std::int32_t>::max();

// Independent references: SRDHM = round-half-away(a*b / 2^31) (exact in long
// double or int128 arithmetic), RDBPOT = round-half-away(x / 2^e).
std::int32_t srdhm_ref(std::int32_t a, std::int32_t b) {
  if (a == i32min && b == i32min) return i32max;
  const i128 ab = static_cast<i128>(a) * b;
  const i128 d = i128{1} << 31;
  const i128 mag = (ab < 0 ? -ab : ab);
  i128 q = mag / d;
  if (mag % d >= d / 2) ++q;
  return static_cast<std::int32_t>(ab < 0 ? -q : q);
}
std::int32_t rdbpot_ref(std::int32_t x, int e) {
  const std::int64_t d = std::int64_t{1} << e;
  const std::int64_t mag = x < 0 ? -static_cast<std::int64_t>(x) : x;
  std::int64_t q = mag / d;
  if (e > 0 && mag % d >= d / 2) ++q;
  return static_cast<std::int32_t>(x < 0 ? -q : q);
}
}  // namespace

TEST_CASE("requantize: quantize_multiplier (TFLite)") {
  auto m = quantize_multiplier(0.5);
  REQUIRE(m);
  CHECK(m->multiplier == (1 << 30));
  CHECK(m->shift == 0);
  m = quantize_multiplier(0.25);
  CHECK(m->multiplier == (1 << 30));
  CHECK(m->shift == -1);
  m = quantize_multiplier(1.0);
  CHECK(m->multiplier == (1 << 30));
  CHECK(m->shift == 1);
  m = quantize_multiplier(0.0);
  CHECK(m->multiplier == 0);
  CHECK(m->shift == 0);
  // q * 2^31 rounds up to 2^31: renormalised.
  m = quantize_multiplier(std::nextafter(1.0, 0.0));
  CHECK(m->multiplier == (1 << 30));
  CHECK(m->shift == 1);
  // Tiny multipliers flush to zero.
  m = quantize_multiplier(1e-12);
  CHECK(m->multiplier == 0);
  // M0 in [2^30, 2^31) and M0 * 2^(shift-31) ~ M.
  for (double v = 1e-6; v < 1e3; v *= 1.37) {
    auto r = quantize_multiplier(v);
    REQUIRE(r);
    CHECK(r->multiplier >= (1 << 30));
    CHECK(std::ldexp(static_cast<double>(r->multiplier), r->shift - 31) == doctest::Approx(v).epsilon(1e-9));
  }
  CHECK(quantize_multiplier(-1.0).error().argument() == "multiplier");
  CHECK(quantize_multiplier(std::nan("")).error().argument() == "multiplier");
  CHECK(quantize_multiplier(3e9).error().code() == errc::out_of_range);
}

TEST_CASE("requantize: gemmlowp primitives against independent references") {
  CHECK(saturating_rounding_doubling_high_mul(i32min, i32min) == i32max);
  CHECK(rounding_divide_by_pot(5, 1) == 3);
  CHECK(rounding_divide_by_pot(-5, 1) == -3);
  CHECK(rounding_divide_by_pot(-4, 1) == -2);
  CHECK(rounding_divide_by_pot(-6, 2) == -2);  // -1.5 -> -2
  CHECK(rounding_divide_by_pot(6, 2) == 2);    // 1.5 -> 2
  CHECK(rounding_divide_by_pot(7, 0) == 7);
  std::uint64_t s = 99;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::int32_t>(s >> 32);
  };
  for (int i = 0; i < 100000; ++i) {
    const std::int32_t a = next(), b = next();
    REQUIRE(saturating_rounding_doubling_high_mul(a, b) == srdhm_ref(a, b));
    const int e = static_cast<int>(static_cast<std::uint32_t>(next()) % 32);
    REQUIRE(rounding_divide_by_pot(a, e) == rdbpot_ref(a, e));
  }
  static_assert(multiply_by_quantized_multiplier(400, 1 << 30, -1) == 100);
  static_assert(multiply_by_quantized_multiplier(3, 1 << 30, 3) == 12);  // 3 * 0.5 * 2^3
}

TEST_CASE("requantize: scalar known answers, bias, zero point, clamp") {
  auto m = *quantize_multiplier(0.25);
  CHECK(requantize_value_fixed(400, 0, m, {0, -128, 127}) == 100);
  CHECK(requantize_value_fixed(400, 4, m, {10, -128, 127}) == 111);
  CHECK(requantize_value_fixed(100000, 0, m, {0, -128, 127}) == 127);
  CHECK(requantize_value_fixed(-100000, 0, m, {0, -128, 127}) == -128);
  CHECK(requantize_value_fixed(40, 0, m, {0, 0, 6}) == 6);  // ReLU6-style clamp
  // Double rounding of the fixed-point path: 1001 * 0.25 = 250.25 but SRDHM
  // first rounds 1001 * 0.5 = 500.5 to 501, then 501 / 2 = 250.5 -> 251.
  CHECK(requantize_value_fixed(1001, 0, m, {0, -1000, 1000}) == 251 - 1000 + 1000);
  CHECK(requantize_value_float(401, 0, 0.25f, {0, -128, 127}) == 100);
  CHECK(requantize_value_float(402, 0, 0.25f, {0, -128, 127}) == 100);  // 100.5 -> even
  CHECK(requantize_value_float(406, 0, 0.25f, {0, -128, 127}) == 102);  // 101.5 -> 102
  CHECK(requantize_value_float(-402, 0, 0.25f, {3, -128, 127}) == -97);
  CHECK(requantize_value_float(i32max, 0, 1.0f, {0, 0, 255}) == 255);
  CHECK(requantize_value_float(i32min, 0, 1.0f, {128, 0, 255}) == 0);
  CHECK(requantize_value_float(i32max, 1, 1.0f, {0, -128, 127}) == -128);  // bias wraps
  // Float path equals round-half-even(acc * M) for exactly representable products.
  for (std::int32_t acc = -5000; acc <= 5000; acc += 7) {
    const double v = acc * 0.0625;
    const std::int32_t want = static_cast<std::int32_t>(std::nearbyint(v));
    REQUIRE(requantize_value_float(acc, 0, 0.0625f, {0, -1000, 1000}) == want);
  }
}

TEST_CASE("requantize: arrays, per tensor and per channel") {
  const std::vector<std::int32_t> acc{100, -200, 300, 4000, -5000, 6};
  const std::vector<std::int32_t> bias{1, 2, 3};
  std::vector<std::int8_t> out(6);
  const std::vector<float> mf{0.5f, 0.25f, 0.125f};
  REQUIRE(requantize_float<std::int8_t>(acc, 3, bias, mf, {0, -128, 127}, out).ok());
  const std::vector<std::int8_t> want{50, -50, 38, 127, -128, 1};  // 101*.5=50.5->50, -198*.25=-49.5->-50, 303/8=37.875
  CHECK(out == want);
  std::vector<fixed_multiplier> mx{*quantize_multiplier(0.5), *quantize_multiplier(0.25), *quantize_multiplier(0.125)};
  std::vector<std::uint8_t> uo(6);
  REQUIRE(requantize_fixed<std::uint8_t>(acc, 3, {}, mx, {128, 0, 255}, uo).ok());
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(uo[i] == requantize_value_fixed(acc[i], 0, mx[i % 3], {128, 0, 255}));
  }
  const std::vector<float> one{0.5f};
  REQUIRE(requantize_float<std::int8_t>(acc, 3, {}, one, {0, -128, 127}, out).ok());
  CHECK(out[0] == 50);
  CHECK(out[3] == 127);
  // Bad input.
  CHECK(requantize_float<std::int8_t>(acc, 4, {}, one, {0, -128, 127}, out).argument() == "acc");
  CHECK(requantize_float<std::int8_t>(acc, 0, {}, one, {0, -128, 127}, out).argument() == "cols");
  CHECK(requantize_float<std::int8_t>(acc, 3, std::vector<std::int32_t>{1}, one, {0, -128, 127}, out).argument() ==
        "bias");
  CHECK(requantize_float<std::int8_t>(acc, 3, {}, std::vector<float>{1, 2}, {0, -128, 127}, out).argument() ==
        "multiplier");
  CHECK(requantize_float<std::int8_t>(acc, 3, {}, std::vector<float>{-1}, {0, -128, 127}, out).argument() ==
        "multiplier");
  CHECK(requantize_float<std::int8_t>(acc, 3, {}, one, {0, -128, 300}, out).argument() == "clamp_max");
  CHECK(requantize_float<std::int8_t>(acc, 3, {}, one, {200, -128, 127}, out).argument() == "zero_point");
  CHECK(requantize_float<std::int8_t>(acc, 3, {}, one, {0, 5, 4}, out).argument() == "clamp_min");
  CHECK(requantize_float<std::int8_t>(acc, 3, {}, one, {0, -128, 127}, std::span<std::int8_t>(out).first(5))
            .argument() == "out");
  CHECK(requantize_fixed<std::int8_t>(acc, 3, {}, std::vector<fixed_multiplier>{{1, 40}}, {0, -128, 127}, out)
            .argument() == "multiplier");
}
