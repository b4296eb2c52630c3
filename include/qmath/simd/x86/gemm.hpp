#pragma once
// x86 overloads of the GEMM family's operations (simd/gemm_ops.hpp): what the
// integer GEMM micro-kernels, their epilogues and the activation packer need
// beyond the shared vocabulary (simd/ops.hpp). Same pattern as
// simd/ops_x86.hpp: overload sets on requires_arch<tag>, one per width
// (xsimd::sse2 / sse4_1, xsimd::avx2, xsimd::avx512bw) plus qmath's VNNI tags.
//
// Included by simd/gemm_ops.hpp only.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

// =================================================================== SSE2
/// pmaddwd: lane i = a[2i] * b[2i] + a[2i+1] * b[2i+1] (exact unless both
/// pairs are -32768 * -32768).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_madd_i16(const batch<std::int16_t, A>& a, const batch<std::int16_t, A>& b,
                                                         requires_arch<xsimd::sse2>) noexcept {
  return _mm_madd_epi16(a, b);
}
/// Keeps the compiler from fusing a product with a following add (FMA).
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> gemm_no_contract(const batch<float, A>& x, requires_arch<xsimd::sse2>) noexcept {
  __m128 r = x;
  __asm__("" : "+x"(r));
  return r;
}
/// Activation packer: sum += [sum of the bytes of a, sum of the bytes of b] (psadbw).
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint64_t, A> gemm_rowsum2_u8(const batch<std::uint64_t, A>& sum,
                                                            const batch<std::uint8_t, A>& a,
                                                            const batch<std::uint8_t, A>& b,
                                                            requires_arch<xsimd::sse2>) noexcept {
  const __m128i z = _mm_setzero_si128();
  const __m128i sa = _mm_sad_epu8(a, z), sb = _mm_sad_epu8(b, z);
  return _mm_add_epi64(_mm_add_epi64(sum, _mm_unpacklo_epi64(sa, sb)), _mm_unpackhi_epi64(sa, sb));
}
/// Activation packer: transpose of a 4 x 4 matrix of 4-byte groups (rows a0..a3).
template <class A>
QMATH_ALWAYS_INLINE void gemm_transpose4_u32(batch<std::uint8_t, A>& a0, batch<std::uint8_t, A>& a1,
                                             batch<std::uint8_t, A>& a2, batch<std::uint8_t, A>& a3,
                                             requires_arch<xsimd::sse2>) noexcept {
  const __m128i t0 = _mm_unpacklo_epi32(a0, a1), t1 = _mm_unpacklo_epi32(a2, a3);
  const __m128i t2 = _mm_unpackhi_epi32(a0, a1), t3 = _mm_unpackhi_epi32(a2, a3);
  a0 = _mm_unpacklo_epi64(t0, t1);
  a1 = _mm_unpackhi_epi64(t0, t1);
  a2 = _mm_unpacklo_epi64(t2, t3);
  a3 = _mm_unpackhi_epi64(t2, t3);
}

// ================================================================= SSE4.1
#if defined(__SSE4_1__)
/// The 4 bytes of q, zero-extended to int16, in every group of 4 lanes.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> gemm_bcast_quad_u16(std::int32_t q, requires_arch<xsimd::sse4_1>) noexcept {
  return _mm_cvtepu8_epi16(_mm_set1_epi32(q));
}
/// lanes<int16_t, A> signed bytes from p, sign-extended.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> gemm_load_s8_i16(const std::int8_t* p, requires_arch<xsimd::sse4_1>) noexcept {
  return _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
#endif

