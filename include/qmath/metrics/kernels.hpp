#pragma once
// Dispatched kernel of the metrics module (private; use metrics/error.hpp).
//
//  error_sums(a, b, n, out): with d_i = a_i - b_i rounded to float,
//    out->sum[0] = sum d_i^2, sum[1] = sum a_i^2, sum[2] = sum b_i^2,
//    sum[3] = sum a_i b_i (double), out->max_abs = max |d_i| (float).
//
// Determinism: every product of two floats is exact in double (24+24 < 53
// significant bits), so a fused multiply-add gives the same bits as a multiply
// followed by an add, and the result depends only on the summation order,
// which is fixed: 16 lanes, element i added (in order) to lane i % 16, then
// lanes folded pairwise: lane[j] += lane[j + w] for w = 8, 4, 2, 1. Every level
// (scalar, AVX2, AVX-512, NEON) produces identical bits.

#include <cstddef>
#include <cstdint>

#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/arch/x86.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>
#endif

namespace qmath::detail {

struct error_sums_raw {
  double sum[4];
  float max_abs;
};

struct metrics_kernels {
  isa level;
  void (*error_sums)(const float* a, const float* b, std::size_t n, error_sums_raw* out) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

namespace metr {

QMATH_ALWAYS_INLINE void fold16(double* l) noexcept {
  for (int w = 8; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) l[j] += l[j + w];
}

}  // namespace metr

template <isa L>
void metrics_error_sums(const float* a, const float* b, std::size_t n, detail::error_sums_raw* out) noexcept {
  alignas(64) double lanes[4][16];
  float mx = 0.0f;
#if defined(QMATH_ARCH_X86) && defined(__AVX512F__)
  if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
    // Named accumulators (an array of vectors gets spilled every iteration).
    __m512d e0 = _mm512_setzero_pd(), e1 = e0, r0 = e0, r1 = e0, t0 = e0, t1 = e0, c0 = e0, c1 = e0;
    __m512 vmx = _mm512_setzero_ps();
    const __m512 absm = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    auto step = [&](__m512 va, __m512 vb) __attribute__((always_inline)) {
      const __m512 vd = _mm512_sub_ps(va, vb);
      vmx = _mm512_max_ps(vmx, _mm512_and_ps(vd, absm));
      const __m512d dl = _mm512_cvtps_pd(_mm512_castps512_ps256(vd)), dh = _mm512_cvtps_pd(x86::hi256(vd));
      const __m512d al = _mm512_cvtps_pd(_mm512_castps512_ps256(va)), ah = _mm512_cvtps_pd(x86::hi256(va));
      const __m512d bl = _mm512_cvtps_pd(_mm512_castps512_ps256(vb)), bh = _mm512_cvtps_pd(x86::hi256(vb));
      e0 = _mm512_fmadd_pd(dl, dl, e0);
      e1 = _mm512_fmadd_pd(dh, dh, e1);
      r0 = _mm512_fmadd_pd(al, al, r0);
      r1 = _mm512_fmadd_pd(ah, ah, r1);
      t0 = _mm512_fmadd_pd(bl, bl, t0);
      t1 = _mm512_fmadd_pd(bh, bh, t1);
      c0 = _mm512_fmadd_pd(al, bl, c0);
      c1 = _mm512_fmadd_pd(ah, bh, c1);
    };
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) step(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    if (i < n) {
      const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
      step(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
    }
    _mm512_store_pd(lanes[0], e0);
    _mm512_store_pd(lanes[0] + 8, e1);
    _mm512_store_pd(lanes[1], r0);
    _mm512_store_pd(lanes[1] + 8, r1);
    _mm512_store_pd(lanes[2], t0);
    _mm512_store_pd(lanes[2] + 8, t1);
    _mm512_store_pd(lanes[3], c0);
    _mm512_store_pd(lanes[3] + 8, c1);
    mx = _mm512_reduce_max_ps(vmx);
  } else
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  if constexpr (L == isa::avx2 || L == isa::avxvnni || L == isa::avx512 || L == isa::avx512vnni) {
    __m256d e[4], r[4], t[4], c[4];
    for (int k = 0; k < 4; ++k) e[k] = r[k] = t[k] = c[k] = _mm256_setzero_pd();
    __m256 vmx = _mm256_setzero_ps();
    const __m256 absm = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      for (int h = 0; h < 2; ++h) {
        const __m256 va = _mm256_loadu_ps(a + i + 8 * h), vb = _mm256_loadu_ps(b + i + 8 * h);
        const __m256 vd = _mm256_sub_ps(va, vb);
        vmx = _mm256_max_ps(vmx, _mm256_and_ps(vd, absm));
        const __m256d dl = _mm256_cvtps_pd(_mm256_castps256_ps128(vd)), dh = _mm256_cvtps_pd(_mm256_extractf128_ps(vd, 1));
        const __m256d al = _mm256_cvtps_pd(_mm256_castps256_ps128(va)), ah = _mm256_cvtps_pd(_mm256_extractf128_ps(va, 1));
        const __m256d bl = _mm256_cvtps_pd(_mm256_castps256_ps128(vb)), bh = _mm256_cvtps_pd(_mm256_extractf128_ps(vb, 1));
        e[2 * h] = _mm256_fmadd_pd(dl, dl, e[2 * h]);
        e[2 * h + 1] = _mm256_fmadd_pd(dh, dh, e[2 * h + 1]);
        r[2 * h] = _mm256_fmadd_pd(al, al, r[2 * h]);
        r[2 * h + 1] = _mm256_fmadd_pd(ah, ah, r[2 * h + 1]);
        t[2 * h] = _mm256_fmadd_pd(bl, bl, t[2 * h]);
        t[2 * h + 1] = _mm256_fmadd_pd(bh, bh, t[2 * h + 1]);
        c[2 * h] = _mm256_fmadd_pd(al, bl, c[2 * h]);
        c[2 * h + 1] = _mm256_fmadd_pd(ah, bh, c[2 * h + 1]);
      }
    }
    for (int k = 0; k < 4; ++k) {
      _mm256_store_pd(lanes[0] + 4 * k, e[k]);
      _mm256_store_pd(lanes[1] + 4 * k, r[k]);
      _mm256_store_pd(lanes[2] + 4 * k, t[k]);
      _mm256_store_pd(lanes[3] + 4 * k, c[k]);
    }
    alignas(32) float mxv[8];
    _mm256_store_ps(mxv, vmx);
    for (int j = 0; j < 8; ++j) mx = mxv[j] > mx ? mxv[j] : mx;
    for (std::size_t j = 0; i < n; ++i, ++j) {
      const float va = a[i], vb = b[i], vd = va - vb;
      const float ad = vd < 0.0f ? -vd : vd;
      mx = ad > mx ? ad : mx;
      lanes[0][j] += static_cast<double>(vd) * vd;
      lanes[1][j] += static_cast<double>(va) * va;
      lanes[2][j] += static_cast<double>(vb) * vb;
      lanes[3][j] += static_cast<double>(va) * vb;
    }
  } else
#endif
  {
    for (auto& q : lanes)
      for (double& v : q) v = 0.0;
    for (std::size_t i = 0; i < n; i += 16) {
      const std::size_t r = n - i < 16 ? n - i : 16;
      for (std::size_t j = 0; j < r; ++j) {
        const float va = a[i + j], vb = b[i + j], vd = va - vb;
        const float ad = vd < 0.0f ? -vd : vd;
        mx = ad > mx ? ad : mx;
        lanes[0][j] += static_cast<double>(vd) * vd;
        lanes[1][j] += static_cast<double>(va) * va;
        lanes[2][j] += static_cast<double>(vb) * vb;
        lanes[3][j] += static_cast<double>(va) * vb;
      }
    }
  }
  for (int q = 0; q < 4; ++q) {
    metr::fold16(lanes[q]);
    out->sum[q] = lanes[q][0];
  }
  out->max_abs = mx;
}

template <isa L>
inline constexpr detail::metrics_kernels metrics_table{L, &metrics_error_sums<L>};

QMATH_KERNEL_FAMILY(metrics)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
