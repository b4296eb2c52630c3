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

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/gguf/blocks.hpp"
#include "qmath/simd/arch/x86.hpp"
#include "qmath/simd/dispatch.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>
#elif defined(QMATH_ARCH_AARCH64)
#include <arm_neon.h>
#endif

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

// ---------------------------------------------------------------- x86
#if defined(QMATH_ARCH_X86) && defined(__SSE4_1__)
QMATH_ALWAYS_INLINE __m128i sum_i16_pairs128(__m128i v) noexcept { return _mm_madd_epi16(v, _mm_set1_epi16(1)); }
/// sum (q - off) * a over 16 elements, q in 0..31 (u8), a int8; off = 2^sh (sh < 0: no offset).
template <int Sh>
QMATH_ALWAYS_INLINE __m128i dot16_u(__m128i q, __m128i a) noexcept {
  __m128i p = _mm_maddubs_epi16(q, a);
  if constexpr (Sh >= 0) p = _mm_sub_epi16(p, _mm_slli_epi16(_mm_maddubs_epi16(_mm_set1_epi8(1), a), Sh));
  return sum_i16_pairs128(p);
}
QMATH_ALWAYS_INLINE __m128i dot16_s8(__m128i x, __m128i a) noexcept {
  const __m128i lo = _mm_madd_epi16(_mm_cvtepi8_epi16(x), _mm_cvtepi8_epi16(a));
  const __m128i hi = _mm_madd_epi16(_mm_cvtepi8_epi16(_mm_unpackhi_epi64(x, x)), _mm_cvtepi8_epi16(_mm_unpackhi_epi64(a, a)));
  return _mm_add_epi32(lo, hi);
}
/// Bit 4 of elements 16h .. 16h+15 from qh: 0x10 where set.
QMATH_ALWAYS_INLINE __m128i qh_bits128(std::uint32_t qh, int h) noexcept {
  const std::uint32_t v = qh >> (16 * h);
  const __m128i b = _mm_set_epi64x(static_cast<long long>(0x0101010101010101ull * ((v >> 8) & 0xFF)),
                                   static_cast<long long>(0x0101010101010101ull * (v & 0xFF)));
  const __m128i m = _mm_set_epi64x(static_cast<long long>(0x8040201008040201ull), static_cast<long long>(0x8040201008040201ull));
  return _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(b, m), m), _mm_set1_epi8(0x10));
}
#endif

#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
QMATH_ALWAYS_INLINE __m256 fence256(__m256 v) noexcept {
  __asm__("" : "+x"(v));
  return v;
}
QMATH_ALWAYS_INLINE __m256i nibbles256(const std::uint8_t* qs) noexcept {
  const __m128i r = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i f = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(r, 4), f), _mm_and_si128(r, f));
}
/// Bit 4 of every element from qh: byte i of the result is 0x10 when bit i of qh is set.
QMATH_ALWAYS_INLINE __m256i qh_bits256(std::uint32_t qh) noexcept {
  const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(qh)),
                                        _mm256_setr_epi64x(0, 0x0101010101010101ll, 0x0202020202020202ll, 0x0303030303030303ll));
  const __m256i m = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, m), m), _mm256_set1_epi8(0x10));
}
QMATH_ALWAYS_INLINE __m256i loadu256(const void* p) noexcept { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
QMATH_ALWAYS_INLINE __m256i sum_i16_pairs(__m256i v) noexcept { return _mm256_madd_epi16(v, _mm256_set1_epi16(1)); }

#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
#define QMATH_GGUF_HAS_VNNI256 1
QMATH_ALWAYS_INLINE __m256i dpbusd256(__m256i acc, __m256i u, __m256i s) noexcept {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  return _mm256_dpbusd_avx_epi32(acc, u, s);
#endif
}
#endif

/// Per-block int32 partial sums (8 lanes whose total is the block's exact sum).
template <bool Vnni, int Off>
QMATH_ALWAYS_INLINE __m256i part_u(__m256i q, __m256i a) noexcept {
#if defined(QMATH_GGUF_HAS_VNNI256)
  if constexpr (Vnni) {
    __m256i p = dpbusd256(_mm256_setzero_si256(), q, a);
    if constexpr (Off > 0) p = _mm256_sub_epi32(p, dpbusd256(_mm256_setzero_si256(), _mm256_set1_epi8(Off), a));
    return p;
  }
#endif
  __m256i p = _mm256_maddubs_epi16(q, a);
  if constexpr (Off > 0) p = _mm256_sub_epi16(p, _mm256_maddubs_epi16(_mm256_set1_epi8(Off), a));  // Off*(a0+a1), |.| <= 4096
  return sum_i16_pairs(p);
}
template <bool Vnni>
QMATH_ALWAYS_INLINE __m256i part_s8(__m256i x, __m256i a) noexcept {
#if defined(QMATH_GGUF_HAS_VNNI256)
  if constexpr (Vnni) {
    const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
    return _mm256_sub_epi32(dpbusd256(_mm256_setzero_si256(), _mm256_xor_si256(x, bias), a),
                            dpbusd256(_mm256_setzero_si256(), bias, a));
  }
#endif
  const __m256i lo = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(x)), _mm256_cvtepi8_epi16(_mm256_castsi256_si128(a)));
  const __m256i hi = _mm256_madd_epi16(_mm256_cvtepi8_epi16(x86::hi128(x)), _mm256_cvtepi8_epi16(x86::hi128(a)));
  return _mm256_add_epi32(lo, hi);
}

