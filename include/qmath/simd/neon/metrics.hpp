#pragma once
// AArch64 overloads of the metrics family's operations (metrics/kernels.hpp):
// float -> double widening of the low / high half of a float vector (exact),
// and add_product(acc, a, b) = acc + a * b for an exact product (fmla).
// Included by metrics/kernels.hpp only.

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_lo_f64(const batch<float, A>& v, requires_arch<xsimd::neon64>) noexcept {
  return vcvt_f64_f32(vget_low_f32(v));
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_hi_f64(const batch<float, A>& v, requires_arch<xsimd::neon64>) noexcept {
  return vcvt_high_f64_f32(v);
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> add_product(const batch<double, A>& acc, const batch<double, A>& a,
                                                 const batch<double, A>& b, requires_arch<xsimd::neon64>) noexcept {
  return vfmaq_f64(acc, a, b);
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