// ============================================================ AVX2 + FMA
#if defined(__AVX2__) && defined(__FMA__)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_madd_i16(const batch<std::int16_t, A>& a, const batch<std::int16_t, A>& b,
                                                         requires_arch<xsimd::avx2>) noexcept {
  return _mm256_madd_epi16(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> gemm_no_contract(const batch<float, A>& x, requires_arch<xsimd::avx2>) noexcept {
  __m256 r = x;
  __asm__("" : "+x"(r));
  return r;
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> gemm_bcast_quad_u16(std::int32_t q, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_cvtepu8_epi16(_mm_set1_epi32(q));
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> gemm_load_s8_i16(const std::int8_t* p, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
/// Store 8 int32 lanes, each in [-128, 127], as 8 bytes.
template <class A>
QMATH_ALWAYS_INLINE void gemm_store_s8(std::int8_t* p, const batch<std::int32_t, A>& v, requires_arch<xsimd::avx2>) noexcept {
  const __m256i w = v;
  const __m128i i16 = _mm_packs_epi32(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packs_epi16(i16, i16));
}
#endif

// =============================================================== AVX-512
#if QMATH_TARGET_HAS_AVX512
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_madd_i16(const batch<std::int16_t, A>& a, const batch<std::int16_t, A>& b,
                                                         requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_madd_epi16(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> gemm_no_contract(const batch<float, A>& x, requires_arch<xsimd::avx512bw>) noexcept {
  __m512 r = x;
  __asm__("" : "+v"(r));
  return r;
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> gemm_bcast_quad_u16(std::int32_t q, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_cvtepu8_epi16(_mm256_set1_epi32(q));
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> gemm_load_s8_i16(const std::int8_t* p, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
template <class A>
QMATH_ALWAYS_INLINE void gemm_store_s8(std::int8_t* p, const batch<std::int32_t, A>& v,
                                       requires_arch<xsimd::avx512bw>) noexcept {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(v));
}
/// The first min(left, 16) lanes (a k-mask).
QMATH_ALWAYS_INLINE __mmask16 gemm_first16(std::size_t left) noexcept {
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}
/// Lanes [0, left) from p (left may exceed the lane count), zero elsewhere;
/// reads nothing beyond p + left.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_load_first(const std::int32_t* p, std::size_t left,
                                                           requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_maskz_loadu_epi32(gemm_first16(left), p);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> gemm_load_first(const float* p, std::size_t left,
                                                    requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_maskz_loadu_ps(gemm_first16(left), p);
}
/// Store lanes [0, left) to p; writes nothing beyond p + left.
template <class A>
QMATH_ALWAYS_INLINE void gemm_store_first(std::int32_t* p, const batch<std::int32_t, A>& v, std::size_t left,
                                          requires_arch<xsimd::avx512bw>) noexcept {
  _mm512_mask_storeu_epi32(p, gemm_first16(left), v);
}
template <class A>
QMATH_ALWAYS_INLINE void gemm_store_first(float* p, const batch<float, A>& v, std::size_t left,
                                          requires_arch<xsimd::avx512bw>) noexcept {
  _mm512_mask_storeu_ps(p, gemm_first16(left), v);
}
/// Store lanes [0, left), each within T's range, as bytes (truncating narrow).
template <class T, class A>
QMATH_ALWAYS_INLINE void gemm_store_first_narrow(T* p, const batch<std::int32_t, A>& v, std::size_t left,
                                                 requires_arch<xsimd::avx512bw>) noexcept {
  static_assert(sizeof(T) == 1, "gemm_store_first_narrow: 8-bit outputs");
  _mm512_mask_cvtepi32_storeu_epi8(p, gemm_first16(left), v);
}
/// min(max(v, lo), hi) on int32 lanes.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_clamp_i32(const batch<std::int32_t, A>& v, const batch<std::int32_t, A>& lo,
                                                          const batch<std::int32_t, A>& hi,
                                                          requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
}
/// int4 weights: the 64 nibbles of 32 bytes at p, zero-extended to bytes:
/// the low nibbles of bytes 0..31, then their high nibbles.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> gemm_load_nibbles(const std::uint8_t* p, requires_arch<xsimd::avx512bw>) noexcept {
  const __m256i nib = _mm256_set1_epi8(0x0F);
  const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i lo = _mm256_and_si256(raw, nib);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), nib);
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
#if defined(__AVX512VNNI__)
/// acc += vpdpbusd(a u8, b s8), in place. Inline asm with the accumulator's
/// register tied in place: GCC 12 turns long _mm512_dpbusd_epi32 chains (or
/// an asm on a copy) into register copies and spills.
template <class A>
QMATH_ALWAYS_INLINE void gemm_dpbusd_acc(batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                         const batch<std::int8_t, A>& b, requires_arch<arch<isa::avx512vnni>>) noexcept {
  const __m512i av = a, bv = b;
  __asm__("vpdpbusd %[b], %[a], %[acc]" : [acc] "+v"(acc.data) : [a] "v"(av), [b] "v"(bv));
}
#endif
#endif

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
