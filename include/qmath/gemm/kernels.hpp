#pragma once
// Integer GEMM micro-kernels, one set per ISA level (private; see gemm.hpp).
//
// Packed weight layout (the same for every level, so weights packed once run
// under any ISA cap): B (K x N, int8 "s" domain) is cut into panels of 16
// columns; K is padded with zeros to a multiple of 4. Panel p holds, for each
// k-group g (4 consecutive k), 16 columns x 4 bytes:
//     panel[p][g][c][t] = Bs[4g + t][16p + c]                       (64 bytes per g)
// i.e. one zmm per k-group (vpdpbusd), two ymm (AVX-VNNI), four 16-byte
// registers of 4 columns x 4 k (sdot with vdotq_laneq_s32, vmull_s8/vpadal).
//
// Packed activations: strips of MR rows, per k-group MR x 4 bytes:
//     ap[g][r][t] = A'[r][4g + t]
// where A' is A in the u8 domain (kernels with a_signed == false: vpdpbusd
// and the exact x86 widening kernels) or A xor 0x80 in the s8 domain (ARM
// kernels: sdot, vmull_s8).
//
// Every kernel computes the same exact sum S = sum_k A'[i][k] * Bs[k][j] in
// wrapping int32 arithmetic; no instruction saturates: vpdpbusd adds exact
// 4-product sums, vpmaddwd/vmull_s8+vpadal are exact on u8/s8 x s8 products.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qmath/simd/arch/x86.hpp"
#include "qmath/simd/dispatch.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>
#elif defined(QMATH_ARCH_AARCH64)
#include <arm_neon.h>
#endif

#if defined(__clang__)
#define QMATH_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define QMATH_UNROLL _Pragma("GCC unroll 32")
#else
#define QMATH_UNROLL
#endif