template <bool Vnni> QMATH_ALWAYS_INLINE __m256i part(const block_q4_0& x, const block_q8_0& y) noexcept {
  return part_u<Vnni, 8>(nibbles256(x.qs), loadu256(y.qs));
}
template <bool Vnni> QMATH_ALWAYS_INLINE __m256i part(const block_q4_1& x, const block_q8_1& y) noexcept {
  return part_u<Vnni, 0>(nibbles256(x.qs), loadu256(y.qs));
}
template <bool Vnni> QMATH_ALWAYS_INLINE __m256i part(const block_q5_0& x, const block_q8_0& y) noexcept {
  return part_u<Vnni, 16>(_mm256_or_si256(nibbles256(x.qs), qh_bits256(qh32(x.qh))), loadu256(y.qs));
}
template <bool Vnni> QMATH_ALWAYS_INLINE __m256i part(const block_q5_1& x, const block_q8_1& y) noexcept {
  return part_u<Vnni, 0>(_mm256_or_si256(nibbles256(x.qs), qh_bits256(qh32(x.qh))), loadu256(y.qs));
}
template <bool Vnni> QMATH_ALWAYS_INLINE __m256i part(const block_q8_0& x, const block_q8_0& y) noexcept {
  return part_s8<Vnni>(loadu256(x.qs), loadu256(y.qs));
}

/// Totals of 8 vectors of 8 int32 lanes, in order (exact: wrapping int32 adds).
QMATH_ALWAYS_INLINE __m256i reduce8(const __m256i* v) noexcept {
  const __m256i a01 = _mm256_hadd_epi32(v[0], v[1]), a23 = _mm256_hadd_epi32(v[2], v[3]);
  const __m256i a45 = _mm256_hadd_epi32(v[4], v[5]), a67 = _mm256_hadd_epi32(v[6], v[7]);
  const __m256i b0 = _mm256_hadd_epi32(a01, a23), b1 = _mm256_hadd_epi32(a45, a67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(b0, b1, 0x20), _mm256_permute2x128_si256(b0, b1, 0x31));
}

/// 8 binary16 values (low 16 bits of each lane) -> float32, exactly as h2f.
QMATH_ALWAYS_INLINE __m256 h2f8(__m256i h) noexcept {
  const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(0x8000)), 16);
  const __m256i mag = _mm256_and_si256(h, _mm256_set1_epi32(0x7FFF));
  const __m256i normal = _mm256_add_epi32(_mm256_slli_epi32(mag, 13), _mm256_set1_epi32(112 << 23));
  const __m256i sub = _mm256_castps_si256(fence256(_mm256_mul_ps(_mm256_cvtepi32_ps(mag), _mm256_set1_ps(5.9604644775390625e-8f))));
  const __m256i special = _mm256_blendv_epi8(_mm256_set1_epi32(0x7FC00000), _mm256_set1_epi32(0x7F800000),
                                             _mm256_cmpeq_epi32(mag, _mm256_set1_epi32(0x7C00)));
  __m256i r = _mm256_blendv_epi8(normal, sub, _mm256_cmpgt_epi32(_mm256_set1_epi32(0x400), mag));
  r = _mm256_blendv_epi8(r, special, _mm256_cmpgt_epi32(mag, _mm256_set1_epi32(0x7BFF)));
  return _mm256_castsi256_ps(_mm256_or_si256(r, sign));
}

