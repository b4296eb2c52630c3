#pragma once
// AArch64 overloads of the GEMM family's operations (simd/gemm_ops.hpp):
// what the integer GEMM micro-kernels need beyond the shared vocabulary
// (simd/ops.hpp). Tags: xsimd::neon64 (arch<neon>), arch<dotprod> (sdot by
// lane), arch<i8mm> (smmla).
//
// Included by simd/gemm_ops.hpp only.

#include <cstddef>
#include <cstdint>

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

/// acc + pairwise sums of the int16 products of the low 8 lanes of b and a
/// (vmull_s8 + vpadal: exact): lane i += b[2i] * a[2i] + b[2i+1] * a[2i+1].
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_padal_mull_lo(const batch<std::int32_t, A>& acc,
                                                              const batch<std::int8_t, A>& b,
                                                              const batch<std::int8_t, A>& a,
                                                              requires_arch<xsimd::neon64>) noexcept {
  const int8x16_t bv = b, av = a;
  return vpadalq_s16(acc, vmull_s8(vget_low_s8(bv), vget_low_s8(av)));
}
/// The same for the high 8 lanes: lane i += b[8+2i] * a[8+2i] + b[9+2i] * a[9+2i].
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_padal_mull_hi(const batch<std::int32_t, A>& acc,
                                                              const batch<std::int8_t, A>& b,
                                                              const batch<std::int8_t, A>& a,
                                                              requires_arch<xsimd::neon64>) noexcept {
  return vpadalq_s16(acc, vmull_high_s8(b, a));
}
/// Interleave the low (vzip1) / high (vzip2) int32 halves of a and b:
/// {a0, b0, a1, b1} / {a2, b2, a3, b3}.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_zip_lo_i32(const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                                           requires_arch<xsimd::neon64>) noexcept {
  return vzip1q_s32(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_zip_hi_i32(const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                                           requires_arch<xsimd::neon64>) noexcept {
  return vzip2q_s32(a, b);
}
/// Lanes 0, 1 of v to lo, lanes 2, 3 to hi.
template <class A>
QMATH_ALWAYS_INLINE void gemm_store_halves(std::int32_t* lo, std::int32_t* hi, const batch<std::int32_t, A>& v,
                                           requires_arch<xsimd::neon64>) noexcept {
  const int32x4_t r = v;
  vst1_s32(lo, vget_low_s32(r));
  vst1_s32(hi, vget_high_s32(r));
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> gemm_no_contract(const batch<float, A>& x, requires_arch<xsimd::neon64>) noexcept {
  float32x4_t r = x;
  __asm__("" : "+w"(r));
  return r;
}

#if defined(__ARM_FEATURE_DOTPROD)
/// acc + sdot(b, lane I of a as 4 bytes): lane i += sum_t b[4i+t] * a[4I+t].
template <int I, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_sdot_lane(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& b,
                                                          const batch<std::int8_t, A>& a,
                                                          requires_arch<arch<isa::dotprod>>) noexcept {
  return vdotq_laneq_s32(acc, b, a, I);
}
#if defined(__ARM_FEATURE_MATMUL_INT8)
/// acc + smmla(a, b): a, b are 2 x 8 int8 (rows of 8 bytes); acc is 2 x 2
/// int32, acc[i][j] += sum_t a[i][t] * b[j][t].
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_smmla(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& a,
                                                      const batch<std::int8_t, A>& b,
                                                      requires_arch<arch<isa::i8mm>>) noexcept {
  return vmmlaq_s32(acc, a, b);
}
#endif
#endif

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
