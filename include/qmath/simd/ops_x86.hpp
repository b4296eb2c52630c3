#pragma once
// x86 overloads of the shared SIMD vocabulary (simd/ops.hpp). One of the few
// files that include <immintrin.h>: kernels reach intrinsics only through
// operations declared here or in a family's op file under simd/x86/.
//
// Tags: xsimd::sse2 < sse4_1 (the SSE line), xsimd::avx2 (reached by
// arch<avx2> through fma3<avx2>), xsimd::avx512bw (arch<avx512>), and qmath's
// arch<avxvnni> / arch<avx512vnni> for VNNI. (In xsimd the AVX line does not
// derive from the SSE line, nor AVX-512 from AVX: each width has its own
// overloads.)
//
// Included by simd/ops.hpp only.

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/simd/arch.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
#include <immintrin.h>

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd {
namespace x86 {

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
#if defined(__AVX2__)
QMATH_ALWAYS_INLINE __m128i lo128(__m256i v) noexcept { return _mm256_castsi256_si128(v); }
QMATH_ALWAYS_INLINE __m128i hi128(__m256i v) noexcept { return _mm256_extracti128_si256(v, 1); }
QMATH_ALWAYS_INLINE int hsum_epi32(__m256i v) noexcept { return hsum_epi32(_mm_add_epi32(lo128(v), hi128(v))); }
QMATH_ALWAYS_INLINE float hsum_ps(__m256 v) noexcept {
  return hsum_ps(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}
#endif
#if QMATH_TARGET_HAS_AVX512
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

}  // namespace x86

namespace impl {
using xsimd::kernel::requires_arch;
template <class T, class A>
using batch = xsimd::batch<T, A>;
template <class T, class A>
using batch_bool = xsimd::batch_bool<T, A>;

// =================================================================== SSE2
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_even(const batch<float, A>& t, requires_arch<xsimd::sse2>) noexcept {
  // |t| < 2^23: truncate (cvttps2dq: mode-independent), step by one on the
  // exact remainder (ties to the even neighbour), then the sign of t (so -0.3
  // -> -0.0 as roundps gives); larger, Inf, NaN: t itself. Nothing here
  // depends on the MXCSR rounding mode.
  const __m128 sign = _mm_and_ps(t, _mm_set1_ps(-0.0f));
  const __m128i i = _mm_cvttps_epi32(t);
  const __m128 f = _mm_sub_ps(t, _mm_cvtepi32_ps(i));  // exact, |f| < 1
  const __m128 odd = _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(i, _mm_set1_epi32(1)), _mm_set1_epi32(1)));
  const __m128 h = _mm_set1_ps(0.5f), nh = _mm_set1_ps(-0.5f);
  const __m128 up = _mm_or_ps(_mm_cmpgt_ps(f, h), _mm_and_ps(_mm_cmpeq_ps(f, h), odd));
  const __m128 dn = _mm_or_ps(_mm_cmplt_ps(f, nh), _mm_and_ps(_mm_cmpeq_ps(f, nh), odd));
  // up / dn lanes are all ones (-1 as int32): r = i - up + dn.
  const __m128i r = _mm_add_epi32(_mm_sub_epi32(i, _mm_castps_si128(up)), _mm_castps_si128(dn));
  const __m128 v = _mm_or_ps(_mm_cvtepi32_ps(r), sign);
  const __m128 small = _mm_cmplt_ps(_mm_andnot_ps(_mm_set1_ps(-0.0f), t), _mm_set1_ps(8388608.0f));
  return _mm_or_ps(_mm_and_ps(small, v), _mm_andnot_ps(small, t));
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_trunc(const batch<float, A>& t, requires_arch<xsimd::sse2>) noexcept {
  const __m128 sign = _mm_and_ps(t, _mm_set1_ps(-0.0f));
  const __m128 r = _mm_or_ps(_mm_cvtepi32_ps(_mm_cvttps_epi32(t)), sign);
  const __m128 small = _mm_cmplt_ps(_mm_andnot_ps(_mm_set1_ps(-0.0f), t), _mm_set1_ps(8388608.0f));
  return _mm_or_ps(_mm_and_ps(small, r), _mm_andnot_ps(small, t));
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_floor(const batch<float, A>& t, requires_arch<xsimd::sse2>) noexcept {
  const __m128 r = round_trunc(t, A{});
  return _mm_sub_ps(r, _mm_and_ps(_mm_cmpgt_ps(r, t), _mm_set1_ps(1.0f)));
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> max_ordered(const batch<float, A>& a, const batch<float, A>& b,
                                                requires_arch<xsimd::sse2>) noexcept {
  return _mm_max_ps(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> min_ordered(const batch<float, A>& a, const batch<float, A>& b,
                                                requires_arch<xsimd::sse2>) noexcept {
  return _mm_min_ps(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> nan_to_zero(const batch<float, A>& a, requires_arch<xsimd::sse2>) noexcept {
  return _mm_and_ps(a, _mm_cmpord_ps(a, a));
}
template <class A>
QMATH_ALWAYS_INLINE batch_bool<float, A> is_nonfinite(const batch<float, A>& x, requires_arch<xsimd::sse2>) noexcept {
  const __m128i e = _mm_set1_epi32(0x7f800000);
  return _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(_mm_castps_si128(x), e), e));
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> trunc_to_i32(const batch<float, A>& x, requires_arch<xsimd::sse2>) noexcept {
  return _mm_cvttps_epi32(x);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> to_f32(const batch<std::int32_t, A>& v, requires_arch<xsimd::sse2>) noexcept {
  return _mm_cvtepi32_ps(v);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mullo(const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                                 requires_arch<xsimd::sse2>) noexcept {
  const __m128i p02 = _mm_mul_epu32(a, b);
  const __m128i p13 = _mm_mul_epu32(_mm_srli_epi64(a, 32), _mm_srli_epi64(b, 32));
  return _mm_unpacklo_epi32(_mm_shuffle_epi32(p02, 0x08), _mm_shuffle_epi32(p13, 0x08));
}
template <int N, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> shr_logical(const batch<std::int32_t, A>& a, requires_arch<xsimd::sse2>) noexcept {
  return _mm_srli_epi32(a, N);
}
template <class A, class T>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> load_widen(const T* p, requires_arch<xsimd::sse2>) noexcept {
  if constexpr (sizeof(T) == 1) {
    std::int32_t w;
    std::memcpy(&w, p, 4);
    const __m128i v = _mm_cvtsi32_si128(w);
    if constexpr (std::is_signed_v<T>) {
      const __m128i a = _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
      return _mm_srai_epi32(_mm_unpacklo_epi16(a, a), 16);
    } else {
      const __m128i z = _mm_setzero_si128();
      return _mm_unpacklo_epi16(_mm_unpacklo_epi8(v, z), z);
    }
  } else {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    if constexpr (std::is_signed_v<T>) return _mm_srai_epi32(_mm_unpacklo_epi16(v, v), 16);
    else return _mm_unpacklo_epi16(v, _mm_setzero_si128());
  }
}
template <bool NT>
QMATH_ALWAYS_INLINE void st128(void* p, __m128i v) noexcept {
  if constexpr (NT) _mm_stream_si128(static_cast<__m128i*>(p), v);
  else _mm_storeu_si128(static_cast<__m128i*>(p), v);
}
template <class T, bool NT, class A>
QMATH_ALWAYS_INLINE void store_narrow4(T* p, const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                       const batch<std::int32_t, A>& c, const batch<std::int32_t, A>& d,
                                       requires_arch<xsimd::sse2>) noexcept {
  if constexpr (sizeof(T) == 1) {
    const __m128i ab = _mm_packs_epi32(a, b), cd = _mm_packs_epi32(c, d);
    const __m128i r = std::is_signed_v<T> ? _mm_packs_epi16(ab, cd) : _mm_packus_epi16(ab, cd);
    st128<NT>(p, r);
  } else if constexpr (std::is_signed_v<T>) {
    st128<NT>(p, _mm_packs_epi32(a, b));
    st128<NT>(p + 8, _mm_packs_epi32(c, d));
  } else {
    // [0, 65535] -> subtract 2^15, signed pack, flip the top bit back.
    const __m128i k = _mm_set1_epi32(32768), f = _mm_set1_epi16(static_cast<short>(0x8000));
    st128<NT>(p, _mm_xor_si128(_mm_packs_epi32(_mm_sub_epi32(a, k), _mm_sub_epi32(b, k)), f));
    st128<NT>(p + 8, _mm_xor_si128(_mm_packs_epi32(_mm_sub_epi32(c, k), _mm_sub_epi32(d, k)), f));
  }
}
template <class A>
QMATH_ALWAYS_INLINE void stream(float* p, const batch<float, A>& v, requires_arch<xsimd::sse2>) noexcept {
  _mm_stream_ps(p, v);
}
QMATH_ALWAYS_INLINE void stream_fence(requires_arch<xsimd::sse2>) noexcept { _mm_sfence(); }
/// u8 x s8 quads by vpmaddwd on the even and odd bytes, sign- or zero-
/// extended in place (exact).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b, requires_arch<xsimd::sse2>) noexcept {
  const __m128i ae = _mm_and_si128(a, _mm_set1_epi16(0x00ff)), ao = _mm_srli_epi16(a, 8);
  const __m128i be = _mm_srai_epi16(_mm_slli_epi16(b, 8), 8), bo = _mm_srai_epi16(b, 8);
  return _mm_add_epi32(acc, _mm_add_epi32(_mm_madd_epi16(ae, be), _mm_madd_epi16(ao, bo)));
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_s8s8(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& a,
                                                     const batch<std::int8_t, A>& b, requires_arch<xsimd::sse2>) noexcept {
  const __m128i ae = _mm_srai_epi16(_mm_slli_epi16(a, 8), 8), ao = _mm_srai_epi16(a, 8);
  const __m128i be = _mm_srai_epi16(_mm_slli_epi16(b, 8), 8), bo = _mm_srai_epi16(b, 8);
  return _mm_add_epi32(acc, _mm_add_epi32(_mm_madd_epi16(ae, be), _mm_madd_epi16(ao, bo)));
}

// ================================================================= SSE4.1
#if defined(__SSE4_1__)
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_even(const batch<float, A>& t, requires_arch<xsimd::sse4_1>) noexcept {
  return _mm_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_trunc(const batch<float, A>& t, requires_arch<xsimd::sse4_1>) noexcept {
  return _mm_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_floor(const batch<float, A>& t, requires_arch<xsimd::sse4_1>) noexcept {
  return _mm_round_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mullo(const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                                 requires_arch<xsimd::sse4_1>) noexcept {
  return _mm_mullo_epi32(a, b);
}
template <class A, class T>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> load_widen(const T* p, requires_arch<xsimd::sse4_1>) noexcept {
  if constexpr (sizeof(T) == 1) {
    std::int32_t w;
    std::memcpy(&w, p, 4);
    const __m128i v = _mm_cvtsi32_si128(w);
    if constexpr (std::is_signed_v<T>) return _mm_cvtepi8_epi32(v);
    else return _mm_cvtepu8_epi32(v);
  } else {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    if constexpr (std::is_signed_v<T>) return _mm_cvtepi16_epi32(v);
    else return _mm_cvtepu16_epi32(v);
  }
}
#endif

// ============================================================ AVX2 + FMA
#if defined(__AVX2__) && defined(__FMA__)
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_even(const batch<float, A>& t, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_trunc(const batch<float, A>& t, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_floor(const batch<float, A>& t, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_round_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> max_ordered(const batch<float, A>& a, const batch<float, A>& b,
                                                requires_arch<xsimd::avx2>) noexcept {
  return _mm256_max_ps(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> min_ordered(const batch<float, A>& a, const batch<float, A>& b,
                                                requires_arch<xsimd::avx2>) noexcept {
  return _mm256_min_ps(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> nan_to_zero(const batch<float, A>& a, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_and_ps(a, _mm256_cmp_ps(a, a, _CMP_ORD_Q));
}
template <class A>
QMATH_ALWAYS_INLINE batch_bool<float, A> is_nonfinite(const batch<float, A>& x, requires_arch<xsimd::avx2>) noexcept {
  const __m256i e = _mm256_set1_epi32(0x7f800000);
  return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(x), e), e));
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> trunc_to_i32(const batch<float, A>& x, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_cvttps_epi32(x);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> to_f32(const batch<std::int32_t, A>& v, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_cvtepi32_ps(v);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mullo(const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                                 requires_arch<xsimd::avx2>) noexcept {
  return _mm256_mullo_epi32(a, b);
}
template <int N, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> shr_logical(const batch<std::int32_t, A>& a, requires_arch<xsimd::avx2>) noexcept {
  return _mm256_srli_epi32(a, N);
}
template <class A, class T>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> load_widen(const T* p, requires_arch<xsimd::avx2>) noexcept {
  if constexpr (sizeof(T) == 1) {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    if constexpr (std::is_signed_v<T>) return _mm256_cvtepi8_epi32(v);
    else return _mm256_cvtepu8_epi32(v);
  } else {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if constexpr (std::is_signed_v<T>) return _mm256_cvtepi16_epi32(v);
    else return _mm256_cvtepu16_epi32(v);
  }
}
template <bool NT>
QMATH_ALWAYS_INLINE void st256(void* p, __m256i v) noexcept {
  if constexpr (NT) _mm256_stream_si256(static_cast<__m256i*>(p), v);
  else _mm256_storeu_si256(static_cast<__m256i*>(p), v);
}
template <class T, bool NT, class A>
QMATH_ALWAYS_INLINE void store_narrow4(T* p, const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                       const batch<std::int32_t, A>& c, const batch<std::int32_t, A>& d,
                                       requires_arch<xsimd::avx2>) noexcept {
  if constexpr (sizeof(T) == 1) {
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    const __m256i r = std::is_signed_v<T> ? _mm256_packs_epi16(ab, cd) : _mm256_packus_epi16(ab, cd);
    st256<NT>(p, _mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
  } else {
    __m256i ab, cd;
    if constexpr (std::is_signed_v<T>) {
      ab = _mm256_packs_epi32(a, b);
      cd = _mm256_packs_epi32(c, d);
    } else {
      ab = _mm256_packus_epi32(a, b);
      cd = _mm256_packus_epi32(c, d);
    }
    st256<NT>(p, _mm256_permute4x64_epi64(ab, 0xD8));
    st256<NT>(p + 16, _mm256_permute4x64_epi64(cd, 0xD8));
  }
}
template <class A>
QMATH_ALWAYS_INLINE void stream(float* p, const batch<float, A>& v, requires_arch<xsimd::avx2>) noexcept {
  _mm256_stream_ps(p, v);
}
QMATH_ALWAYS_INLINE void stream_fence(requires_arch<xsimd::avx2>) noexcept { _mm_sfence(); }
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b, requires_arch<xsimd::avx2>) noexcept {
  const __m256i ae = _mm256_and_si256(a, _mm256_set1_epi16(0x00ff)), ao = _mm256_srli_epi16(a, 8);
  const __m256i be = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8), bo = _mm256_srai_epi16(b, 8);
  return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(ae, be), _mm256_madd_epi16(ao, bo)));
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_s8s8(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& a,
                                                     const batch<std::int8_t, A>& b, requires_arch<xsimd::avx2>) noexcept {
  const __m256i ae = _mm256_srai_epi16(_mm256_slli_epi16(a, 8), 8), ao = _mm256_srai_epi16(a, 8);
  const __m256i be = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8), bo = _mm256_srai_epi16(b, 8);
  return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(ae, be), _mm256_madd_epi16(ao, bo)));
}
#if defined(__AVXVNNI__)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<arch<isa::avxvnni>>) noexcept {
  return _mm256_dpbusd_avx_epi32(acc, a, b);
}
#endif
#endif

// =============================================================== AVX-512
#if QMATH_TARGET_HAS_AVX512
/// Integer select. (xsimd 8's avx512bw version names every width's blend in
/// one function, which GCC cannot compile at -O0, where the blends are macros.)
template <class T, class A, class = std::enable_if_t<std::is_integral_v<T>>>
QMATH_ALWAYS_INLINE batch<T, A> select(const batch_bool<T, A>& m, const batch<T, A>& a, const batch<T, A>& b,
                                       requires_arch<xsimd::avx512bw>) noexcept {
  using reg = typename batch<T, A>::register_type;
  using mreg = typename batch_bool<T, A>::register_type;
  const reg x = a, y = b;
  const mreg k = m;
  if constexpr (sizeof(T) == 1) return _mm512_mask_blend_epi8(k, y, x);
  else if constexpr (sizeof(T) == 2) return _mm512_mask_blend_epi16(k, y, x);
  else if constexpr (sizeof(T) == 4) return _mm512_mask_blend_epi32(k, y, x);
  else return _mm512_mask_blend_epi64(k, y, x);
}
template <class T, class A>
QMATH_ALWAYS_INLINE void store_where(T* p, const batch_bool<float, A>& m, const batch<T, A>& v,
                                     requires_arch<xsimd::avx512bw>) noexcept {
  const __mmask16 k = m;
  if constexpr (std::is_same_v<T, float>) _mm512_mask_storeu_ps(p, k, v);
  else _mm512_mask_storeu_epi32(p, k, v);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_even(const batch<float, A>& t, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_trunc(const batch<float, A>& t, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_roundscale_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_floor(const batch<float, A>& t, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_roundscale_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> max_ordered(const batch<float, A>& a, const batch<float, A>& b,
                                                requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_max_ps(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> min_ordered(const batch<float, A>& a, const batch<float, A>& b,
                                                requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_min_ps(a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> nan_to_zero(const batch<float, A>& a, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, a, _CMP_ORD_Q), a);
}
template <class A>
QMATH_ALWAYS_INLINE batch_bool<float, A> is_nonfinite(const batch<float, A>& x, requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i e = _mm512_set1_epi32(0x7f800000);
  return batch_bool<float, A>(
      static_cast<__mmask16>(_mm512_cmpeq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(x), e), e)));
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> trunc_to_i32(const batch<float, A>& x, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_cvttps_epi32(x);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> to_f32(const batch<std::int32_t, A>& v, requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_cvtepi32_ps(v);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mullo(const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                                 requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_mullo_epi32(a, b);
}
template <int N, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> shr_logical(const batch<std::int32_t, A>& a,
                                                       requires_arch<xsimd::avx512bw>) noexcept {
  return _mm512_srli_epi32(a, N);
}
template <class A, class T>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> load_widen(const T* p, requires_arch<xsimd::avx512bw>) noexcept {
  if constexpr (sizeof(T) == 1) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if constexpr (std::is_signed_v<T>) return _mm512_cvtepi8_epi32(v);
    else return _mm512_cvtepu8_epi32(v);
  } else {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    if constexpr (std::is_signed_v<T>) return _mm512_cvtepi16_epi32(v);
    else return _mm512_cvtepu16_epi32(v);
  }
}
template <class T, bool NT, class A>
QMATH_ALWAYS_INLINE void store_narrow4(T* p, const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                       const batch<std::int32_t, A>& c, const batch<std::int32_t, A>& d,
                                       requires_arch<xsimd::avx512bw>) noexcept {
  // Values are in range: truncating narrows are exact for signed and unsigned.
  if constexpr (sizeof(T) == 1) {
    const __m512i r = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(a)),
                                                       _mm512_cvtepi32_epi8(b), 1)),
        _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(c)), _mm512_cvtepi32_epi8(d), 1), 1);
    if constexpr (NT) _mm512_stream_si512(reinterpret_cast<__m512i*>(p), r);
    else _mm512_storeu_si512(p, r);
  } else {
    const __m512i ab = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(a)), _mm512_cvtepi32_epi16(b), 1);
    const __m512i cd = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(c)), _mm512_cvtepi32_epi16(d), 1);
    if constexpr (NT) {
      _mm512_stream_si512(reinterpret_cast<__m512i*>(p), ab);
      _mm512_stream_si512(reinterpret_cast<__m512i*>(p + 32), cd);
    } else {
      _mm512_storeu_si512(p, ab);
      _mm512_storeu_si512(p + 32, cd);
    }
  }
}
template <class A>
QMATH_ALWAYS_INLINE void stream(float* p, const batch<float, A>& v, requires_arch<xsimd::avx512bw>) noexcept {
  _mm512_stream_ps(p, v);
}
QMATH_ALWAYS_INLINE void stream_fence(requires_arch<xsimd::avx512bw>) noexcept { _mm_sfence(); }
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i ae = _mm512_and_si512(a, _mm512_set1_epi16(0x00ff)), ao = _mm512_srli_epi16(a, 8);
  const __m512i be = _mm512_srai_epi16(_mm512_slli_epi16(b, 8), 8), bo = _mm512_srai_epi16(b, 8);
  return _mm512_add_epi32(acc, _mm512_add_epi32(_mm512_madd_epi16(ae, be), _mm512_madd_epi16(ao, bo)));
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_s8s8(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<xsimd::avx512bw>) noexcept {
  const __m512i ae = _mm512_srai_epi16(_mm512_slli_epi16(a, 8), 8), ao = _mm512_srai_epi16(a, 8);
  const __m512i be = _mm512_srai_epi16(_mm512_slli_epi16(b, 8), 8), bo = _mm512_srai_epi16(b, 8);
  return _mm512_add_epi32(acc, _mm512_add_epi32(_mm512_madd_epi16(ae, be), _mm512_madd_epi16(ao, bo)));
}
#if defined(__AVX512VNNI__)
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b,
                                                     requires_arch<arch<isa::avx512vnni>>) noexcept {
  return _mm512_dpbusd_epi32(acc, a, b);
}
#endif
#endif

}  // namespace impl
}  // namespace qmath::kernel::QMATH_TARGET_NS::simd
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
