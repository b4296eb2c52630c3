#pragma once
// AArch64 overloads of the codebook family's operations (codebook/kernels.hpp):
// has_fmadd and fmadd(a, b, c) = a * b + c with one rounding (fmla).
// Included by codebook/kernels.hpp only.

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

constexpr bool has_fmadd(requires_arch<xsimd::neon64>) noexcept { return true; }
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> fmadd(const batch<float, A>& a, const batch<float, A>& b, const batch<float, A>& c,
                                          requires_arch<xsimd::neon64>) noexcept {
  return vfmaq_f32(c, a, b);
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
