#pragma once
// x86 overloads of the codebook family's operations (codebook/kernels.hpp):
// has_fmadd (does the level fuse multiply-add in hardware?) and
// fmadd(a, b, c) = a * b + c with one rounding (vfmadd231ps).
// Included by codebook/kernels.hpp only.

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

// SSE2 / SSE4.1 have no fused multiply-add.
constexpr bool has_fmadd(requires_arch<generic_arch>) noexcept { return false; }
template <class A>
batch<float, A> fmadd(const batch<float, A>& a, const batch<float, A>& b, const batch<float, A>& c,
                      requires_arch<generic_arch>) noexcept = delete;

#if defined(__AVX2__) && defined(__FMA__)
constexpr bool has_fmadd(requires_arch<xsimd::fma3<xsimd::avx2>>) noexcept { return true; }
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> fmadd(const batch<float, A>& a, const batch<float, A>& b, const batch<float, A>& c,
                                          requires_arch<xsimd::fma3<xsimd::avx2>>) noexcept {
  return _mm256_fmadd_ps(a, b, c);
}
#endif
#if QMATH_TARGET_HAS_AVX512
constexpr bool has_fmadd(requires_arch<xsimd::avx512bw>) noexcept { return true; }
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> fmadd(const batch<float, A>& a, const batch<float, A>& b, const batch<float, A>& c,
                                          requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_fmadd_ps(a, b, c);
}
#endif

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
