#pragma once
// x86 overloads of the metrics family's operations (metrics/kernels.hpp):
// float -> double widening of the low / high half of a float vector (exact),
// and add_product(acc, a, b) = acc + a * b for an exact product a * b (so fused
// and unfused give the same bits: vfmadd where the level has FMA).
// Included by metrics/kernels.hpp only.

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_lo_f64(const batch<float, A>& v, requires_arch<xsimd::sse2>) noexcept {
  return _mm_cvtps_pd(v);
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_hi_f64(const batch<float, A>& v, requires_arch<xsimd::sse2>) noexcept {
  const __m128 f = v;
  return _mm_cvtps_pd(_mm_movehl_ps(f, f));
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> add_product(const batch<double, A>& acc, const batch<double, A>& a,
                                                 const batch<double, A>& b, requires_arch<xsimd::sse2>) noexcept {
  return _mm_add_pd(acc, _mm_mul_pd(a, b));
}
#if defined(__AVX2__) && defined(__FMA__)
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_lo_f64(const batch<float, A>& v, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_cvtps_pd(_mm256_castps256_ps128(v));
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_hi_f64(const batch<float, A>& v, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> add_product(const batch<double, A>& acc, const batch<double, A>& a,
                                                 const batch<double, A>& b, requires_arch<xsimd::fma3<xsimd::avx2>>) noexcept {
  return _mm256_fmadd_pd(a, b, acc);
}
#endif
#if QMATH_TARGET_HAS_AVX512
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_lo_f64(const batch<float, A>& v, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_cvtps_pd(_mm512_castps512_ps256(v));
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_hi_f64(const batch<float, A>& v, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_cvtps_pd(x86::hi256(static_cast<__m512>(v)));
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> add_product(const batch<double, A>& acc, const batch<double, A>& a,
                                                 const batch<double, A>& b, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_fmadd_pd(a, b, acc);
}
#endif

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
