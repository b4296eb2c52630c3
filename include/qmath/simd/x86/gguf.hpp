#pragma once
// x86 operations of the GGUF kernel family (gguf/kernels.hpp) that the
// shared vocabulary (simd/ops.hpp) lacks. Overloads on requires_arch, as in
// simd/ops_x86.hpp; included by gguf/kernels.hpp only.
//
// Byte lanes hold codes (uint8) or int8 values. The 256-bit block vector of
// the levels from avx2 is batch<T, arch<avx2>> on every such level (one
// 32-code block per register, AVX-512 included); operations whose choice
// depends on the level (vpdpbusd) take the level's tag as a second argument.

#include <cstdint>
#include <cstring>

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::gguf_ops {
using xsimd::kernel::requires_arch;
template <class T, class A>
using batch = xsimd::batch<T, A>;

// ========================================================== SSE2 / SSE4.1
/// (v >> N) & Mask per byte (the bits shifted in from the next byte are masked off).
template <int N, int Mask, class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> shr_bytes(const batch<std::uint8_t, A>& v, requires_arch<xsimd::sse2>) noexcept {
  return _mm_and_si128(_mm_srli_epi16(v, N), _mm_set1_epi8(static_cast<char>(Mask & (0xFF >> N))));
}
/// Byte i = 0x10 where bit i of v (i < 16) is set, else 0.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> bit4_of_bits(std::uint32_t v, requires_arch<xsimd::sse2>) noexcept {
  const __m128i b = _mm_set_epi64x(static_cast<long long>(0x0101010101010101ull * ((v >> 8) & 0xFF)),
                                   static_cast<long long>(0x0101010101010101ull * (v & 0xFF)));
  const __m128i m = _mm_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  return _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(b, m), m), _mm_set1_epi8(0x10));
}
/// Sum of the int32 lanes (wrapping): the shared simd::x86::hsum_epi32
/// (pshufd + paddd, not phaddd).
template <class A>
QMATH_ALWAYS_INLINE std::int32_t hsum(const batch<std::int32_t, A>& v, requires_arch<xsimd::sse2>) noexcept {
  return x86::hsum_epi32(static_cast<__m128i>(v));
}
#if defined(__SSE4_1__)
/// acc + int32 lanes summing to sum_i (q_i - Off) a_i (q: 16 codes < 32, Off 0, 8 or 16):
/// vpmaddubsw (cannot saturate: |pair| <= 2 * 31 * 128), the offset as Off * (a0 + a1).
template <int Off, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot16_off(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& q,
                                                     const batch<std::int8_t, A>& a, requires_arch<xsimd::sse4_1>) noexcept {
  __m128i p = _mm_maddubs_epi16(q, a);
  if constexpr (Off > 0) {
    constexpr int sh = Off == 8 ? 3 : 4;
    static_assert(Off == 8 || Off == 16, "gguf_ops::dot16_off: offset 8 or 16");
    p = _mm_sub_epi16(p, _mm_slli_epi16(_mm_maddubs_epi16(_mm_set1_epi8(1), a), sh));
  }
  return _mm_add_epi32(acc, _mm_madd_epi16(p, _mm_set1_epi16(1)));
}
/// acc + int32 lanes summing to sum_i x_i a_i (int8 x int8, widened exactly to int16).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot16_s8(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& x,
                                                    const batch<std::int8_t, A>& a, requires_arch<xsimd::sse4_1>) noexcept {
  const __m128i xv = x, av = a;
  const __m128i lo = _mm_madd_epi16(_mm_cvtepi8_epi16(xv), _mm_cvtepi8_epi16(av));
  const __m128i hi = _mm_madd_epi16(_mm_cvtepi8_epi16(_mm_unpackhi_epi64(xv, xv)), _mm_cvtepi8_epi16(_mm_unpackhi_epi64(av, av)));
  return _mm_add_epi32(acc, _mm_add_epi32(lo, hi));
}
#endif

