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
//
// Kernels are templates on the arch tag A (simd/arch.hpp) over xsimd batches;
// what xsimd lacks is in simd/gemm_ops.hpp. Every level has its own kernels
// (the family lists every level in gemm_arch below).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/gemm/pack.hpp"
#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/gemm_ops.hpp"

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
  /// Pack strips of A (a matrix_view<uint8_t> / matrix_view<int8_t> behind
  /// `view`; gemm/pack.hpp, gemm_pack::pack_a).
  void (*pack_a_u8)(const void* view, std::size_t i0, std::size_t mc, std::size_t k0, std::size_t kg, int mr,
                    bool full, std::uint8_t x, std::uint8_t* dst, std::int32_t* rowsum) noexcept;
  void (*pack_a_s8)(const void* view, std::size_t i0, std::size_t mc, std::size_t k0, std::size_t kg, int mr,
                    bool full, std::uint8_t x, std::uint8_t* dst, std::int32_t* rowsum) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

/// The GEMM family's arch tag for level L. The tile kernel differs at every
/// level, so the family lists them all (simd::fallback_level).
template <isa L>
using gemm_arch = simd::fallback_arch<L, isa::scalar, isa::sse2, isa::sse41, isa::avx2, isa::avxvnni, isa::avx512,
                                      isa::avx512vnni, isa::neon, isa::dotprod, isa::i8mm>;

namespace gemm_detail {

template <class T, class A>
using batch = xsimd::batch<T, A>;

QMATH_ALWAYS_INLINE std::int32_t load_i32(const void* p) noexcept {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

/// Keeps the compiler from fusing a product with a following add (FMA).
QMATH_ALWAYS_INLINE float fp_barrier(float x) noexcept { return simd::gemm_no_contract(x); }

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

// ------------------------------------------------- vpdpbusd: R x 16P, u8 x s8 quads
// AVX-512 VNNI (8 x 48): one zmm per panel and k-group, masked stores.
// AVX-VNNI (6 x 16): two ymm per panel and k-group, stored through t.
template <class A, int R, int P>
QMATH_ALWAYS_INLINE void tile_dpbusd(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg,
                                     std::int32_t* c, std::size_t ldc, int mr, int nr, bool accumulate,
                                     const std::int32_t* col_add) noexcept {
  using i32 = batch<std::int32_t, A>;
  using s8 = batch<std::int8_t, A>;
  constexpr int W = static_cast<int>(i32::size);
  constexpr int V = 64 / static_cast<int>(s8::size);  // vectors per panel and k-group
  i32 acc[R][P * V];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < P * V; ++q) acc[r][q] = i32(0);
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    s8 bv[P * V];
    QMATH_UNROLL for (int p = 0; p < P; ++p) QMATH_UNROLL for (int v = 0; v < V; ++v)
        bv[p * V + v] = s8::load_unaligned(b0 + p * ps + v * static_cast<int>(s8::size));
    QMATH_UNROLL for (int r = 0; r < R; ++r) {
      const auto av = simd::gemm_reinterpret<std::uint8_t>(i32(load_i32(a + 4 * r)));
      QMATH_UNROLL for (int q = 0; q < P * V; ++q) simd::gemm_dpbusd_acc(acc[r][q], av, bv[q]);
    }
    a += 4 * mr;
    b0 += 64;
  }
  if constexpr (V == 1) {
    QMATH_UNROLL for (int p = 0; p < P; ++p) {
      const std::size_t left = static_cast<std::size_t>(nr - W * p);
      const i32 add = col_add ? simd::gemm_load_first<A>(col_add + W * p, left) : i32(0);
      QMATH_UNROLL for (int r = 0; r < R; ++r) {
        std::int32_t* cr = c + r * ldc + W * p;
        i32 v = acc[r][p] + add;
        if (accumulate) v = v + simd::gemm_load_first<A>(cr, left);
        simd::gemm_store_first(cr, v, left);
      }
    }
  } else {
    alignas(64) std::int32_t t[R][16 * P];
    QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < P * V; ++q)
        acc[r][q].store_aligned(&t[r][W * q]);
    store_plain(&t[0][0], 16 * P, c, ldc, R, nr, accumulate, col_add);
  }
}

