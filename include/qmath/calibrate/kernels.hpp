#pragma once
// Dispatched kernels of the calibration module (private; use calibrate/*.hpp).
//
//  minmax_finite(x, n, &lo, &hi) -> number of non-finite elements
//      lo/hi = min/max over the finite elements (+inf/-inf when there are
//      none); -0.0 is returned as +0.0 so that every level gives the same bits.
//  histogram(x, n, p, counts4)
//      for every element (which must be finite):
//        d   = (absolute ? |x| : x) - p.lo
//        u   = d * p.inv_width                                  (float, this order)
//        u   = -0.5 if u == 0 and d < 0   (a negative d whose product underflows
//                                          to -0 still lies below 0: bin floor = -1)
//        idx = clamp(floor(u) - p.offset, 0, nbins - 1)
//      counts4[(i % 4) * nbins + idx] += 1 (four interleaved sub-histograms;
//      the caller sums them). p.next/p.next_n only steer prefetching. Every
//      level computes the same idx bit for bit:
//      the float operations are a subtraction, a multiplication and floor, and
//      floor(u) - offset is exact whenever the result can land in [0, nbins).

#include <cstddef>
#include <cstdint>

#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/arch/x86.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>
#endif

namespace qmath::detail {

/// Bin mapping of a histogram pass (see file comment).
struct histogram_pass {
  float lo;          ///< subtracted first
  float inv_width;   ///< then multiplied
  float offset;      ///< integer-valued, subtracted from floor(u)
  std::uint32_t nbins;
  bool absolute;     ///< bin |x| instead of x
  /// Optional hint, no effect on the counts: the data the caller reads next
  /// (the following chunk, next_n elements). The AVX2 and AVX-512 levels
  /// prefetch one cache line of it per 16 elements counted, so that the next
  /// min/max pass finds it in cache instead of waiting on DRAM. May be null.
  const float* next = nullptr;
  std::size_t next_n = 0;
};

struct calibrate_kernels {
  isa level;
  std::size_t (*minmax_finite)(const float* x, std::size_t n, float* lo, float* hi) noexcept;
  void (*histogram)(const float* x, std::size_t n, const histogram_pass* p, std::uint32_t* counts4) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

namespace calib {

QMATH_ALWAYS_INLINE bool is_finite_bits(float v) noexcept {
  std::uint32_t u;
  __builtin_memcpy(&u, &v, 4);
  return (u & 0x7f800000u) != 0x7f800000u;
}

QMATH_ALWAYS_INLINE std::size_t minmax_scalar(const float* x, std::size_t n, float* lo, float* hi) noexcept {
  float mn = __builtin_inff(), mx = -__builtin_inff();
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!is_finite_bits(v)) {
      ++bad;
      continue;
    }
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  }
  *lo = mn + 0.0f;
  *hi = mx + 0.0f;
  return bad;
}

// floor(u) - offset clamped to [0, nbins-1], in integers (the reference).
QMATH_ALWAYS_INLINE std::uint32_t bin_scalar(float v, const detail::histogram_pass& p) noexcept {
  float a = v;
  if (p.absolute) a = a < 0.0f ? -a : a;
  const float d = a - p.lo;
  float u = d * p.inv_width;
  if (u == 0.0f && d < 0.0f) u = -0.5f;
  const float lim = 4.6116860e18f;  // 2^62
  u = u < -lim ? -lim : (u > lim ? lim : u);
  std::int64_t f = static_cast<std::int64_t>(u);
  if (static_cast<float>(f) > u) --f;
  std::int64_t idx = f - static_cast<std::int64_t>(p.offset);
  const std::int64_t top = static_cast<std::int64_t>(p.nbins) - 1;
  idx = idx < 0 ? 0 : (idx > top ? top : idx);
  return static_cast<std::uint32_t>(idx);
}

}  // namespace calib

