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
#include "qmath/simd/ops.hpp"
#include "qmath/simd/neon/calibrate.hpp"
#include "qmath/simd/x86/calibrate.hpp"

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

namespace simd {
/// acc + (m ? 1 : 0) per int32 lane, for a float comparison m.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> count_true(const batch<std::int32_t, A>& acc,
                                                      const batch_bool<float, A>& m) noexcept {
  return impl::count_true(acc, m, A{});
}
}  // namespace simd

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

// min/max and the non-finite count, vector part: elements [i, n) in vectors
// of lanes<float, A> (2 per step), non-finite lanes replaced by +-inf before
// min/max; returns the index of the first element not covered.
template <class A>
QMATH_ALWAYS_INLINE std::size_t minmax_counting(const float* x, std::size_t n, float& lo, float& hi,
                                                std::size_t& bad) noexcept {
  using fv = simd::batch<float, A>;
  using iv = simd::batch<std::int32_t, A>;
  constexpr std::size_t W = fv::size;
  const fv pinf(__builtin_inff()), ninf(-__builtin_inff());
  fv mn0 = pinf, mn1 = pinf, mx0 = ninf, mx1 = ninf;
  std::size_t i = 0;
  while (i + 2 * W <= n) {
    // int32 lane counters: flush before any lane could reach 2^31.
    const std::size_t chunk = std::size_t{1} << 30;
    const std::size_t stop = i + ((n - i) / (2 * W) * (2 * W) < chunk ? (n - i) / (2 * W) * (2 * W) : chunk);
    iv badv(0);
    for (; i < stop; i += 2 * W) {
      const fv a = simd::load<A>(x + i), b = simd::load<A>(x + i + W);
      const auto na = simd::is_nonfinite(a), nb = simd::is_nonfinite(b);
      mn0 = simd::min_ordered(mn0, simd::select(na, pinf, a));
      mx0 = simd::max_ordered(mx0, simd::select(na, ninf, a));
      mn1 = simd::min_ordered(mn1, simd::select(nb, pinf, b));
      mx1 = simd::max_ordered(mx1, simd::select(nb, ninf, b));
      badv = simd::count_true(simd::count_true(badv, na), nb);
    }
    bad += static_cast<std::uint32_t>(simd::reduce_add(badv));
  }
  alignas(64) float t[2 * W];
  simd::min_ordered(mn0, mn1).store_aligned(t);
  simd::max_ordered(mx0, mx1).store_aligned(t + W);
  for (std::size_t j = 0; j < W; ++j) {
    lo = t[j] < lo ? t[j] : lo;
    hi = t[W + j] > hi ? t[W + j] : hi;
  }
  return i;
}

// Fast path (16-lane levels): plain min/max with 4 chains each, and a
// detector: 4 running sums d_k += x, which end non-finite if any element is
// NaN or +-Inf (NaN and Inf stick; Inf - Inf is NaN) or if a sum overflows
// (values near FLT_MAX: then the counting path reruns, correct but slower).
// One add per vector, as many vector operations as min/max need (the loop is
// bound by them in cache, not by loads). Exact (min and max do not round;
// their NaN lanes are discarded with the detector). Returns false when the
// detector fires.
template <class A>
QMATH_ALWAYS_INLINE bool minmax_all_finite(const float* x, std::size_t n, float& lo, float& hi) noexcept {
  using fv = simd::batch<float, A>;
  constexpr std::size_t W = fv::size;
  const fv pinf(__builtin_inff()), ninf(-__builtin_inff()), z(0.0f);
  fv n0 = pinf, n1 = pinf, n2 = pinf, n3 = pinf, m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
  fv d0 = z, d1 = z, d2 = z, d3 = z;
  std::size_t i = 0;
  // Peel to a 64-byte boundary: split-line 512-bit loads halve the rate.
  const std::size_t mis = reinterpret_cast<std::uintptr_t>(x) & 63u;
  if (mis % 4 == 0 && mis != 0) {
    i = (64 - mis) / 4;
    i = i < n ? i : n;
    if (minmax_scalar(x, i, &lo, &hi) != 0) return false;
  }
  for (; i + 4 * W <= n; i += 4 * W) {
    const fv a = simd::load<A>(x + i), b = simd::load<A>(x + i + W);
    const fv c = simd::load<A>(x + i + 2 * W), e = simd::load<A>(x + i + 3 * W);
    n0 = simd::min_ordered(n0, a);
    n1 = simd::min_ordered(n1, b);
    n2 = simd::min_ordered(n2, c);
    n3 = simd::min_ordered(n3, e);
    m0 = simd::max_ordered(m0, a);
    m1 = simd::max_ordered(m1, b);
    m2 = simd::max_ordered(m2, c);
    m3 = simd::max_ordered(m3, e);
    d0 = d0 + a;
    d1 = d1 + b;
    d2 = d2 + c;
    d3 = d3 + e;
  }
  for (; i + W <= n; i += W) {
    const fv a = simd::load<A>(x + i);
    n0 = simd::min_ordered(n0, a);
    m0 = simd::max_ordered(m0, a);
    d0 = d0 + a;
  }
  float tl, th;
  if (minmax_scalar(x + i, n - i, &tl, &th) != 0) return false;
  if (simd::any(simd::is_nonfinite(d0) | simd::is_nonfinite(d1) | simd::is_nonfinite(d2) | simd::is_nonfinite(d3)))
    return false;
  alignas(64) float t[2 * W];
  simd::min_ordered(simd::min_ordered(n0, n1), simd::min_ordered(n2, n3)).store_aligned(t);
  simd::max_ordered(simd::max_ordered(m0, m1), simd::max_ordered(m2, m3)).store_aligned(t + W);
  lo = tl < lo ? tl : lo;
  hi = th > hi ? th : hi;
  for (std::size_t j = 0; j < W; ++j) {
    lo = t[j] < lo ? t[j] : lo;
    hi = t[W + j] > hi ? t[W + j] : hi;
  }
  return true;
}

}  // namespace calib

