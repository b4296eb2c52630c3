#pragma once
// Small x86 intrinsic helpers shared by kernels. Everything here is
// force-inlined and lives in the translation unit's target namespace, so it
// carries the compile flags in its symbol if it is ever emitted.
//
// Note for kernel writers: GCC 12 warns (-Wuninitialized, a false positive,
// GCC PR105593) inside many AVX-512 intrinsics; wrap kernel code in
// QMATH_SIMD_DIAGNOSTICS_BEGIN / _END (config.hpp).

#include "qmath/simd/target.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::x86 {

#if defined(__SSE2__)
QMATH_ALWAYS_INLINE int hsum_epi32(__m128i v) noexcept {
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0x4E));
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0xB1));
  return _mm_cvtsi128_si32(v);
}
QMATH_ALWAYS_INLINE float hsum_ps(__m128 v) noexcept {
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));
  v = _mm_add_ss(v, _mm_shuffle_ps(v, v, 0x55));
  return _mm_cvtss_f32(v);
}
#endif
#if defined(__AVX2__)
QMATH_ALWAYS_INLINE __m128i lo128(__m256i v) noexcept { return _mm256_castsi256_si128(v); }
QMATH_ALWAYS_INLINE __m128i hi128(__m256i v) noexcept { return _mm256_extracti128_si256(v, 1); }
QMATH_ALWAYS_INLINE int hsum_epi32(__m256i v) noexcept { return hsum_epi32(_mm_add_epi32(lo128(v), hi128(v))); }
QMATH_ALWAYS_INLINE float hsum_ps(__m256 v) noexcept {
  return hsum_ps(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}
#endif
#if defined(__AVX512F__)
/// Upper 256 bits of a zmm without _mm512_extracti64x4_epi64.
QMATH_ALWAYS_INLINE __m256i hi256(__m512i v) noexcept {
  return _mm512_castsi512_si256(_mm512_shuffle_i64x2(v, v, 0xEE));
}
QMATH_ALWAYS_INLINE __m256 hi256(__m512 v) noexcept {
  return _mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, 0xEE));
}
QMATH_ALWAYS_INLINE int hsum_epi32(__m512i v) noexcept {
  return hsum_epi32(_mm256_add_epi32(_mm512_castsi512_si256(v), hi256(v)));
}
QMATH_ALWAYS_INLINE float hsum_ps(__m512 v) noexcept {
  return hsum_ps(_mm256_add_ps(_mm512_castps512_ps256(v), hi256(v)));
}
#endif

}  // namespace qmath::kernel::QMATH_TARGET_NS::x86
QMATH_SIMD_DIAGNOSTICS_END
#endif