namespace qmath::detail {

/// Which output an epilogue writes.
enum class gemm_out_kind : std::uint8_t { i32, requant_s8, requant_u8, dequant_f32 };

/// One output tile: the int32 kernel sums `acc` (rows x cols) and what turns
/// them into the final values:
///   v[i][j] = acc[i][j] + col_off[j] - zb[j] * rowsum[i]          (wrapping int32)
///   i32:         out = clamp(v, lo, hi)
///   requant:     out = clamp(rne(clamp_f(float(v) * mult[j], lo - zp, hi - zp)) + zp, lo, hi)
///   dequant_f32: out = min(max(float(v) * (a_scale[i] * b_scale[j]) + bias[j], flo), fhi)
/// (mult/b_scale/a_scale are indexed with a stride of 0 or 1; zb, rowsum, bias may be null).
struct gemm_epilogue {
  const std::int32_t* acc;
  std::size_t ld_acc;
  std::size_t rows, cols;
  const std::int32_t* col_off;
  const std::int32_t* zb;
  const std::int32_t* rowsum;
  gemm_out_kind kind;
  std::int32_t lo, hi, zp;
  const float* mult;
  std::size_t mult_stride;
  const float* a_scale;
  std::size_t a_scale_stride;
  const float* b_scale;
  std::size_t b_scale_stride;
  const float* bias;
  float flo, fhi;
  void* out;
  std::size_t ldo;
};

/// The GEMM kernel family of one level.
struct gemm_kernels {
  isa level;
  int mr;         ///< rows of a micro tile (A strips are packed with mr rows)
  int np;         ///< 16-column panels of a micro tile
  bool a_signed;  ///< kernel consumes A xor 0x80 (s8 domain)
  bool a_full;    ///< every A strip is packed with mr rows (short strips zero-padded)
  /// c[r][j] (+)= sum_g ap[g][r][.] . panel[j/16][g][j%16][.] (+ col_add[j] if non-null)
  /// for r < mr, j < nr.
  void (*tile)(const std::uint8_t* ap, const std::int8_t* bp, std::size_t panel_stride, std::size_t kgroups,
               std::int32_t* c, std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept;
  void (*epilogue)(const gemm_epilogue& e) noexcept;
  /// lo = min(0, x), hi = max(0, x) over n values; false when one is not finite.
  bool (*row_range)(const float* x, std::size_t n, float* lo, float* hi) noexcept;
  /// q[k] = quantize_value(x[k], scale, 0, -127, 127) (x / scale, clamp, round half even).
  void (*quantize_row_s8)(const float* x, std::size_t n, float scale, std::int8_t* q) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

namespace gemm_detail {

QMATH_ALWAYS_INLINE std::int32_t load_i32(const void* p) noexcept {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

/// Keeps the compiler from fusing a product with a following add (FMA).
QMATH_ALWAYS_INLINE float fp_barrier(float x) noexcept {
#if defined(QMATH_ARCH_X86)
  __asm__("" : "+x"(x));
#elif defined(QMATH_ARCH_AARCH64)
  __asm__("" : "+w"(x));
#endif
  return x;
}

/// Add the pair-lane partial sums t[r][2j], t[r][2j+1] into c (widening kernels).
/// The null test of col_add is outside the loops: inside them, clang turns
/// `if (col_add) s += col_add[j]` into masked loads from a possibly null
/// pointer with an all-false mask. Hardware never faults on those, but
/// qemu-x86_64 (7.2, TCG) does, which crashed the clang build under qemu.
template <bool Pairs, bool ColAdd>
QMATH_ALWAYS_INLINE void store_rows(const std::int32_t* t, int tcols, std::int32_t* c, std::size_t ldc, int mr,
                                    int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  for (int r = 0; r < mr; ++r) {
    const std::int32_t* tr = t + static_cast<std::size_t>(r) * tcols * (Pairs ? 2 : 1);
    std::int32_t* cr = c + r * ldc;
    for (int j = 0; j < nr; ++j) {
      std::uint32_t s = Pairs ? static_cast<std::uint32_t>(tr[2 * j]) + static_cast<std::uint32_t>(tr[2 * j + 1])
                              : static_cast<std::uint32_t>(tr[j]);
      if (accumulate) s += static_cast<std::uint32_t>(cr[j]);
      if constexpr (ColAdd) s += static_cast<std::uint32_t>(col_add[j]);
      cr[j] = static_cast<std::int32_t>(s);
    }
  }
}

QMATH_ALWAYS_INLINE void store_pairs(const std::int32_t* t, int tcols, std::int32_t* c, std::size_t ldc, int mr,
                                     int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  if (col_add) store_rows<true, true>(t, tcols, c, ldc, mr, nr, accumulate, col_add);
  else store_rows<true, false>(t, tcols, c, ldc, mr, nr, accumulate, nullptr);
}

/// Store t[r][j] (row stride tcols) into c, adding c (accumulate) and col_add.
QMATH_ALWAYS_INLINE void store_plain(const std::int32_t* t, int tcols, std::int32_t* c, std::size_t ldc, int mr,
                                     int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  if (col_add) store_rows<false, true>(t, tcols, c, ldc, mr, nr, accumulate, col_add);
  else store_rows<false, false>(t, tcols, c, ldc, mr, nr, accumulate, nullptr);
}

// ---------------------------------------------------------------- scalar
template <int R>
void tile_scalar(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg, std::int32_t* c,
                 std::size_t ldc, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  for (int j = 0; j < nr; ++j) {
    const std::int8_t* b = bp + static_cast<std::size_t>(j / 16) * ps + (j % 16) * 4;
    std::uint32_t s[R] = {};
    for (std::size_t g = 0; g < kg; ++g) {
      const std::uint8_t* a = ap + g * R * 4;
      const std::int8_t* bb = b + g * 64;
      for (int r = 0; r < R; ++r) {
        std::int32_t d = 0;
        for (int t = 0; t < 4; ++t) d += static_cast<std::int32_t>(a[r * 4 + t]) * bb[t];
        s[r] += static_cast<std::uint32_t>(d);
      }
    }
    for (int r = 0; r < R; ++r) {
      std::int32_t* cr = c + r * ldc + j;
      std::uint32_t v = accumulate ? s[r] + static_cast<std::uint32_t>(*cr) : s[r];
      if (col_add) v += static_cast<std::uint32_t>(col_add[j]);
      *cr = static_cast<std::int32_t>(v);
    }
  }
}

#if defined(QMATH_ARCH_X86) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
// ---------------------------------------------------------------- AVX-512 VNNI: 8 x 48, vpdpbusd zmm
/// acc += vpdpbusd(a u8, b s8). Inline asm with a tied accumulator: GCC 12
/// turns long _mm512_dpbusd_epi32 chains into register copies and spills.
QMATH_ALWAYS_INLINE void dpbusd512(__m512i& acc, __m512i a, __m512i b) noexcept {
  __asm__("vpdpbusd %[b], %[a], %[acc]" : [acc] "+v"(acc) : [a] "v"(a), [b] "v"(b));
}
template <int R, int P>
QMATH_ALWAYS_INLINE void tile_vnni512(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg,
                                      std::int32_t* c, std::size_t ldc, int nr, bool accumulate,
                                      const std::int32_t* col_add) noexcept {
  __m512i acc[R][P];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_si512();
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    __m512i bv[P];
    QMATH_UNROLL for (int p = 0; p < P; ++p) bv[p] = _mm512_loadu_si512(b0 + p * ps);
    QMATH_UNROLL for (int r = 0; r < R; ++r) {
      const __m512i av = _mm512_set1_epi32(load_i32(a + 4 * r));
      QMATH_UNROLL for (int p = 0; p < P; ++p) dpbusd512(acc[r][p], av, bv[p]);
    }
    a += 4 * R;
    b0 += 64;
  }
  QMATH_UNROLL for (int p = 0; p < P; ++p) {
    const int left = nr - 16 * p;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
    const __m512i add = col_add ? _mm512_maskz_loadu_epi32(m, col_add + 16 * p) : _mm512_setzero_si512();
    QMATH_UNROLL for (int r = 0; r < R; ++r) {
      std::int32_t* cr = c + r * ldc + 16 * p;
      __m512i v = _mm512_add_epi32(acc[r][p], add);
      if (accumulate) v = _mm512_add_epi32(v, _mm512_maskz_loadu_epi32(m, cr));
      _mm512_mask_storeu_epi32(cr, m, v);
    }
  }
}
template <int R>
void tile_vnni512_r(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg, std::int32_t* c,
                    std::size_t ldc, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  if (nr > 32) tile_vnni512<R, 3>(ap, bp, ps, kg, c, ldc, nr, accumulate, col_add);
  else if (nr > 16) tile_vnni512<R, 2>(ap, bp, ps, kg, c, ldc, nr, accumulate, col_add);
  else tile_vnni512<R, 1>(ap, bp, ps, kg, c, ldc, nr, accumulate, col_add);
}
#endif

#if defined(QMATH_ARCH_X86) && defined(__AVX512BW__)
// ---------------------------------------------------------------- AVX-512BW: 6 x 32, exact vpmovsxbw + vpmaddwd
template <int R, int P>
QMATH_ALWAYS_INLINE void tile_bw512(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg,
                                    std::int32_t* c, std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  __m512i acc[R][2 * P];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int p = 0; p < 2 * P; ++p) acc[r][p] = _mm512_setzero_si512();
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    __m512i bv[2 * P];
    QMATH_UNROLL for (int p = 0; p < P; ++p) {
      bv[2 * p] = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + p * ps)));
      bv[2 * p + 1] = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + p * ps + 32)));
    }
    QMATH_UNROLL for (int r = 0; r < R; ++r) {
      const __m512i av = _mm512_cvtepu8_epi16(_mm256_set1_epi32(load_i32(a + 4 * r)));
      QMATH_UNROLL for (int p = 0; p < 2 * P; ++p) acc[r][p] = _mm512_add_epi32(acc[r][p], _mm512_madd_epi16(av, bv[p]));
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(64) std::int32_t t[R][2 * P * 16];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int p = 0; p < 2 * P; ++p)
      _mm512_store_si512(reinterpret_cast<__m512i*>(&t[r][16 * p]), acc[r][p]);
  store_pairs(&t[0][0], 16 * P, c, ldc, R, nr, accumulate, col_add);
}
#endif

