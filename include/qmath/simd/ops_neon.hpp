#pragma once
// AArch64 overloads of the shared SIMD vocabulary (simd/ops.hpp). One of the
// few files that include <arm_neon.h>: kernels reach intrinsics only through
// operations declared here or in a family's op file under simd/neon/.
//
// Tags: xsimd::neon64 (arch<neon>), qmath's arch<dotprod> (sdot / udot) and
// arch<i8mm> (smmla / usmmla / usdot).
//
// Included by simd/ops.hpp only.

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/simd/arch.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd {
namespace impl {
using xsimd::kernel::requires_arch;
template <class T, class A>
using batch = xsimd::batch<T, A>;
template <class T, class A>
using batch_bool = xsimd::batch_bool<T, A>;

template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_even(const batch<float, A>& t, requires_arch<xsimd::neon64>) noexcept {
  return vrndnq_f32(t);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_trunc(const batch<float, A>& t, requires_arch<xsimd::neon64>) noexcept {
  return vrndq_f32(t);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_floor(const batch<float, A>& t, requires_arch<xsimd::neon64>) noexcept {
  return vrndmq_f32(t);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> div(const batch<float, A>& a, const batch<float, A>& b,
                                        requires_arch<xsimd::neon64>) noexcept {
  return vdivq_f32(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> max_ordered(const batch<float, A>& a, const batch<float, A>& b,
                                                requires_arch<xsimd::neon64>) noexcept {
  return vmaxq_f32(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> min_ordered(const batch<float, A>& a, const batch<float, A>& b,
                                                requires_arch<xsimd::neon64>) noexcept {
  return vminq_f32(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> nan_to_zero(const batch<float, A>& a, requires_arch<xsimd::neon64>) noexcept {
  return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vceqq_f32(a, a)));
}
template <class A>
QMATH_ALWAYS_INLINE batch_bool<float, A> is_nonfinite(const batch<float, A>& x, requires_arch<xsimd::neon64>) noexcept {
  const uint32x4_t e = vdupq_n_u32(0x7f800000u);
  return vceqq_u32(vandq_u32(vreinterpretq_u32_f32(x), e), e);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> trunc_to_i32(const batch<float, A>& x, requires_arch<xsimd::neon64>) noexcept {
  return vcvtq_s32_f32(x);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> to_f32(const batch<std::int32_t, A>& v, requires_arch<xsimd::neon64>) noexcept {
  return vcvtq_f32_s32(v);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mullo(const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                                 requires_arch<xsimd::neon64>) noexcept {
  return vmulq_s32(a, b);
}
template <int N, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> shr_logical(const batch<std::int32_t, A>& a,
                                                       requires_arch<xsimd::neon64>) noexcept {
  return vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(a), N));
}
template <class A, class T>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> load_widen(const T* p, requires_arch<xsimd::neon64>) noexcept {
  if constexpr (sizeof(T) == 1) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    const uint8x8_t v = vreinterpret_u8_u32(vdup_n_u32(w));
    if constexpr (std::is_signed_v<T>) return vmovl_s16(vget_low_s16(vmovl_s8(vreinterpret_s8_u8(v))));
    else return vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(vmovl_u8(v))));
  } else {
    if constexpr (std::is_signed_v<T>) return vmovl_s16(vld1_s16(reinterpret_cast<const std::int16_t*>(p)));
    else return vreinterpretq_s32_u32(vmovl_u16(vld1_u16(reinterpret_cast<const std::uint16_t*>(p))));
  }
}
template <class T, bool NT, class A>
QMATH_ALWAYS_INLINE void store_narrow4(T* p, const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                       const batch<std::int32_t, A>& c, const batch<std::int32_t, A>& d,
                                       requires_arch<xsimd::neon64>) noexcept {
  // Values are in range: truncating narrows are exact. (No non-temporal store
  // hint on NEON: NT stores are regular stores.)
  const int16x8_t ab = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
  const int16x8_t cd = vcombine_s16(vmovn_s32(c), vmovn_s32(d));
  if constexpr (sizeof(T) == 1) {
    vst1q_s8(reinterpret_cast<std::int8_t*>(p), vcombine_s8(vmovn_s16(ab), vmovn_s16(cd)));
  } else {
    vst1q_s16(reinterpret_cast<std::int16_t*>(p), ab);
    vst1q_s16(reinterpret_cast<std::int16_t*>(p + 8), cd);
  }
}
template <class A>
QMATH_ALWAYS_INLINE void stream(float* p, const batch<float, A>& v, requires_arch<xsimd::neon64>) noexcept {
  vst1q_f32(p, v);
}
QMATH_ALWAYS_INLINE void stream_fence(requires_arch<xsimd::neon64>) noexcept {}

/// s8 x s8 quads: vmull_s8 (exact int16 products), pairwise widening adds.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_s8s8(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<xsimd::neon64>) noexcept {
  const int8x16_t av = a, bv = b;
  const int32x4_t lo = vpaddlq_s16(vmull_s8(vget_low_s8(av), vget_low_s8(bv)));
  const int32x4_t hi = vpaddlq_s16(vmull_high_s8(av, bv));
  return vaddq_s32(acc, vpaddq_s32(lo, hi));
}
/// u8 x s8 quads: widened to int16 (255 * -128 fits), multiplied, pairwise adds.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<xsimd::neon64>) noexcept {
  const uint8x16_t av = a;
  const int8x16_t bv = b;
  const int16x8_t plo = vmulq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(av))), vmovl_s8(vget_low_s8(bv)));
  const int16x8_t phi = vmulq_s16(vreinterpretq_s16_u16(vmovl_high_u8(av)), vmovl_high_s8(bv));
  return vaddq_s32(acc, vpaddq_s32(vpaddlq_s16(plo), vpaddlq_s16(phi)));
}
#if defined(__ARM_FEATURE_DOTPROD)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_s8s8(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<arch<isa::dotprod>>) noexcept {
  return vdotq_s32(acc, a, b);
}
#if defined(__ARM_FEATURE_MATMUL_INT8)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<arch<isa::i8mm>>) noexcept {
  return vusdotq_s32(acc, a, b);
}
#endif
#endif

}  // namespace impl
}  // namespace qmath::kernel::QMATH_TARGET_NS::simd
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
