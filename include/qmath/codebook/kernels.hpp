#pragma once
// Dispatched kernels of the codebook module (k-means, product quantization).
//
// nearest: for every row x_i (n rows of d floats, row stride ldx) find the
//   centroid j minimising  e_j(x_i) = ||c_j||^2 - 2 * (x_i . c_j)
//   (= ||x_i - c_j||^2 - ||x_i||^2). Centroids come packed in panels of 32
//   (qmath::detail::pack_centroid_panels): panel p holds, for t = 0..d-1, the
//   t-th coordinate of centroids 32p..32p+31 contiguously; padding centroids
//   have ||c||^2 = +inf. Normative arithmetic, identical on every level:
//     dot_j = fma(x[d-1], c_j[d-1], ... fma(x[1], c_j[1], fma(x[0], c_j[0], 0)))
//     e_j   = cn_j - (dot_j + dot_j)
//   (one fused multiply-add per coordinate in coordinate order; doubling is
//   exact) and the winner is the smallest e_j, the lowest j on ties. SIMD
//   levels vectorise across centroids (one lane per centroid), never along d,
//   so every lane performs exactly the scalar chain: the chosen indices and
//   the e values are bit-identical on every ISA.
//   Precision: like every BLAS-style k-means (Faiss), the expanded form
//   cancels; centroids whose exact squared distances to x differ by less than
//   about 2^-22 * (||x||^2 + ||c||^2) may be ranked in either order (the
//   same order on every ISA).
// l2sq_rows: out_i = ||x_i - c||^2 for one vector c, with the normative
//   reduction of 16 partial sums: s_l accumulates fma(u_t, u_t, s_l) for
//   t = l, l+16, l+32, ... (u_t = x_t - c_t), then s_l += s_{l+w} for
//   w = 8, 4, 2, 1 (l < w); out = s_0.
//
// Levels: scalar (reference), avx2/avxvnni (FMA, 8 lanes), avx512/avx512vnni
// (16 lanes), neon/dotprod/i8mm (4 lanes). sse2/sse41 have no fused
// multiply-add and run the scalar code (std::fma).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/arch/x86.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>
#elif defined(QMATH_ARCH_AARCH64)
#include <arm_neon.h>
#endif