#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
// ---------------------------------------------------------------- AVX2: 2 x 16, exact vpmovsxbw + vpmaddwd (ymm)
template <int R>
QMATH_ALWAYS_INLINE void tile_avx2(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                   std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  __m256i acc[R][4];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 4; ++q) acc[r][q] = _mm256_setzero_si256();
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    __m256i av[R];
    QMATH_UNROLL for (int r = 0; r < R; ++r) av[r] = _mm256_cvtepu8_epi16(_mm_set1_epi32(load_i32(a + 4 * r)));
    QMATH_UNROLL for (int q = 0; q < 4; ++q) {
      const __m256i bq = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 16 * q)));
      QMATH_UNROLL for (int r = 0; r < R; ++r) acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_madd_epi16(av[r], bq));
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(32) std::int32_t t[R][32];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 4; ++q)
      _mm256_store_si256(reinterpret_cast<__m256i*>(&t[r][8 * q]), acc[r][q]);
  store_pairs(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}
#endif

#if defined(QMATH_ARCH_X86) && defined(__AVXVNNI__)
// ---------------------------------------------------------------- AVX-VNNI: 6 x 16, vpdpbusd ymm (VEX)
template <int R>
QMATH_ALWAYS_INLINE void tile_avxvnni(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                      std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  __m256i acc[R][2];
  QMATH_UNROLL for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    const __m256i bl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0));
    const __m256i bh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + 32));
    QMATH_UNROLL for (int r = 0; r < R; ++r) {
      const __m256i av = _mm256_set1_epi32(load_i32(a + 4 * r));
      acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], av, bl);
      acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], av, bh);
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(32) std::int32_t t[R][16];
  QMATH_UNROLL for (int r = 0; r < R; ++r) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(&t[r][0]), acc[r][0]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(&t[r][8]), acc[r][1]);
  }
  store_plain(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}