/// The fp16 field at byte offset Off of 8 consecutive blocks, as int32 lanes.
template <std::size_t Off, class X>
QMATH_ALWAYS_INLINE __m256i half8(const X* x) noexcept {
  const auto at = [x](int k) {
    std::uint16_t h;
    std::memcpy(&h, reinterpret_cast<const std::uint8_t*>(x + k) + Off, 2);
    return static_cast<int>(h);
  };
  return _mm256_setr_epi32(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7));
}

/// Blocks [0, n) (n a multiple of 8) into acc: block k into lane k % 8. ys[k]: the vector's d,
/// ss[k]: its s (Q8_1), both decoded already.
template <bool Vnni, class X, class Y>
QMATH_ALWAYS_INLINE void dot_avx2(const X* x, const Y* y, const float* ys, const float* ss, std::size_t n,
                                  __m256& acc) noexcept {
  for (std::size_t b = 0; b < n; b += 8) {
    __m256i p[8];
    QMATH_GGUF_UNROLL for (int k = 0; k < 8; ++k) p[k] = part<Vnni>(x[b + k], y[b + k]);
    const __m256 s = _mm256_cvtepi32_ps(reduce8(p));
    const __m256 dd = fence256(_mm256_mul_ps(h2f8(half8<offsetof(X, d)>(x + b)), _mm256_load_ps(ys + b)));
    __m256 t = fence256(_mm256_mul_ps(s, dd));
    if constexpr (std::is_same_v<Y, block_q8_1>)
      t = _mm256_add_ps(t, fence256(_mm256_mul_ps(h2f8(half8<offsetof(X, m)>(x + b)), _mm256_load_ps(ss + b))));
    acc = _mm256_add_ps(acc, t);
  }
}