namespace qmath::detail {

/// Centroids per packed panel (all levels).
inline constexpr std::size_t codebook_panel = 32;
/// Rows per block inside the nearest kernel (multiple of every level's tile).
inline constexpr std::size_t codebook_row_block = 96;

struct codebook_kernels {
  /// idx[i] = argmin_j e_j(x_i) and best[i] = that e (best may be null).
  void (*nearest)(const float* x, std::size_t ldx, std::size_t n, std::size_t d, const float* panels,
                  const float* cnorm, std::size_t npanels, std::uint32_t* idx, float* best) noexcept;
  /// out[i] = ||x_i - c||^2 with the normative 16-partial reduction.
  void (*l2sq_rows)(const float* x, std::size_t ldx, std::size_t n, std::size_t d, const float* c,
                    float* out) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

/// Per-row lane-wise running minimum of e over the panels seen so far:
/// val[q] / pan[q] for lane position q (centroid 32 * pan + q).
struct cb_best {
  float val[32];
  std::uint32_t pan[32];
};

QMATH_ALWAYS_INLINE void cb_best_init(cb_best& b) noexcept {
  for (int q = 0; q < 32; ++q) {
    b.val[q] = std::numeric_limits<float>::infinity();
    b.pan[q] = 0xFFFFFFFFu;
  }
}

/// Smallest value, lowest centroid index among equal values.
QMATH_ALWAYS_INLINE void cb_best_finish(const cb_best& b, std::uint32_t* idx, float* best) noexcept {
  float v = b.val[0];
  std::uint64_t j = b.pan[0] == 0xFFFFFFFFu ? ~std::uint64_t{0} : std::uint64_t{b.pan[0]} * 32u;
  for (std::uint32_t q = 1; q < 32; ++q) {
    if (b.pan[q] == 0xFFFFFFFFu) continue;
    const std::uint64_t jq = std::uint64_t{b.pan[q]} * 32u + q;
    if (b.val[q] < v || (b.val[q] == v && jq < j) || j == ~std::uint64_t{0}) {
      v = b.val[q];
      j = jq;
    }
  }
  *idx = j == ~std::uint64_t{0} ? 0u : static_cast<std::uint32_t>(j);
  if (best) *best = v;
}

// Scalar reference for one row against one panel (also the sse2/sse41 code
// and the row tail of the SIMD levels' tiles is handled by SIMD tiles of 1).
QMATH_ALWAYS_INLINE void cb_panel_scalar(const float* xr, std::size_t d, const float* pk, const float* cn,
                                         std::uint32_t p, cb_best& b) noexcept {
  float acc[32];
  for (int q = 0; q < 32; ++q) acc[q] = 0.0f;
  for (std::size_t t = 0; t < d; ++t) {
    const float xv = xr[t];
    const float* bt = pk + t * 32;
    for (int q = 0; q < 32; ++q) acc[q] = std::fma(xv, bt[q], acc[q]);
  }
  for (int q = 0; q < 32; ++q) {
    const float e = cn[q] - (acc[q] + acc[q]);
    if (e < b.val[q]) {
      b.val[q] = e;
      b.pan[q] = p;
    }
  }
}

#if defined(QMATH_ARCH_X86) && defined(__AVX512F__)
// R rows x 32 centroids: 2R zmm accumulators.
template <int R>
QMATH_ALWAYS_INLINE void cb_tile_avx512(const float* x, std::size_t ldx, std::size_t d, const float* pk,
                                        const float* cn, std::uint32_t p, cb_best* b) noexcept {
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    acc0[r] = _mm512_setzero_ps();
    acc1[r] = _mm512_setzero_ps();
  }
  for (std::size_t t = 0; t < d; ++t) {
    const __m512 b0 = _mm512_loadu_ps(pk + t * 32);
    const __m512 b1 = _mm512_loadu_ps(pk + t * 32 + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_set1_ps(x[static_cast<std::size_t>(r) * ldx + t]);
      acc0[r] = _mm512_fmadd_ps(xv, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(xv, b1, acc1[r]);
    }
  }
  const __m512 c0 = _mm512_loadu_ps(cn);
  const __m512 c1 = _mm512_loadu_ps(cn + 16);
  const __m512i pv = _mm512_set1_epi32(static_cast<int>(p));
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const __m512 e0 = _mm512_sub_ps(c0, _mm512_add_ps(acc0[r], acc0[r]));
    const __m512 e1 = _mm512_sub_ps(c1, _mm512_add_ps(acc1[r], acc1[r]));
    const __m512 v0 = _mm512_loadu_ps(b[r].val);
    const __m512 v1 = _mm512_loadu_ps(b[r].val + 16);
    const __mmask16 m0 = _mm512_cmp_ps_mask(e0, v0, _CMP_LT_OQ);
    const __mmask16 m1 = _mm512_cmp_ps_mask(e1, v1, _CMP_LT_OQ);
    _mm512_mask_storeu_ps(b[r].val, m0, e0);
    _mm512_mask_storeu_ps(b[r].val + 16, m1, e1);
    _mm512_mask_storeu_epi32(b[r].pan, m0, pv);
    _mm512_mask_storeu_epi32(b[r].pan + 16, m1, pv);
  }
}
#endif

#if defined(QMATH_ARCH_X86) && defined(__AVX2__) && defined(__FMA__)
// R rows x 16 centroids (half panel h): 2R ymm accumulators.
template <int R>
QMATH_ALWAYS_INLINE void cb_tile_avx2(const float* x, std::size_t ldx, std::size_t d, const float* pk,
                                      const float* cn, std::uint32_t p, cb_best* b) noexcept {
  for (int h = 0; h < 2; ++h) {
    __m256 acc0[R], acc1[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      acc0[r] = _mm256_setzero_ps();
      acc1[r] = _mm256_setzero_ps();
    }
    const float* ph = pk + h * 16;
    for (std::size_t t = 0; t < d; ++t) {
      const __m256 b0 = _mm256_loadu_ps(ph + t * 32);
      const __m256 b1 = _mm256_loadu_ps(ph + t * 32 + 8);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256 xv = _mm256_broadcast_ss(x + static_cast<std::size_t>(r) * ldx + t);
        acc0[r] = _mm256_fmadd_ps(xv, b0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(xv, b1, acc1[r]);
      }
    }
    const __m256 c0 = _mm256_loadu_ps(cn + h * 16);
    const __m256 c1 = _mm256_loadu_ps(cn + h * 16 + 8);
    const __m256i pv = _mm256_set1_epi32(static_cast<int>(p));
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      float* bv = b[r].val + h * 16;
      std::uint32_t* bp = b[r].pan + h * 16;
      const __m256 e0 = _mm256_sub_ps(c0, _mm256_add_ps(acc0[r], acc0[r]));
      const __m256 e1 = _mm256_sub_ps(c1, _mm256_add_ps(acc1[r], acc1[r]));
      const __m256 v0 = _mm256_loadu_ps(bv);
      const __m256 v1 = _mm256_loadu_ps(bv + 8);
      const __m256 m0 = _mm256_cmp_ps(e0, v0, _CMP_LT_OQ);
      const __m256 m1 = _mm256_cmp_ps(e1, v1, _CMP_LT_OQ);
      _mm256_storeu_ps(bv, _mm256_blendv_ps(v0, e0, m0));
      _mm256_storeu_ps(bv + 8, _mm256_blendv_ps(v1, e1, m1));
      const __m256i p0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp));
      const __m256i p1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 8));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(bp), _mm256_blendv_epi8(p0, pv, _mm256_castps_si256(m0)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(bp + 8),
                          _mm256_blendv_epi8(p1, pv, _mm256_castps_si256(m1)));
    }
  }
}
#endif