#endif

#if defined(QMATH_ARCH_X86) && defined(__SSE4_1__)
// ---------------------------------------------------------------- SSE4.1: 2 x 16, exact pmovsxbw + pmaddwd
template <int R>
QMATH_ALWAYS_INLINE void tile_sse41(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                    std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  __m128i acc[R][8];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 8; ++q) acc[r][q] = _mm_setzero_si128();
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    __m128i av[R];
    QMATH_UNROLL for (int r = 0; r < R; ++r) av[r] = _mm_cvtepu8_epi16(_mm_set1_epi32(load_i32(a + 4 * r)));
    QMATH_UNROLL for (int q = 0; q < 4; ++q) {
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 16 * q));
      const __m128i lo = _mm_cvtepi8_epi16(raw);
      const __m128i hi = _mm_cvtepi8_epi16(_mm_unpackhi_epi64(raw, raw));
      QMATH_UNROLL for (int r = 0; r < R; ++r) {
        acc[r][2 * q] = _mm_add_epi32(acc[r][2 * q], _mm_madd_epi16(av[r], lo));
        acc[r][2 * q + 1] = _mm_add_epi32(acc[r][2 * q + 1], _mm_madd_epi16(av[r], hi));
      }
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(16) std::int32_t t[R][32];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 8; ++q)
      _mm_store_si128(reinterpret_cast<__m128i*>(&t[r][4 * q]), acc[r][q]);
  store_pairs(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}
#endif

#if defined(QMATH_ARCH_AARCH64)
// ---------------------------------------------------------------- NEON: 2 x 16, exact vmull_s8 + vpadalq_s16
template <int R>
QMATH_ALWAYS_INLINE void tile_neon(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                   std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  int32x4_t acc[R][8];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 8; ++q) acc[r][q] = vdupq_n_s32(0);
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    int8x16_t av[R];
    QMATH_UNROLL for (int r = 0; r < R; ++r) av[r] = vreinterpretq_s8_s32(vdupq_n_s32(load_i32(a + 4 * r)));
    QMATH_UNROLL for (int q = 0; q < 4; ++q) {
      const int8x16_t bq = vld1q_s8(b0 + 16 * q);
      QMATH_UNROLL for (int r = 0; r < R; ++r) {
        acc[r][2 * q] = vpadalq_s16(acc[r][2 * q], vmull_s8(vget_low_s8(bq), vget_low_s8(av[r])));
        acc[r][2 * q + 1] = vpadalq_s16(acc[r][2 * q + 1], vmull_high_s8(bq, av[r]));
      }
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(16) std::int32_t t[R][32];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 8; ++q) vst1q_s32(&t[r][4 * q], acc[r][q]);
  store_pairs(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}