/// AVX-512 VNNI: the tile of R rows, 16, 32 or 48 columns (a function of its
/// own, called with its arguments in registers).
template <class A, int R>
void tile_dpbusd_r(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg, std::int32_t* c,
                   std::size_t ldc, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  if (nr > 32) tile_dpbusd<A, R, 3>(ap, bp, ps, kg, c, ldc, R, nr, accumulate, col_add);
  else if (nr > 16) tile_dpbusd<A, R, 2>(ap, bp, ps, kg, c, ldc, R, nr, accumulate, col_add);
  else tile_dpbusd<A, R, 1>(ap, bp, ps, kg, c, ldc, R, nr, accumulate, col_add);
}

// ------------------------------------- exact widening: pmovsxbw + pmaddwd, pair sums
// SSE4.1 (2 x 16, xmm) and AVX2 (2 x 16, ymm): the rows' A quads first, then
// one int16 vector of B at a time.
template <class A, int R>
QMATH_ALWAYS_INLINE void tile_madd_rows(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                        std::size_t ldc, int mr, int nr, bool accumulate,
                                        const std::int32_t* col_add) noexcept {
  using i32 = batch<std::int32_t, A>;
  using i16 = batch<std::int16_t, A>;
  constexpr int W = static_cast<int>(i32::size);
  constexpr int V = 64 / static_cast<int>(i16::size);  // int16 vectors per k-group
  i32 acc[R][V];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < V; ++q) acc[r][q] = i32(0);
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    i16 av[R];
    QMATH_UNROLL for (int r = 0; r < R; ++r) av[r] = simd::gemm_bcast_quad_u16<A>(load_i32(a + 4 * r));
    QMATH_UNROLL for (int q = 0; q < V; ++q) {
      const i16 bq = simd::gemm_load_s8_i16<A>(b0 + q * static_cast<int>(i16::size));
      QMATH_UNROLL for (int r = 0; r < R; ++r) acc[r][q] = acc[r][q] + simd::gemm_madd_i16(av[r], bq);
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(64) std::int32_t t[R][32];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < V; ++q)
      acc[r][q].store_aligned(&t[r][W * q]);
  store_pairs(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}

// AVX-512BW (6 x 32, zmm): the panels' int16 vectors of B first, then one A
// quad at a time.
template <class A, int R, int P>
QMATH_ALWAYS_INLINE void tile_madd_panels(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg,
                                          std::int32_t* c, std::size_t ldc, int mr, int nr, bool accumulate,
                                          const std::int32_t* col_add) noexcept {
  using i32 = batch<std::int32_t, A>;
  using i16 = batch<std::int16_t, A>;
  constexpr int W = static_cast<int>(i32::size);
  constexpr int V = 64 / static_cast<int>(i16::size);  // int16 vectors per panel and k-group
  i32 acc[R][P * V];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < P * V; ++q) acc[r][q] = i32(0);
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    i16 bv[P * V];
    QMATH_UNROLL for (int p = 0; p < P; ++p) QMATH_UNROLL for (int v = 0; v < V; ++v)
        bv[p * V + v] = simd::gemm_load_s8_i16<A>(b0 + p * ps + v * static_cast<int>(i16::size));
    QMATH_UNROLL for (int r = 0; r < R; ++r) {
      const i16 av = simd::gemm_bcast_quad_u16<A>(load_i32(a + 4 * r));
      QMATH_UNROLL for (int q = 0; q < P * V; ++q) acc[r][q] = acc[r][q] + simd::gemm_madd_i16(av, bv[q]);
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(64) std::int32_t t[R][P * V * W];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < P * V; ++q)
      acc[r][q].store_aligned(&t[r][W * q]);
  store_pairs(&t[0][0], 16 * P, c, ldc, R, nr, accumulate, col_add);
}

