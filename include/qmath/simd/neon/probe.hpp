#pragma once
// AArch64 overloads of the probe family's operations (simd/probe.hpp):
// mmla_u8s8(acc, a, b): usmmla, acc (2x2 int32) += a (2x8 uint8, row-major) *
// b (2x8 int8, row-major)^T; an i8mm instruction, so a mis-dispatched i8mm
// probe faults. Included by simd/probe.hpp only.

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

// Below i8mm there is no such instruction.
template <class A>
batch<std::int32_t, A> mmla_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                 const batch<std::int8_t, A>& b, requires_arch<generic_arch>) noexcept = delete;
#if defined(__ARM_FEATURE_MATMUL_INT8)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mmla_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<arch<isa::i8mm>>) noexcept {
  return vusmmlaq_s32(acc, a, b);
}
#endif

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