template <isa L>
std::size_t calib_minmax_finite(const float* x, std::size_t n, float* lo, float* hi) noexcept {
#if defined(QMATH_ARCH_X86) && defined(__AVX512F__)
  if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
    // Fast path: plain min/max with 4 chains each, and a detector d += x * 0
    // that turns NaN if any element is NaN or +-Inf. Exact (min/max do not
    // round); if the detector fires, the masked counting path below reruns.
    {
      __m512 n0 = _mm512_set1_ps(__builtin_inff()), n1 = n0, n2 = n0, n3 = n0;
      __m512 m0 = _mm512_set1_ps(-__builtin_inff()), m1 = m0, m2 = m0, m3 = m0;
      __m512 d0 = _mm512_setzero_ps(), d1 = d0;
      const __m512 z = _mm512_setzero_ps();
      std::size_t i = 0;
      // Peel to a 64-byte boundary: split-line 512-bit loads halve the rate.
      const std::size_t mis = reinterpret_cast<std::uintptr_t>(x) & 63u;
      if (mis % 4 == 0 && mis != 0) {
        std::size_t h = (64 - mis) / 4;
        h = h < n ? h : n;
        const __mmask16 m = static_cast<__mmask16>((1u << h) - 1u);
        const __m512 a = _mm512_maskz_loadu_ps(m, x);
        n0 = _mm512_mask_min_ps(n0, m, n0, a);
        m0 = _mm512_mask_max_ps(m0, m, m0, a);
        d0 = _mm512_fmadd_ps(a, z, d0);
        i = h;
      }
      for (; i + 64 <= n; i += 64) {
        const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        const __m512 c = _mm512_loadu_ps(x + i + 32), e = _mm512_loadu_ps(x + i + 48);
        n0 = _mm512_min_ps(n0, a);
        n1 = _mm512_min_ps(n1, b);
        n2 = _mm512_min_ps(n2, c);
        n3 = _mm512_min_ps(n3, e);
        m0 = _mm512_max_ps(m0, a);
        m1 = _mm512_max_ps(m1, b);
        m2 = _mm512_max_ps(m2, c);
        m3 = _mm512_max_ps(m3, e);
        d0 = _mm512_fmadd_ps(_mm512_add_ps(a, b), z, d0);
        d1 = _mm512_fmadd_ps(_mm512_add_ps(c, e), z, d1);
      }
      for (; i < n; i += 16) {
        const std::size_t r = n - i < 16 ? n - i : 16;
        const __mmask16 m = static_cast<__mmask16>(r == 16 ? 0xFFFFu : ((1u << r) - 1u));
        const __m512 a = _mm512_maskz_loadu_ps(m, x + i);
        n0 = _mm512_mask_min_ps(n0, m, n0, a);
        m0 = _mm512_mask_max_ps(m0, m, m0, a);
        d0 = _mm512_fmadd_ps(a, z, d0);
      }
      const __m512 d = _mm512_add_ps(d0, d1);
      if (_mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q) == 0) {
        *lo = _mm512_reduce_min_ps(_mm512_min_ps(_mm512_min_ps(n0, n1), _mm512_min_ps(n2, n3))) + 0.0f;
        *hi = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3))) + 0.0f;
        return 0;
      }
    }
    const __m512 pinf = _mm512_set1_ps(__builtin_inff());
    __m512 mn0 = pinf, mn1 = pinf, mx0 = _mm512_set1_ps(-__builtin_inff()), mx1 = mx0;
    const __m512i expm = _mm512_set1_epi32(0x7f800000);
    std::size_t bad = 0;
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
      const __mmask16 fa = _mm512_cmpneq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(a), expm), expm);
      const __mmask16 fb = _mm512_cmpneq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(b), expm), expm);
      mn0 = _mm512_mask_min_ps(mn0, fa, mn0, a);
      mx0 = _mm512_mask_max_ps(mx0, fa, mx0, a);
      mn1 = _mm512_mask_min_ps(mn1, fb, mn1, b);
      mx1 = _mm512_mask_max_ps(mx1, fb, mx1, b);
      bad += static_cast<std::size_t>(32 - __builtin_popcount(static_cast<unsigned>(fa) | (static_cast<unsigned>(fb) << 16)));
    }
    for (; i < n; i += 16) {
      const std::size_t r = n - i < 16 ? n - i : 16;
      const __mmask16 m = static_cast<__mmask16>(r == 16 ? 0xFFFFu : ((1u << r) - 1u));
      const __m512 a = _mm512_maskz_loadu_ps(m, x + i);
      const __mmask16 fa =
          _mm512_mask_cmpneq_epi32_mask(m, _mm512_and_si512(_mm512_castps_si512(a), expm), expm);
      mn0 = _mm512_mask_min_ps(mn0, fa, mn0, a);
      mx0 = _mm512_mask_max_ps(mx0, fa, mx0, a);
      bad += r - static_cast<std::size_t>(__builtin_popcount(static_cast<unsigned>(fa)));
    }
    *lo = _mm512_reduce_min_ps(_mm512_min_ps(mn0, mn1)) + 0.0f;
    *hi = _mm512_reduce_max_ps(_mm512_max_ps(mx0, mx1)) + 0.0f;
    return bad;
  } else
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  if constexpr (L == isa::avx2 || L == isa::avxvnni || L == isa::avx512 || L == isa::avx512vnni) {
    const __m256 pinf = _mm256_set1_ps(__builtin_inff()), ninf = _mm256_set1_ps(-__builtin_inff());
    __m256 mn0 = pinf, mn1 = pinf, mx0 = ninf, mx1 = ninf;
    const __m256i expm = _mm256_set1_epi32(0x7f800000);
    __m256i badv = _mm256_setzero_si256();
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
      const __m256i na = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(a), expm), expm);
      const __m256i nb = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(b), expm), expm);
      const __m256 ca = _mm256_castsi256_ps(na), cb = _mm256_castsi256_ps(nb);
      mn0 = _mm256_min_ps(mn0, _mm256_blendv_ps(a, pinf, ca));
      mx0 = _mm256_max_ps(mx0, _mm256_blendv_ps(a, ninf, ca));
      mn1 = _mm256_min_ps(mn1, _mm256_blendv_ps(b, pinf, cb));
      mx1 = _mm256_max_ps(mx1, _mm256_blendv_ps(b, ninf, cb));
      badv = _mm256_sub_epi32(badv, _mm256_add_epi32(na, nb));
    }
    float l0, h0;
    std::size_t bad = calib::minmax_scalar(x + i, n - i, &l0, &h0);
    bad += static_cast<std::size_t>(static_cast<unsigned>(x86::hsum_epi32(badv)));
    alignas(32) float t[16];
    _mm256_store_ps(t, _mm256_min_ps(mn0, mn1));
    _mm256_store_ps(t + 8, _mm256_max_ps(mx0, mx1));
    for (int j = 0; j < 8; ++j) {
      l0 = t[j] < l0 ? t[j] : l0;
      h0 = t[8 + j] > h0 ? t[8 + j] : h0;
    }
    *lo = l0 + 0.0f;
    *hi = h0 + 0.0f;
    return bad;
  } else