template <class A>
std::size_t calib_minmax_finite(const float* x, std::size_t n, float* lo, float* hi) noexcept {
  if constexpr (simd::is_scalar_arch<A>) {
    return calib::minmax_scalar(x, n, lo, hi);
  } else {
    if constexpr (simd::lanes<float, A> >= 16) {
      float l = __builtin_inff(), h = -__builtin_inff();
      if (calib::minmax_all_finite<A>(x, n, l, h)) {
        *lo = l + 0.0f;
        *hi = h + 0.0f;
        return 0;
      }
    }
    float l = __builtin_inff(), h = -__builtin_inff();
    std::size_t bad = 0;
    const std::size_t i = calib::minmax_counting<A>(x, n, l, h, bad);
    float tl, th;
    bad += calib::minmax_scalar(x + i, n - i, &tl, &th);
    l = tl < l ? tl : l;
    h = th > h ? th : h;
    *lo = l + 0.0f;
    *hi = h + 0.0f;
    return bad;
  }
}

template <class A>
void calib_histogram(const float* x, std::size_t n, const detail::histogram_pass* pp,
                     std::uint32_t* counts4) noexcept {
  const detail::histogram_pass p = *pp;
  const std::uint32_t nb = p.nbins;
  std::uint32_t* c0 = counts4;
  std::uint32_t* c1 = counts4 + nb;
  std::uint32_t* c2 = counts4 + 2 * static_cast<std::size_t>(nb);
  std::uint32_t* c3 = counts4 + 3 * static_cast<std::size_t>(nb);
  std::size_t i = 0;
  if constexpr (simd::is_scalar_arch<A>) {
    for (; i + 4 <= n; i += 4) {
      ++c0[calib::bin_scalar(x[i], p)];
      ++c1[calib::bin_scalar(x[i + 1], p)];
      ++c2[calib::bin_scalar(x[i + 2], p)];
      ++c3[calib::bin_scalar(x[i + 3], p)];
    }
  } else {
    using fv = simd::batch<float, A>;
    using iv = simd::batch<std::int32_t, A>;
    constexpr std::size_t W = fv::size;
    const fv vlo(p.lo), vinv(p.inv_width), voff(p.offset), vtop(static_cast<float>(nb - 1));
    const fv zero(0.0f), vneg_half(-0.5f);
    const iv absm(p.absolute ? 0x7fffffff : -1);
    // 16-lane levels bin 512 elements first, then count: the index loads then
    // never wait on a just-issued vector store (~20% faster than 32).
    constexpr std::size_t B = W >= 16 ? 512 : 16;
    alignas(64) std::int32_t idx[B];
    std::size_t pf = 0;
    if constexpr (W >= 16) {
      while (i < n && (reinterpret_cast<std::uintptr_t>(x + i) & 63u) != 0) ++c0[calib::bin_scalar(x[i++], p)];
    }
    for (std::size_t blk = 0; i + 16 <= n; i += blk) {
      blk = (n - i) & ~std::size_t{15};
      blk = blk < B ? blk : B;
      // Prefetch as many cache lines of the next chunk as this block reads.
      for (std::size_t h = 0; h < blk && pf < p.next_n; h += 16, pf += 16) __builtin_prefetch(p.next + pf, 0, 3);
      for (std::size_t h = 0; h < blk; h += W) {
        const fv a = simd::bitcast<float>(simd::bitcast<std::int32_t>(simd::load<A>(x + i + h)) & absm);
        const fv d = a - vlo;
        fv u = d * vinv;
        u = simd::select((d < zero) & (u == zero), vneg_half, u);
        u = simd::round_floor(u) - voff;
        u = simd::min_ordered(simd::max_ordered(u, zero), vtop);
        simd::trunc_to_i32(u).store_aligned(idx + h);
      }
      for (std::size_t j = 0; j < blk; j += 4) {
        ++c0[idx[j]];
        ++c1[idx[j + 1]];
        ++c2[idx[j + 2]];
        ++c3[idx[j + 3]];
      }
    }
  }
  for (; i < n; ++i) ++counts4[(i & 3) * nb + calib::bin_scalar(x[i], p)];
}

// Every chain start lists its own code (sse2, sse41 and neon vectorise too).
template <isa L>
using calibrate_arch =
    simd::fallback_arch<L, isa::scalar, isa::sse2, isa::sse41, isa::avx2, isa::avx512, isa::neon>;
template <isa L>
inline constexpr detail::calibrate_kernels calibrate_table{L, &calib_minmax_finite<calibrate_arch<L>>,
                                                           &calib_histogram<calibrate_arch<L>>};

QMATH_KERNEL_FAMILY(calibrate)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
