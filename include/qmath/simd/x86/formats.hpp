#pragma once
// x86 operations of the formats kernel family (formats/kernels.hpp) that the
// shared vocabulary (simd/ops.hpp) lacks. Overloads on requires_arch, as in
// simd/ops_x86.hpp; included by formats/kernels.hpp only.

#include <cstdint>

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

/// t (0 <= t <= 2^10, exact) rounded to the nearest integer, ties to even,
/// as int32. SSE2: truncate, then compare the exact remainder with 1/2.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> round_small_even_i32(const batch<float, A>& t,
                                                                requires_arch<xsimd::sse2>) noexcept {
  const __m128i q = _mm_cvttps_epi32(t);
  const __m128 fr = _mm_sub_ps(t, _mm_cvtepi32_ps(q));
  const __m128 half = _mm_set1_ps(0.5f);
  const __m128i one = _mm_set1_epi32(1);
  const __m128 odd = _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(q, one), one));
  const __m128 up = _mm_or_ps(_mm_cmpgt_ps(fr, half), _mm_and_ps(_mm_cmpeq_ps(fr, half), odd));
  return _mm_sub_epi32(q, _mm_castps_si128(up));  // up lanes are -1
}
#if defined(__SSE4_1__)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> round_small_even_i32(const batch<float, A>& t,
                                                                requires_arch<xsimd::sse4_1>) noexcept {
  return _mm_cvttps_epi32(_mm_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
#endif
#if defined(__AVX2__) && defined(__FMA__)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> round_small_even_i32(const batch<float, A>& t,
                                                                requires_arch<xsimd::avx2>) noexcept {
  return _mm256_cvttps_epi32(_mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
#endif
#if QMATH_TARGET_HAS_AVX512
/// Embedded rounding: the mode is in the instruction, not MXCSR.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> round_small_even_i32(const batch<float, A>& t,
                                                                requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
#endif

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
