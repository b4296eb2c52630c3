#pragma once
// AArch64 operations of the GGUF kernel family (gguf/kernels.hpp) that the
// shared vocabulary (simd/ops.hpp) lacks. Overloads on requires_arch, as in
// simd/ops_neon.hpp; included by gguf/kernels.hpp only.

#include <cstdint>

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::gguf_ops {
using xsimd::kernel::requires_arch;
template <class T, class A>
using batch = xsimd::batch<T, A>;

/// (v >> N) & Mask per byte (no AND where Mask keeps every bit left).
template <int N, int Mask, class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> shr_bytes(const batch<std::uint8_t, A>& v, requires_arch<xsimd::neon64>) noexcept {
  const uint8x16_t r = vshrq_n_u8(v, N);
  if constexpr ((Mask & (0xFF >> N)) == (0xFF >> N)) return r;
  else return vandq_u8(r, vdupq_n_u8(static_cast<std::uint8_t>(Mask)));
}
/// (v << N) & Mask per byte.
template <int N, int Mask, class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> shl_bytes(const batch<std::uint8_t, A>& v, requires_arch<xsimd::neon64>) noexcept {
  return vandq_u8(vshlq_n_u8(v, N), vdupq_n_u8(static_cast<std::uint8_t>(Mask)));
}
/// Byte i = 0x10 where bit i of v (i < 16) is set, else 0.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> bit4_of_bits(std::uint32_t v, requires_arch<xsimd::neon64>) noexcept {
  const uint8x8_t m = vcreate_u8(0x8040201008040201ull);
  const uint8x16_t t = vcombine_u8(vtst_u8(vdup_n_u8(static_cast<std::uint8_t>(v & 0xFF)), m),
                                   vtst_u8(vdup_n_u8(static_cast<std::uint8_t>((v >> 8) & 0xFF)), m));
  return vandq_u8(t, vdupq_n_u8(0x10));
}
/// Sum of the int32 lanes (wrapping).
template <class A>
QMATH_ALWAYS_INLINE std::int32_t hsum(const batch<std::int32_t, A>& v, requires_arch<xsimd::neon64>) noexcept {
  return vaddvq_s32(v);
}
/// acc + int32 lanes summing to sum_i x_i a_i (int8 x int8, exact): vmull_s8 +
/// vpadalq_s16 (the lanes are not dot4's: only their total is defined).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot16_s8(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& x,
                                                    const batch<std::int8_t, A>& a, requires_arch<xsimd::neon64>) noexcept {
  const int8x16_t xv = x, av = a;
  const int16x8_t lo = vmull_s8(vget_low_s8(xv), vget_low_s8(av));
  const int16x8_t hi = vmull_high_s8(xv, av);
  return vpadalq_s16(vpadalq_s16(acc, lo), hi);
}
#if defined(__ARM_FEATURE_DOTPROD)
/// sdot.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot16_s8(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& x,
                                                    const batch<std::int8_t, A>& a, requires_arch<arch<isa::dotprod>>) noexcept {
  return vdotq_s32(acc, x, a);
}
#endif
/// acc + int32 lanes summing to sum_i (q_i - Off) a_i (q: 16 codes < 32): the
/// codes minus their offset as int8, then dot16_s8.
template <int Off, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot16_off(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& q,
                                                     const batch<std::int8_t, A>& a, requires_arch<xsimd::neon64>) noexcept {
  if constexpr (Off == 0) return dot16_s8(acc, batch<std::int8_t, A>(vreinterpretq_s8_u8(q)), a, A{});
  else return dot16_s8(acc, batch<std::int8_t, A>(vsubq_s8(vreinterpretq_s8_u8(q), vdupq_n_s8(static_cast<std::int8_t>(Off)))), a, A{});
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::gguf_ops
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