#if defined(QMATH_ARCH_AARCH64)
// R rows x 16 centroids (half panel h): 4R q-register accumulators.
template <int R>
QMATH_ALWAYS_INLINE void cb_tile_neon(const float* x, std::size_t ldx, std::size_t d, const float* pk,
                                      const float* cn, std::uint32_t p, cb_best* b) noexcept {
  for (int h = 0; h < 2; ++h) {
    float32x4_t acc[R][4];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
      for (int v = 0; v < 4; ++v) acc[r][v] = vdupq_n_f32(0.0f);
    const float* ph = pk + h * 16;
    for (std::size_t t = 0; t < d; ++t) {
      const float32x4_t b0 = vld1q_f32(ph + t * 32);
      const float32x4_t b1 = vld1q_f32(ph + t * 32 + 4);
      const float32x4_t b2 = vld1q_f32(ph + t * 32 + 8);
      const float32x4_t b3 = vld1q_f32(ph + t * 32 + 12);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const float32x4_t xv = vld1q_dup_f32(x + static_cast<std::size_t>(r) * ldx + t);
        acc[r][0] = vfmaq_f32(acc[r][0], xv, b0);
        acc[r][1] = vfmaq_f32(acc[r][1], xv, b1);
        acc[r][2] = vfmaq_f32(acc[r][2], xv, b2);
        acc[r][3] = vfmaq_f32(acc[r][3], xv, b3);
      }
    }
    const uint32x4_t pv = vdupq_n_u32(p);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      for (int v = 0; v < 4; ++v) {
        float* bv = b[r].val + h * 16 + v * 4;
        std::uint32_t* bp = b[r].pan + h * 16 + v * 4;
        const float32x4_t e = vsubq_f32(vld1q_f32(cn + h * 16 + v * 4), vaddq_f32(acc[r][v], acc[r][v]));
        const float32x4_t old = vld1q_f32(bv);
        const uint32x4_t m = vcltq_f32(e, old);
        vst1q_f32(bv, vbslq_f32(m, e, old));
        vst1q_u32(bp, vbslq_u32(m, pv, vld1q_u32(bp)));
      }
    }
  }
}
#endif

