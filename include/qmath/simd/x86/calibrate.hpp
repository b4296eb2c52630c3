#pragma once
// x86 overloads of the calibrate family's operations (calibrate/kernels.hpp):
// count_true(acc, m) = acc + (m ? 1 : 0) per int32 lane, m a float comparison.
// Included by calibrate/kernels.hpp only.

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

// SSE / AVX masks are all-ones lanes (-1): subtracting one counts it.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> count_true(const batch<std::int32_t, A>& acc, const batch_bool<float, A>& m,
                                                      requires_arch<xsimd::sse2>) noexcept {
  return _mm_sub_epi32(acc, _mm_castps_si128(m));
}
#if defined(__AVX2__) && defined(__FMA__)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> count_true(const batch<std::int32_t, A>& acc, const batch_bool<float, A>& m,
                                                      requires_arch<xsimd::avx2>) noexcept {
  return _mm256_sub_epi32(acc, _mm256_castps_si256(m));
}
#endif
#if QMATH_TARGET_HAS_AVX512
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> count_true(const batch<std::int32_t, A>& acc, const batch_bool<float, A>& m,
                                                      requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i a = acc;
  return _mm512_mask_sub_epi32(a, static_cast<__mmask16>(m), a, _mm512_set1_epi32(-1));
}
#endif

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