// ==================================================================== AVX2
#if defined(__AVX2__) && defined(__FMA__)
template <int N, int Mask, class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> shr_bytes(const batch<std::uint8_t, A>& v, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_and_si256(_mm256_srli_epi16(v, N), _mm256_set1_epi8(static_cast<char>(Mask & (0xFF >> N))));
}
/// (v << N) & Mask per byte.
template <int N, int Mask, class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> shl_bytes(const batch<std::uint8_t, A>& v, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_and_si256(_mm256_slli_epi16(v, N), _mm256_set1_epi8(static_cast<char>(Mask & (0xFF << N) & 0xFF)));
}
template <class A>
QMATH_ALWAYS_INLINE std::int32_t hsum(const batch<std::int32_t, A>& v, requires_arch<xsimd::avx2>) noexcept {
  return x86::hsum_epi32(static_cast<__m256i>(v));
}
/// Q4_K: the 8 scales and 8 mins of get_scale_min_k4, unpacked at once from
/// the 12 scale bytes, as int16: the scales in both 128-bit halves (sc), the
/// mins each twice in order, m0 m0 m1 m1 ... m7 m7 (mn2).
template <class A>
QMATH_ALWAYS_INLINE void q4k_scales_mins(const std::uint8_t* s12, batch<std::int16_t, A>& sc, batch<std::int16_t, A>& mn2,
                                         requires_arch<xsimd::avx2>) noexcept {
  std::uint32_t u[3];
  std::memcpy(u, s12, 12);
  const std::uint32_t m6 = 0x3F3F3F3Fu, m4 = 0x0F0F0F0Fu, m2 = 0x03030303u;
  const std::uint32_t sc_lo = u[0] & m6, sc_hi = (u[2] & m4) | (((u[0] >> 6) & m2) << 4);
  const std::uint32_t mn_lo = u[1] & m6, mn_hi = ((u[2] >> 4) & m4) | (((u[1] >> 6) & m2) << 4);
  const __m128i sm = _mm_setr_epi32(static_cast<int>(sc_lo), static_cast<int>(sc_hi), static_cast<int>(mn_lo),
                                    static_cast<int>(mn_hi));
  const __m128i mn16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
  mn2 = _mm256_set_m128i(_mm_unpackhi_epi16(mn16, mn16), _mm_unpacklo_epi16(mn16, mn16));
  sc = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
}
/// The 32 codes of 16 bytes of packed nibbles: low nibbles, then high nibbles.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> nibbles32(const std::uint8_t* qs, requires_arch<xsimd::avx2>) noexcept {
  const __m128i r = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i f = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(r, 4), f), _mm_and_si128(r, f));
}
/// Byte i = 0x10 where bit i of qh is set, else 0.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> bit4_of_bits(std::uint32_t qh, requires_arch<xsimd::avx2>) noexcept {
  const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(qh)),
                                        _mm256_setr_epi64x(0, 0x0101010101010101ll, 0x0202020202020202ll, 0x0303030303030303ll));
  const __m256i m = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, m), m), _mm256_set1_epi8(0x10));
}
/// u8 x s8 adjacent pairs summed into int16 (vpmaddubsw; saturates: callers keep |pair| < 2^15).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> maddubs(const batch<std::uint8_t, A>& u, const batch<std::int8_t, A>& s,
                                                   requires_arch<xsimd::avx2>) noexcept {
  return _mm256_maddubs_epi16(u, s);
}
/// int16 x int16 adjacent pairs summed into int32 (vpmaddwd).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> madd(const batch<std::int16_t, A>& a, const batch<std::int16_t, A>& b,
                                                requires_arch<xsimd::avx2>) noexcept {
  return _mm256_madd_epi16(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> sum_pairs(const batch<std::int16_t, A>& a, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_madd_epi16(a, _mm256_set1_epi16(1));
}
/// int8 x int8, exact: int32 lanes summing to sum_i x_i a_i (vpmovsxbw + vpmaddwd).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot32_s8(const batch<std::int8_t, A>& x, const batch<std::int8_t, A>& a,
                                                    requires_arch<xsimd::avx2>) noexcept {
  const __m256i xv = x, av = a;
  const __m256i lo = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(xv)), _mm256_cvtepi8_epi16(_mm256_castsi256_si128(av)));
  const __m256i hi = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(xv, 1)),
                                       _mm256_cvtepi8_epi16(_mm256_extracti128_si256(av, 1)));
  return _mm256_add_epi32(lo, hi);
}
/// Totals of 8 vectors of 8 int32 lanes, in order (exact: wrapping int32 adds).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> reduce8(const batch<std::int32_t, A>* v, requires_arch<xsimd::avx2>) noexcept {
  const __m256i a01 = _mm256_hadd_epi32(v[0], v[1]), a23 = _mm256_hadd_epi32(v[2], v[3]);
  const __m256i a45 = _mm256_hadd_epi32(v[4], v[5]), a67 = _mm256_hadd_epi32(v[6], v[7]);
  const __m256i b0 = _mm256_hadd_epi32(a01, a23), b1 = _mm256_hadd_epi32(a45, a67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(b0, b1, 0x20), _mm256_permute2x128_si256(b0, b1, 0x31));
}
/// 8 int8 at p, extended to int16, in both 128-bit halves.
template <class A, class T>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> bytes8_to_i16_x2(const T* p, requires_arch<xsimd::avx2>) noexcept {
  const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  if constexpr (std::is_signed_v<T>) return _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(v));
  else return _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(v));
}
/// int16 lane Lo of the low 128-bit half in every lane of that half, lane Hi
/// (of the high half's 8) in every lane of the high half (vpshufb).
template <int Lo, int Hi, class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> splat16(const batch<std::int16_t, A>& v, requires_arch<xsimd::avx2>) noexcept {
  constexpr short lo = static_cast<short>(0x0100 + 0x0202 * Lo), hi = static_cast<short>(0x0100 + 0x0202 * Hi);
  if constexpr (Lo == Hi) return _mm256_shuffle_epi8(v, _mm256_set1_epi16(lo));
  else return _mm256_shuffle_epi8(v, _mm256_set_m128i(_mm_set1_epi16(hi), _mm_set1_epi16(lo)));
}
/// (v0, ..., v7) in lane order (vmovd / vpinsrd, as _mm256_setr_*).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> setr8(std::int32_t v0, std::int32_t v1, std::int32_t v2, std::int32_t v3,
                                                 std::int32_t v4, std::int32_t v5, std::int32_t v6, std::int32_t v7,
                                                 requires_arch<xsimd::avx2>) noexcept {
  return _mm256_setr_epi32(v0, v1, v2, v3, v4, v5, v6, v7);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> setr8(float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7,
                                          requires_arch<xsimd::avx2>) noexcept {
  return _mm256_setr_ps(v0, v1, v2, v3, v4, v5, v6, v7);
}
/// Keeps v in a register as it is: no contraction into a fused multiply-add across it.
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> fence(const batch<float, A>& v, requires_arch<xsimd::avx2>) noexcept {
  __m256 r = v;
  __asm__("" : "+x"(r));
  return r;
}
/// Per-block int32 lanes whose total is sum_i (q_i - Off) a_i (q: 32 codes < 32).
/// Without VNNI: vpmaddubsw (|pair| <= 2 * 31 * 128) and Off * (a0 + a1) (|.| <= 4096).
template <int Off, class B>
QMATH_ALWAYS_INLINE batch<std::int32_t, B> part_u(const batch<std::uint8_t, B>& q, const batch<std::int8_t, B>& a,
                                                  requires_arch<::qmath::simd_compat::generic_arch>) noexcept {
  __m256i p = _mm256_maddubs_epi16(q, a);
  if constexpr (Off > 0) p = _mm256_sub_epi16(p, _mm256_maddubs_epi16(_mm256_set1_epi8(Off), a));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}
/// Per-block int32 lanes whose total is sum_i x_i a_i (int8 x int8): exact widening.
template <class B>
QMATH_ALWAYS_INLINE batch<std::int32_t, B> part_s8(const batch<std::int8_t, B>& x, const batch<std::int8_t, B>& a,
                                                   requires_arch<::qmath::simd_compat::generic_arch>) noexcept {
  return dot32_s8(x, a, B{});
}
#if defined(__AVXVNNI__) || (QMATH_TARGET_HAS_AVX512 && defined(__AVX512VNNI__))
QMATH_ALWAYS_INLINE __m256i dpbusd256(__m256i acc, __m256i u, __m256i s) noexcept {
#if QMATH_TARGET_HAS_AVX512 && defined(__AVX512VNNI__)
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  return _mm256_dpbusd_avx_epi32(acc, u, s);
#endif
}
template <int Off, class B>
QMATH_ALWAYS_INLINE batch<std::int32_t, B> part_u_vnni(const batch<std::uint8_t, B>& q, const batch<std::int8_t, B>& a) noexcept {
  __m256i p = dpbusd256(_mm256_setzero_si256(), q, a);
  if constexpr (Off > 0) p = _mm256_sub_epi32(p, dpbusd256(_mm256_setzero_si256(), _mm256_set1_epi8(Off), a));
  return p;
}
/// int8 x int8 by the u8 bias: (x + 128) a - 128 a.
template <class B>
QMATH_ALWAYS_INLINE batch<std::int32_t, B> part_s8_vnni(const batch<std::int8_t, B>& x, const batch<std::int8_t, B>& a) noexcept {
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  return _mm256_sub_epi32(dpbusd256(_mm256_setzero_si256(), _mm256_xor_si256(x, bias), a),
                          dpbusd256(_mm256_setzero_si256(), bias, a));
}
#endif
#if defined(__AVXVNNI__)
template <int Off, class B>
QMATH_ALWAYS_INLINE batch<std::int32_t, B> part_u(const batch<std::uint8_t, B>& q, const batch<std::int8_t, B>& a,
                                                  requires_arch<arch<isa::avxvnni>>) noexcept {
  return part_u_vnni<Off>(q, a);
}
template <class B>
QMATH_ALWAYS_INLINE batch<std::int32_t, B> part_s8(const batch<std::int8_t, B>& x, const batch<std::int8_t, B>& a,
                                                   requires_arch<arch<isa::avxvnni>>) noexcept {
  return part_s8_vnni(x, a);
}
#endif
#if QMATH_TARGET_HAS_AVX512 && defined(__AVX512VNNI__)
template <int Off, class B>
QMATH_ALWAYS_INLINE batch<std::int32_t, B> part_u(const batch<std::uint8_t, B>& q, const batch<std::int8_t, B>& a,
                                                  requires_arch<arch<isa::avx512vnni>>) noexcept {
  return part_u_vnni<Off>(q, a);
}
template <class B>
QMATH_ALWAYS_INLINE batch<std::int32_t, B> part_s8(const batch<std::int8_t, B>& x, const batch<std::int8_t, B>& a,
                                                   requires_arch<arch<isa::avx512vnni>>) noexcept {
  return part_s8_vnni(x, a);
}
#endif
#endif  // AVX2

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::gguf_ops
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