// K-quants (every x86 level from avx2): vpmaddubsw on 4/6-bit codes, scales by vpmaddwd.
/// Q4_K: the 8 scales (bytes 0..7) and 8 mins (bytes 8..15) of get_scale_min_k4, unpacked at once.
QMATH_ALWAYS_INLINE __m128i q4k_scales_mins(const std::uint8_t* s12) noexcept {
  std::uint32_t u[4];
  std::memcpy(u, s12, 12);
  const std::uint32_t m6 = 0x3F3F3F3Fu, m4 = 0x0F0F0F0Fu, m2 = 0x03030303u;
  const std::uint32_t sc_lo = u[0] & m6, sc_hi = (u[2] & m4) | (((u[0] >> 6) & m2) << 4);
  const std::uint32_t mn_lo = u[1] & m6, mn_hi = ((u[2] >> 4) & m4) | (((u[1] >> 6) & m2) << 4);
  return _mm_setr_epi32(static_cast<int>(sc_lo), static_cast<int>(sc_hi), static_cast<int>(mn_lo), static_cast<int>(mn_hi));
}
/// Q4_K: int32 lanes summing to S and to M (not reduced).
QMATH_ALWAYS_INLINE void kvec_avx2(const block_q4_k& x, const block_q8_k& y, __m256i& s_out, __m256i& m_out) noexcept {
  const __m128i sm = q4k_scales_mins(x.scales);
  // M = sum_j m_j (bsums[2j] + bsums[2j+1]): mins as int16, each twice, against the 16 bsums.
  const __m128i mn16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
  const __m256i mn2 = _mm256_set_m128i(_mm_unpackhi_epi16(mn16, mn16), _mm_unpacklo_epi16(mn16, mn16));
  const __m256i mterm = _mm256_madd_epi16(loadu256(y.bsums), mn2);
  // Scales as int16 pairs (sc[2c] low lane, sc[2c+1] high lane of chunk c).
  const __m128i sc16 = _mm_cvtepu8_epi16(sm);
  const __m256i scb = _mm256_broadcastsi128_si256(sc16);
  const __m256i f = _mm256_set1_epi8(0x0F);
  __m256i acc = _mm256_setzero_si256();
  QMATH_GGUF_UNROLL for (int c = 0; c < 4; ++c) {
    const __m256i raw = loadu256(x.qs + 32 * c);
    const __m256i lo = _mm256_and_si256(raw, f), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), f);
    const __m256i s0 = _mm256_shuffle_epi8(scb, _mm256_set1_epi16(static_cast<short>(0x0100 + 0x0404 * c)));
    const __m256i s1 = _mm256_shuffle_epi8(scb, _mm256_set1_epi16(static_cast<short>(0x0302 + 0x0404 * c)));
    const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, loadu256(y.qs + 64 * c)), s0);
    const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, loadu256(y.qs + 64 * c + 32)), s1);
    acc = _mm256_add_epi32(acc, _mm256_add_epi32(p0, p1));
  }
  s_out = acc;
  m_out = mterm;
}
QMATH_ALWAYS_INLINE kparts kpart_avx2(const block_q4_k& x, const block_q8_k& y) noexcept {
  __m256i s, m;
  kvec_avx2(x, y, s, m);
  return {x86::hsum_epi32(s), x86::hsum_epi32(m)};
}
/// Q6_K: int32 lanes summing to S (not reduced).
QMATH_ALWAYS_INLINE void kvec_avx2(const block_q6_k& x, const block_q8_k& y, __m256i& s_out, __m256i& m_out) noexcept {
  const __m256i f = _mm256_set1_epi8(0x0F), h3 = _mm256_set1_epi8(0x30), m32 = _mm256_set1_epi8(32);
  __m256i acc = _mm256_setzero_si256();
  QMATH_GGUF_UNROLL for (int h = 0; h < 2; ++h) {
    const __m256i la = loadu256(x.ql + 64 * h), lb = loadu256(x.ql + 64 * h + 32), qh = loadu256(x.qh + 32 * h);
    // scales 8h .. 8h+7 as int16 in both lanes
    const __m256i scb = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x.scales + 8 * h))));
    __m256i q[4];
    q[0] = _mm256_or_si256(_mm256_and_si256(la, f), _mm256_and_si256(_mm256_slli_epi16(qh, 4), h3));
    q[1] = _mm256_or_si256(_mm256_and_si256(lb, f), _mm256_and_si256(_mm256_slli_epi16(qh, 2), h3));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(la, 4), f), _mm256_and_si256(qh, h3));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lb, 4), f), _mm256_and_si256(_mm256_srli_epi16(qh, 2), h3));
    QMATH_GGUF_UNROLL for (int k = 0; k < 4; ++k) {
      const __m256i a = loadu256(y.qs + 128 * h + 32 * k);
      // sum over pairs of (q - 32) a: q*a - 32*(a0 + a1), both terms and the difference within int16
      const __m256i d16 = _mm256_sub_epi16(_mm256_maddubs_epi16(q[k], a), _mm256_maddubs_epi16(m32, a));
      // low lane: scale 2k (int16 bytes 4k, 4k+1), high lane: scale 2k+1 (bytes 4k+2, 4k+3)
      const short lo_idx = static_cast<short>(0x0100 + 0x0404 * k), hi_idx = static_cast<short>(0x0302 + 0x0404 * k);
      const __m256i s = _mm256_shuffle_epi8(scb, _mm256_set_m128i(_mm_set1_epi16(hi_idx), _mm_set1_epi16(lo_idx)));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(d16, s));
    }
  }
  s_out = acc;
  m_out = _mm256_setzero_si256();
}
QMATH_ALWAYS_INLINE std::int32_t kpart_avx2(const block_q6_k& x, const block_q8_k& y) noexcept {
  __m256i s, m;
  kvec_avx2(x, y, s, m);
  return x86::hsum_epi32(s);
}

