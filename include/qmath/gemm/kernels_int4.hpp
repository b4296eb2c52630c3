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

/// AVX-512 VNNI: R x 16P, vpdpbusd on (u4 codes as u8) x (A as s8).
template <class A, int R, int P>
QMATH_ALWAYS_INLINE void tile_dpbusd(const detail::gemm_int4_args& p) noexcept {
  using f32 = xsimd::batch<float, A>;
  using i32 = xsimd::batch<std::int32_t, A>;
  using u8 = xsimd::batch<std::uint8_t, A>;
  constexpr int W = static_cast<int>(i32::size);
  f32 f[R][P];
  QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < P; ++q) f[r][q] = f32(0.0f);
  const std::uint8_t* b = p.bp;
  const std::int8_t* a = p.a;
  for (std::size_t g = 0; g < p.groups; ++g) {
    i32 acc[R][P];
    QMATH_UNROLL for (int r = 0; r < R; ++r) QMATH_UNROLL for (int q = 0; q < P; ++q) acc[r][q] = i32(0);
    for (std::size_t kk = 0; kk < p.group_kg; ++kk) {
      u8 bv[P];
      QMATH_UNROLL for (int q = 0; q < P; ++q) bv[q] = simd::gemm_load_nibbles<A>(b + q * p.panel_stride);
      QMATH_UNROLL for (int r = 0; r < R; ++r) {
        const auto av = simd::gemm_reinterpret<std::int8_t>(i32(gemm_detail::load_i32(a + static_cast<std::size_t>(r) * p.lda)));
        QMATH_UNROLL for (int q = 0; q < P; ++q) simd::gemm_dpbusd_acc(acc[r][q], bv[q], av);
      }
      b += 32;
      a += 4;
    }
    QMATH_UNROLL for (int q = 0; q < P; ++q) {
      const i32 zv = i32::load_unaligned(p.zero + g * p.ldg + static_cast<std::size_t>(W * q));
      const f32 sv = f32::load_unaligned(p.scale + g * p.ldg + static_cast<std::size_t>(W * q));
      QMATH_UNROLL for (int r = 0; r < R; ++r) {
        const i32 rs(p.rowsum[static_cast<std::size_t>(r) * p.groups + g]);
        const f32 x = simd::gemm_no_contract(simd::to_f32(acc[r][q] - simd::mullo(zv, rs)) * sv);
        f[r][q] = f[r][q] + x;
      }
    }
  }
  QMATH_UNROLL for (int q = 0; q < P; ++q) {
    const std::size_t left = static_cast<std::size_t>(p.nr - W * q);
    const f32 bias = p.bias ? simd::gemm_load_first<A>(p.bias + W * q, left) : f32(0.0f);
    QMATH_UNROLL for (int r = 0; r < R; ++r) {
      f32 y = simd::gemm_no_contract(f[r][q] * f32(p.a_scale[static_cast<std::size_t>(r) * p.a_scale_stride]));
      if (p.bias) y = y + bias;
      simd::gemm_store_first(p.c + static_cast<std::size_t>(r) * p.ldc + W * q, y, left);
    }
  }
}

}  // namespace gemm_int4_detail

template <class A>
void gemm_int4_tile(const detail::gemm_int4_args& p) noexcept {
  if constexpr (A::level == isa::avx512vnni) {
    gemm_detail::with_rows<8>(p.mr, [&](auto R) {
      constexpr int r = decltype(R)::value;
      if (p.nr > 32) gemm_int4_detail::tile_dpbusd<A, r, 3>(p);
      else if (p.nr > 16) gemm_int4_detail::tile_dpbusd<A, r, 2>(p);
      else gemm_int4_detail::tile_dpbusd<A, r, 1>(p);
    });
  } else {
    gemm_int4_detail::tile_scalar(p);
  }
}

/// The int4 family's arch tag for level L: its own kernel at avx512vnni only;
/// every other level runs the scalar tile (instantiated once per chain start).
template <isa L>
using gemm_int4_arch =
    simd::fallback_arch<L, isa::scalar, isa::sse2, isa::sse41, isa::avx2, isa::avx512, isa::avx512vnni, isa::neon>;

template <isa L>
inline constexpr detail::gemm_int4_kernels gemm_int4_table{L, &gemm_int4_tile<gemm_int4_arch<L>>};

QMATH_KERNEL_FAMILY(gemm_int4)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
