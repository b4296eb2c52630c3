#pragma once
// Included by the dispatch translation units (cmake/qmath_dispatch.cpp.in),
// which are compiled with QMATH_DISPATCH_TU and one level's flags. Lists every
// kernel family; each module adds its kernel header and one line below.

#if !defined(QMATH_DISPATCH_TU)
#error "qmath/simd/dispatch_units.hpp is for dispatch translation units only"
#endif

#include "qmath/simd/probe.hpp"

namespace qmath::kernel::QMATH_TARGET_NS {

inline bool register_all_families() noexcept {
  register_target_level<detail::probe_kernels, probe_provider>();
  // (modules: one line per kernel family here)
  return true;
}

}  // namespace qmath::kernel::QMATH_TARGET_NS
