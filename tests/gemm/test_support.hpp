#pragma once
// Shared helpers of the GEMM tests: the ISA cap loop.

#include <vector>

#include "qmath/simd/isa.hpp"

namespace gemm_test {

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

}  // namespace gemm_test
