#pragma once
// AArch64 operations of the formats kernel family (formats/kernels.hpp) that
// the shared vocabulary (simd/ops.hpp) lacks. Overloads on requires_arch, as
// in simd/ops_neon.hpp; included by formats/kernels.hpp only.

#include <cstdint>

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

/// t (0 <= t <= 2^10, exact) rounded to the nearest integer, ties to even
/// (FRINTN names its mode; FPCR is not read), as int32.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> round_small_even_i32(const batch<float, A>& t,
                                                                requires_arch<xsimd::neon64>) noexcept {
  return vcvtq_s32_f32(vrndnq_f32(t));
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
