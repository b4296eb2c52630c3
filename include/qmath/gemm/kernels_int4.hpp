#pragma once
// int4-weight x int8-activation kernels (private; see gemm/int4.hpp).
//
// Packed int4 layout: panels of 16 columns; per k-group of 4, 16 columns x 4
// codes = 64 nibbles in 32 bytes: element e = 4 * c + t (column c, k offset t)
// is byte e % 32, low nibble for e < 32, high nibble otherwise. Codes u are
// unsigned 4-bit (signed weights are stored as b + 8). Per group g of
// group_size k and column j: zero point z[g][j] (code domain) and scale s[g][j].
//
// For rows r < mr and columns j < nr of a tile:
//   acc_g  = sum_{k in g} A[r][k] * u[k][j] - z[g][j] * rowsum_g(A[r])      (exact int32)
//   f      = f + float(acc_g) * s[g][j]          for g = 0, 1, ... (f starts at +0)
//   c[r][j] = f * a_scale[r] (+ bias[j])          every operation rounded separately

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qmath/gemm/kernels.hpp"

namespace qmath::detail {

struct gemm_int4_args {
  const std::int8_t* a;        // row r at a + r * lda (row-major, K contiguous)
  std::size_t lda;
  int mr, nr;                  // rows (<= 8) and columns (<= 48) of the tile
  const std::uint8_t* bp;      // first panel of the tile, at k-group 0
  std::size_t panel_stride;    // bytes between panels
  std::size_t groups, group_kg;  // number of groups, k-groups (of 4) per group
  const float* scale;          // scale[g * ldg + j] for the tile's columns
  const std::int32_t* zero;    // zero[g * ldg + j]
  std::size_t ldg;
  const std::int32_t* rowsum;  // rowsum[r * groups + g]
  const float* a_scale;        // a_scale[r * a_scale_stride]
  std::size_t a_scale_stride;
  const float* bias;           // bias[j] or null
  float* c;
  std::size_t ldc;
};

struct gemm_int4_kernels {
  isa level;
  void (*tile)(const gemm_int4_args& p) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

namespace gemm_int4_detail {

inline void tile_scalar(const detail::gemm_int4_args& p) noexcept {
  using gemm_detail::fp_barrier;
  for (int r = 0; r < p.mr; ++r) {
    const std::int8_t* a = p.a + static_cast<std::size_t>(r) * p.lda;
    for (int j = 0; j < p.nr; ++j) {
      const std::uint8_t* b = p.bp + static_cast<std::size_t>(j / 16) * p.panel_stride;
      const int e0 = (j % 16) * 4;
      float f = 0.0f;
      for (std::size_t g = 0; g < p.groups; ++g) {
        std::int32_t acc = 0;
        for (std::size_t q = g * p.group_kg; q < (g + 1) * p.group_kg; ++q) {
          for (int t = 0; t < 4; ++t) {
            const int e = e0 + t;
            const std::uint8_t byte = b[q * 32 + static_cast<std::size_t>(e % 32)];
            const int u = e < 32 ? (byte & 0x0F) : (byte >> 4);
            acc += static_cast<std::int32_t>(a[4 * q + static_cast<std::size_t>(t)]) * u;
          }
        }
        acc -= p.zero[g * p.ldg + static_cast<std::size_t>(j)] * p.rowsum[static_cast<std::size_t>(r) * p.groups + g];
        f = f + fp_barrier(static_cast<float>(acc) * p.scale[g * p.ldg + static_cast<std::size_t>(j)]);
      }
      float y = fp_barrier(f * p.a_scale[static_cast<std::size_t>(r) * p.a_scale_stride]);
      if (p.bias) y = y + p.bias[j];
      p.c[static_cast<std::size_t>(r) * p.ldc + static_cast<std::size_t>(j)] = y;
    }
  }
}

#if defined(QMATH_ARCH_X86) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
template <int R, int P>
QMATH_ALWAYS_INLINE void tile_vnni512(const detail::gemm_int4_args& p) noexcept {
  __m512 f[R][P];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < P; ++q) f[r][q] = _mm512_setzero_ps();
  const __m256i nib = _mm256_set1_epi8(0x0F);
  const std::uint8_t* b = p.bp;
  const std::int8_t* a = p.a;
  for (std::size_t g = 0; g < p.groups; ++g) {
    __m512i acc[R][P];
    QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < P; ++q) acc[r][q] = _mm512_setzero_si512();
    for (std::size_t kk = 0; kk < p.group_kg; ++kk) {
      __m512i bv[P];
      QMATH_UNROLL for (int q = 0; q < P; ++q) {
        const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + q * p.panel_stride));
        const __m256i lo = _mm256_and_si256(raw, nib);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), nib);
        bv[q] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
      }
      QMATH_UNROLL for (int r = 0; r < R; ++r) {
        const __m512i av = _mm512_set1_epi32(gemm_detail::load_i32(a + static_cast<std::size_t>(r) * p.lda));
        QMATH_UNROLL for (int q = 0; q < P; ++q) gemm_detail::dpbusd512(acc[r][q], bv[q], av);
      }
      b += 32;
      a += 4;
    }
    QMATH_UNROLL for (int q = 0; q < P; ++q) {
      const __m512i zv = _mm512_loadu_si512(p.zero + g * p.ldg + 16 * q);
      const __m512 sv = _mm512_loadu_ps(p.scale + g * p.ldg + 16 * q);
      QMATH_UNROLL for (int r = 0; r < R; ++r) {
        const __m512i rs = _mm512_set1_epi32(p.rowsum[static_cast<std::size_t>(r) * p.groups + g]);
        __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][q], _mm512_mullo_epi32(zv, rs))), sv);
        __asm__("" : "+v"(x));
        f[r][q] = _mm512_add_ps(f[r][q], x);
      }
    }
  }
  QMATH_UNROLL for (int q = 0; q < P; ++q) {
    const int left = p.nr - 16 * q;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
    const __m512 bias = p.bias ? _mm512_maskz_loadu_ps(m, p.bias + 16 * q) : _mm512_setzero_ps();
    QMATH_UNROLL for (int r = 0; r < R; ++r) {
      __m512 y = _mm512_mul_ps(f[r][q], _mm512_set1_ps(p.a_scale[static_cast<std::size_t>(r) * p.a_scale_stride]));
      __asm__("" : "+v"(y));
      if (p.bias) y = _mm512_add_ps(y, bias);
      _mm512_mask_storeu_ps(p.c + static_cast<std::size_t>(r) * p.ldc + 16 * q, m, y);
    }
  }
}
#endif

}  // namespace gemm_int4_detail

template <isa L>
void gemm_int4_tile(const detail::gemm_int4_args& p) noexcept {
#if defined(QMATH_ARCH_X86) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
  if constexpr (L == isa::avx512vnni) {
    gemm_detail::with_rows<8>(p.mr, [&](auto R) {
      constexpr int r = decltype(R)::value;
      if (p.nr > 32) gemm_int4_detail::tile_vnni512<r, 3>(p);
      else if (p.nr > 16) gemm_int4_detail::tile_vnni512<r, 2>(p);
      else gemm_int4_detail::tile_vnni512<r, 1>(p);
    });
    return;
  }
#endif
  gemm_int4_detail::tile_scalar(p);
}

template <isa L>
inline constexpr detail::gemm_int4_kernels gemm_int4_table{L, &gemm_int4_tile<L>};

QMATH_KERNEL_FAMILY(gemm_int4)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
