#pragma once
// Shared helpers of the formats tests: the level loop, format lists, data.

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include "qmath/formats/kernels.hpp"
#include "qmath/formats/minifloat.hpp"
#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/isa.hpp"

namespace ftest {

namespace f = qmath::formats;

struct cap_guard {
  qmath::isa saved = qmath::max_isa();
  ~cap_guard() { (void)qmath::set_max_isa(saved); }
};

/// Calls fn(level) with the cap set to each level this CPU runs (scalar first).
template <class Fn>
void for_each_level(Fn&& fn) {
  cap_guard g;
  for (int i = 0; i < qmath::isa_count; ++i) {
    const auto l = static_cast<qmath::isa>(i);
    if (!qmath::isa_is_native_family(l) || !qmath::cpu_supports(l)) continue;
    if (!qmath::set_max_isa(l).ok()) continue;
    REQUIRE(qmath::detail::selected_level<qmath::detail::formats_kernels>() == l);
    fn(l);
  }
}

inline std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }
inline float from_bits(std::uint32_t b) { return std::bit_cast<float>(b); }

struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed * 2654435761u + 1) {}
  std::uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(s >> 32);
  }
};

/// Every code (sign included) of F.
template <class F>
std::uint32_t code_count() {
  return 1u << F::bits;
}

/// Float32 values that stress an encoder of F: every value of F, every
/// midpoint between neighbours +- a few ulps, the overflow boundary, specials,
/// float32 subnormals and random bit patterns.
template <class F>
std::vector<float> tricky_inputs(int ulps, std::size_t random) {
  std::vector<float> v;
  const std::uint32_t n = F::max_code;
  for (std::uint32_t c = 0; c <= n + 1; ++c) {
    const float a = f::decode<F>(c);
    const double b = c < n ? static_cast<double>(f::decode<F>(c + 1))
                           : static_cast<double>(f::max_value<F>) +
                                 std::ldexp(1.0, std::ilogb(f::max_value<F>) - F::mantissa_bits);
    if (c > n) break;
    const float mid = static_cast<float>((static_cast<double>(a) + b) / 2.0);
    for (int k = -ulps; k <= ulps; ++k) {
      const std::uint32_t mb = bits(mid) + static_cast<std::uint32_t>(k);
      v.push_back(from_bits(mb));
      v.push_back(-from_bits(mb));
    }
    v.push_back(a);
    v.push_back(-a);
  }
  const float sp[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
                      from_bits(0x7F800001u), from_bits(0xFFBFFFFFu), from_bits(0x7FFFFFFFu),
                      std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                      std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min(),
                      from_bits(0x007FFFFFu), from_bits(0x807FFFFFu), from_bits(0x00400000u), 1e-30f, -1e-20f,
                      65504.0f, 65519.99f, 65520.0f, 448.0f, 464.0f, 465.0f, 57344.0f, 61440.0f, 61439.0f};
  for (float s : sp) v.push_back(s);
  rng r(F::bits * 977 + F::bias);
  for (std::size_t i = 0; i < random; ++i) v.push_back(from_bits(r.next()));
  return v;
}

}  // namespace ftest
