#pragma once
// Shared helpers of the quantize tests: ISA cap loops and test data.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include "qmath/quantize/kernels.hpp"
#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/isa.hpp"

namespace qtest {

/// Restores the cap a test changed.
struct cap_guard {
  qmath::isa saved = qmath::max_isa();
  ~cap_guard() { (void)qmath::set_max_isa(saved); }
};

/// Every level this CPU can run (scalar first).
inline std::vector<qmath::isa> runnable_levels() {
  std::vector<qmath::isa> v;
  for (int i = 0; i < qmath::isa_count; ++i) {
    const auto l = static_cast<qmath::isa>(i);
    if (qmath::isa_is_native_family(l) && qmath::cpu_supports(l)) v.push_back(l);
  }
  return v;
}

/// Calls f(level) with the cap set to each runnable level.
template <class F>
void for_each_level(F&& f) {
  cap_guard g;
  for (qmath::isa l : runnable_levels()) {
    if (!qmath::set_max_isa(l).ok()) continue;
    // With every dispatch unit linked, the kernels run exactly the capped level.
    REQUIRE(qmath::detail::selected_level<qmath::detail::quantize_kernels>() == l);
    f(l);
  }
}

/// Same float bits (tells -0.0 from +0.0; NaN equals the same NaN pattern).
inline bool same_bits(float a, float b) {
  std::uint32_t ua, ub;
  std::memcpy(&ua, &a, sizeof ua);
  std::memcpy(&ub, &b, sizeof ub);
  return ua == ub;
}

/// Same bits element by element (and the same length).
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

/// Deterministic pseudo-random numbers.
struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed * 2654435761u + 1) {}
  std::uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(s >> 32);
  }
  float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(next() >> 8) * 0x1p-24f; }
  float gauss() {
    const float u1 = uniform(1e-7f, 1.0f), u2 = uniform(0.0f, 1.0f);
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
  }
};

/// Test data for a scale s: uniform values spanning beyond the code range,
/// exact ties (k + 0.5) * s, exact codes k * s, zeros and signed zeros.
inline std::vector<float> tricky_data(std::size_t n, float s, float range, std::uint64_t seed) {
  rng r(seed);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t kind = r.next() % 6;
    const float k = std::floor(r.uniform(-range, range));
    if (kind == 0) x[i] = (k + 0.5f) * s;
    else if (kind == 1) x[i] = k * s;
    else if (kind == 2) x[i] = (i % 2) ? 0.0f : -0.0f;
    else x[i] = r.uniform(-1.3f * range, 1.3f * range) * s;
  }
  return x;
}

}  // namespace qtest