#if defined(__ARM_FEATURE_DOTPROD)
// ---------------------------------------------------------------- dotprod: 4 x 16, sdot by lane
template <int R>
QMATH_ALWAYS_INLINE void tile_dotprod(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                      std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  int32x4_t acc[R][4];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    // A strips are packed with 4 rows, so one 16-byte load holds rows 0..3.
    const int8x16_t av = vreinterpretq_s8_u8(vld1q_u8(a));
    QMATH_UNROLL for (int q = 0; q < 4; ++q) {
      const int8x16_t bq = vld1q_s8(b0 + 16 * q);
      if constexpr (R > 0) acc[0][q] = vdotq_laneq_s32(acc[0][q], bq, av, 0);
      if constexpr (R > 1) acc[1][q] = vdotq_laneq_s32(acc[1][q], bq, av, 1);
      if constexpr (R > 2) acc[2][q] = vdotq_laneq_s32(acc[2][q], bq, av, 2);
      if constexpr (R > 3) acc[3][q] = vdotq_laneq_s32(acc[3][q], bq, av, 3);
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(16) std::int32_t t[R][16];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 4; ++q) vst1q_s32(&t[r][4 * q], acc[r][q]);
  store_plain(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
// ---------------------------------------------------------------- i8mm: 4 x 16, smmla on pairs of k-groups
// vzip1/vzip2 of two consecutive k-groups turn the [c][4k] panels into the
// 2 x 8 operands of smmla (rows/columns k0..7); acc[rp][cp] = 2 x 2 block.
template <int R>
QMATH_ALWAYS_INLINE void tile_i8mm(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                   std::size_t ldc, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  int32x4_t acc[2][8];
  QMATH_UNROLL for (int rp = 0; rp < 2; ++rp) QMATH_UNROLL for (int cp = 0; cp < 8; ++cp) acc[rp][cp] = vdupq_n_s32(0);
  for (std::size_t g = 0; g < kg; g += 2) {
    const bool pair = g + 1 < kg;
    const int32x4_t a0 = vreinterpretq_s32_u8(vld1q_u8(ap + g * 16));
    const int32x4_t a1 = pair ? vreinterpretq_s32_u8(vld1q_u8(ap + (g + 1) * 16)) : vdupq_n_s32(0);
    const int8x16_t a01 = vreinterpretq_s8_s32(vzip1q_s32(a0, a1));
    const int8x16_t a23 = vreinterpretq_s8_s32(vzip2q_s32(a0, a1));
    QMATH_UNROLL for (int q = 0; q < 4; ++q) {
      const int32x4_t b0 = vreinterpretq_s32_s8(vld1q_s8(bp + g * 64 + 16 * q));
      const int32x4_t b1 = pair ? vreinterpretq_s32_s8(vld1q_s8(bp + (g + 1) * 64 + 16 * q)) : vdupq_n_s32(0);
      const int8x16_t lo = vreinterpretq_s8_s32(vzip1q_s32(b0, b1));
      const int8x16_t hi = vreinterpretq_s8_s32(vzip2q_s32(b0, b1));
      acc[0][2 * q] = vmmlaq_s32(acc[0][2 * q], a01, lo);
      acc[0][2 * q + 1] = vmmlaq_s32(acc[0][2 * q + 1], a01, hi);
      if constexpr (R > 2) {
        acc[1][2 * q] = vmmlaq_s32(acc[1][2 * q], a23, lo);
        acc[1][2 * q + 1] = vmmlaq_s32(acc[1][2 * q + 1], a23, hi);
      }
    }
  }
  alignas(16) std::int32_t t[4][16];
  QMATH_UNROLL for (int rp = 0; rp < 2; ++rp) QMATH_UNROLL for (int cp = 0; cp < 8; ++cp) {
    vst1_s32(&t[2 * rp][2 * cp], vget_low_s32(acc[rp][cp]));
    vst1_s32(&t[2 * rp + 1][2 * cp], vget_high_s32(acc[rp][cp]));
  }
  store_plain(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}
#endif
#endif

/// Level L's micro-tile geometry.
template <isa L>
struct gemm_geometry {
  static constexpr int mr = 1, np = 1;
  static constexpr bool a_signed = false, a_full = false;
};
template <> struct gemm_geometry<isa::sse41> { static constexpr int mr = 2, np = 1; static constexpr bool a_signed = false, a_full = false; };
template <> struct gemm_geometry<isa::avx2> { static constexpr int mr = 2, np = 1; static constexpr bool a_signed = false, a_full = false; };
template <> struct gemm_geometry<isa::avxvnni> { static constexpr int mr = 6, np = 1; static constexpr bool a_signed = false, a_full = false; };
template <> struct gemm_geometry<isa::avx512> { static constexpr int mr = 6, np = 2; static constexpr bool a_signed = false, a_full = false; };
template <> struct gemm_geometry<isa::avx512vnni> { static constexpr int mr = 8, np = 3; static constexpr bool a_signed = false, a_full = false; };
template <> struct gemm_geometry<isa::neon> { static constexpr int mr = 2, np = 1; static constexpr bool a_signed = true, a_full = false; };
template <> struct gemm_geometry<isa::dotprod> { static constexpr int mr = 4, np = 1; static constexpr bool a_signed = true, a_full = true; };
template <> struct gemm_geometry<isa::i8mm> { static constexpr int mr = 4, np = 1; static constexpr bool a_signed = true, a_full = true; };

/// Calls f(std::integral_constant<int, R>) with R == mr (1 <= mr <= Max).
template <int Max, class F>
QMATH_ALWAYS_INLINE void with_rows(int mr, F&& f) {
  if constexpr (Max >= 8) if (mr == 8) return f(std::integral_constant<int, 8>{});
  if constexpr (Max >= 7) if (mr == 7) return f(std::integral_constant<int, 7>{});
  if constexpr (Max >= 6) if (mr == 6) return f(std::integral_constant<int, 6>{});
  if constexpr (Max >= 5) if (mr == 5) return f(std::integral_constant<int, 5>{});
  if constexpr (Max >= 4) if (mr == 4) return f(std::integral_constant<int, 4>{});
  if constexpr (Max >= 3) if (mr == 3) return f(std::integral_constant<int, 3>{});
  if constexpr (Max >= 2) if (mr == 2) return f(std::integral_constant<int, 2>{});
  return f(std::integral_constant<int, 1>{});
}

}  // namespace gemm_detail

template <isa L>
void gemm_tile(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg, std::int32_t* c,
               std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  using namespace gemm_detail;
  constexpr int MR = gemm_geometry<L>::mr;
  (void)mr;
  if constexpr (L == isa::scalar) {
    tile_scalar<1>(ap, bp, ps, kg, c, ldc, nr, accumulate, col_add);
#if defined(QMATH_ARCH_X86) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
  } else if constexpr (L == isa::avx512vnni) {
    with_rows<MR>(mr, [&](auto R) {
      // Strips shorter than MR are packed with their own row count.
      tile_vnni512_r<decltype(R)::value>(ap, bp, ps, kg, c, ldc, nr, accumulate, col_add);
    });
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX512BW__)
  } else if constexpr (L == isa::avx512) {
    with_rows<MR>(mr, [&](auto R) {
      constexpr int r = decltype(R)::value;
      if (nr > 16) tile_bw512<r, 2>(ap, bp, ps, kg, c, ldc, r, nr, accumulate, col_add);
      else tile_bw512<r, 1>(ap, bp, ps, kg, c, ldc, r, nr, accumulate, col_add);
    });
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVXVNNI__)
  } else if constexpr (L == isa::avxvnni) {
    with_rows<MR>(mr, [&](auto R) { tile_avxvnni<decltype(R)::value>(ap, bp, kg, c, ldc, decltype(R)::value, nr, accumulate, col_add); });
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  } else if constexpr (L == isa::avx2 || L == isa::avxvnni) {
    with_rows<MR>(mr, [&](auto R) { tile_avx2<decltype(R)::value>(ap, bp, kg, c, ldc, decltype(R)::value, nr, accumulate, col_add); });
#endif
#if defined(QMATH_ARCH_X86) && defined(__SSE4_1__)
  } else if constexpr (L == isa::sse41) {
    with_rows<MR>(mr, [&](auto R) { tile_sse41<decltype(R)::value>(ap, bp, kg, c, ldc, decltype(R)::value, nr, accumulate, col_add); });
#endif
#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_FEATURE_MATMUL_INT8)
  } else if constexpr (L == isa::i8mm) {
    with_rows<MR>(mr, [&](auto R) { tile_i8mm<decltype(R)::value>(ap, bp, kg, c, ldc, nr, accumulate, col_add); });
#endif
#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_FEATURE_DOTPROD)
  } else if constexpr (L == isa::dotprod || L == isa::i8mm) {
    with_rows<MR>(mr, [&](auto R) { tile_dotprod<decltype(R)::value>(ap, bp, kg, c, ldc, MR, nr, accumulate, col_add); });
#endif
#if defined(QMATH_ARCH_AARCH64)
  } else if constexpr (L == isa::neon) {
    with_rows<MR>(mr, [&](auto R) { tile_neon<decltype(R)::value>(ap, bp, kg, c, ldc, decltype(R)::value, nr, accumulate, col_add); });
#endif
  } else {
    // sse2 has no exact kernel of its own: the scalar reference tile.
    static_assert(L == isa::sse2, "gemm_tile: level not compiled in this unit");
    tile_scalar<1>(ap, bp, ps, kg, c, ldc, nr, accumulate, col_add);
  }
  (void)MR;
}