#endif
  {
    return calib::minmax_scalar(x, n, lo, hi);
  }
}

template <isa L>
void calib_histogram(const float* x, std::size_t n, const detail::histogram_pass* pp,
                     std::uint32_t* counts4) noexcept {
  const detail::histogram_pass p = *pp;
  const std::uint32_t nb = p.nbins;
  std::uint32_t* c0 = counts4;
  std::uint32_t* c1 = counts4 + nb;
  std::uint32_t* c2 = counts4 + 2 * static_cast<std::size_t>(nb);
  std::uint32_t* c3 = counts4 + 3 * static_cast<std::size_t>(nb);
  std::size_t i = 0;
#if defined(QMATH_ARCH_X86) && defined(__AVX512F__)
  if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
    const __m512 vlo = _mm512_set1_ps(p.lo), vinv = _mm512_set1_ps(p.inv_width);
    const __m512 voff = _mm512_set1_ps(p.offset), vtop = _mm512_set1_ps(static_cast<float>(nb - 1));
    const __m512 zero = _mm512_setzero_ps(), vneg_half = _mm512_set1_ps(-0.5f);
    const __m512i absm = _mm512_set1_epi32(p.absolute ? 0x7fffffff : -1);
    // Bins of 512 elements are computed first, then counted: the index loads
    // then never wait on a just-issued vector store (~20% faster than 32).
    alignas(64) std::int32_t idx[512];
    std::size_t pf = 0;
    while (i < n && (reinterpret_cast<std::uintptr_t>(x + i) & 63u) != 0) ++c0[calib::bin_scalar(x[i++], p)];
    for (std::size_t blk = 0; i + 16 <= n; i += blk) {
      blk = (n - i) & ~std::size_t{15};
      blk = blk < 512 ? blk : 512;
      // Prefetch as many cache lines of the next chunk as this block reads.
      for (std::size_t h = 0; h < blk && pf < p.next_n; h += 16, pf += 16)
        _mm_prefetch(reinterpret_cast<const char*>(p.next + pf), _MM_HINT_T0);
      for (std::size_t h = 0; h < blk; h += 16) {
        __m512 a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(x + i + h)), absm));
        const __m512 d = _mm512_sub_ps(a, vlo);
        __m512 u = _mm512_mul_ps(d, vinv);
        u = _mm512_mask_mov_ps(u, _mm512_cmp_ps_mask(d, zero, _CMP_LT_OQ) & _mm512_cmp_ps_mask(u, zero, _CMP_EQ_OQ),
                               vneg_half);
        u = _mm512_sub_ps(_mm512_roundscale_ps(u, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC), voff);
        u = _mm512_min_ps(_mm512_max_ps(u, zero), vtop);
        _mm512_store_si512(reinterpret_cast<__m512i*>(idx + h), _mm512_cvttps_epi32(u));
      }
      for (std::size_t j = 0; j < blk; j += 4) {
        ++c0[idx[j]];
        ++c1[idx[j + 1]];
        ++c2[idx[j + 2]];
        ++c3[idx[j + 3]];
      }
    }
  } else
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  if constexpr (L == isa::avx2 || L == isa::avxvnni || L == isa::avx512 || L == isa::avx512vnni) {
    const __m256 vlo = _mm256_set1_ps(p.lo), vinv = _mm256_set1_ps(p.inv_width);
    const __m256 voff = _mm256_set1_ps(p.offset), vtop = _mm256_set1_ps(static_cast<float>(nb - 1));
    const __m256 zero = _mm256_setzero_ps(), vneg_half = _mm256_set1_ps(-0.5f);
    const __m256 absm = _mm256_castsi256_ps(_mm256_set1_epi32(p.absolute ? 0x7fffffff : -1));
    alignas(32) std::int32_t idx[16];
    std::size_t pf = 0;
    for (; i + 16 <= n; i += 16, pf += 16) {
      if (pf < p.next_n) _mm_prefetch(reinterpret_cast<const char*>(p.next + pf), _MM_HINT_T0);
      for (int h = 0; h < 2; ++h) {
        __m256 a = _mm256_and_ps(_mm256_loadu_ps(x + i + 8 * h), absm);
        const __m256 d = _mm256_sub_ps(a, vlo);
        __m256 u = _mm256_mul_ps(d, vinv);
        u = _mm256_blendv_ps(u, vneg_half,
                             _mm256_and_ps(_mm256_cmp_ps(d, zero, _CMP_LT_OQ), _mm256_cmp_ps(u, zero, _CMP_EQ_OQ)));
        u = _mm256_sub_ps(_mm256_floor_ps(u), voff);
        u = _mm256_min_ps(_mm256_max_ps(u, zero), vtop);
        _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 8 * h), _mm256_cvttps_epi32(u));
      }
      for (int j = 0; j < 16; j += 4) {
        ++c0[idx[j]];
        ++c1[idx[j + 1]];
        ++c2[idx[j + 2]];
        ++c3[idx[j + 3]];
      }
    }
  } else
#endif
  {
    for (; i + 4 <= n; i += 4) {
      ++c0[calib::bin_scalar(x[i], p)];
      ++c1[calib::bin_scalar(x[i + 1], p)];
      ++c2[calib::bin_scalar(x[i + 2], p)];
      ++c3[calib::bin_scalar(x[i + 3], p)];
    }
  }
  for (; i < n; ++i) ++counts4[(i & 3) * nb + calib::bin_scalar(x[i], p)];
}

template <isa L>
inline constexpr detail::calibrate_kernels calibrate_table{L, &calib_minmax_finite<L>, &calib_histogram<L>};

QMATH_KERNEL_FAMILY(calibrate)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
