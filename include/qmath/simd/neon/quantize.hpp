#pragma once
// AArch64 overloads of the quantize family's operations: sub-byte code
// packing on 16 byte lanes. Declared for every level in
// simd/quantize_ops.hpp (which lists their meaning); included from there only.

#include <cstdint>

#include "qmath/simd/arch.hpp"

#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
#include <arm_neon.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

template <class A>
QMATH_ALWAYS_INLINE xsimd::batch<std::uint8_t, A> pack_nibbles(const xsimd::batch<std::uint8_t, A>& a,
                                                                const xsimd::batch<std::uint8_t, A>& b,
                                                                xsimd::kernel::requires_arch<xsimd::neon64>) noexcept {
  const uint8x16_t x = a, y = b;
  return vorrq_u8(vandq_u8(vuzp1q_u8(x, y), vdupq_n_u8(0x0F)), vshlq_n_u8(vuzp2q_u8(x, y), 4));
}
template <class A>
QMATH_ALWAYS_INLINE xsimd::batch<std::uint8_t, A> pack_crumbs(const xsimd::batch<std::uint8_t, A>& a,
                                                               const xsimd::batch<std::uint8_t, A>& b,
                                                               const xsimd::batch<std::uint8_t, A>& c,
                                                               const xsimd::batch<std::uint8_t, A>& d,
                                                               xsimd::kernel::requires_arch<xsimd::neon64>) noexcept {
  // Deinterleave by 4: k-th code of every quad in lane j of v[k].
  const uint8x16_t e01 = vuzp1q_u8(a, b), o01 = vuzp2q_u8(a, b);
  const uint8x16_t e23 = vuzp1q_u8(c, d), o23 = vuzp2q_u8(c, d);
  const uint8x16_t m2 = vdupq_n_u8(0x03);
  uint8x16_t r = vandq_u8(vuzp1q_u8(e01, e23), m2);
  r = vorrq_u8(r, vshlq_n_u8(vandq_u8(vuzp1q_u8(o01, o23), m2), 2));
  r = vorrq_u8(r, vshlq_n_u8(vandq_u8(vuzp2q_u8(e01, e23), m2), 4));
  return vorrq_u8(r, vshlq_n_u8(vuzp2q_u8(o01, o23), 6));
}
template <class A>
QMATH_ALWAYS_INLINE std::uint16_t pack_bits(const xsimd::batch<std::uint8_t, A>& a,
                                            xsimd::kernel::requires_arch<xsimd::neon64>) noexcept {
  const std::uint8_t wv[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t b = vmulq_u8(vandq_u8(a, vdupq_n_u8(1)), vld1q_u8(wv));
  return static_cast<std::uint16_t>(vaddv_u8(vget_low_u8(b)) | (vaddv_u8(vget_high_u8(b)) << 8));
}
template <class A>
QMATH_ALWAYS_INLINE void unpack_nibbles(const xsimd::batch<std::uint8_t, A>& p, xsimd::batch<std::uint8_t, A>& lo,
                                        xsimd::batch<std::uint8_t, A>& hi,
                                        xsimd::kernel::requires_arch<xsimd::neon64>) noexcept {
  const uint8x16_t v = p;
  const uint8x16_t l = vandq_u8(v, vdupq_n_u8(0x0F)), h = vshrq_n_u8(v, 4);
  lo = vzip1q_u8(l, h);
  hi = vzip2q_u8(l, h);
}
template <class A>
QMATH_ALWAYS_INLINE void unpack_crumbs(const xsimd::batch<std::uint8_t, A>& p, xsimd::batch<std::uint8_t, A>* out,
                                       xsimd::kernel::requires_arch<xsimd::neon64>) noexcept {
  const uint8x16_t v = p, m2 = vdupq_n_u8(0x03);
  const uint8x16_t c0 = vandq_u8(v, m2), c1 = vandq_u8(vshrq_n_u8(v, 2), m2);
  const uint8x16_t c2 = vandq_u8(vshrq_n_u8(v, 4), m2), c3 = vshrq_n_u8(v, 6);
  const uint16x8_t p01l = vreinterpretq_u16_u8(vzip1q_u8(c0, c1)), p01h = vreinterpretq_u16_u8(vzip2q_u8(c0, c1));
  const uint16x8_t p23l = vreinterpretq_u16_u8(vzip1q_u8(c2, c3)), p23h = vreinterpretq_u16_u8(vzip2q_u8(c2, c3));
  out[0] = vreinterpretq_u8_u16(vzip1q_u16(p01l, p23l));
  out[1] = vreinterpretq_u8_u16(vzip2q_u16(p01l, p23l));
  out[2] = vreinterpretq_u8_u16(vzip1q_u16(p01h, p23h));
  out[3] = vreinterpretq_u8_u16(vzip2q_u16(p01h, p23h));
}
template <class A>
QMATH_ALWAYS_INLINE xsimd::batch<std::uint8_t, A> unpack_bits(std::uint16_t w,
                                                               xsimd::kernel::requires_arch<xsimd::neon64>) noexcept {
  const std::uint8_t bv[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t x = vcombine_u8(vdup_n_u8(static_cast<std::uint8_t>(w)), vdup_n_u8(static_cast<std::uint8_t>(w >> 8)));
  return vandq_u8(vtstq_u8(x, vld1q_u8(bv)), vdupq_n_u8(1));
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // AArch64
