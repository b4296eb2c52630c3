#pragma once
// A minimal kernel family used to test dispatch itself: each level computes
// sum_i a[i]*b[i] over 16 uint8 x int8 pairs with that level's characteristic
// instruction (pmaddwd, pmulld, vpmaddwd ymm, vpdpbusd ymm/zmm, sdot, smmla),
// so a mis-dispatched level faults (SIGILL) instead of passing silently.

#include <cstdint>

#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/arch/x86.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>
#elif defined(QMATH_ARCH_AARCH64)
#include <arm_neon.h>
#endif

namespace qmath::detail {

struct probe_kernels {
  isa level;
  std::int32_t (*dot16)(const std::uint8_t* a, const std::int8_t* b) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

#if defined(__AVX512VNNI__)
inline constexpr bool defined_avx512vnni = true;
#else
inline constexpr bool defined_avx512vnni = false;
#endif

template <isa L>
std::int32_t probe_dot16(const std::uint8_t* a, const std::int8_t* b) noexcept {
  if constexpr (L == isa::scalar) {
    std::int32_t s = 0;
    for (int i = 0; i < 16; ++i) s += static_cast<std::int32_t>(a[i]) * b[i];
    return s;
#if defined(QMATH_ARCH_X86)
  } else if constexpr (L == isa::sse2 || L == isa::sse41) {
    const __m128i z = _mm_setzero_si128();
    const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
    const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    const __m128i sb = _mm_cmpgt_epi8(z, vb);
    __m128i p = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(va, z), _mm_unpacklo_epi8(vb, sb)),
                              _mm_madd_epi16(_mm_unpackhi_epi8(va, z), _mm_unpackhi_epi8(vb, sb)));
    if constexpr (L == isa::sse41) p = _mm_mullo_epi32(p, _mm_set1_epi32(1));  // SSE4.1 only
    p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0x4E));
    p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0xB1));
    return _mm_cvtsi128_si32(p);
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  } else if constexpr (L == isa::avx2) {
    const __m256i va = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)));
    const __m256i vb = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    const __m256i p = _mm256_madd_epi16(va, vb);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
#if defined(__AVXVNNI__)
  } else if constexpr (L == isa::avxvnni) {
    const __m256i va = _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)));
    const __m256i vb = _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    const __m256i p = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), _mm256_zextsi128_si256(_mm256_castsi256_si128(va)),
                                              _mm256_zextsi128_si256(_mm256_castsi256_si128(vb)));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
#endif
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX512BW__)
  } else if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
    const __m512i va = _mm512_maskz_loadu_epi8(0xFFFFull, a);
    const __m512i vb = _mm512_maskz_loadu_epi8(0xFFFFull, b);
    if constexpr (L == isa::avx512 || !defined_avx512vnni) {
      const __m512i p = _mm512_madd_epi16(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(va)),
                                          _mm512_cvtepi8_epi16(_mm512_castsi512_si256(vb)));
      return x86::hsum_epi32(p);
    } else {
#if defined(__AVX512VNNI__)
      return x86::hsum_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), va, vb));
#endif
    }
#endif
#if defined(QMATH_ARCH_AARCH64)
  } else if constexpr (L == isa::neon) {
    const uint8x16_t va = vld1q_u8(a);
    const int8x16_t vb = vld1q_s8(b);
    const int16x8_t a0 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(va)));
    const int16x8_t a1 = vreinterpretq_s16_u16(vmovl_high_u8(va));
    int32x4_t acc = vmull_s16(vget_low_s16(a0), vget_low_s16(vmovl_s8(vget_low_s8(vb))));
    acc = vmlal_high_s16(acc, a0, vmovl_s8(vget_low_s8(vb)));
    acc = vmlal_s16(acc, vget_low_s16(a1), vget_low_s16(vmovl_high_s8(vb)));
    acc = vmlal_high_s16(acc, a1, vmovl_high_s8(vb));
    return vaddvq_s32(acc);
#if defined(__ARM_FEATURE_DOTPROD)
  } else if constexpr (L == isa::dotprod) {
    // a = (a - 128) + 128: sdot on the shifted value plus 128 * sum(b).
    const int8x16_t sa = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(a), vdupq_n_u8(0x80)));
    const int8x16_t vb = vld1q_s8(b);
    const int32x4_t d = vdotq_s32(vdupq_n_s32(0), sa, vb);
    const int32x4_t ones = vdotq_s32(vdupq_n_s32(0), vdupq_n_s8(1), vb);
    return vaddvq_s32(d) + 128 * vaddvq_s32(ones);
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
  } else if constexpr (L == isa::i8mm) {
    // usmmla: 2x8 (u8) times 8x2 (s8); rows/cols beyond the first are zero.
    const uint8x16_t va = vld1q_u8(a);
    const int8x16_t vb = vld1q_s8(b);
    const int32x4_t lo = vusmmlaq_s32(vdupq_n_s32(0), vcombine_u8(vget_low_u8(va), vdup_n_u8(0)),
                                      vcombine_s8(vget_low_s8(vb), vdup_n_s8(0)));
    const int32x4_t hi = vusmmlaq_s32(vdupq_n_s32(0), vcombine_u8(vget_high_u8(va), vdup_n_u8(0)),
                                      vcombine_s8(vget_high_s8(vb), vdup_n_s8(0)));
    return vgetq_lane_s32(lo, 0) + vgetq_lane_s32(hi, 0);
#endif
#endif
  } else {
    static_assert(L == isa::scalar, "probe_dot16: level not compiled in this unit");
    return 0;
  }
}

template <isa L>
inline constexpr detail::probe_kernels probe_table{L, &probe_dot16<L>};

QMATH_KERNEL_FAMILY(probe)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END

namespace qmath::detail {

/// Dispatched probe: which level ran, and its dot product.
inline isa probe_level() noexcept {
  const probe_kernels* k = select_kernels<probe_kernels>();
  return k ? k->level : isa::scalar;
}
inline std::int32_t probe_dot16(const std::uint8_t* a, const std::int8_t* b) noexcept {
  const probe_kernels* k = select_kernels<probe_kernels>();
  QMATH_ASSERT(k != nullptr);
  return k ? k->dot16(a, b) : 0;
}

}  // namespace qmath::detail