// ---------------------------------------------------------------- NEON: 2 x 16, exact vmull_s8 + vpadalq_s16
template <class A, int R>
QMATH_ALWAYS_INLINE void tile_neon(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                   std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  using i32 = batch<std::int32_t, A>;
  using s8 = batch<std::int8_t, A>;
  i32 acc[R][8];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 8; ++q) acc[r][q] = i32(0);
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    s8 av[R];
    QMATH_UNROLL for (int r = 0; r < R; ++r) av[r] = simd::gemm_reinterpret<std::int8_t>(i32(load_i32(a + 4 * r)));
    QMATH_UNROLL for (int q = 0; q < 4; ++q) {
      const s8 bq = s8::load_unaligned(b0 + 16 * q);
      QMATH_UNROLL for (int r = 0; r < R; ++r) {
        acc[r][2 * q] = simd::gemm_padal_mull_lo(acc[r][2 * q], bq, av[r]);
        acc[r][2 * q + 1] = simd::gemm_padal_mull_hi(acc[r][2 * q + 1], bq, av[r]);
      }
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(16) std::int32_t t[R][32];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 8; ++q) acc[r][q].store_aligned(&t[r][4 * q]);
  store_pairs(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}

// ---------------------------------------------------------------- dotprod: 4 x 16, sdot by lane
template <class A, int R>
QMATH_ALWAYS_INLINE void tile_dotprod(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                      std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  using i32 = batch<std::int32_t, A>;
  using u8 = batch<std::uint8_t, A>;
  using s8 = batch<std::int8_t, A>;
  i32 acc[R][4];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 4; ++q) acc[r][q] = i32(0);
  const std::int8_t* b0 = bp;
  const std::uint8_t* a = ap;
  for (std::size_t g = 0; g < kg; ++g) {
    // A strips are packed with 4 rows, so one 16-byte load holds rows 0..3.
    const s8 av = simd::gemm_reinterpret<std::int8_t>(u8::load_unaligned(a));
    QMATH_UNROLL for (int q = 0; q < 4; ++q) {
      const s8 bq = s8::load_unaligned(b0 + 16 * q);
      if constexpr (R > 0) acc[0][q] = simd::gemm_sdot_lane<0>(acc[0][q], bq, av);
      if constexpr (R > 1) acc[1][q] = simd::gemm_sdot_lane<1>(acc[1][q], bq, av);
      if constexpr (R > 2) acc[2][q] = simd::gemm_sdot_lane<2>(acc[2][q], bq, av);
      if constexpr (R > 3) acc[3][q] = simd::gemm_sdot_lane<3>(acc[3][q], bq, av);
    }
    a += 4 * mr;
    b0 += 64;
  }
  alignas(16) std::int32_t t[R][16];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < 4; ++q) acc[r][q].store_aligned(&t[r][4 * q]);
  store_plain(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}