// ---------------------------------------------------------------- epilogues
namespace gemm_detail {

QMATH_ALWAYS_INLINE std::int32_t epi_value(const detail::gemm_epilogue& e, std::size_t i, std::size_t j) noexcept {
  std::uint32_t v = static_cast<std::uint32_t>(e.acc[i * e.ld_acc + j]) + static_cast<std::uint32_t>(e.col_off[j]);
  if (e.zb) v -= static_cast<std::uint32_t>(e.zb[j]) * static_cast<std::uint32_t>(e.rowsum[i]);
  return static_cast<std::int32_t>(v);
}

/// round-half-even(x) for |x| < 2^31 as float -> int (default rounding mode).
QMATH_ALWAYS_INLINE std::int32_t rne(float x) noexcept { return static_cast<std::int32_t>(std::nearbyint(x)); }

template <class T>
void epi_row_scalar(const detail::gemm_epilogue& e, std::size_t i, std::size_t j0) noexcept {
  T* o = static_cast<T*>(e.out) + i * e.ldo;
  for (std::size_t j = j0; j < e.cols; ++j) {
    const std::int32_t v = epi_value(e, i, j);
    if constexpr (std::is_same_v<T, std::int32_t>) {
      o[j] = v < e.lo ? e.lo : (v > e.hi ? e.hi : v);
    } else if constexpr (std::is_same_v<T, float>) {
      const float s = fp_barrier(e.a_scale[i * e.a_scale_stride] * e.b_scale[j * e.b_scale_stride]);
      float y = fp_barrier(static_cast<float>(v) * s);
      if (e.bias) y = y + e.bias[j];
      y = y < e.flo ? e.flo : y;
      o[j] = y > e.fhi ? e.fhi : y;
    } else {
      float x = static_cast<float>(v) * e.mult[j * e.mult_stride];
      const float flo = static_cast<float>(e.lo - e.zp), fhi = static_cast<float>(e.hi - e.zp);
      x = x < flo ? flo : (x > fhi ? fhi : x);
      o[j] = static_cast<T>(rne(x) + e.zp);
    }
  }
}

#if defined(QMATH_ARCH_X86) && defined(__AVX512BW__)
template <class T>
void epi_row_avx512(const detail::gemm_epilogue& e, std::size_t i) noexcept {
  const std::int32_t* a = e.acc + i * e.ld_acc;
  T* o = static_cast<T*>(e.out) + i * e.ldo;
  const __m512i rs = _mm512_set1_epi32(e.zb ? e.rowsum[i] : 0);
  for (std::size_t j = 0; j < e.cols; j += 16) {
    const std::size_t left = e.cols - j;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
    __m512i v = _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, a + j), _mm512_maskz_loadu_epi32(m, e.col_off + j));
    if (e.zb) v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(m, e.zb + j), rs));
    if constexpr (std::is_same_v<T, std::int32_t>) {
      v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(e.lo)), _mm512_set1_epi32(e.hi));
      _mm512_mask_storeu_epi32(o + j, m, v);
    } else if constexpr (std::is_same_v<T, float>) {
      const __m512 bs = e.b_scale_stride ? _mm512_maskz_loadu_ps(m, e.b_scale + j) : _mm512_set1_ps(e.b_scale[0]);
      __m512 s = _mm512_mul_ps(_mm512_set1_ps(e.a_scale[i * e.a_scale_stride]), bs);
      __asm__("" : "+v"(s));
      __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(v), s);
      __asm__("" : "+v"(y));
      if (e.bias) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, e.bias + j));
      y = _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(e.flo)), _mm512_set1_ps(e.fhi));
      _mm512_mask_storeu_ps(o + j, m, y);
    } else {
      const __m512 mu = e.mult_stride ? _mm512_maskz_loadu_ps(m, e.mult + j) : _mm512_set1_ps(e.mult[0]);
      __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(v), mu);
      x = _mm512_max_ps(x, _mm512_set1_ps(static_cast<float>(e.lo - e.zp)));
      x = _mm512_min_ps(x, _mm512_set1_ps(static_cast<float>(e.hi - e.zp)));
      const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(x), _mm512_set1_epi32(e.zp));
      if constexpr (std::is_same_v<T, std::int8_t>) _mm512_mask_cvtepi32_storeu_epi8(o + j, m, q);
      else _mm512_mask_cvtepi32_storeu_epi8(o + j, m, q);  // values already in [lo, hi] within the type
    }
  }
}
#endif

}  // namespace gemm_detail