template <isa L>
void cb_nearest(const float* x, std::size_t ldx, std::size_t n, std::size_t d, const float* panels,
                const float* cnorm, std::size_t npanels, std::uint32_t* idx, float* best) noexcept {
  constexpr std::size_t RB = detail::codebook_row_block;
  cb_best state[RB];
  // Keep a block of panels (~256 KiB) hot while the rows of a block sweep it.
  const std::size_t panel_floats = d * 32;
  std::size_t pblock = (std::size_t{64} * 1024) / (panel_floats ? panel_floats : 1);
  if (pblock == 0) pblock = 1;
  for (std::size_t i0 = 0; i0 < n; i0 += RB) {
    const std::size_t nb = n - i0 < RB ? n - i0 : RB;
    for (std::size_t r = 0; r < nb; ++r) cb_best_init(state[r]);
    for (std::size_t p0 = 0; p0 < npanels; p0 += pblock) {
      const std::size_t p1 = p0 + pblock < npanels ? p0 + pblock : npanels;
      std::size_t r = 0;
      const float* xb = x + i0 * ldx;
#if defined(QMATH_ARCH_X86) && defined(__AVX512F__)
      if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
        for (; r + 12 <= nb; r += 12)
          for (std::size_t p = p0; p < p1; ++p)
            cb_tile_avx512<12>(xb + r * ldx, ldx, d, panels + p * panel_floats, cnorm + p * 32,
                               static_cast<std::uint32_t>(p), state + r);
        for (; r < nb; ++r)
          for (std::size_t p = p0; p < p1; ++p)
            cb_tile_avx512<1>(xb + r * ldx, ldx, d, panels + p * panel_floats, cnorm + p * 32,
                              static_cast<std::uint32_t>(p), state + r);
      }
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__) && defined(__FMA__)
      if constexpr (L == isa::avx2 || L == isa::avxvnni) {
        for (; r + 6 <= nb; r += 6)
          for (std::size_t p = p0; p < p1; ++p)
            cb_tile_avx2<6>(xb + r * ldx, ldx, d, panels + p * panel_floats, cnorm + p * 32,
                            static_cast<std::uint32_t>(p), state + r);
        for (; r < nb; ++r)
          for (std::size_t p = p0; p < p1; ++p)
            cb_tile_avx2<1>(xb + r * ldx, ldx, d, panels + p * panel_floats, cnorm + p * 32,
                            static_cast<std::uint32_t>(p), state + r);
      }
#endif
#if defined(QMATH_ARCH_AARCH64)
      if constexpr (L == isa::neon || L == isa::dotprod || L == isa::i8mm) {
        for (; r + 6 <= nb; r += 6)
          for (std::size_t p = p0; p < p1; ++p)
            cb_tile_neon<6>(xb + r * ldx, ldx, d, panels + p * panel_floats, cnorm + p * 32,
                            static_cast<std::uint32_t>(p), state + r);
        for (; r < nb; ++r)
          for (std::size_t p = p0; p < p1; ++p)
            cb_tile_neon<1>(xb + r * ldx, ldx, d, panels + p * panel_floats, cnorm + p * 32,
                            static_cast<std::uint32_t>(p), state + r);
      }
#endif
      for (; r < nb; ++r)
        for (std::size_t p = p0; p < p1; ++p)
          cb_panel_scalar(xb + r * ldx, d, panels + p * panel_floats, cnorm + p * 32,
                          static_cast<std::uint32_t>(p), state[r]);
    }
    for (std::size_t r = 0; r < nb; ++r) cb_best_finish(state[r], idx + i0 + r, best ? best + i0 + r : nullptr);
  }
}

