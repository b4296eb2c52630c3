#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "qmath/core/rounding.hpp"

using namespace qmath;

TEST_CASE("rounding: ties (issue known answers)") {
  const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f};
  const float even[] = {0, 2, 2, 0, -2, -2};
  const float away[] = {1, 2, 3, -1, -2, -3};
  const float zero[] = {0, 1, 2, 0, -1, -2};
  for (int i = 0; i < 6; ++i) {
    CHECK(round_half_even(x[i]) == even[i]);
    CHECK(round_half_away(x[i]) == away[i]);
    CHECK(round_toward_zero(x[i]) == zero[i]);
  }
  static_assert(round_half_even(2.5f) == 2.0f && round_half_away(2.5f) == 3.0f);
  static_assert(round_down(-0.25f) == -1.0f && round_down(0.75f) == 0.0f);
}

TEST_CASE("rounding: agrees with <cmath> on many values, including near-ties and large magnitudes") {
  std::uint32_t s = 12345;
  for (int i = 0; i < 200000; ++i) {
    s = s * 1664525u + 1013904223u;
    float x;
    std::uint32_t bits = (s & 0x807FFFFFu) | ((117u + (s >> 8) % 40u) << 23);  // |x| in [2^-10, 2^29]
    std::memcpy(&x, &bits, 4);
    REQUIRE(round_half_even(x) == std::nearbyint(x));  // default FP environment: ties to even
    REQUIRE(round_half_away(x) == std::round(x));
    REQUIRE(round_toward_zero(x) == std::trunc(x));
    REQUIRE(round_down(x) == std::floor(x));
  }
  // 0.49999997f: a naive floor(x + 0.5) gives 1.
  CHECK(round_half_away(0.49999997f) == 0.0f);
  CHECK(round_half_away(-0.49999997f) == 0.0f);
  CHECK(round_half_even(8388609.0f) == 8388609.0f);
  CHECK(std::isnan(round_half_even(std::nanf(""))));
}

TEST_CASE("rounding: stochastic is reproducible, unbiased and in {floor, floor+1}") {
  const std::uint32_t key = stochastic_key(42);
  CHECK(key == stochastic_key(42));
  CHECK(key != stochastic_key(43));
  CHECK(stochastic_bits(key, 7) == stochastic_bits(key, 7));
  CHECK(stochastic_bits(key, 7) != stochastic_bits(key, 8));
  CHECK(stochastic_bits(key, 7) != stochastic_bits(key, 7 + (std::uint64_t{1} << 32)));
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const float r = round_stochastic(2.3f, stochastic_bits(key, static_cast<std::uint64_t>(i)));
    REQUIRE((r == 2.0f || r == 3.0f));
    sum += r;
  }
  CHECK(sum / n == doctest::Approx(2.3).epsilon(0.005));
  // Integers never move.
  for (int i = 0; i < 100; ++i) CHECK(round_stochastic(-5.0f, stochastic_bits(key, i)) == -5.0f);
  // Negative values: floor(-2.75) = -3, rounds up to -2 with probability 1/4.
  double neg = 0;
  for (int i = 0; i < n; ++i) neg += round_stochastic(-2.75f, stochastic_bits(key, i));
  CHECK(neg / n == doctest::Approx(-2.75).epsilon(0.005));
}

TEST_CASE("rounding: finiteness") {
  static_assert(is_finite(1.0f) && !is_finite(std::numeric_limits<float>::infinity()));
  CHECK(!is_finite(std::nanf("")));
  CHECK(!is_finite(-std::numeric_limits<float>::infinity()));
  CHECK(is_finite(std::numeric_limits<float>::max()));
  CHECK(is_finite(std::numeric_limits<float>::denorm_min()));
}