// ---------------------------------------------------------------- i8mm: 4 x 16, smmla on pairs of k-groups
// Zips of two consecutive k-groups turn the [c][4k] panels into the 2 x 8
// operands of smmla (rows/columns k0..7); acc[rp][cp] = 2 x 2 block.
template <class A, int R>
QMATH_ALWAYS_INLINE void tile_i8mm(const std::uint8_t* ap, const std::int8_t* bp, std::size_t kg, std::int32_t* c,
                                   std::size_t ldc, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  using i32 = batch<std::int32_t, A>;
  using u8 = batch<std::uint8_t, A>;
  using s8 = batch<std::int8_t, A>;
  i32 acc[2][8];
  QMATH_UNROLL for (int rp = 0; rp < 2; ++rp) QMATH_UNROLL for (int cp = 0; cp < 8; ++cp) acc[rp][cp] = i32(0);
  for (std::size_t g = 0; g < kg; g += 2) {
    const bool pair = g + 1 < kg;
    const i32 a0 = simd::gemm_reinterpret<std::int32_t>(u8::load_unaligned(ap + g * 16));
    const i32 a1 = pair ? simd::gemm_reinterpret<std::int32_t>(u8::load_unaligned(ap + (g + 1) * 16)) : i32(0);
    const s8 a01 = simd::gemm_reinterpret<std::int8_t>(simd::gemm_zip_lo_i32(a0, a1));
    const s8 a23 = simd::gemm_reinterpret<std::int8_t>(simd::gemm_zip_hi_i32(a0, a1));
    QMATH_UNROLL for (int q = 0; q < 4; ++q) {
      const i32 b0 = simd::gemm_reinterpret<std::int32_t>(s8::load_unaligned(bp + g * 64 + 16 * q));
      const i32 b1 = pair ? simd::gemm_reinterpret<std::int32_t>(s8::load_unaligned(bp + (g + 1) * 64 + 16 * q)) : i32(0);
      const s8 lo = simd::gemm_reinterpret<std::int8_t>(simd::gemm_zip_lo_i32(b0, b1));
      const s8 hi = simd::gemm_reinterpret<std::int8_t>(simd::gemm_zip_hi_i32(b0, b1));
      acc[0][2 * q] = simd::gemm_smmla(acc[0][2 * q], a01, lo);
      acc[0][2 * q + 1] = simd::gemm_smmla(acc[0][2 * q + 1], a01, hi);
      if constexpr (R > 2) {
        acc[1][2 * q] = simd::gemm_smmla(acc[1][2 * q], a23, lo);
        acc[1][2 * q + 1] = simd::gemm_smmla(acc[1][2 * q + 1], a23, hi);
      }
    }
  }
  alignas(16) std::int32_t t[4][16];
  QMATH_UNROLL for (int rp = 0; rp < 2; ++rp) QMATH_UNROLL for (int cp = 0; cp < 8; ++cp)
      simd::gemm_store_halves(&t[2 * rp][2 * cp], &t[2 * rp + 1][2 * cp], acc[rp][cp]);
  store_plain(&t[0][0], 16, c, ldc, R, nr, accumulate, col_add);
}

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

template <class A>
void gemm_tile(const std::uint8_t* ap, const std::int8_t* bp, std::size_t ps, std::size_t kg, std::int32_t* c,
               std::size_t ldc, int mr, int nr, bool accumulate, const std::int32_t* col_add) noexcept {
  using namespace gemm_detail;
  constexpr isa L = A::level;
  constexpr int MR = gemm_geometry<L>::mr;
  if constexpr (L == isa::scalar || L == isa::sse2) {
    // sse2 has no exact kernel of its own: the scalar reference tile.
    (void)mr;
    tile_scalar<1>(ap, bp, ps, kg, c, ldc, nr, accumulate, col_add);
  } else if constexpr (L == isa::avx512vnni) {
    with_rows<MR>(mr, [&](auto R) {
      // Strips shorter than MR are packed with their own row count.
      tile_dpbusd_r<A, decltype(R)::value>(ap, bp, ps, kg, c, ldc, nr, accumulate, col_add);
    });
  } else if constexpr (L == isa::avx512) {
    with_rows<MR>(mr, [&](auto R) {
      constexpr int r = decltype(R)::value;
      if (nr > 16) tile_madd_panels<A, r, 2>(ap, bp, ps, kg, c, ldc, r, nr, accumulate, col_add);
      else tile_madd_panels<A, r, 1>(ap, bp, ps, kg, c, ldc, r, nr, accumulate, col_add);
    });
  } else if constexpr (L == isa::avxvnni) {
    with_rows<MR>(mr, [&](auto R) {
      constexpr int r = decltype(R)::value;
      tile_dpbusd<A, r, 1>(ap, bp, ps, kg, c, ldc, r, nr, accumulate, col_add);
    });
  } else if constexpr (L == isa::avx2 || L == isa::sse41) {
    with_rows<MR>(mr, [&](auto R) {
      constexpr int r = decltype(R)::value;
      tile_madd_rows<A, r>(ap, bp, kg, c, ldc, r, nr, accumulate, col_add);
    });
  } else if constexpr (L == isa::i8mm) {
    with_rows<MR>(mr, [&](auto R) { tile_i8mm<A, decltype(R)::value>(ap, bp, kg, c, ldc, nr, accumulate, col_add); });
  } else if constexpr (L == isa::dotprod) {
    with_rows<MR>(mr, [&](auto R) { tile_dotprod<A, decltype(R)::value>(ap, bp, kg, c, ldc, MR, nr, accumulate, col_add); });
  } else {
    static_assert(L == isa::neon, "gemm_tile: no kernel for this level");
    with_rows<MR>(mr, [&](auto R) {
      constexpr int r = decltype(R)::value;
      tile_neon<A, r>(ap, bp, kg, c, ldc, r, nr, accumulate, col_add);
    });
  }
}