/// K-quant super-blocks [0, n) (n a multiple of 8) into acc, 8 at a time: block k into lane k % 8.
template <class X>
QMATH_ALWAYS_INLINE void kdot_avx2(const X* x, const block_q8_k* y, std::size_t n, __m256& acc) noexcept {
  for (std::size_t b = 0; b < n; b += 8) {
    __m256i sv[8], mv[8];
    QMATH_GGUF_UNROLL for (int k = 0; k < 8; ++k) kvec_avx2(x[b + k], y[b + k], sv[k], mv[k]);
    const __m256 yd = _mm256_setr_ps(y[b].d, y[b + 1].d, y[b + 2].d, y[b + 3].d, y[b + 4].d, y[b + 5].d, y[b + 6].d, y[b + 7].d);
    const __m256 dd = fence256(_mm256_mul_ps(h2f8(half8<offsetof(X, d)>(x + b)), yd));
    __m256 t = fence256(_mm256_mul_ps(_mm256_cvtepi32_ps(reduce8(sv)), dd));
    if constexpr (std::is_same_v<X, block_q4_k>) {
      const __m256 dm = fence256(_mm256_mul_ps(h2f8(half8<offsetof(X, dmin)>(x + b)), yd));
      t = _mm256_sub_ps(t, fence256(_mm256_mul_ps(_mm256_cvtepi32_ps(reduce8(mv)), dm)));
    }
    acc = _mm256_add_ps(acc, t);
  }
}
#endif  // AVX2

