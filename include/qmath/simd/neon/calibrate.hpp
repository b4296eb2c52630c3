#pragma once
// AArch64 overloads of the calibrate family's operations (calibrate/kernels.hpp):
// count_true(acc, m) = acc + (m ? 1 : 0) per int32 lane, m a float comparison.
// Included by calibrate/kernels.hpp only.

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

// Masks are all-ones lanes (-1): subtracting one counts it.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> count_true(const batch<std::int32_t, A>& acc, const batch_bool<float, A>& m,
                                                      requires_arch<xsimd::neon64>) noexcept {
  const uint32x4_t mv = m;
  return vsubq_s32(acc, vreinterpretq_s32_u32(mv));
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
