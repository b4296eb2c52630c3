#pragma once
// Dispatched dot-product kernels of the GGUF module (private; see gguf/dot.hpp).
//
// Every kernel computes, for each of `rows` rows (row r at x + r * x_stride
// bytes, nb blocks) and the vector y (nb blocks), the value defined in
// dot.hpp: an exact int32 sum per block, one float term per block, the terms
// added into 8 float lanes (block b into lane b % 8, in order) and the lanes
// folded as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). Integer parts are exact on
// every level, float operations are the same on every level (each product is
// fenced, no fused multiply-add), so all levels give identical bits.
//
// Integer techniques: x86 vpmaddubsw (u8 x s8 pairs into int16) only where
// the operands cannot saturate it (4/5/6-bit codes: |pair| <= 63 * 128 * 2),
// offsets applied as exact int16 differences (q*a - o*(a0+a1)); vpdpbusd
// (AVX-VNNI, AVX512-VNNI on ymm) for the legacy blocks; int8 x int8 by exact
// widening (vpmovsxbw + vpmaddwd) on AVX2/SSE4.1 and by the u8 bias trick
// ((x + 128) * a - 128 * a) with vpdpbusd. ARM: codes minus their offset as
// int8, then sdot (dotprod, i8mm) or vmull_s8 + vpadalq_s16 (NEON).
// Levels: sse2 runs the scalar code; sse41 xmm per block; avx2 and avx512
// one ymm per block (32 codes), 8 blocks per float step; avxvnni and
// avx512vnni the same with ymm vpdpbusd for the legacy blocks; K-quants use
// vpmaddubsw + vpmaddwd on every x86 level from avx2; i8mm runs the dotprod
// code (a matrix-vector product has one vector: nothing for smmla to pair).
//
// The kernels are templates on the level's arch tag A (simd/arch.hpp); the
// tag picks the code path (path_of<A>) and, through overload sets on
// requires_arch, the operations: simd/ops.hpp and the family's
// simd/x86/gguf.hpp, simd/neon/gguf.hpp. Values are xsimd batches: A's own
// (xmm, NEON), or on every level from avx2 the 256-bit block vector
// batch<T, arch<avx2>> (AVX-512 included), with A choosing vpdpbusd.
// Levels with their own code: scalar, sse2, sse41, avx2, avxvnni, avx512,
// avx512vnni, neon, dotprod (i8mm -> dotprod by simd::fallback_level).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/gguf/blocks.hpp"
#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/neon/gguf.hpp"
#include "qmath/simd/ops.hpp"
#include "qmath/simd/x86/gguf.hpp"

#if defined(__clang__)
#define QMATH_GGUF_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define QMATH_GGUF_UNROLL _Pragma("GCC unroll 8")
#else
#define QMATH_GGUF_UNROLL
#endif