#if defined(QMATH_ARCH_X86) && defined(__SSE4_1__)
QMATH_ALWAYS_INLINE __m128i nib_lo(const std::uint8_t* qs) noexcept {
  return _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)), _mm_set1_epi8(0x0F));
}
QMATH_ALWAYS_INLINE __m128i nib_hi(const std::uint8_t* qs) noexcept {
  return _mm_and_si128(_mm_srli_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)), 4), _mm_set1_epi8(0x0F));
}
QMATH_ALWAYS_INLINE __m128i ld128(const void* p) noexcept { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
QMATH_ALWAYS_INLINE std::int32_t isum_sse(const block_q4_0& x, const block_q8_0& y) noexcept {
  return x86::hsum_epi32(_mm_add_epi32(dot16_u<3>(nib_lo(x.qs), ld128(y.qs)), dot16_u<3>(nib_hi(x.qs), ld128(y.qs + 16))));
}
QMATH_ALWAYS_INLINE std::int32_t isum_sse(const block_q4_1& x, const block_q8_1& y) noexcept {
  return x86::hsum_epi32(_mm_add_epi32(dot16_u<-1>(nib_lo(x.qs), ld128(y.qs)), dot16_u<-1>(nib_hi(x.qs), ld128(y.qs + 16))));
}
QMATH_ALWAYS_INLINE std::int32_t isum_sse(const block_q5_0& x, const block_q8_0& y) noexcept {
  const std::uint32_t qh = qh32(x.qh);
  return x86::hsum_epi32(_mm_add_epi32(dot16_u<4>(_mm_or_si128(nib_lo(x.qs), qh_bits128(qh, 0)), ld128(y.qs)),
                                       dot16_u<4>(_mm_or_si128(nib_hi(x.qs), qh_bits128(qh, 1)), ld128(y.qs + 16))));
}
QMATH_ALWAYS_INLINE std::int32_t isum_sse(const block_q5_1& x, const block_q8_1& y) noexcept {
  const std::uint32_t qh = qh32(x.qh);
  return x86::hsum_epi32(_mm_add_epi32(dot16_u<-1>(_mm_or_si128(nib_lo(x.qs), qh_bits128(qh, 0)), ld128(y.qs)),
                                       dot16_u<-1>(_mm_or_si128(nib_hi(x.qs), qh_bits128(qh, 1)), ld128(y.qs + 16))));
}
QMATH_ALWAYS_INLINE std::int32_t isum_sse(const block_q8_0& x, const block_q8_0& y) noexcept {
  return x86::hsum_epi32(_mm_add_epi32(dot16_s8(ld128(x.qs), ld128(y.qs)), dot16_s8(ld128(x.qs + 16), ld128(y.qs + 16))));
}
template <class X, class Y>
QMATH_ALWAYS_INLINE float dot_sse41(const X* x, const Y* y, std::size_t nb) noexcept {
  float f[8] = {};
  for (std::size_t b = 0; b < nb; ++b) f[b & 7] = f[b & 7] + term(isum_sse(x[b], y[b]), x[b], y[b]);
  return fold8(f);
}
#endif

// ---------------------------------------------------------------- AArch64
#if defined(QMATH_ARCH_AARCH64)
template <bool Dot>
QMATH_ALWAYS_INLINE int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) noexcept {
#if defined(__ARM_FEATURE_DOTPROD)
  if constexpr (Dot) return vdotq_s32(acc, a, b);
#endif
  const int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
  const int16x8_t hi = vmull_high_s8(a, b);
  return vpadalq_s16(vpadalq_s16(acc, lo), hi);
}
/// Bit 4 of elements 16h .. 16h+15 as 0x10 bytes.
QMATH_ALWAYS_INLINE uint8x16_t qh_bits_neon(std::uint32_t qh, int h) noexcept {
  const std::uint32_t v = qh >> (16 * h);
  const uint8x8_t m = vcreate_u8(0x8040201008040201ull);
  const uint8x16_t t = vcombine_u8(vtst_u8(vdup_n_u8(static_cast<std::uint8_t>(v & 0xFF)), m),
                                   vtst_u8(vdup_n_u8(static_cast<std::uint8_t>((v >> 8) & 0xFF)), m));
  return vandq_u8(t, vdupq_n_u8(0x10));
}
template <bool Dot, int Off>
QMATH_ALWAYS_INLINE std::int32_t legacy_neon(uint8x16_t q0, uint8x16_t q1, const std::int8_t* a) noexcept {
  const int8x16_t o = vdupq_n_s8(static_cast<std::int8_t>(Off));
  const int8x16_t s0 = vsubq_s8(vreinterpretq_s8_u8(q0), o), s1 = vsubq_s8(vreinterpretq_s8_u8(q1), o);
  int32x4_t acc = dot16<Dot>(vdupq_n_s32(0), s0, vld1q_s8(a));
  acc = dot16<Dot>(acc, s1, vld1q_s8(a + 16));
  return vaddvq_s32(acc);
}
template <bool Dot> QMATH_ALWAYS_INLINE std::int32_t isum_neon(const block_q4_0& x, const block_q8_0& y) noexcept {
  const uint8x16_t r = vld1q_u8(x.qs);
  return legacy_neon<Dot, 8>(vandq_u8(r, vdupq_n_u8(0x0F)), vshrq_n_u8(r, 4), y.qs);
}
template <bool Dot> QMATH_ALWAYS_INLINE std::int32_t isum_neon(const block_q4_1& x, const block_q8_1& y) noexcept {
  const uint8x16_t r = vld1q_u8(x.qs);
  return legacy_neon<Dot, 0>(vandq_u8(r, vdupq_n_u8(0x0F)), vshrq_n_u8(r, 4), y.qs);
}
template <bool Dot> QMATH_ALWAYS_INLINE std::int32_t isum_neon(const block_q5_0& x, const block_q8_0& y) noexcept {
  const uint8x16_t r = vld1q_u8(x.qs);
  const std::uint32_t qh = qh32(x.qh);
  return legacy_neon<Dot, 16>(vorrq_u8(vandq_u8(r, vdupq_n_u8(0x0F)), qh_bits_neon(qh, 0)),
                              vorrq_u8(vshrq_n_u8(r, 4), qh_bits_neon(qh, 1)), y.qs);
}
template <bool Dot> QMATH_ALWAYS_INLINE std::int32_t isum_neon(const block_q5_1& x, const block_q8_1& y) noexcept {
  const uint8x16_t r = vld1q_u8(x.qs);
  const std::uint32_t qh = qh32(x.qh);
  return legacy_neon<Dot, 0>(vorrq_u8(vandq_u8(r, vdupq_n_u8(0x0F)), qh_bits_neon(qh, 0)),
                             vorrq_u8(vshrq_n_u8(r, 4), qh_bits_neon(qh, 1)), y.qs);
}
template <bool Dot> QMATH_ALWAYS_INLINE std::int32_t isum_neon(const block_q8_0& x, const block_q8_0& y) noexcept {
  int32x4_t acc = dot16<Dot>(vdupq_n_s32(0), vld1q_s8(x.qs), vld1q_s8(y.qs));
  return vaddvq_s32(dot16<Dot>(acc, vld1q_s8(x.qs + 16), vld1q_s8(y.qs + 16)));
}
template <bool Dot, class X, class Y>
QMATH_ALWAYS_INLINE float dot_neon(const X* x, const Y* y, std::size_t nb) noexcept {
  float f[8] = {};
  for (std::size_t b = 0; b < nb; ++b) f[b & 7] = f[b & 7] + term(isum_neon<Dot>(x[b], y[b]), x[b], y[b]);
  return fold8(f);
}
template <bool Dot>
QMATH_ALWAYS_INLINE kparts kpart_neon(const block_q4_k& x, const block_q8_k& y) noexcept {
  std::int32_t s = 0, m = 0;
  for (int c = 0; c < 4; ++c) {
    const uint8x16_t r0 = vld1q_u8(x.qs + 32 * c), r1 = vld1q_u8(x.qs + 32 * c + 16);
    const uint8x16_t f = vdupq_n_u8(0x0F);
    const std::int8_t* a = y.qs + 64 * c;
    int32x4_t lo = dot16<Dot>(vdupq_n_s32(0), vreinterpretq_s8_u8(vandq_u8(r0, f)), vld1q_s8(a));
    lo = dot16<Dot>(lo, vreinterpretq_s8_u8(vandq_u8(r1, f)), vld1q_s8(a + 16));
    int32x4_t hi = dot16<Dot>(vdupq_n_s32(0), vreinterpretq_s8_u8(vshrq_n_u8(r0, 4)), vld1q_s8(a + 32));
    hi = dot16<Dot>(hi, vreinterpretq_s8_u8(vshrq_n_u8(r1, 4)), vld1q_s8(a + 48));
    std::uint8_t sc, mn;
    get_scale_min_k4(2 * c, x.scales, &sc, &mn);
    s += sc * vaddvq_s32(lo);
    m += mn * (y.bsums[4 * c] + y.bsums[4 * c + 1]);
    get_scale_min_k4(2 * c + 1, x.scales, &sc, &mn);
    s += sc * vaddvq_s32(hi);
    m += mn * (y.bsums[4 * c + 2] + y.bsums[4 * c + 3]);
  }
  return {s, m};
}
template <bool Dot>
QMATH_ALWAYS_INLINE std::int32_t kpart_neon(const block_q6_k& x, const block_q8_k& y) noexcept {
  std::int32_t s = 0;
  const uint8x16_t f = vdupq_n_u8(0x0F), h3 = vdupq_n_u8(0x30);
  const int8x16_t o = vdupq_n_s8(32);
  for (int h = 0; h < 2; ++h) {
    for (int g = 0; g < 2; ++g) {  // l in 16g .. 16g+15
      const uint8x16_t la = vld1q_u8(x.ql + 64 * h + 16 * g), lb = vld1q_u8(x.ql + 64 * h + 32 + 16 * g);
      const uint8x16_t qh = vld1q_u8(x.qh + 32 * h + 16 * g);
      uint8x16_t q[4];
      q[0] = vorrq_u8(vandq_u8(la, f), vandq_u8(vshlq_n_u8(qh, 4), h3));
      q[1] = vorrq_u8(vandq_u8(lb, f), vandq_u8(vshlq_n_u8(qh, 2), h3));
      q[2] = vorrq_u8(vshrq_n_u8(la, 4), vandq_u8(qh, h3));
      q[3] = vorrq_u8(vshrq_n_u8(lb, 4), vandq_u8(vshrq_n_u8(qh, 2), h3));
      for (int k = 0; k < 4; ++k) {
        const int e0 = 128 * h + 32 * k + 16 * g;  // a sub-block of 16
        const int8x16_t qs = vsubq_s8(vreinterpretq_s8_u8(q[k]), o);
        s += x.scales[e0 / 16] * vaddvq_s32(dot16<Dot>(vdupq_n_s32(0), qs, vld1q_s8(y.qs + e0)));
      }
    }
  }
  return s;
}
#endif

}  // namespace gguf_k

