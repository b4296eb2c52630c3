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
// (16 lanes), neon/dotprod/i8mm (4 lanes), one template on the arch. sse2/sse41
// have no fused multiply-add and run the scalar code (std::fma).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/ops.hpp"
#include "qmath/simd/neon/codebook.hpp"
#include "qmath/simd/x86/codebook.hpp"

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

namespace simd {
/// Does level A fuse multiply-add in hardware? (Not sse2 / sse41.)
template <class A>
constexpr bool has_fmadd() noexcept {
  if constexpr (is_scalar_arch<A>) return false;
  else return impl::has_fmadd(A{});
}
/// a * b + c with one rounding, per lane (levels with has_fmadd only).
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> fmadd(const batch<float, A>& a, const batch<float, A>& b,
                                          const batch<float, A>& c) noexcept {
  return impl::fmadd(a, b, c, A{});
}
}  // namespace simd

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

/// Levels that vectorise across centroids: those with a fused multiply-add.
template <class A>
inline constexpr bool cb_vector = simd::has_fmadd<A>();

/// Centroids per pass of a tile: 32 (one panel) with 16 lanes, else 16 (two
/// passes over the panel's halves).
template <class A>
inline constexpr int cb_pass = simd::lanes<float, A> >= 16 ? 32 : 16;

// R rows x one panel, cb_pass<A> centroids at a time: R * cb_pass / lanes
// accumulators.
template <class A, int R>
QMATH_ALWAYS_INLINE void cb_tile(const float* x, std::size_t ldx, std::size_t d, const float* pk, const float* cn,
                                 std::uint32_t p, cb_best* b) noexcept {
  using fv = simd::batch<float, A>;
  constexpr int W = static_cast<int>(fv::size), CP = cb_pass<A>, NV = CP / W;
  for (int h = 0; h < 32 / CP; ++h) {
    fv acc[R][NV];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = fv(0.0f);
    const float* ph = pk + h * CP;
    // Rows in groups of three from one pointer each (x86 addresses rows
    // g, g+1, g+2 as [p], [p + 4 ldx], [p + 8 ldx]): R/3 + ldx registers
    // instead of one per row.
    constexpr int G = (R + 2) / 3;
    const float* xg[G];
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) xg[g] = x + static_cast<std::size_t>(3 * g) * ldx;
    for (const float* pe = ph + d * 32; ph != pe; ph += 32) {
      fv bt[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bt[v] = simd::load<A>(ph + static_cast<std::size_t>(v * W));
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const fv xv(xg[r / 3][static_cast<std::size_t>(r % 3) * ldx]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = simd::fmadd(xv, bt[v], acc[r][v]);
      }
#pragma GCC unroll 8
      for (int g = 0; g < G; ++g) ++xg[g];
    }
    // (Broadcast here, not before the loop over t: one register less there.)
    const auto pv = simd::broadcast<A>(p);
    // The norms in registers before the first store (a store to b could
    // alias cn for the compiler: it would reload them for every row).
    fv c[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) c[v] = simd::load<A>(cn + h * CP + v * W);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        float* bv = b[r].val + h * CP + v * W;
        std::uint32_t* bp = b[r].pan + h * CP + v * W;
        const fv e = c[v] - (acc[r][v] + acc[r][v]);
        const auto m = e < simd::load<A>(bv);
        simd::store_where(bv, m, e);
        simd::store_where(bp, m, pv);
      }
    }
  }
}

template <class A>
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
      if constexpr (cb_vector<A>) {
        // Rows per tile: 12 with 16 lanes (24 zmm accumulators), else 6.
        constexpr std::size_t R = simd::lanes<float, A> >= 16 ? 12 : 6;
        for (; r + R <= nb; r += R)
          for (std::size_t p = p0; p < p1; ++p)
            cb_tile<A, static_cast<int>(R)>(xb + r * ldx, ldx, d, panels + p * panel_floats, cnorm + p * 32,
                                            static_cast<std::uint32_t>(p), state + r);
        for (; r < nb; ++r)
          for (std::size_t p = p0; p < p1; ++p)
            cb_tile<A, 1>(xb + r * ldx, ldx, d, panels + p * panel_floats, cnorm + p * 32,
                          static_cast<std::uint32_t>(p), state + r);
      }
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

template <class A>
void cb_l2sq_rows(const float* x, std::size_t ldx, std::size_t n, std::size_t d, const float* c,
                  float* out) noexcept {
  alignas(64) float s[16];
  for (std::size_t i = 0; i < n; ++i) {
    const float* xr = x + i * ldx;
    std::size_t t = 0;
    if constexpr (cb_vector<A>) {
      // The 16 partial sums are K vectors; the tail (< 16) goes to s[0..].
      using fv = simd::batch<float, A>;
      constexpr std::size_t W = fv::size, K = 16 / W;
      fv acc[K];
#pragma GCC unroll 4
      for (std::size_t k = 0; k < K; ++k) acc[k] = fv(0.0f);
      for (; t + 16 <= d; t += 16) {
#pragma GCC unroll 4
        for (std::size_t k = 0; k < K; ++k) {
          const fv u = simd::load<A>(xr + t + k * W) - simd::load<A>(c + t + k * W);
          acc[k] = simd::fmadd(u, u, acc[k]);
        }
      }
#pragma GCC unroll 4
      for (std::size_t k = 0; k < K; ++k) acc[k].store_aligned(s + k * W);
    } else {
      for (int l = 0; l < 16; ++l) s[l] = 0.0f;
      for (; t + 16 <= d; t += 16)
        for (int l = 0; l < 16; ++l) {
          const float u = xr[t + l] - c[t + l];
          s[l] = std::fma(u, u, s[l]);
        }
    }
    for (int l = 0; t < d; ++t, ++l) {
      const float u = xr[t] - c[t];
      s[l] = std::fma(u, u, s[l]);
    }
    out[i] = cb_reduce16(s);
  }
}

// Every chain start lists its own code; sse2 / sse41 (no fused multiply-add)
// run the scalar chain (std::fma) in their own instantiation.
template <isa L>
using codebook_arch = simd::fallback_arch<L, isa::scalar, isa::sse2, isa::sse41, isa::avx2, isa::avx512, isa::neon>;
template <isa L>
inline constexpr detail::codebook_kernels codebook_table{&cb_nearest<codebook_arch<L>>,
                                                         &cb_l2sq_rows<codebook_arch<L>>};

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