namespace qmath::detail {

/// The dot products of the GGUF module (one kernel per pair of block types).
struct gguf_kernels {
  isa level;
  using dot_fn = void (*)(const void* x, std::size_t x_stride, std::size_t rows, const void* y, std::size_t nb,
                          float* out) noexcept;
  dot_fn q4_0_q8_0, q4_1_q8_1, q5_0_q8_0, q5_1_q8_1, q8_0_q8_0, q4_k_q8_k, q6_k_q8_k;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

namespace simd::gguf_ops {
// The family's per-ISA operations (simd/x86/gguf.hpp, simd/neon/gguf.hpp),
// declared for every tag so that kernels can name them; a level without an
// overload fails to compile where it would call one.
template <int N, int Mask, class A>
batch<std::uint8_t, A> shr_bytes(const batch<std::uint8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <int N, int Mask, class A>
batch<std::uint8_t, A> shl_bytes(const batch<std::uint8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::uint8_t, A> bit4_of_bits(std::uint32_t, requires_arch<generic_arch>) noexcept = delete;
template <class A>
std::int32_t hsum(const batch<std::int32_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <int Off, class A>
batch<std::int32_t, A> dot16_off(const batch<std::int32_t, A>&, const batch<std::uint8_t, A>&,
                                 const batch<std::int8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int32_t, A> dot16_s8(const batch<std::int32_t, A>&, const batch<std::int8_t, A>&,
                                const batch<std::int8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
}  // namespace simd::gguf_ops

namespace gguf_k {

using namespace ::qmath::gguf;

QMATH_ALWAYS_INLINE float fence(float v) noexcept {
#if defined(QMATH_ARCH_X86)
  __asm__("" : "+x"(v));
#elif defined(QMATH_ARCH_AARCH64)
  __asm__("" : "+w"(v));
#endif
  return v;
}

/// binary16 -> float32, exact, integer operations only (NaN -> quiet NaN of the same sign).
QMATH_ALWAYS_INLINE float h2f(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t mag = h & 0x7FFFu;
  std::uint32_t bits;
  if (mag < 0x400u) {
    float f = fence(static_cast<float>(static_cast<std::int32_t>(mag)) * 5.9604644775390625e-8f);  // * 2^-24
    std::memcpy(&bits, &f, 4);
  } else if (mag >= 0x7C00u) {
    bits = mag == 0x7C00u ? 0x7F800000u : 0x7FC00000u;
  } else {
    bits = (mag << 13) + (112u << 23);
  }
  bits |= sign;
  float r;
  std::memcpy(&r, &bits, 4);
  return r;
}

QMATH_ALWAYS_INLINE float fold8(const float* f) noexcept {
  const float a0 = f[0] + f[4], a1 = f[1] + f[5], a2 = f[2] + f[6], a3 = f[3] + f[7];
  return (a0 + a2) + (a1 + a3);
}

QMATH_ALWAYS_INLINE std::uint32_t qh32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // little-endian hosts
}

// ---------------------------------------------------------------- scalar integer parts
QMATH_ALWAYS_INLINE std::int32_t isum(const block_q4_0& x, const block_q8_0& y) noexcept {
  std::int32_t s = 0;
  for (int j = 0; j < 16; ++j) {
    s += ((x.qs[j] & 0x0F) - 8) * y.qs[j];
    s += ((x.qs[j] >> 4) - 8) * y.qs[j + 16];
  }
  return s;
}
QMATH_ALWAYS_INLINE std::int32_t isum(const block_q4_1& x, const block_q8_1& y) noexcept {
  std::int32_t s = 0;
  for (int j = 0; j < 16; ++j) s += (x.qs[j] & 0x0F) * y.qs[j] + (x.qs[j] >> 4) * y.qs[j + 16];
  return s;
}
QMATH_ALWAYS_INLINE std::int32_t isum(const block_q5_0& x, const block_q8_0& y) noexcept {
  const std::uint32_t qh = qh32(x.qh);
  std::int32_t s = 0;
  for (int j = 0; j < 16; ++j) {
    s += static_cast<std::int32_t>(((x.qs[j] & 0x0Fu) | (((qh >> j) & 1u) << 4)) - 16) * y.qs[j];
    s += static_cast<std::int32_t>(((x.qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4)) - 16) * y.qs[j + 16];
  }
  return s;
}
QMATH_ALWAYS_INLINE std::int32_t isum(const block_q5_1& x, const block_q8_1& y) noexcept {
  const std::uint32_t qh = qh32(x.qh);
  std::int32_t s = 0;
  for (int j = 0; j < 16; ++j) {
    s += static_cast<std::int32_t>((x.qs[j] & 0x0Fu) | (((qh >> j) & 1u) << 4)) * y.qs[j];
    s += static_cast<std::int32_t>((x.qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4)) * y.qs[j + 16];
  }
  return s;
}
QMATH_ALWAYS_INLINE std::int32_t isum(const block_q8_0& x, const block_q8_0& y) noexcept {
  std::int32_t s = 0;
  for (int j = 0; j < 32; ++j) s += x.qs[j] * y.qs[j];
  return s;
}

// ---------------------------------------------------------------- float terms
QMATH_ALWAYS_INLINE float term(std::int32_t s, const block_q4_0& x, const block_q8_0& y) noexcept {
  return fence(static_cast<float>(s) * fence(h2f(x.d) * h2f(y.d)));
}
QMATH_ALWAYS_INLINE float term(std::int32_t s, const block_q5_0& x, const block_q8_0& y) noexcept {
  return fence(static_cast<float>(s) * fence(h2f(x.d) * h2f(y.d)));
}
QMATH_ALWAYS_INLINE float term(std::int32_t s, const block_q8_0& x, const block_q8_0& y) noexcept {
  return fence(static_cast<float>(s) * fence(h2f(x.d) * h2f(y.d)));
}
template <class X>
QMATH_ALWAYS_INLINE float term(std::int32_t s, const X& x, const block_q8_1& y) noexcept {
  return fence(static_cast<float>(s) * fence(h2f(x.d) * h2f(y.d))) + fence(h2f(x.m) * h2f(y.s));
}

/// The scalar reference of a legacy pair: block b into lane b % 8.
template <class X, class Y>
QMATH_ALWAYS_INLINE float dot_scalar(const X* x, const Y* y, std::size_t b0, std::size_t nb, float* f) noexcept {
  for (std::size_t b = b0; b < nb; ++b) f[b & 7] = f[b & 7] + term(isum(x[b], y[b]), x[b], y[b]);
  return fold8(f);
}

// ---------------------------------------------------------------- K-quants, scalar
struct kparts {
  std::int32_t s, m;
};
QMATH_ALWAYS_INLINE kparts kpart_scalar(const block_q4_k& x, const block_q8_k& y) noexcept {
  std::int32_t s = 0, m = 0;
  for (int j = 0; j < 8; ++j) {
    std::uint8_t sc, mn;
    get_scale_min_k4(j, x.scales, &sc, &mn);
    const int c = j / 2;
    const bool high = j & 1;
    std::int32_t t = 0;
    for (int l = 0; l < 32; ++l) {
      const std::uint8_t byte = x.qs[32 * c + l];
      t += (high ? (byte >> 4) : (byte & 0x0F)) * y.qs[32 * j + l];
    }
    s += sc * t;
    m += mn * (y.bsums[2 * j] + y.bsums[2 * j + 1]);
  }
  return {s, m};
}
QMATH_ALWAYS_INLINE std::int32_t kpart_scalar(const block_q6_k& x, const block_q8_k& y) noexcept {
  std::int32_t s = 0;
  for (int j = 0; j < 16; ++j) {
    std::int32_t t = 0;
    for (int i = 0; i < 16; ++i) {
      const int e = 16 * j + i, h = e / 128, r = e % 128, k = r / 32, l = r % 32;
      const std::uint8_t low = x.ql[64 * h + l + 32 * (k & 1)];
      const int q = (k < 2 ? (low & 0xF) : (low >> 4)) | (((x.qh[32 * h + l] >> (2 * k)) & 3) << 4);
      t += (q - 32) * y.qs[e];
    }
    s += x.scales[j] * t;
  }
  return s;
}
QMATH_ALWAYS_INLINE float kterm(kparts p, const block_q4_k& x, const block_q8_k& y) noexcept {
  const float dd = fence(h2f(x.d) * y.d), dm = fence(h2f(x.dmin) * y.d);
  return fence(static_cast<float>(p.s) * dd) - fence(static_cast<float>(p.m) * dm);
}
QMATH_ALWAYS_INLINE float kterm(std::int32_t s, const block_q6_k& x, const block_q8_k& y) noexcept {
  return fence(static_cast<float>(s) * fence(h2f(x.d) * y.d));
}

// ---------------------------------------------------------------- code paths
enum class gpath { scalar, xmm, ymm, neon };
/// The code path of arch tag A.
template <class A>
constexpr gpath path_of() noexcept {
  if constexpr (simd::is_scalar_arch<A>) return gpath::scalar;
#if defined(QMATH_ARCH_X86) && defined(__AVX2__) && defined(__FMA__)
  else if constexpr (std::is_base_of_v<xsimd::avx2, A>) return gpath::ymm;
#if QMATH_TARGET_HAS_AVX512
  else if constexpr (std::is_base_of_v<xsimd::avx512bw, A>) return gpath::ymm;
#endif
#endif
#if defined(QMATH_ARCH_X86) && defined(__SSE4_1__)
  else if constexpr (std::is_base_of_v<xsimd::sse4_1, A>) return gpath::xmm;
#endif
#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
  else if constexpr (std::is_base_of_v<xsimd::neon64, A>) return gpath::neon;
#endif
  else return gpath::scalar;
}

template <class T, class A>
using bv = simd::batch<T, A>;

template <class A>
QMATH_ALWAYS_INLINE bv<std::uint8_t, A> ld_u8(const std::uint8_t* p) noexcept {
  return bv<std::uint8_t, A>::load_unaligned(p);
}
template <class A>
QMATH_ALWAYS_INLINE bv<std::int8_t, A> ld_s8(const std::int8_t* p) noexcept {
  return bv<std::int8_t, A>::load_unaligned(p);
}

// ---------------------------------------------------------------- xmm / NEON: one block at a time
/// sum (q0 - Off) y[0..16) + (q1 - Off) y[16..32) (q0, q1: 16 codes each).
template <class A, int Off>
QMATH_ALWAYS_INLINE std::int32_t legacy16(const bv<std::uint8_t, A>& q0, const bv<std::uint8_t, A>& q1,
                                          const std::int8_t* a) noexcept {
  bv<std::int32_t, A> acc = simd::gguf_ops::dot16_off<Off>(bv<std::int32_t, A>(0), q0, ld_s8<A>(a), A{});
  acc = simd::gguf_ops::dot16_off<Off>(acc, q1, ld_s8<A>(a + 16), A{});
  return simd::gguf_ops::hsum(acc, A{});
}
template <class A>
QMATH_ALWAYS_INLINE bv<std::uint8_t, A> nib_lo(const bv<std::uint8_t, A>& r) noexcept {
  return r & bv<std::uint8_t, A>(0x0F);
}
template <class A>
QMATH_ALWAYS_INLINE bv<std::uint8_t, A> nib_hi(const bv<std::uint8_t, A>& r) noexcept {
  return simd::gguf_ops::shr_bytes<4, 0x0F>(r, A{});
}
template <class A>
QMATH_ALWAYS_INLINE std::int32_t isum_v(const block_q4_0& x, const block_q8_0& y) noexcept {
  const auto r = ld_u8<A>(x.qs);
  return legacy16<A, 8>(nib_lo<A>(r), nib_hi<A>(r), y.qs);
}
template <class A>
QMATH_ALWAYS_INLINE std::int32_t isum_v(const block_q4_1& x, const block_q8_1& y) noexcept {
  const auto r = ld_u8<A>(x.qs);
  return legacy16<A, 0>(nib_lo<A>(r), nib_hi<A>(r), y.qs);
}
template <class A>
QMATH_ALWAYS_INLINE std::int32_t isum_v(const block_q5_0& x, const block_q8_0& y) noexcept {
  const auto r = ld_u8<A>(x.qs);
  const std::uint32_t qh = qh32(x.qh);
  return legacy16<A, 16>(nib_lo<A>(r) | simd::gguf_ops::bit4_of_bits<A>(qh, A{}),
                         nib_hi<A>(r) | simd::gguf_ops::bit4_of_bits<A>(qh >> 16, A{}), y.qs);
}
template <class A>
QMATH_ALWAYS_INLINE std::int32_t isum_v(const block_q5_1& x, const block_q8_1& y) noexcept {
  const auto r = ld_u8<A>(x.qs);
  const std::uint32_t qh = qh32(x.qh);
  return legacy16<A, 0>(nib_lo<A>(r) | simd::gguf_ops::bit4_of_bits<A>(qh, A{}),
                        nib_hi<A>(r) | simd::gguf_ops::bit4_of_bits<A>(qh >> 16, A{}), y.qs);
}
template <class A>
QMATH_ALWAYS_INLINE std::int32_t isum_v(const block_q8_0& x, const block_q8_0& y) noexcept {
  bv<std::int32_t, A> acc = simd::gguf_ops::dot16_s8(bv<std::int32_t, A>(0), ld_s8<A>(x.qs), ld_s8<A>(y.qs), A{});
  acc = simd::gguf_ops::dot16_s8(acc, ld_s8<A>(x.qs + 16), ld_s8<A>(y.qs + 16), A{});
  return simd::gguf_ops::hsum(acc, A{});
}
template <class A, class X, class Y>
QMATH_ALWAYS_INLINE float dot_v(const X* x, const Y* y, std::size_t nb) noexcept {
  float f[8] = {};
  for (std::size_t b = 0; b < nb; ++b) f[b & 7] = f[b & 7] + term(isum_v<A>(x[b], y[b]), x[b], y[b]);
  return fold8(f);
}

/// K-quants on NEON: 16 codes per step, dot16_s8 (sdot with dotprod).
template <class A>
QMATH_ALWAYS_INLINE kparts kpart_v(const block_q4_k& x, const block_q8_k& y) noexcept {
  using I = bv<std::int32_t, A>;
  std::int32_t s = 0, m = 0;
  for (int c = 0; c < 4; ++c) {
    const auto r0 = ld_u8<A>(x.qs + 32 * c), r1 = ld_u8<A>(x.qs + 32 * c + 16);
    const std::int8_t* a = y.qs + 64 * c;
    I lo = simd::gguf_ops::dot16_off<0>(I(0), nib_lo<A>(r0), ld_s8<A>(a), A{});
    lo = simd::gguf_ops::dot16_off<0>(lo, nib_lo<A>(r1), ld_s8<A>(a + 16), A{});
    I hi = simd::gguf_ops::dot16_off<0>(I(0), nib_hi<A>(r0), ld_s8<A>(a + 32), A{});
    hi = simd::gguf_ops::dot16_off<0>(hi, nib_hi<A>(r1), ld_s8<A>(a + 48), A{});
    std::uint8_t sc, mn;
    get_scale_min_k4(2 * c, x.scales, &sc, &mn);
    s += sc * simd::gguf_ops::hsum(lo, A{});
    m += mn * (y.bsums[4 * c] + y.bsums[4 * c + 1]);
    get_scale_min_k4(2 * c + 1, x.scales, &sc, &mn);
    s += sc * simd::gguf_ops::hsum(hi, A{});
    m += mn * (y.bsums[4 * c + 2] + y.bsums[4 * c + 3]);
  }
  return {s, m};
}
template <class A>
QMATH_ALWAYS_INLINE std::int32_t kpart_v(const block_q6_k& x, const block_q8_k& y) noexcept {
  using U = bv<std::uint8_t, A>;
  using namespace simd::gguf_ops;
  std::int32_t s = 0;
  const U f(0x0F), h3(0x30);
  for (int h = 0; h < 2; ++h) {
    for (int g = 0; g < 2; ++g) {  // l in 16g .. 16g+15
      const U la = ld_u8<A>(x.ql + 64 * h + 16 * g), lb = ld_u8<A>(x.ql + 64 * h + 32 + 16 * g);
      const U qh = ld_u8<A>(x.qh + 32 * h + 16 * g);
      U q[4];
      q[0] = (la & f) | shl_bytes<4, 0x30>(qh, A{});
      q[1] = (lb & f) | shl_bytes<2, 0x30>(qh, A{});
      q[2] = nib_hi<A>(la) | (qh & h3);
      q[3] = nib_hi<A>(lb) | shr_bytes<2, 0x30>(qh, A{});
      for (int k = 0; k < 4; ++k) {
        const int e0 = 128 * h + 32 * k + 16 * g;  // a sub-block of 16
        s += x.scales[e0 / 16] *
             hsum(dot16_off<32>(bv<std::int32_t, A>(0), q[k], ld_s8<A>(y.qs + e0), A{}), A{});
      }
    }
  }
  return s;
}

// ---------------------------------------------------------------- ymm: 8 blocks per float step
#if defined(QMATH_ARCH_X86) && defined(__AVX2__) && defined(__FMA__)
/// The block vector of the levels from avx2: 32 byte lanes.
using ymm = simd::arch<isa::avx2>;

template <class A> QMATH_ALWAYS_INLINE bv<std::int32_t, ymm> part(const block_q4_0& x, const block_q8_0& y) noexcept {
  return simd::gguf_ops::part_u<8>(simd::gguf_ops::nibbles32<ymm>(x.qs, ymm{}), ld_s8<ymm>(y.qs), A{});
}
template <class A> QMATH_ALWAYS_INLINE bv<std::int32_t, ymm> part(const block_q4_1& x, const block_q8_1& y) noexcept {
  return simd::gguf_ops::part_u<0>(simd::gguf_ops::nibbles32<ymm>(x.qs, ymm{}), ld_s8<ymm>(y.qs), A{});
}
template <class A> QMATH_ALWAYS_INLINE bv<std::int32_t, ymm> part(const block_q5_0& x, const block_q8_0& y) noexcept {
  const auto q = simd::gguf_ops::nibbles32<ymm>(x.qs, ymm{}) | simd::gguf_ops::bit4_of_bits<ymm>(qh32(x.qh), ymm{});
  return simd::gguf_ops::part_u<16>(q, ld_s8<ymm>(y.qs), A{});
}
template <class A> QMATH_ALWAYS_INLINE bv<std::int32_t, ymm> part(const block_q5_1& x, const block_q8_1& y) noexcept {
  const auto q = simd::gguf_ops::nibbles32<ymm>(x.qs, ymm{}) | simd::gguf_ops::bit4_of_bits<ymm>(qh32(x.qh), ymm{});
  return simd::gguf_ops::part_u<0>(q, ld_s8<ymm>(y.qs), A{});
}
template <class A> QMATH_ALWAYS_INLINE bv<std::int32_t, ymm> part(const block_q8_0& x, const block_q8_0& y) noexcept {
  return simd::gguf_ops::part_s8(ld_s8<ymm>(x.qs), ld_s8<ymm>(y.qs), A{});
}

QMATH_ALWAYS_INLINE bv<float, ymm> fence8(const bv<float, ymm>& v) noexcept { return simd::gguf_ops::fence(v, ymm{}); }

/// 8 binary16 values (low 16 bits of each lane) -> float32, exactly as h2f.
QMATH_ALWAYS_INLINE bv<float, ymm> h2f8(const bv<std::int32_t, ymm>& h) noexcept {
  using I = bv<std::int32_t, ymm>;
  const I sign = (h & I(0x8000)) << 16;
  const I mag = h & I(0x7FFF);
  const I normal = (mag << 13) + I(112 << 23);
  const I sub = simd::bitcast<std::int32_t>(fence8(simd::to_f32(mag) * bv<float, ymm>(5.9604644775390625e-8f)));
  const I special = simd::select(mag == I(0x7C00), I(0x7F800000), I(0x7FC00000));
  I r = simd::select(I(0x400) > mag, sub, normal);
  r = simd::select(mag > I(0x7BFF), special, r);
  return simd::bitcast<float>(r | sign);
}

/// The fp16 field at byte offset Off of 8 consecutive blocks, as int32 lanes.
template <std::size_t Off, class X>
QMATH_ALWAYS_INLINE bv<std::int32_t, ymm> half8(const X* x) noexcept {
  const auto at = [x](int k) {
    std::uint16_t h;
    std::memcpy(&h, reinterpret_cast<const std::uint8_t*>(x + k) + Off, 2);
    return static_cast<std::int32_t>(h);
  };
  return simd::gguf_ops::setr8<ymm>(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), ymm{});
}

/// Blocks [0, n) (n a multiple of 8) into acc: block k into lane k % 8. ys[k]: the vector's d,
/// ss[k]: its s (Q8_1), both decoded already.
template <class A, class X, class Y>
QMATH_ALWAYS_INLINE void dot_ymm(const X* x, const Y* y, const float* ys, const float* ss, std::size_t n,
                                 bv<float, ymm>& acc) noexcept {
  for (std::size_t b = 0; b < n; b += 8) {
    bv<std::int32_t, ymm> p[8];
    QMATH_GGUF_UNROLL for (int k = 0; k < 8; ++k) p[k] = part<A>(x[b + k], y[b + k]);
    const bv<float, ymm> s = simd::to_f32(simd::gguf_ops::reduce8(p, ymm{}));
    const bv<float, ymm> dd = fence8(h2f8(half8<offsetof(X, d)>(x + b)) * bv<float, ymm>::load_aligned(ys + b));
    bv<float, ymm> t = fence8(s * dd);
    if constexpr (std::is_same_v<Y, block_q8_1>)
      t = t + fence8(h2f8(half8<offsetof(X, m)>(x + b)) * bv<float, ymm>::load_aligned(ss + b));
    acc = acc + t;
  }
}

// K-quants (every x86 level from avx2): vpmaddubsw on 4/6-bit codes, scales by vpmaddwd.
/// Q4_K: int32 lanes summing to S and to M (not reduced).
QMATH_ALWAYS_INLINE void kvec_ymm(const block_q4_k& x, const block_q8_k& y, bv<std::int32_t, ymm>& s_out,
                                  bv<std::int32_t, ymm>& m_out) noexcept {
  using namespace simd::gguf_ops;
  // Scales as int16 in both halves (sc[2c] for the low nibbles of chunk c, sc[2c+1] for the high),
  // mins as int16, each twice.
  bv<std::int16_t, ymm> scb, mn2;
  q4k_scales_mins(x.scales, scb, mn2, ymm{});
  // M = sum_j m_j (bsums[2j] + bsums[2j+1]): the mins against the 16 bsums.
  const bv<std::int32_t, ymm> mterm = madd(bv<std::int16_t, ymm>::load_unaligned(y.bsums), mn2, ymm{});
  const bv<std::uint8_t, ymm> f(0x0F);
  bv<std::int32_t, ymm> acc(0);
  QMATH_GGUF_UNROLL for (int c = 0; c < 4; ++c) {
    const bv<std::uint8_t, ymm> raw = ld_u8<ymm>(x.qs + 32 * c);
    const bv<std::uint8_t, ymm> lo = raw & f, hi = shr_bytes<4, 0x0F>(raw, ymm{});
    bv<std::int16_t, ymm> s0, s1;
    switch (c) {  // (constant after unrolling)
      case 0: s0 = splat16<0, 0>(scb, ymm{}); s1 = splat16<1, 1>(scb, ymm{}); break;
      case 1: s0 = splat16<2, 2>(scb, ymm{}); s1 = splat16<3, 3>(scb, ymm{}); break;
      case 2: s0 = splat16<4, 4>(scb, ymm{}); s1 = splat16<5, 5>(scb, ymm{}); break;
      default: s0 = splat16<6, 6>(scb, ymm{}); s1 = splat16<7, 7>(scb, ymm{}); break;
    }
    const bv<std::int32_t, ymm> p0 = madd(maddubs(lo, ld_s8<ymm>(y.qs + 64 * c), ymm{}), s0, ymm{});
    const bv<std::int32_t, ymm> p1 = madd(maddubs(hi, ld_s8<ymm>(y.qs + 64 * c + 32), ymm{}), s1, ymm{});
    acc = acc + (p0 + p1);
  }
  s_out = acc;
  m_out = mterm;
}
QMATH_ALWAYS_INLINE kparts kpart_ymm(const block_q4_k& x, const block_q8_k& y) noexcept {
  bv<std::int32_t, ymm> s, m;
  kvec_ymm(x, y, s, m);
  return {simd::gguf_ops::hsum(s, ymm{}), simd::gguf_ops::hsum(m, ymm{})};
}
/// Q6_K: int32 lanes summing to S (not reduced).
QMATH_ALWAYS_INLINE void kvec_ymm(const block_q6_k& x, const block_q8_k& y, bv<std::int32_t, ymm>& s_out,
                                  bv<std::int32_t, ymm>& m_out) noexcept {
  using namespace simd::gguf_ops;
  using U = bv<std::uint8_t, ymm>;
  const U f(0x0F), h3(0x30);
  const bv<std::int8_t, ymm> m32(32);
  bv<std::int32_t, ymm> acc(0);
  QMATH_GGUF_UNROLL for (int h = 0; h < 2; ++h) {
    const U la = ld_u8<ymm>(x.ql + 64 * h), lb = ld_u8<ymm>(x.ql + 64 * h + 32), qh = ld_u8<ymm>(x.qh + 32 * h);
    // scales 8h .. 8h+7 as int16 in both halves
    const bv<std::int16_t, ymm> scb = bytes8_to_i16_x2<ymm>(x.scales + 8 * h, ymm{});
    U q[4];
    q[0] = (la & f) | shl_bytes<4, 0x30>(qh, ymm{});
    q[1] = (lb & f) | shl_bytes<2, 0x30>(qh, ymm{});
    q[2] = shr_bytes<4, 0x0F>(la, ymm{}) | (qh & h3);
    q[3] = shr_bytes<4, 0x0F>(lb, ymm{}) | shr_bytes<2, 0x30>(qh, ymm{});
    QMATH_GGUF_UNROLL for (int k = 0; k < 4; ++k) {
      const bv<std::int8_t, ymm> a = ld_s8<ymm>(y.qs + 128 * h + 32 * k);
      // sum over pairs of (q - 32) a: q*a - 32*(a0 + a1), both terms and the difference within int16
      const bv<std::int16_t, ymm> d16 = maddubs(q[k], a, ymm{}) - maddubs(bitcast<std::uint8_t>(m32), a, ymm{});
      // low half: scale 2k, high half: scale 2k+1
      bv<std::int16_t, ymm> s;
      switch (k) {  // (constant after unrolling)
        case 0: s = splat16<0, 1>(scb, ymm{}); break;
        case 1: s = splat16<2, 3>(scb, ymm{}); break;
        case 2: s = splat16<4, 5>(scb, ymm{}); break;
        default: s = splat16<6, 7>(scb, ymm{}); break;
      }
      acc = acc + madd(d16, s, ymm{});
    }
  }
  s_out = acc;
  m_out = bv<std::int32_t, ymm>(0);
}
QMATH_ALWAYS_INLINE std::int32_t kpart_ymm(const block_q6_k& x, const block_q8_k& y) noexcept {
  bv<std::int32_t, ymm> s, m;
  kvec_ymm(x, y, s, m);
  return simd::gguf_ops::hsum(s, ymm{});
}

/// K-quant super-blocks [0, n) (n a multiple of 8) into acc, 8 at a time: block k into lane k % 8.
template <class X>
QMATH_ALWAYS_INLINE void kdot_ymm(const X* x, const block_q8_k* y, std::size_t n, bv<float, ymm>& acc) noexcept {
  for (std::size_t b = 0; b < n; b += 8) {
    bv<std::int32_t, ymm> sv[8], mv[8];
    QMATH_GGUF_UNROLL for (int k = 0; k < 8; ++k) kvec_ymm(x[b + k], y[b + k], sv[k], mv[k]);
    const bv<float, ymm> yd = simd::gguf_ops::setr8<ymm>(y[b].d, y[b + 1].d, y[b + 2].d, y[b + 3].d, y[b + 4].d,
                                                         y[b + 5].d, y[b + 6].d, y[b + 7].d, ymm{});
    const bv<float, ymm> dd = fence8(h2f8(half8<offsetof(X, d)>(x + b)) * yd);
    bv<float, ymm> t = fence8(simd::to_f32(simd::gguf_ops::reduce8(sv, ymm{})) * dd);
    if constexpr (std::is_same_v<X, block_q4_k>) {
      const bv<float, ymm> dm = fence8(h2f8(half8<offsetof(X, dmin)>(x + b)) * yd);
      t = t - fence8(simd::to_f32(simd::gguf_ops::reduce8(mv, ymm{})) * dm);
    }
    acc = acc + t;
  }
}
#endif  // ymm

}  // namespace gguf_k

template <class A, class X, class Y>
void gguf_dot_legacy(const void* xv, std::size_t x_stride, std::size_t rows, const void* yv, std::size_t nb,
                     float* out) noexcept {
  using namespace gguf_k;
  constexpr gpath path = path_of<A>();
  const Y* y = static_cast<const Y*>(yv);
#if defined(QMATH_ARCH_X86) && defined(__AVX2__) && defined(__FMA__)
  if constexpr (path == gpath::ymm) {
    // The vector's scales, decoded once for all rows when nb <= 512, else once per row and piece.
    constexpr std::size_t piece = 512;
    alignas(32) float ys[piece], ss[piece];
    const std::size_t nfull = nb & ~static_cast<std::size_t>(7);
    auto decode = [&](std::size_t p0, std::size_t p1) {
      for (std::size_t b = p0; b < p1; ++b) {
        ys[b - p0] = h2f(y[b].d);
        if constexpr (std::is_same_v<Y, block_q8_1>) ss[b - p0] = h2f(y[b].s);
      }
    };
    if (nfull <= piece) decode(0, nfull);
    for (std::size_t r = 0; r < rows; ++r) {
      const X* x = reinterpret_cast<const X*>(static_cast<const std::uint8_t*>(xv) + r * x_stride);
      bv<float, ymm> acc(0.0f);
      for (std::size_t p0 = 0; p0 < nfull; p0 += piece) {
        const std::size_t p1 = p0 + piece < nfull ? p0 + piece : nfull;
        if (nfull > piece) decode(p0, p1);
        dot_ymm<A>(x + p0, y + p0, ys, ss, p1 - p0, acc);
      }
      alignas(32) float f[8];
      acc.store_aligned(f);
      out[r] = dot_scalar(x, y, nfull, nb, f);
    }
    return;
  }
#endif
  for (std::size_t r = 0; r < rows; ++r) {
    const X* x = reinterpret_cast<const X*>(static_cast<const std::uint8_t*>(xv) + r * x_stride);
    if constexpr (path == gpath::xmm || path == gpath::neon) {
      out[r] = dot_v<A>(x, y, nb);
    } else {
      float f[8] = {};
      out[r] = dot_scalar(x, y, 0, nb, f);
    }
  }
}

template <class A, class X>
void gguf_dot_k(const void* xv, std::size_t x_stride, std::size_t rows, const void* yv, std::size_t nb,
                float* out) noexcept {
  using namespace gguf_k;
  constexpr gpath path = path_of<A>();
  const block_q8_k* y = static_cast<const block_q8_k*>(yv);
  for (std::size_t r = 0; r < rows; ++r) {
    const X* x = reinterpret_cast<const X*>(static_cast<const std::uint8_t*>(xv) + r * x_stride);
    alignas(32) float f[8] = {};
    std::size_t b0 = 0;
#if defined(QMATH_ARCH_X86) && defined(__AVX2__) && defined(__FMA__)
    if constexpr (path == gpath::ymm) {
      b0 = nb & ~static_cast<std::size_t>(7);
      bv<float, ymm> acc(0.0f);
      kdot_ymm(x, y, b0, acc);
      acc.store_aligned(f);
    }
#endif
    for (std::size_t b = b0; b < nb; ++b) {
      float t;
#if defined(QMATH_ARCH_X86) && defined(__AVX2__) && defined(__FMA__)
      if constexpr (path == gpath::ymm) {
        t = kterm(kpart_ymm(x[b], y[b]), x[b], y[b]);
      } else
#endif
      if constexpr (path == gpath::neon) {
        t = kterm(kpart_v<A>(x[b], y[b]), x[b], y[b]);
      } else {
        t = kterm(kpart_scalar(x[b], y[b]), x[b], y[b]);
      }
      f[b & 7] = f[b & 7] + t;
    }
    out[r] = fold8(f);
  }
}

/// The levels at which GGUF kernels differ; i8mm runs the dotprod kernels.
template <isa L>
using gguf_arch = simd::fallback_arch<L, isa::scalar, isa::sse2, isa::sse41, isa::avx2, isa::avxvnni, isa::avx512,
                                      isa::avx512vnni, isa::neon, isa::dotprod>;

template <isa L>
inline constexpr detail::gguf_kernels gguf_table{
    L,
    &gguf_dot_legacy<gguf_arch<L>, gguf::block_q4_0, gguf::block_q8_0>,
    &gguf_dot_legacy<gguf_arch<L>, gguf::block_q4_1, gguf::block_q8_1>,
    &gguf_dot_legacy<gguf_arch<L>, gguf::block_q5_0, gguf::block_q8_0>,
    &gguf_dot_legacy<gguf_arch<L>, gguf::block_q5_1, gguf::block_q8_1>,
    &gguf_dot_legacy<gguf_arch<L>, gguf::block_q8_0, gguf::block_q8_0>,
    &gguf_dot_k<gguf_arch<L>, gguf::block_q4_k>,
    &gguf_dot_k<gguf_arch<L>, gguf::block_q6_k>};

QMATH_KERNEL_FAMILY(gguf)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