template <isa L, class X, class Y>
void gguf_dot_legacy(const void* xv, std::size_t x_stride, std::size_t rows, const void* yv, std::size_t nb,
                     float* out) noexcept {
  using namespace gguf_k;
  const Y* y = static_cast<const Y*>(yv);
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  if constexpr (L == isa::avx2 || L == isa::avxvnni || L == isa::avx512 || L == isa::avx512vnni) {
    // The vector's scales, decoded once for all rows when nb <= 512, else once per row and piece.
    constexpr std::size_t piece = 512;
    constexpr bool vnni =
#if defined(QMATH_GGUF_HAS_VNNI256)
        L == isa::avxvnni || L == isa::avx512vnni;
#else
        false;
#endif
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
      __m256 acc = _mm256_setzero_ps();
      for (std::size_t p0 = 0; p0 < nfull; p0 += piece) {
        const std::size_t p1 = p0 + piece < nfull ? p0 + piece : nfull;
        if (nfull > piece) decode(p0, p1);
        dot_avx2<vnni>(x + p0, y + p0, ys, ss, p1 - p0, acc);
      }
      alignas(32) float f[8];
      _mm256_store_ps(f, acc);
      out[r] = dot_scalar(x, y, nfull, nb, f);
    }
    return;
  }
#endif
  for (std::size_t r = 0; r < rows; ++r) {
    const X* x = reinterpret_cast<const X*>(static_cast<const std::uint8_t*>(xv) + r * x_stride);
#if defined(QMATH_ARCH_X86) && defined(__SSE4_1__)
    if constexpr (L == isa::sse41) {
      out[r] = dot_sse41(x, y, nb);
      continue;
    }
#endif
#if defined(QMATH_ARCH_AARCH64)
#if defined(__ARM_FEATURE_DOTPROD)
    if constexpr (L == isa::dotprod || L == isa::i8mm) {
      out[r] = dot_neon<true>(x, y, nb);
      continue;
    }
#endif
    if constexpr (L == isa::neon) {
      out[r] = dot_neon<false>(x, y, nb);
      continue;
    }
#endif
    float f[8] = {};
    out[r] = dot_scalar(x, y, 0, nb, f);
  }
}

