#pragma once
// Helpers shared by the calibrate / metrics / analysis tests.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "qmath/simd/dispatch.hpp"

namespace qmath_test {

// Restores the ISA cap a test changed.
struct cap_guard {
  qmath::isa saved = qmath::max_isa();
  ~cap_guard() { (void)qmath::set_max_isa(saved); }
};

// Every level this machine can run (scalar first).
inline std::vector<qmath::isa> runnable_levels() {
  std::vector<qmath::isa> out;
  for (int l = 0; l < qmath::isa_count; ++l) {
    const auto lv = static_cast<qmath::isa>(l);
    if (qmath::cpu_supports(lv) && (lv == qmath::isa::scalar || qmath::isa_registered(lv))) out.push_back(lv);
  }
  return out;
}

// Deterministic N(0, sigma^2) samples (Box-Muller on mt19937_64, fully specified).
inline std::vector<float> gaussian(std::size_t n, std::uint64_t seed, double sigma = 1.0) {
  std::mt19937_64 g(seed);
  std::vector<float> v(n);
  const double two_pi = 6.283185307179586;
  for (std::size_t i = 0; i < n; i += 2) {
    const double u1 = (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = static_cast<double>(g() >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log(u1)) * sigma;
    v[i] = static_cast<float>(r * std::cos(two_pi * u2));
    if (i + 1 < n) v[i + 1] = static_cast<float>(r * std::sin(two_pi * u2));
  }
  return v;
}

inline std::vector<float> uniform(std::size_t n, std::uint64_t seed, float lo, float hi) {
  std::mt19937_64 g(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = lo + (hi - lo) * static_cast<float>(static_cast<double>(g() >> 40) * 0x1.0p-24);
  return v;
}

}  // namespace qmath_test
