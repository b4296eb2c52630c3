#pragma once
// Shared helpers of the codebook tests: deterministic data and ISA caps.
#include <cmath>
#include <cstdint>
#include <vector>

#include "qmath/simd/dispatch.hpp"

namespace cbtest {

/// splitmix64 + Box-Muller: test data that does not depend on the standard library.
struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double u01() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  double normal() {
    const double r = std::sqrt(-2.0 * std::log(1.0 - u01()));
    return r * std::cos(6.283185307179586 * u01());
  }
};

inline std::vector<float> gaussian(std::size_t n, std::uint64_t seed, double scale = 1.0) {
  rng g{seed};
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(scale * g.normal());
  return v;
}

/// Blobs: `centres` random centres (spread `spread`), points with unit noise * sigma.
inline std::vector<float> blobs(std::size_t n, std::size_t d, std::size_t centres, double spread, double sigma,
                                std::uint64_t seed) {
  rng g{seed};
  std::vector<double> c(centres * d);
  for (double& v : c) v = spread * g.normal();
  std::vector<float> x(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    const double* ci = c.data() + (i % centres) * d;
    for (std::size_t t = 0; t < d; ++t) x[i * d + t] = static_cast<float>(ci[t] + sigma * g.normal());
  }
  return x;
}

/// Every level <= the cap in force at entry that this CPU runs; restores the cap.
struct each_level {
  qmath::isa saved = qmath::max_isa();
  ~each_level() { (void)qmath::set_max_isa(saved); }
  template <class F>
  void run(F&& f) {
    for (int i = 0; i < qmath::isa_count; ++i) {
      const auto l = static_cast<qmath::isa>(i);
      if (i > static_cast<int>(saved) || !qmath::isa_is_native_family(l) || !qmath::cpu_supports(l)) continue;
      if (!qmath::set_max_isa(l)) continue;
      f(l);
    }
    (void)qmath::set_max_isa(saved);
  }
};

}  // namespace cbtest
