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
// (scalar, SSE2, SSE4.1, AVX2, AVX-512, NEON) produces identical bits.

#include <cstddef>
#include <cstdint>

#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/ops.hpp"
#include "qmath/simd/neon/metrics.hpp"
#include "qmath/simd/x86/metrics.hpp"

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

namespace simd {
/// The low / high half of a float vector widened to double (exact).
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_lo_f64(const batch<float, A>& v) noexcept {
  return impl::widen_lo_f64(v, A{});
}
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> widen_hi_f64(const batch<float, A>& v) noexcept {
  return impl::widen_hi_f64(v, A{});
}
/// acc + a * b where a * b is exact in double (products of floats): fused or
/// not, the same bits; fused where the level has FMA.
template <class A>
QMATH_ALWAYS_INLINE batch<double, A> add_product(const batch<double, A>& acc, const batch<double, A>& a,
                                                 const batch<double, A>& b) noexcept {
  return impl::add_product(acc, a, b, A{});
}
}  // namespace simd

namespace metr {

QMATH_ALWAYS_INLINE void fold16(double* l) noexcept {
  for (int w = 8; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) l[j] += l[j + w];
}

// Elements [i, n) of the current (last, partial) block of 16, lane j = i % 16.
QMATH_ALWAYS_INLINE void tail(const float* a, const float* b, std::size_t i, std::size_t n, double (*part)[16],
                              float& mx) noexcept {
  for (std::size_t j = 0; i < n; ++i, ++j) {
    const float va = a[i], vb = b[i], vd = va - vb;
    const float ad = vd < 0.0f ? -vd : vd;
    mx = ad > mx ? ad : mx;
    part[0][j] += static_cast<double>(vd) * vd;
    part[1][j] += static_cast<double>(va) * va;
    part[2][j] += static_cast<double>(vb) * vb;
    part[3][j] += static_cast<double>(va) * vb;
  }
}

}  // namespace metr

// The 16 partial sums of each quantity are K = 16 / lanes<double, A> double
// vectors; a block of 16 elements is 16 / lanes<float, A> float vectors, whose
// low and high halves widen into consecutive partial-sum vectors. Products of
// floats are exact in double, so add_product (fused where the level has FMA,
// as the AVX2 / AVX-512 code always was) has the bits of a multiply and an add.
template <class A>
void metrics_error_sums(const float* a, const float* b, std::size_t n, detail::error_sums_raw* out) noexcept {
  alignas(64) double part[4][16];
  for (auto& q : part)
    for (double& v : q) v = 0.0;
  float mx = 0.0f;
  std::size_t i = 0;
  if constexpr (simd::is_scalar_arch<A>) {
    for (; i + 16 <= n; i += 16) metr::tail(a, b, i, i + 16, part, mx);
  } else {
    using fv = simd::batch<float, A>;
    using dv = simd::batch<double, A>;
    constexpr std::size_t F = fv::size, D = dv::size, K = 16 / D, H = 16 / F;
    static_assert(F == 2 * D && K == 2 * H, "metrics: float lanes twice the double lanes");
    // Zeros loaded from `part` (xsimd 8's NEON broadcast fix in
    // simd/xsimd_compat.hpp cannot build a batch<double>).
    dv e[K], r[K], t[K], c[K];
#pragma GCC unroll 8
    for (std::size_t k = 0; k < K; ++k) e[k] = r[k] = t[k] = c[k] = dv::load_aligned(part[0]);
    fv vmx(0.0f);
    const auto absm = simd::broadcast<A>(std::int32_t{0x7fffffff});
    for (; i + 16 <= n; i += 16) {
#pragma GCC unroll 4
      for (std::size_t h = 0; h < H; ++h) {
        const fv va = simd::load<A>(a + i + F * h), vb = simd::load<A>(b + i + F * h);
        const fv vd = va - vb;
        vmx = simd::max_ordered(vmx, simd::bitcast<float>(simd::bitcast<std::int32_t>(vd) & absm));
        const dv dl = simd::widen_lo_f64(vd), dh = simd::widen_hi_f64(vd);
        const dv al = simd::widen_lo_f64(va), ah = simd::widen_hi_f64(va);
        const dv bl = simd::widen_lo_f64(vb), bh = simd::widen_hi_f64(vb);
        e[2 * h] = simd::add_product(e[2 * h], dl, dl);
        e[2 * h + 1] = simd::add_product(e[2 * h + 1], dh, dh);
        r[2 * h] = simd::add_product(r[2 * h], al, al);
        r[2 * h + 1] = simd::add_product(r[2 * h + 1], ah, ah);
        t[2 * h] = simd::add_product(t[2 * h], bl, bl);
        t[2 * h + 1] = simd::add_product(t[2 * h + 1], bh, bh);
        c[2 * h] = simd::add_product(c[2 * h], al, bl);
        c[2 * h + 1] = simd::add_product(c[2 * h + 1], ah, bh);
      }
    }
#pragma GCC unroll 8
    for (std::size_t k = 0; k < K; ++k) {
      e[k].store_aligned(part[0] + D * k);
      r[k].store_aligned(part[1] + D * k);
      t[k].store_aligned(part[2] + D * k);
      c[k].store_aligned(part[3] + D * k);
    }
    alignas(64) float m[F];
    vmx.store_aligned(m);
    for (std::size_t j = 0; j < F; ++j) mx = m[j] > mx ? m[j] : mx;
  }
  metr::tail(a, b, i, n, part, mx);
  for (int q = 0; q < 4; ++q) {
    metr::fold16(part[q]);
    out->sum[q] = part[q][0];
  }
  out->max_abs = mx;
}

// Every chain start lists its own code (sse2, sse41 and neon vectorise too).
template <isa L>
inline constexpr detail::metrics_kernels metrics_table{
    L, &metrics_error_sums<simd::fallback_arch<L, isa::scalar, isa::sse2, isa::sse41, isa::avx2, isa::avx512,
                                               isa::neon>>};

QMATH_KERNEL_FAMILY(metrics)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
