#pragma once
// x86 overloads of the quantize family's operations: sub-byte code packing
// on 16 byte lanes (SSE2, VEX-encoded in AVX units). Declared for every
// level in simd/quantize_ops.hpp; included from there only.
//
//   pack_nibbles(a, b)      32 codes (a: 0..15, b: 16..31) -> 16 bytes,
//                           byte j = (c[2j] & 15) | c[2j+1] << 4
//   pack_crumbs(a, b, c, d) 64 codes -> 16 bytes, byte j = sum_k (c[4j+k] & 3) << 2k
//   pack_bits(a)            16 codes -> bit j = c[j] & 1
//   unpack_nibbles / unpack_crumbs / unpack_bits: the inverses (zero-extended codes)

#include <cstdint>

#include "qmath/simd/arch.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

template <class A>
QMATH_ALWAYS_INLINE xsimd::batch<std::uint8_t, A> pack_nibbles(const xsimd::batch<std::uint8_t, A>& a,
                                                                const xsimd::batch<std::uint8_t, A>& b,
                                                                xsimd::kernel::requires_arch<xsimd::sse2>) noexcept {
  // 16-bit lane (lo, hi) -> lo | hi << 4 in its low byte, then an unsigned pack.
  const __m128i m4 = _mm_set1_epi8(0x0F), lo16 = _mm_set1_epi16(0x000F), hi16 = _mm_set1_epi16(0x00F0);
  const __m128i x = _mm_and_si128(a, m4), y = _mm_and_si128(b, m4);
  const __m128i rx = _mm_or_si128(_mm_and_si128(x, lo16), _mm_and_si128(_mm_srli_epi16(x, 4), hi16));
  const __m128i ry = _mm_or_si128(_mm_and_si128(y, lo16), _mm_and_si128(_mm_srli_epi16(y, 4), hi16));
  return _mm_packus_epi16(rx, ry);
}
template <class A>
QMATH_ALWAYS_INLINE xsimd::batch<std::uint8_t, A> pack_crumbs(const xsimd::batch<std::uint8_t, A>& a,
                                                               const xsimd::batch<std::uint8_t, A>& b,
                                                               const xsimd::batch<std::uint8_t, A>& c,
                                                               const xsimd::batch<std::uint8_t, A>& d,
                                                               xsimd::kernel::requires_arch<xsimd::sse2>) noexcept {
  // Fold pairs of bytes, then pairs of 16-bit lanes, into the low byte of each 32-bit lane.
  const __m128i m2 = _mm_set1_epi8(0x03), m16 = _mm_set1_epi16(0x000F), m32 = _mm_set1_epi32(0xFF);
  auto fold = [&](__m128i v) {
    const __m128i x = _mm_and_si128(v, m2);
    const __m128i e = _mm_and_si128(_mm_or_si128(x, _mm_srli_epi16(x, 6)), m16);
    return _mm_and_si128(_mm_or_si128(e, _mm_srli_epi32(e, 12)), m32);
  };
  return _mm_packus_epi16(_mm_packs_epi32(fold(a), fold(b)), _mm_packs_epi32(fold(c), fold(d)));
}
template <class A>
QMATH_ALWAYS_INLINE std::uint16_t pack_bits(const xsimd::batch<std::uint8_t, A>& a,
                                            xsimd::kernel::requires_arch<xsimd::sse2>) noexcept {
  return static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_slli_epi16(a, 7)));
}
template <class A>
QMATH_ALWAYS_INLINE void unpack_nibbles(const xsimd::batch<std::uint8_t, A>& p, xsimd::batch<std::uint8_t, A>& lo,
                                        xsimd::batch<std::uint8_t, A>& hi,
                                        xsimd::kernel::requires_arch<xsimd::sse2>) noexcept {
  const __m128i m4 = _mm_set1_epi8(0x0F);
  const __m128i l = _mm_and_si128(p, m4), h = _mm_and_si128(_mm_srli_epi16(p, 4), m4);
  lo = _mm_unpacklo_epi8(l, h);
  hi = _mm_unpackhi_epi8(l, h);
}
template <class A>
QMATH_ALWAYS_INLINE void unpack_crumbs(const xsimd::batch<std::uint8_t, A>& p, xsimd::batch<std::uint8_t, A>* out,
                                       xsimd::kernel::requires_arch<xsimd::sse2>) noexcept {
  const __m128i m2 = _mm_set1_epi8(0x03);
  const __m128i c0 = _mm_and_si128(p, m2), c1 = _mm_and_si128(_mm_srli_epi16(p, 2), m2);
  const __m128i c2 = _mm_and_si128(_mm_srli_epi16(p, 4), m2), c3 = _mm_and_si128(_mm_srli_epi16(p, 6), m2);
  const __m128i p01l = _mm_unpacklo_epi8(c0, c1), p01h = _mm_unpackhi_epi8(c0, c1);
  const __m128i p23l = _mm_unpacklo_epi8(c2, c3), p23h = _mm_unpackhi_epi8(c2, c3);
  out[0] = _mm_unpacklo_epi16(p01l, p23l);
  out[1] = _mm_unpackhi_epi16(p01l, p23l);
  out[2] = _mm_unpacklo_epi16(p01h, p23h);
  out[3] = _mm_unpackhi_epi16(p01h, p23h);
}
template <class A>
QMATH_ALWAYS_INLINE xsimd::batch<std::uint8_t, A> unpack_bits(std::uint16_t w,
                                                               xsimd::kernel::requires_arch<xsimd::sse2>) noexcept {
  const __m128i bitv = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  __m128i x = _mm_cvtsi32_si128(w);
  x = _mm_unpacklo_epi8(x, x);
  x = _mm_unpacklo_epi16(x, x);
  x = _mm_unpacklo_epi32(x, x);
  return _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(x, bitv), bitv), _mm_set1_epi8(1));
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