// ---------------------------------------------------------------- epilogues
namespace gemm_detail {

QMATH_ALWAYS_INLINE std::int32_t epi_value(const detail::gemm_epilogue& e, std::size_t i, std::size_t j) noexcept {
  std::uint32_t v = static_cast<std::uint32_t>(e.acc[i * e.ld_acc + j]) + static_cast<std::uint32_t>(e.col_off[j]);
  if (e.zb) v -= static_cast<std::uint32_t>(e.zb[j]) * static_cast<std::uint32_t>(e.rowsum[i]);
  return static_cast<std::int32_t>(v);
}

/// round-half-even(x) for |x| < 2^31, float -> int (never the FP environment's mode).
QMATH_ALWAYS_INLINE std::int32_t rne(float x) noexcept { return simd::trunc_to_i32(simd::round_even(x)); }

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

/// One row of the epilogue with masked loads and stores (AVX-512).
template <class A, class T>
void epi_row_masked(const detail::gemm_epilogue& e, std::size_t i) noexcept {
  using i32 = batch<std::int32_t, A>;
  using f32 = batch<float, A>;
  constexpr std::size_t W = i32::size;
  const std::int32_t* a = e.acc + i * e.ld_acc;
  T* o = static_cast<T*>(e.out) + i * e.ldo;
  const i32 rs(e.zb ? e.rowsum[i] : 0);
  for (std::size_t j = 0; j < e.cols; j += W) {
    const std::size_t left = e.cols - j;
    i32 v = simd::gemm_load_first<A>(a + j, left) + simd::gemm_load_first<A>(e.col_off + j, left);
    if (e.zb) v = v - simd::mullo(simd::gemm_load_first<A>(e.zb + j, left), rs);
    if constexpr (std::is_same_v<T, std::int32_t>) {
      simd::gemm_store_first(o + j, simd::gemm_clamp_i32(v, i32(e.lo), i32(e.hi)), left);
    } else if constexpr (std::is_same_v<T, float>) {
      const f32 bs = e.b_scale_stride ? simd::gemm_load_first<A>(e.b_scale + j, left) : f32(e.b_scale[0]);
      const f32 s = simd::gemm_no_contract(f32(e.a_scale[i * e.a_scale_stride]) * bs);
      f32 y = simd::gemm_no_contract(simd::to_f32(v) * s);
      if (e.bias) y = y + simd::gemm_load_first<A>(e.bias + j, left);
      y = simd::min_ordered(simd::max_ordered(y, f32(e.flo)), f32(e.fhi));
      simd::gemm_store_first(o + j, y, left);
    } else {
      const f32 mu = e.mult_stride ? simd::gemm_load_first<A>(e.mult + j, left) : f32(e.mult[0]);
      f32 x = simd::to_f32(v) * mu;
      x = simd::max_ordered(x, f32(static_cast<float>(e.lo - e.zp)));
      x = simd::min_ordered(x, f32(static_cast<float>(e.hi - e.zp)));
      // values already in [lo, hi] within the type
      simd::gemm_store_first_narrow(o + j, simd::trunc_to_i32(simd::round_even(x)) + i32(e.zp), left);
    }
  }
}

/// Levels whose epilogue and row loops use vectors: AVX-512 (masked epilogue), AVX2 (row range, row quantization).
template <class A>
inline constexpr bool gemm_masked_epilogue = A::level == isa::avx512 || A::level == isa::avx512vnni;
template <class A>
inline constexpr bool gemm_vector_rows = gemm_masked_epilogue<A> || A::level == isa::avx2 || A::level == isa::avxvnni;

}  // namespace gemm_detail