template <isa L>
void gemm_epilogue_run(const detail::gemm_epilogue& e) noexcept {
  using namespace gemm_detail;
  for (std::size_t i = 0; i < e.rows; ++i) {
#if defined(QMATH_ARCH_X86) && defined(__AVX512BW__)
    if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
      switch (e.kind) {
        case detail::gemm_out_kind::i32: epi_row_avx512<std::int32_t>(e, i); break;
        case detail::gemm_out_kind::requant_s8: epi_row_avx512<std::int8_t>(e, i); break;
        case detail::gemm_out_kind::requant_u8: epi_row_avx512<std::uint8_t>(e, i); break;
        case detail::gemm_out_kind::dequant_f32: epi_row_avx512<float>(e, i); break;
      }
      continue;
    }
#endif
    switch (e.kind) {
      case detail::gemm_out_kind::i32: epi_row_scalar<std::int32_t>(e, i, 0); break;
      case detail::gemm_out_kind::requant_s8: epi_row_scalar<std::int8_t>(e, i, 0); break;
      case detail::gemm_out_kind::requant_u8: epi_row_scalar<std::uint8_t>(e, i, 0); break;
      case detail::gemm_out_kind::dequant_f32: epi_row_scalar<float>(e, i, 0); break;
    }
  }
}