template <isa L, class X>
void gguf_dot_k(const void* xv, std::size_t x_stride, std::size_t rows, const void* yv, std::size_t nb,
                float* out) noexcept {
  using namespace gguf_k;
  const block_q8_k* y = static_cast<const block_q8_k*>(yv);
  for (std::size_t r = 0; r < rows; ++r) {
    const X* x = reinterpret_cast<const X*>(static_cast<const std::uint8_t*>(xv) + r * x_stride);
    alignas(32) float f[8] = {};
    std::size_t b0 = 0;
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
    if constexpr (L == isa::avx2 || L == isa::avxvnni || L == isa::avx512 || L == isa::avx512vnni) {
      b0 = nb & ~static_cast<std::size_t>(7);
      __m256 acc = _mm256_setzero_ps();
      kdot_avx2(x, y, b0, acc);
      _mm256_store_ps(f, acc);
    }
#endif
    for (std::size_t b = b0; b < nb; ++b) {
      float t;
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
      if constexpr (L == isa::avx2 || L == isa::avxvnni || L == isa::avx512 || L == isa::avx512vnni) {
        t = kterm(kpart_avx2(x[b], y[b]), x[b], y[b]);
      } else
#endif
#if defined(QMATH_ARCH_AARCH64) && defined(__ARM_FEATURE_DOTPROD)
      if constexpr (L == isa::dotprod || L == isa::i8mm) {
        t = kterm(kpart_neon<true>(x[b], y[b]), x[b], y[b]);
      } else
#endif
#if defined(QMATH_ARCH_AARCH64)
      if constexpr (L == isa::neon) {
        t = kterm(kpart_neon<false>(x[b], y[b]), x[b], y[b]);
      } else
#endif
      {
        t = kterm(kpart_scalar(x[b], y[b]), x[b], y[b]);
      }
      f[b & 7] = f[b & 7] + t;
    }
    out[r] = fold8(f);
  }
}

template <isa L>
inline constexpr detail::gguf_kernels gguf_table{
    L,
    &gguf_dot_legacy<L, gguf::block_q4_0, gguf::block_q8_0>,
    &gguf_dot_legacy<L, gguf::block_q4_1, gguf::block_q8_1>,
    &gguf_dot_legacy<L, gguf::block_q5_0, gguf::block_q8_0>,
    &gguf_dot_legacy<L, gguf::block_q5_1, gguf::block_q8_1>,
    &gguf_dot_legacy<L, gguf::block_q8_0, gguf::block_q8_0>,
    &gguf_dot_k<L, gguf::block_q4_k>,
    &gguf_dot_k<L, gguf::block_q6_k>};

QMATH_KERNEL_FAMILY(gguf)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