template <class A>
void gemm_epilogue_run(const detail::gemm_epilogue& e) noexcept {
  using namespace gemm_detail;
  for (std::size_t i = 0; i < e.rows; ++i) {
    if constexpr (gemm_masked_epilogue<A>) {
      switch (e.kind) {
        case detail::gemm_out_kind::i32: epi_row_masked<A, std::int32_t>(e, i); break;
        case detail::gemm_out_kind::requant_s8: epi_row_masked<A, std::int8_t>(e, i); break;
        case detail::gemm_out_kind::requant_u8: epi_row_masked<A, std::uint8_t>(e, i); break;
        case detail::gemm_out_kind::dequant_f32: epi_row_masked<A, float>(e, i); break;
      }
    } else {
      switch (e.kind) {
        case detail::gemm_out_kind::i32: epi_row_scalar<std::int32_t>(e, i, 0); break;
        case detail::gemm_out_kind::requant_s8: epi_row_scalar<std::int8_t>(e, i, 0); break;
        case detail::gemm_out_kind::requant_u8: epi_row_scalar<std::uint8_t>(e, i, 0); break;
        case detail::gemm_out_kind::dequant_f32: epi_row_scalar<float>(e, i, 0); break;
      }
    }
  }
}

// ---------------------------------------------------------------- dynamic row quantization
template <class A>
bool gemm_row_range(const float* x, std::size_t n, float* lo_out, float* hi_out) noexcept {
  std::size_t k = 0;
  float lo = 0.0f, hi = 0.0f, bad = 0.0f;
  if constexpr (gemm_detail::gemm_vector_rows<A>) {
    using f32 = gemm_detail::batch<float, A>;
    constexpr std::size_t W = f32::size;
    const f32 zero(0.0f);
    f32 vlo = zero, vhi = zero, vbad = zero;
    for (; k + W <= n; k += W) {
      const f32 v = f32::load_unaligned(x + k);
      vlo = simd::min_ordered(vlo, v);
      vhi = simd::max_ordered(vhi, v);
      vbad = vbad + v * zero;  // NaN iff some v is not finite
    }
    alignas(64) float a[W], b[W], c[W];
    vlo.store_aligned(a), vhi.store_aligned(b), vbad.store_aligned(c);
    for (std::size_t i = 0; i < W; ++i) lo = a[i] < lo ? a[i] : lo, hi = b[i] > hi ? b[i] : hi, bad = bad + c[i];
  }
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

template <class A>
void gemm_quantize_row_s8(const float* x, std::size_t n, float scale, std::int8_t* q) noexcept {
  std::size_t k = 0;
  if constexpr (gemm_detail::gemm_vector_rows<A>) {
    using f32 = gemm_detail::batch<float, A>;
    constexpr std::size_t W = f32::size;
    const f32 s(scale), lo(-127.0f), hi(127.0f);
    for (; k + W <= n; k += W) {
      const f32 t = simd::min_ordered(simd::max_ordered(simd::div(f32::load_unaligned(x + k), s), lo), hi);
      simd::gemm_store_s8(q + k, simd::trunc_to_i32(simd::round_even(t)));
    }
  }
  for (; k < n; ++k) {
    float t = x[k] / scale;
    t = t < -127.0f ? -127.0f : (t > 127.0f ? 127.0f : t);
    q[k] = static_cast<std::int8_t>(gemm_detail::rne(t));
  }
}

template <isa L>
inline constexpr detail::gemm_kernels gemm_table{
    L,
    gemm_detail::gemm_geometry<gemm_arch<L>::level>::mr,
    gemm_detail::gemm_geometry<gemm_arch<L>::level>::np,
    gemm_detail::gemm_geometry<gemm_arch<L>::level>::a_signed,
    gemm_detail::gemm_geometry<gemm_arch<L>::level>::a_full,
    &gemm_tile<gemm_arch<L>>,
    &gemm_epilogue_run<gemm_arch<L>>,
    &gemm_row_range<gemm_arch<L>>,
    &gemm_quantize_row_s8<gemm_arch<L>>,
    &gemm_pack::pack_a_erased<std::uint8_t>,
    &gemm_pack::pack_a_erased<std::int8_t>};

QMATH_KERNEL_FAMILY(gemm)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