// ---------------------------------------------------------------- dynamic row quantization
template <isa L>
bool gemm_row_range(const float* x, std::size_t n, float* lo_out, float* hi_out) noexcept {
  std::size_t k = 0;
  float lo = 0.0f, hi = 0.0f, bad = 0.0f;
#if defined(QMATH_ARCH_X86) && defined(__AVX512BW__)
  if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
    __m512 vlo = _mm512_setzero_ps(), vhi = _mm512_setzero_ps(), vbad = _mm512_setzero_ps();
    for (; k + 16 <= n; k += 16) {
      const __m512 v = _mm512_loadu_ps(x + k);
      vlo = _mm512_min_ps(vlo, v);
      vhi = _mm512_max_ps(vhi, v);
      vbad = _mm512_add_ps(vbad, _mm512_mul_ps(v, _mm512_setzero_ps()));  // NaN iff some v is not finite
    }
    lo = _mm512_reduce_min_ps(vlo), hi = _mm512_reduce_max_ps(vhi), bad = _mm512_reduce_add_ps(vbad);
  }
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  if constexpr (L == isa::avx2 || L == isa::avxvnni) {
    __m256 vlo = _mm256_setzero_ps(), vhi = _mm256_setzero_ps(), vbad = _mm256_setzero_ps();
    for (; k + 8 <= n; k += 8) {
      const __m256 v = _mm256_loadu_ps(x + k);
      vlo = _mm256_min_ps(vlo, v);
      vhi = _mm256_max_ps(vhi, v);
      vbad = _mm256_add_ps(vbad, _mm256_mul_ps(v, _mm256_setzero_ps()));
    }
    alignas(32) float a[8], b[8], c[8];
    _mm256_store_ps(a, vlo), _mm256_store_ps(b, vhi), _mm256_store_ps(c, vbad);
    for (int i = 0; i < 8; ++i) lo = a[i] < lo ? a[i] : lo, hi = b[i] > hi ? b[i] : hi, bad = bad + c[i];
  }
#endif
  for (; k < n; ++k) {
    const float v = x[k];
    bad = bad + v * 0.0f;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  *lo_out = lo;
  *hi_out = hi;
  return bad == 0.0f;
}

template <isa L>
void gemm_quantize_row_s8(const float* x, std::size_t n, float scale, std::int8_t* q) noexcept {
  std::size_t k = 0;
#if defined(QMATH_ARCH_X86) && defined(__AVX512BW__)
  if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
    const __m512 s = _mm512_set1_ps(scale), lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
    for (; k + 16 <= n; k += 16) {
      __m512 t = _mm512_div_ps(_mm512_loadu_ps(x + k), s);
      t = _mm512_min_ps(_mm512_max_ps(t, lo), hi);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + k), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(t)));
    }
  }
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  if constexpr (L == isa::avx2 || L == isa::avxvnni) {
    const __m256 s = _mm256_set1_ps(scale), lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
    for (; k + 8 <= n; k += 8) {
      __m256 t = _mm256_div_ps(_mm256_loadu_ps(x + k), s);
      t = _mm256_min_ps(_mm256_max_ps(t, lo), hi);
      const __m256i i32 = _mm256_cvtps_epi32(t);
      const __m128i i16 = _mm_packs_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(q + k), _mm_packs_epi16(i16, i16));
    }
  }
#endif
  for (; k < n; ++k) {
    float t = x[k] / scale;
    t = t < -127.0f ? -127.0f : (t > 127.0f ? 127.0f : t);
    q[k] = static_cast<std::int8_t>(gemm_detail::rne(t));
  }
}

template <isa L>
inline constexpr detail::gemm_kernels gemm_table{
    L, gemm_detail::gemm_geometry<L>::mr, gemm_detail::gemm_geometry<L>::np, gemm_detail::gemm_geometry<L>::a_signed,
    gemm_detail::gemm_geometry<L>::a_full, &gemm_tile<L>, &gemm_epilogue_run<L>, &gemm_row_range<L>,
    &gemm_quantize_row_s8<L>};

QMATH_KERNEL_FAMILY(gemm)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