QMATH_ALWAYS_INLINE float cb_reduce16(float* s) noexcept {
  for (int w = 8; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) s[l] += s[l + w];
  return s[0];
}

template <isa L>
void cb_l2sq_rows(const float* x, std::size_t ldx, std::size_t n, std::size_t d, const float* c,
                  float* out) noexcept {
  alignas(64) float s[16];
  for (std::size_t i = 0; i < n; ++i) {
    const float* xr = x + i * ldx;
    std::size_t t = 0;
#if defined(QMATH_ARCH_X86) && defined(__AVX512F__)
    if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
      __m512 acc = _mm512_setzero_ps();
      for (; t + 16 <= d; t += 16) {
        const __m512 u = _mm512_sub_ps(_mm512_loadu_ps(xr + t), _mm512_loadu_ps(c + t));
        acc = _mm512_fmadd_ps(u, u, acc);
      }
      if (t < d) {
        const __mmask16 m = static_cast<__mmask16>((1u << (d - t)) - 1u);
        const __m512 u = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, xr + t), _mm512_maskz_loadu_ps(m, c + t));
        acc = _mm512_fmadd_ps(u, u, acc);
      }
      _mm512_store_ps(s, acc);
      out[i] = cb_reduce16(s);
      continue;
    }
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__) && defined(__FMA__)
    if constexpr (L == isa::avx2 || L == isa::avxvnni) {
      __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
      for (; t + 16 <= d; t += 16) {
        const __m256 u0 = _mm256_sub_ps(_mm256_loadu_ps(xr + t), _mm256_loadu_ps(c + t));
        const __m256 u1 = _mm256_sub_ps(_mm256_loadu_ps(xr + t + 8), _mm256_loadu_ps(c + t + 8));
        a0 = _mm256_fmadd_ps(u0, u0, a0);
        a1 = _mm256_fmadd_ps(u1, u1, a1);
      }
      _mm256_store_ps(s, a0);
      _mm256_store_ps(s + 8, a1);
      for (int l = 0; t < d; ++t, ++l) {
        const float u = xr[t] - c[t];
        s[l] = std::fma(u, u, s[l]);
      }
      out[i] = cb_reduce16(s);
      continue;
    }
#endif
#if defined(QMATH_ARCH_AARCH64)
    if constexpr (L == isa::neon || L == isa::dotprod || L == isa::i8mm) {
      float32x4_t a[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
      for (; t + 16 <= d; t += 16) {
        for (int v = 0; v < 4; ++v) {
          const float32x4_t u = vsubq_f32(vld1q_f32(xr + t + 4 * v), vld1q_f32(c + t + 4 * v));
          a[v] = vfmaq_f32(a[v], u, u);
        }
      }
      for (int v = 0; v < 4; ++v) vst1q_f32(s + 4 * v, a[v]);
      for (int l = 0; t < d; ++t, ++l) {
        const float u = xr[t] - c[t];
        s[l] = std::fma(u, u, s[l]);
      }
      out[i] = cb_reduce16(s);
      continue;
    }
#endif
    for (int l = 0; l < 16; ++l) s[l] = 0.0f;
    for (; t < d; ++t) {
      const float u = xr[t] - c[t];
      s[t & 15] = std::fma(u, u, s[t & 15]);
    }
    out[i] = cb_reduce16(s);
  }
}

template <isa L>
inline constexpr detail::codebook_kernels codebook_table{&cb_nearest<L>, &cb_l2sq_rows<L>};

QMATH_KERNEL_FAMILY(codebook)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END

namespace qmath::detail {

inline const codebook_kernels* codebook_select() noexcept {
  const codebook_kernels* k = select_kernels<codebook_kernels>();
  QMATH_ASSERT(k != nullptr);
  return k;
}

}  // namespace qmath::detail
