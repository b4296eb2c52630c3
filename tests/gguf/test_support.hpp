#pragma once
// Shared helpers of the GGUF tests.

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "qmath/formats/minifloat.hpp"
#include "qmath/simd/isa.hpp"

namespace gguf_test {

/// Every level this CPU runs (scalar first), for the cap loops.
inline std::vector<qmath::isa> runnable_levels() {
  std::vector<qmath::isa> v;
  for (int l = 0; l < qmath::isa_count; ++l) {
    const auto li = static_cast<qmath::isa>(l);
    if (qmath::isa_is_native_family(li) && qmath::cpu_supports(li)) v.push_back(li);
  }
  return v;
}

/// Restores the cap on scope exit.
struct cap_guard {
  qmath::isa saved = qmath::max_isa();
  ~cap_guard() { (void)qmath::set_max_isa(saved); }
};

inline float h2f(std::uint16_t h) { return qmath::formats::float_from_fp16(h); }
inline std::uint16_t f2h(float f) { return qmath::formats::fp16_from_float(f); }
inline std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

/// Same bits, or both NaN.
inline bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || bits(a) == bits(b); }

inline std::vector<float> gauss(std::mt19937& rng, std::size_t n, float sigma = 1.0f) {
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace gguf_test
