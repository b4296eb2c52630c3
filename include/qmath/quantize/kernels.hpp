#pragma once
// The quantize kernel family (private): quantize / dequantize / fake-quant
// over runs of elements that share (scale, zero_point) ("run" kernels) or
// carry one pair per element ("vec" kernels), and sub-byte pack / unpack.
//
// Every level computes exactly qmath::quantize_value / dequantize_value /
// fake_quant_value (quantize/element.hpp), element by element:
//   t = x / s  or  x * (1/s);  NaN -> 0;  t = clamp(t, qmin-zp, qmax-zp);
//   r = round(t) (explicit rounding instructions, never the FP environment);
//   q = int(r) + zp.
// Tails are processed by the same vector code through a small stack buffer,
// so a tail is bit-identical to a full block by construction.
//
// Kernels are templates on a qmath arch tag A (simd/arch.hpp) over
// simd::vec<T, A> (xsimd batches, plain T at scalar) and the shared
// operations of simd/ops.hpp. The table of level L instantiates them for
// quantize_arch<L>: scalar (one lane, the reference), sse2, sse41, avx2
// (avxvnni runs it), avx512 (avx512vnni runs it), neon (dotprod and i8mm run
// it). Pack and unpack of 1/2/4-bit codes use 16 byte lanes on every SIMD
// level (simd/quantize_ops.hpp); 3/5/6/7-bit codes use a 64-bit SWAR path
// (8 codes = `bits` bytes).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/core/rounding.hpp"
#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/ops.hpp"
#include "qmath/simd/quantize_ops.hpp"

#if defined(__clang__)
#define QMATH_UNROLL4 _Pragma("unroll 4")
#elif defined(__GNUC__)
#define QMATH_UNROLL4 _Pragma("GCC unroll 4")
#else
#define QMATH_UNROLL4
#endif

namespace qmath::detail {

/// Parameters of a run of elements sharing one (scale, zero_point).
struct quant_run {
  float scale;
  std::int32_t zero_point;
  std::int32_t qmin;
  std::int32_t qmax;
  rounding mode;
  division div;
  std::uint32_t key;     ///< stochastic_key(seed)
  std::uint64_t index0;  ///< flat index of the first element (stochastic rounding)
  bool stream;           ///< non-temporal stores for the output
};

/// Parameters of a run where element i uses scale[i], zero_point[i].
struct quant_vec {
  const float* scale;
  const std::int32_t* zero_point;
  std::int32_t qmin;
  std::int32_t qmax;
  rounding mode;
  division div;
  std::uint32_t key;
  std::uint64_t index0;
  bool stream;
};

/// The kernel family. `q_*` return true when the input held NaN or +-Inf
/// (they still write the mapped codes). `pack` returns nonzero when a code did
/// not fit in `bits` (after adding `bias`, 2^(bits-1) for signed codes);
/// `unpack` sign-extends when `sign_bias` = 2^(bits-1) (0: zero-extend).
struct quantize_kernels {
  isa level;
  bool (*q_run_i8)(const float*, std::int8_t*, std::size_t, const quant_run&) noexcept;
  bool (*q_run_u8)(const float*, std::uint8_t*, std::size_t, const quant_run&) noexcept;
  bool (*q_run_i16)(const float*, std::int16_t*, std::size_t, const quant_run&) noexcept;
  bool (*q_run_u16)(const float*, std::uint16_t*, std::size_t, const quant_run&) noexcept;
  bool (*q_vec_i8)(const float*, std::int8_t*, std::size_t, const quant_vec&) noexcept;
  bool (*q_vec_u8)(const float*, std::uint8_t*, std::size_t, const quant_vec&) noexcept;
  bool (*q_vec_i16)(const float*, std::int16_t*, std::size_t, const quant_vec&) noexcept;
  bool (*q_vec_u16)(const float*, std::uint16_t*, std::size_t, const quant_vec&) noexcept;
  void (*dq_run_i8)(const std::int8_t*, float*, std::size_t, float, std::int32_t, bool) noexcept;
  void (*dq_run_u8)(const std::uint8_t*, float*, std::size_t, float, std::int32_t, bool) noexcept;
  void (*dq_run_i16)(const std::int16_t*, float*, std::size_t, float, std::int32_t, bool) noexcept;
  void (*dq_run_u16)(const std::uint16_t*, float*, std::size_t, float, std::int32_t, bool) noexcept;
  void (*dq_vec_i8)(const std::int8_t*, float*, std::size_t, const float*, const std::int32_t*, bool) noexcept;
  void (*dq_vec_u8)(const std::uint8_t*, float*, std::size_t, const float*, const std::int32_t*, bool) noexcept;
  void (*dq_vec_i16)(const std::int16_t*, float*, std::size_t, const float*, const std::int32_t*, bool) noexcept;
  void (*dq_vec_u16)(const std::uint16_t*, float*, std::size_t, const float*, const std::int32_t*, bool) noexcept;
  /// Groups of `group_size` consecutive elements, the first starting `offset`
  /// elements into its group; group g uses scale[g], zero_point[g] of the quant_vec.
  bool (*q_grp_i8)(const float*, std::int8_t*, std::size_t, std::size_t, std::size_t, const quant_vec&) noexcept;
  bool (*q_grp_u8)(const float*, std::uint8_t*, std::size_t, std::size_t, std::size_t, const quant_vec&) noexcept;
  bool (*q_grp_i16)(const float*, std::int16_t*, std::size_t, std::size_t, std::size_t, const quant_vec&) noexcept;
  bool (*q_grp_u16)(const float*, std::uint16_t*, std::size_t, std::size_t, std::size_t, const quant_vec&) noexcept;
  void (*dq_grp_i8)(const std::int8_t*, float*, std::size_t, std::size_t, std::size_t, const float*,
                    const std::int32_t*, bool) noexcept;
  void (*dq_grp_u8)(const std::uint8_t*, float*, std::size_t, std::size_t, std::size_t, const float*,
                    const std::int32_t*, bool) noexcept;
  void (*dq_grp_i16)(const std::int16_t*, float*, std::size_t, std::size_t, std::size_t, const float*,
                     const std::int32_t*, bool) noexcept;
  void (*dq_grp_u16)(const std::uint16_t*, float*, std::size_t, std::size_t, std::size_t, const float*,
                     const std::int32_t*, bool) noexcept;
  bool (*fq_run)(const float*, float*, std::uint8_t*, std::size_t, const quant_run&) noexcept;
  bool (*fq_vec)(const float*, float*, std::uint8_t*, std::size_t, const quant_vec&) noexcept;
  std::uint8_t (*pack)(const std::uint8_t*, std::uint8_t*, std::size_t, int, std::uint8_t) noexcept;
  void (*unpack)(const std::uint8_t*, std::uint8_t*, std::size_t, int, std::uint8_t) noexcept;
  /// Orders non-temporal stores (sfence on x86); call once after streaming runs.
  void (*fence)() noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::qk {

template <class A>
using vf = simd::vec<float, A>;
template <class A>
using vi = simd::vec<std::int32_t, A>;

QMATH_ALWAYS_INLINE std::uint32_t mix32(std::uint32_t x) noexcept {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
QMATH_ALWAYS_INLINE std::uint32_t block_key(std::uint32_t key, std::uint64_t index) noexcept {
  return mix32(static_cast<std::uint32_t>(index >> 32) ^ key);
}

template <class A>
QMATH_ALWAYS_INLINE vf<A> bcf(float v) noexcept {
  return simd::broadcast<A>(v);
}
template <class A>
QMATH_ALWAYS_INLINE vi<A> bci(std::int32_t v) noexcept {
  return simd::broadcast<A>(v);
}

/// mix32 of (index ^ block key) per lane (stochastic_bits).
template <class A>
QMATH_ALWAYS_INLINE vi<A> hash(vi<A> idx, std::uint32_t bk) noexcept {
  vi<A> x = idx ^ bci<A>(static_cast<std::int32_t>(bk));
  x = x ^ simd::shr_logical<16>(x);
  x = simd::mullo(x, bci<A>(0x7feb352d));
  x = x ^ simd::shr_logical<15>(x);
  x = simd::mullo(x, bci<A>(static_cast<std::int32_t>(0x846ca68bu)));
  return x ^ simd::shr_logical<16>(x);
}
/// (bits >> 8) * 2^-24, exact.
template <class A>
QMATH_ALWAYS_INLINE vf<A> uniform(vi<A> h) noexcept {
  return simd::to_f32(simd::shr_logical<8>(h)) * bcf<A>(0x1p-24f);
}

// ---------------------------------------------------------------------------
// Generic kernels on vec<T, A>
// ---------------------------------------------------------------------------

/// Rounding of clamped values (|t| < 2^23) for mode R; `idx` = lane indices
/// (low 32 bits) for stochastic rounding.
template <class A, rounding R>
QMATH_ALWAYS_INLINE vf<A> round_mode(vf<A> t, vi<A> idx, std::uint32_t bk) noexcept {
  if constexpr (R == rounding::half_even) {
    (void)idx, (void)bk;
    return simd::round_even(t);
  } else if constexpr (R == rounding::toward_zero) {
    (void)idx, (void)bk;
    return simd::round_trunc(t);
  } else if constexpr (R == rounding::half_away) {
    (void)idx, (void)bk;
    const vf<A> r = simd::round_trunc(t), d = t - r, one = bcf<A>(1.0f);
    const vf<A> up = simd::select(d >= bcf<A>(0.5f), r + one, r);
    return simd::select(d <= bcf<A>(-0.5f), up - one, up);
  } else {
    const vf<A> f = simd::round_floor(t);
    const vf<A> u = uniform<A>(hash<A>(idx, bk));
    return simd::select(u < t - f, f + bcf<A>(1.0f), f);
  }
}

/// Shared per-vector quantize step: returns the rounded offset r (float,
/// integral, in [lo, hi]). `inv` is 1 / s (division::reciprocal).
/// Non-finite inputs are rare: a vector holding one takes a branch that sets
/// `any_nf` and maps NaN to 0 (Inf saturates in the clamp).
template <class A, rounding R, division D>
QMATH_ALWAYS_INLINE vf<A> quant_step(vf<A> x, vf<A> s, vf<A> inv, vf<A> lo, vf<A> hi, vi<A> idx, std::uint32_t bk,
                                     bool& any_nf) noexcept {
  const auto nf = simd::is_nonfinite(x);
  vf<A> t;
  if constexpr (D == division::exact) {
    (void)inv;
    t = simd::div(x, s);
  } else {
    (void)s;
    t = x * inv;
  }
  if (QMATH_UNLIKELY(simd::any(nf))) {
    any_nf = true;
    t = simd::nan_to_zero(t);
  } else if constexpr (D == division::reciprocal) {
    // A finite x can still give NaN: 0 * (1 / scale) with 1 / scale = +Inf
    // (scale below 2^-128). The reference maps that NaN to 0 as well.
    t = simd::nan_to_zero(t);
  }
  t = simd::min_ordered(simd::max_ordered(t, lo), hi);
  return round_mode<A, R>(t, idx, bk);
}

/// Runs a kernel over n elements in blocks of B: full(i, stream_tag) for
/// whole blocks, part(i, r) for r <= B elements (the tail and, when
/// streaming, the head that aligns the output to 64 bytes).
template <std::size_t B, class OutT, class Full, class Part>
QMATH_ALWAYS_INLINE void drive(std::size_t n, const OutT* out, bool stream, Full&& full, Part&& part) noexcept {
  std::size_t i = 0;
  // A misaligned short run would spend more on its head than streaming saves.
  const bool aligned = (reinterpret_cast<std::uintptr_t>(out) & 63u) == 0;
  if (stream && (aligned || n >= 16 * B)) {
    std::size_t h = ((64u - (reinterpret_cast<std::uintptr_t>(out) & 63u)) & 63u) / sizeof(OutT);
    h = h < n ? h : n;
    while (i < h) {
      const std::size_t r = h - i < B ? h - i : B;
      part(i, r);
      i += r;
    }
    for (; i + B <= n; i += B) full(i, std::true_type{});
    // (The caller issues one store fence after all its runs: quantize_kernels::fence.)
  } else {
    for (; i + B <= n; i += B) full(i, std::false_type{});
  }
  if (i < n) part(i, n - i);
}

/// Read-ahead distance of the streaming kernels. The hardware prefetchers
/// alone leave the kernels waiting on memory (bench_quantize on a Xeon with
/// AVX-512: quantize ~0.65 of the streaming baseline without, ~0.9 with).
inline constexpr std::size_t prefetch_bytes = 4096;
/// Prefetch the cache lines of the block of B elements that starts
/// prefetch_bytes after p (SIMD levels only; never faults past the end).
template <class A, std::size_t B, class T>
QMATH_ALWAYS_INLINE void prefetch_ahead(const T* p) noexcept {
  if constexpr (!simd::is_scalar_arch<A>) {
    // (An address, not a pointer into the array: it may lie past the end.)
    const std::uintptr_t c = reinterpret_cast<std::uintptr_t>(p) + prefetch_bytes;
    for (std::size_t o = 0; o < B * sizeof(T); o += 64) simd::prefetch(reinterpret_cast<const void*>(c + o));
  } else {
    (void)p;
  }
}

/// The lane indices (low 32 bits of the flat index) of a block starting at
/// `index`; iota = simd::iota<A>().
template <class A>
QMATH_ALWAYS_INLINE vi<A> lane_index(std::uint64_t index, vi<A> iota) noexcept {
  return bci<A>(static_cast<std::int32_t>(static_cast<std::uint32_t>(index))) + iota;
}

/// Quantize a run sharing (scale, zp). Processes 4W elements per step; heads
/// and tails go through a zero-padded stack buffer.
template <class A, class T, rounding R, division D>
QMATH_ALWAYS_INLINE bool q_run_impl(const float* x, T* q, std::size_t n, const detail::quant_run& a) noexcept {
  constexpr std::size_t W = simd::lanes<float, A>, B = 4 * W;
  const vf<A> s = bcf<A>(a.scale), inv = bcf<A>(1.0f / a.scale);
  const vf<A> lo = bcf<A>(static_cast<float>(a.qmin - a.zero_point));
  const vf<A> hi = bcf<A>(static_cast<float>(a.qmax - a.zero_point));
  const vi<A> zp = bci<A>(a.zero_point);
  const vi<A> iota = simd::iota<A>();
  bool nf = false;
  auto block = [&](const float* xp, T* qp, std::uint64_t index, auto nt) {
    const std::uint32_t bk = R == rounding::stochastic ? block_key(a.key, index) : 0u;
    const vi<A> i0 = lane_index<A>(index, iota);
    vi<A> v[4];
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const vf<A> xv = simd::load<A>(xp + k * W);
      const vi<A> idx = i0 + bci<A>(static_cast<std::int32_t>(k * W));
      v[k] = simd::trunc_to_i32(quant_step<A, R, D>(xv, s, inv, lo, hi, idx, bk, nf)) + zp;
    }
    simd::store_narrow4<T, decltype(nt)::value>(qp, v[0], v[1], v[2], v[3]);
  };
  auto part = [&](std::size_t i, std::size_t r) {
    const std::uint64_t first = a.index0 + i;
    if (R == rounding::stochastic && (first >> 32) != ((first + r - 1) >> 32)) {
      for (std::size_t j = 0; j < r; ++j) {  // block key changes inside: element by element
        float xb[B] = {};
        T qb[B];
        xb[0] = x[i + j];
        block(xb, qb, first + j, std::false_type{});
        q[i + j] = qb[0];
      }
    } else {
      float xb[B] = {};
      T qb[B];
      std::memcpy(xb, x + i, r * sizeof(float));
      block(xb, qb, first, std::false_type{});
      std::memcpy(q + i, qb, r * sizeof(T));
    }
  };
  auto full = [&](std::size_t i, auto nt) {
    if constexpr (R == rounding::stochastic) {
      const std::uint64_t first = a.index0 + i;
      if ((first >> 32) != ((first + B - 1) >> 32)) return part(i, B);
    }
    prefetch_ahead<A, B>(x + i);
    block(x + i, q + i, a.index0 + i, nt);
  };
  drive<B>(n, q, a.stream, full, part);
  return nf;
}

/// Quantize with per-element (scale, zp).
template <class A, class T, rounding R, division D>
bool q_vec_impl(const float* x, T* q, std::size_t n, const detail::quant_vec& a) noexcept {
  constexpr std::size_t W = simd::lanes<float, A>, B = 4 * W;
  const vi<A> qmin = bci<A>(a.qmin), qmax = bci<A>(a.qmax);
  const vf<A> one = bcf<A>(1.0f);
  const std::int32_t pad_zp = a.qmin < 0 ? 0 : a.qmin;
  const vi<A> iota = simd::iota<A>();
  bool nf = false;
  auto block = [&](const float* xp, const float* sp, const std::int32_t* zpp, T* qp, std::uint64_t index, auto nt) {
    const std::uint32_t bk = R == rounding::stochastic ? block_key(a.key, index) : 0u;
    const vi<A> i0 = lane_index<A>(index, iota);
    vi<A> v[4];
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const vf<A> xv = simd::load<A>(xp + k * W);
      const vf<A> s = simd::load<A>(sp + k * W);
      const vi<A> zp = simd::load<A>(zpp + k * W);
      vf<A> inv = s;
      if constexpr (D == division::reciprocal) inv = simd::div(one, s);
      const vf<A> lo = simd::to_f32(qmin - zp), hi = simd::to_f32(qmax - zp);
      const vi<A> idx = i0 + bci<A>(static_cast<std::int32_t>(k * W));
      v[k] = simd::trunc_to_i32(quant_step<A, R, D>(xv, s, inv, lo, hi, idx, bk, nf)) + zp;
    }
    simd::store_narrow4<T, decltype(nt)::value>(qp, v[0], v[1], v[2], v[3]);
  };
  auto part = [&](std::size_t i, std::size_t r) {
    const std::uint64_t first = a.index0 + i;
    const bool split = R == rounding::stochastic && (first >> 32) != ((first + r - 1) >> 32);
    for (std::size_t j0 = 0; j0 < r; j0 += split ? 1 : r) {
      const std::size_t m = split ? 1 : r;
      float xb[B] = {}, sb[B];
      std::int32_t zb[B];
      T qb[B];
      for (std::size_t k = 0; k < B; ++k) sb[k] = 1.0f, zb[k] = pad_zp;
      std::memcpy(xb, x + i + j0, m * sizeof(float));
      std::memcpy(sb, a.scale + i + j0, m * sizeof(float));
      std::memcpy(zb, a.zero_point + i + j0, m * sizeof(std::int32_t));
      block(xb, sb, zb, qb, first + j0, std::false_type{});
      std::memcpy(q + i + j0, qb, m * sizeof(T));
    }
  };
  auto full = [&](std::size_t i, auto nt) {
    if constexpr (R == rounding::stochastic) {
      const std::uint64_t first = a.index0 + i;
      if ((first >> 32) != ((first + B - 1) >> 32)) return part(i, B);
    }
    prefetch_ahead<A, B>(x + i);
    block(x + i, a.scale + i, a.zero_point + i, q + i, a.index0 + i, nt);
  };
  drive<B>(n, q, a.stream, full, part);
  return nf;
}

/// Quantize consecutive groups (per-group granularity along the last axis).
template <class A, class T, rounding R, division D>
bool q_grp_impl(const float* x, T* q, std::size_t n, std::size_t G, std::size_t off,
                const detail::quant_vec& a) noexcept {
  bool nf = false;
  for (std::size_t j = 0, g = 0; j < n; ++g) {
    const std::size_t len = G - off < n - j ? G - off : n - j;
    const detail::quant_run r{a.scale[g], a.zero_point[g], a.qmin, a.qmax, a.mode, a.div, a.key, a.index0 + j,
                              a.stream};
    nf |= q_run_impl<A, T, R, D>(x + j, q + j, len, r);
    j += len;
    off = 0;
  }
  return nf;
}

/// One fake-quant vector: y = (clamp(r, lo, hi) + 0) * s for r = round(clamp(t,
/// lo - 1, hi + 1)) (streamed when NT); returns the mask lanes (1: r in [lo, hi]).
/// Store one output vector (non-temporal when NT).
template <bool NT, class A>
QMATH_ALWAYS_INLINE void put(float* p, vf<A> v) noexcept {
  if constexpr (NT) simd::stream(p, v);
  else simd::store(p, v);
}

template <class A, rounding R, division D, bool NT = false>
QMATH_ALWAYS_INLINE vi<A> fq_step(const float* xp, float* yp, vf<A> s, vf<A> inv, vf<A> lo, vf<A> hi, vf<A> lo1,
                                  vf<A> hi1, vi<A> idx, std::uint32_t bk, bool& nf) noexcept {
  vf<A> r = quant_step<A, R, D>(simd::load<A>(xp), s, inv, lo1, hi1, idx, bk, nf);
  const vi<A> m = simd::mask01((r >= lo) && (r <= hi));
  // + 0: the code offset is an integer, so -0 (round of a tiny negative t,
  // which keeps the sign on every level) must become +0 like the reference
  // (y = float(q - zp) * scale).
  r = simd::min_ordered(simd::max_ordered(r, lo), hi) + bcf<A>(0.0f);
  put<NT, A>(yp, r * s);
  return m;
}

/// Fake quant of a run (y = (clamp(round(t)) ) * scale, mask = unclamped code in range).
template <class A, rounding R, division D>
bool fq_run_impl(const float* x, float* y, std::uint8_t* mask, std::size_t n, const detail::quant_run& a) noexcept {
  constexpr std::size_t W = simd::lanes<float, A>, B = 4 * W;
  const vf<A> s = bcf<A>(a.scale), inv = bcf<A>(1.0f / a.scale);
  const float lof = static_cast<float>(a.qmin - a.zero_point), hif = static_cast<float>(a.qmax - a.zero_point);
  const vf<A> lo = bcf<A>(lof), hi = bcf<A>(hif);
  const vf<A> lo1 = bcf<A>(lof - 1.0f), hi1 = bcf<A>(hif + 1.0f);
  const vi<A> iota = simd::iota<A>();
  bool nf = false;
  auto block = [&](const float* xp, float* yp, std::uint8_t* mp, std::uint64_t index, auto nt) {
    const std::uint32_t bk = R == rounding::stochastic ? block_key(a.key, index) : 0u;
    const vi<A> i0 = lane_index<A>(index, iota);
    vi<A> m[4];
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const vi<A> idx = i0 + bci<A>(static_cast<std::int32_t>(k * W));
      m[k] = fq_step<A, R, D, decltype(nt)::value>(xp + k * W, yp + k * W, s, inv, lo, hi, lo1, hi1, idx, bk, nf);
    }
    if (mp) simd::store_narrow4<std::uint8_t>(mp, m[0], m[1], m[2], m[3]);
  };
  auto part = [&](std::size_t i, std::size_t r) {
    const std::uint64_t first = a.index0 + i;
    const bool split = R == rounding::stochastic && (first >> 32) != ((first + r - 1) >> 32);
    for (std::size_t j0 = 0; j0 < r; j0 += split ? 1 : r) {
      const std::size_t c = split ? 1 : r;
      float xb[B] = {}, yb[B];
      std::uint8_t mb[B];
      std::memcpy(xb, x + i + j0, c * sizeof(float));
      block(xb, yb, mb, first + j0, std::false_type{});
      std::memcpy(y + i + j0, yb, c * sizeof(float));
      if (mask) std::memcpy(mask + i + j0, mb, c);
    }
  };
  auto full = [&](std::size_t i, auto nt) {
    if constexpr (R == rounding::stochastic) {
      const std::uint64_t first = a.index0 + i;
      if ((first >> 32) != ((first + B - 1) >> 32)) return part(i, B);
    }
    prefetch_ahead<A, B>(x + i);
    block(x + i, y + i, mask ? mask + i : nullptr, a.index0 + i, nt);
  };
  drive<B>(n, y, a.stream, full, part);
  return nf;
}

/// Fake quant with per-element (scale, zp).
template <class A, rounding R, division D>
bool fq_vec_impl(const float* x, float* y, std::uint8_t* mask, std::size_t n, const detail::quant_vec& a) noexcept {
  constexpr std::size_t W = simd::lanes<float, A>, B = 4 * W;
  const vi<A> qmin = bci<A>(a.qmin), qmax = bci<A>(a.qmax);
  const vf<A> one = bcf<A>(1.0f);
  const vi<A> iota = simd::iota<A>();
  bool nf = false;
  auto block = [&](const float* xp, const float* sp, const std::int32_t* zpp, float* yp, std::uint8_t* mp,
                   std::uint64_t index, auto nt) {
    const std::uint32_t bk = R == rounding::stochastic ? block_key(a.key, index) : 0u;
    const vi<A> i0 = lane_index<A>(index, iota);
    vi<A> m[4];
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const vf<A> s = simd::load<A>(sp + k * W);
      const vi<A> zp = simd::load<A>(zpp + k * W);
      vf<A> inv = s;
      if constexpr (D == division::reciprocal) inv = simd::div(one, s);
      const vf<A> lo = simd::to_f32(qmin - zp), hi = simd::to_f32(qmax - zp);
      const vi<A> idx = i0 + bci<A>(static_cast<std::int32_t>(k * W));
      m[k] = fq_step<A, R, D, decltype(nt)::value>(xp + k * W, yp + k * W, s, inv, lo, hi, lo - one, hi + one, idx,
                                                    bk, nf);
    }
    if (mp) simd::store_narrow4<std::uint8_t>(mp, m[0], m[1], m[2], m[3]);
  };
  const std::int32_t pad_zp = a.qmin < 0 ? 0 : a.qmin;
  auto part = [&](std::size_t i, std::size_t r) {
    const std::uint64_t first = a.index0 + i;
    const bool split = R == rounding::stochastic && (first >> 32) != ((first + r - 1) >> 32);
    for (std::size_t j0 = 0; j0 < r; j0 += split ? 1 : r) {
      const std::size_t c = split ? 1 : r;
      float xb[B] = {}, sb[B], yb[B];
      std::int32_t zb[B];
      std::uint8_t mb[B];
      for (std::size_t k = 0; k < B; ++k) sb[k] = 1.0f, zb[k] = pad_zp;
      std::memcpy(xb, x + i + j0, c * sizeof(float));
      std::memcpy(sb, a.scale + i + j0, c * sizeof(float));
      std::memcpy(zb, a.zero_point + i + j0, c * sizeof(std::int32_t));
      block(xb, sb, zb, yb, mb, first + j0, std::false_type{});
      std::memcpy(y + i + j0, yb, c * sizeof(float));
      if (mask) std::memcpy(mask + i + j0, mb, c);
    }
  };
  auto full = [&](std::size_t i, auto nt) {
    if constexpr (R == rounding::stochastic) {
      const std::uint64_t first = a.index0 + i;
      if ((first >> 32) != ((first + B - 1) >> 32)) return part(i, B);
    }
    prefetch_ahead<A, B>(x + i);
    block(x + i, a.scale + i, a.zero_point + i, y + i, mask ? mask + i : nullptr, a.index0 + i, nt);
  };
  drive<B>(n, y, a.stream, full, part);
  return nf;
}


/// Dequantize a run: x = float(q - zp) * scale.
template <class A, class T>
QMATH_ALWAYS_INLINE void dq_run_impl(const T* q, float* x, std::size_t n, float scale, std::int32_t zero_point,
                                     bool stream) noexcept {
  constexpr std::size_t W = simd::lanes<float, A>, B = 4 * W;
  const vf<A> s = bcf<A>(scale);
  const vi<A> zp = bci<A>(zero_point);
  auto block = [&](const T* qp, float* xp, auto nt) {
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      put<decltype(nt)::value, A>(xp + k * W, simd::to_f32(simd::load_widen<A>(qp + k * W) - zp) * s);
    }
  };
  auto part = [&](std::size_t i, std::size_t r) {
    T qb[B] = {};
    float xb[B];
    std::memcpy(qb, q + i, r * sizeof(T));
    block(qb, xb, std::false_type{});
    std::memcpy(x + i, xb, r * sizeof(float));
  };
  drive<B>(
      n, x, stream,
      [&](std::size_t i, auto nt) {
        prefetch_ahead<A, B>(q + i);
        block(q + i, x + i, nt);
      },
      part);
}

template <class A, class T>
void dq_run(const T* q, float* x, std::size_t n, float scale, std::int32_t zero_point, bool stream) noexcept {
  dq_run_impl<A, T>(q, x, n, scale, zero_point, stream);
}

/// Dequantize consecutive groups.
template <class A, class T>
void dq_grp_impl(const T* q, float* x, std::size_t n, std::size_t G, std::size_t off, const float* scale,
                 const std::int32_t* zero_point, bool stream) noexcept {
  for (std::size_t j = 0, g = 0; j < n; ++g) {
    const std::size_t len = G - off < n - j ? G - off : n - j;
    dq_run_impl<A, T>(q + j, x + j, len, scale[g], zero_point[g], stream);
    j += len;
    off = 0;
  }
}

/// Dequantize with per-element (scale, zp).
template <class A, class T>
void dq_vec_impl(const T* q, float* x, std::size_t n, const float* scale, const std::int32_t* zero_point,
                 bool stream) noexcept {
  constexpr std::size_t W = simd::lanes<float, A>, B = 4 * W;
  auto block = [&](const T* qp, const float* sp, const std::int32_t* zpp, float* xp, auto nt) {
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const vi<A> d = simd::load_widen<A>(qp + k * W) - simd::load<A>(zpp + k * W);
      put<decltype(nt)::value, A>(xp + k * W, simd::to_f32(d) * simd::load<A>(sp + k * W));
    }
  };
  auto part = [&](std::size_t i, std::size_t r) {
    T qb[B] = {};
    float sb[B] = {}, xb[B];
    std::int32_t zb[B] = {};
    std::memcpy(qb, q + i, r * sizeof(T));
    std::memcpy(sb, scale + i, r * sizeof(float));
    std::memcpy(zb, zero_point + i, r * sizeof(std::int32_t));
    block(qb, sb, zb, xb, std::false_type{});
    std::memcpy(x + i, xb, r * sizeof(float));
  };
  drive<B>(
      n, x, stream,
      [&](std::size_t i, auto nt) {
        prefetch_ahead<A, B>(q + i);
        block(q + i, scale + i, zero_point + i, x + i, nt);
      },
      part);
}

// ---------------------------------------------------------------------------
// Sub-byte packing: code i occupies bits [i*b, i*b + b) of a little-endian
// bit stream (for b = 1, 2, 4 that is "first element in the low bits").
// ---------------------------------------------------------------------------

/// Pack codes [0, n) with SWAR, 8 codes (= `bits` bytes) at a time; tails
/// write ceil(r*bits/8) bytes with zero padding. Returns OR of bad bits.
QMATH_ALWAYS_INLINE std::uint8_t pack_swar(const std::uint8_t* c, std::uint8_t* out, std::size_t n, int bits,
                                           std::uint8_t bias) noexcept {
  const std::uint32_t mask = (1u << bits) - 1u;
  std::uint8_t bad = 0;
  for (std::size_t i = 0; i < n; i += 8) {
    const std::size_t r = n - i < 8 ? n - i : 8;
    std::uint64_t acc = 0;
    for (std::size_t j = 0; j < r; ++j) {
      const std::uint8_t v = c[i + j];
      bad |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(v + bias) & ~mask);
      acc |= static_cast<std::uint64_t>(v & mask) << (j * static_cast<std::size_t>(bits));
    }
    const std::size_t nbytes = (r * static_cast<std::size_t>(bits) + 7) / 8;
    std::uint8_t* o = out + i / 8 * static_cast<std::size_t>(bits);
    for (std::size_t k = 0; k < nbytes; ++k) o[k] = static_cast<std::uint8_t>(acc >> (8 * k));
  }
  return bad;
}

QMATH_ALWAYS_INLINE void unpack_swar(const std::uint8_t* in, std::uint8_t* c, std::size_t n, int bits,
                                     std::uint8_t sign_bias) noexcept {
  const std::uint32_t mask = (1u << bits) - 1u;
  for (std::size_t i = 0; i < n; i += 8) {
    const std::size_t r = n - i < 8 ? n - i : 8;
    const std::size_t nbytes = (r * static_cast<std::size_t>(bits) + 7) / 8;
    const std::uint8_t* p = in + i / 8 * static_cast<std::size_t>(bits);
    std::uint64_t acc = 0;
    for (std::size_t k = 0; k < nbytes; ++k) acc |= static_cast<std::uint64_t>(p[k]) << (8 * k);
    for (std::size_t j = 0; j < r; ++j) {
      const auto v = static_cast<std::uint32_t>(acc >> (j * static_cast<std::size_t>(bits))) & mask;
      c[i + j] = static_cast<std::uint8_t>((v ^ sign_bias) - sign_bias);
    }
  }
}

/// 1/2/4/8-bit codes on 16 byte lanes (arch128<A>), the rest (and tails) SWAR.
template <class A>
std::uint8_t pack_impl(const std::uint8_t* c, std::uint8_t* out, std::size_t n, int bits,
                       std::uint8_t bias) noexcept {
  std::size_t i = 0;  // codes done (a multiple of 8 before the SWAR tail)
  std::uint8_t bad = 0;
  if constexpr (!simd::is_scalar_arch<A>) {
    using P = simd::arch128<A>;
    using vb = simd::batch<std::uint8_t, P>;
    const vb vbias(bias), vm(static_cast<std::uint8_t>(~((1u << bits) - 1u))), zero(std::uint8_t{0});
    vb vbad = zero;
    auto ld = [&](std::size_t k) {
      const vb v = vb::load_unaligned(c + k);
      vbad = vbad | ((v + vbias) & vm);
      return v;
    };
    if (bits == 4) {
      for (; i + 32 <= n; i += 32) {
        const vb a = ld(i), b = ld(i + 16);
        simd::pack_nibbles(a, b).store_unaligned(out + i / 2);
      }
    } else if (bits == 2) {
      for (; i + 64 <= n; i += 64) {
        const vb a = ld(i), b = ld(i + 16), d = ld(i + 32), e = ld(i + 48);
        simd::pack_crumbs(a, b, d, e).store_unaligned(out + i / 4);
      }
    } else if (bits == 1) {
      for (; i + 16 <= n; i += 16) {
        const std::uint16_t m = simd::pack_bits(ld(i));
        out[i / 8] = static_cast<std::uint8_t>(m);
        out[i / 8 + 1] = static_cast<std::uint8_t>(m >> 8);
      }
    } else if (bits == 8) {
      for (; i + 16 <= n; i += 16) ld(i).store_unaligned(out + i);
    }
    bad = simd::any(vbad != zero) ? 1 : 0;
  }
  const std::uint8_t tail = pack_swar(c + i, out + i / 8 * static_cast<std::size_t>(bits), n - i, bits, bias);
  return static_cast<std::uint8_t>(bad | (tail != 0 ? 1 : 0));
}

template <class A>
void unpack_impl(const std::uint8_t* in, std::uint8_t* c, std::size_t n, int bits, std::uint8_t sign_bias) noexcept {
  std::size_t i = 0;
  if constexpr (!simd::is_scalar_arch<A>) {
    using P = simd::arch128<A>;
    using vb = simd::batch<std::uint8_t, P>;
    const vb sb(sign_bias);
    auto st = [&](std::size_t k, const vb& v) { ((v ^ sb) - sb).store_unaligned(c + k); };
    if (bits == 4) {
      for (; i + 32 <= n; i += 32) {
        vb lo, hi;
        simd::unpack_nibbles(vb::load_unaligned(in + i / 2), lo, hi);
        st(i, lo);
        st(i + 16, hi);
      }
    } else if (bits == 2) {
      for (; i + 64 <= n; i += 64) {
        vb v[4];
        simd::unpack_crumbs(vb::load_unaligned(in + i / 4), v);
        for (std::size_t k = 0; k < 4; ++k) st(i + 16 * k, v[k]);
      }
    } else if (bits == 1) {
      for (; i + 16 <= n; i += 16) {
        std::uint16_t w;
        std::memcpy(&w, in + i / 8, 2);
        st(i, simd::unpack_bits<P>(w));
      }
    } else if (bits == 8) {
      for (; i + 16 <= n; i += 16) st(i, vb::load_unaligned(in + i));
    }
  }
  unpack_swar(in + i / 8 * static_cast<std::size_t>(bits), c + i, n - i, bits, sign_bias);
}

// ---------------------------------------------------------------------------
// Mode dispatch (outside the loops) and the table
// ---------------------------------------------------------------------------

template <class A>
void fence_impl() noexcept {
  simd::stream_fence<A>();
}

/// Calls f(rounding_constant, division_constant) for the run-time (mode, div).
template <class F>
QMATH_ALWAYS_INLINE decltype(auto) with_mode(rounding mode, division div, F&& f) noexcept {
  using ex = std::integral_constant<division, division::exact>;
  using rc = std::integral_constant<division, division::reciprocal>;
  auto by_div = [&](auto r) -> decltype(auto) { return div == division::exact ? f(r, ex{}) : f(r, rc{}); };
  switch (mode) {
    case rounding::half_away: return by_div(std::integral_constant<rounding, rounding::half_away>{});
    case rounding::toward_zero: return by_div(std::integral_constant<rounding, rounding::toward_zero>{});
    case rounding::stochastic: return by_div(std::integral_constant<rounding, rounding::stochastic>{});
    default: return by_div(std::integral_constant<rounding, rounding::half_even>{});
  }
}

template <class A, class T>
bool q_run(const float* x, T* q, std::size_t n, const detail::quant_run& a) noexcept {
  return with_mode(a.mode, a.div, [&](auto r, auto d) {
    return q_run_impl<A, T, decltype(r)::value, decltype(d)::value>(x, q, n, a);
  });
}
template <class A, class T>
bool q_vec(const float* x, T* q, std::size_t n, const detail::quant_vec& a) noexcept {
  return with_mode(a.mode, a.div, [&](auto r, auto d) {
    return q_vec_impl<A, T, decltype(r)::value, decltype(d)::value>(x, q, n, a);
  });
}
template <class A, class T>
bool q_grp(const float* x, T* q, std::size_t n, std::size_t G, std::size_t off, const detail::quant_vec& a) noexcept {
  return with_mode(a.mode, a.div, [&](auto r, auto d) {
    return q_grp_impl<A, T, decltype(r)::value, decltype(d)::value>(x, q, n, G, off, a);
  });
}
template <class A>
bool fq_run(const float* x, float* y, std::uint8_t* m, std::size_t n, const detail::quant_run& a) noexcept {
  return with_mode(a.mode, a.div, [&](auto r, auto d) {
    return fq_run_impl<A, decltype(r)::value, decltype(d)::value>(x, y, m, n, a);
  });
}
template <class A>
bool fq_vec(const float* x, float* y, std::uint8_t* m, std::size_t n, const detail::quant_vec& a) noexcept {
  return with_mode(a.mode, a.div, [&](auto r, auto d) {
    return fq_vec_impl<A, decltype(r)::value, decltype(d)::value>(x, y, m, n, a);
  });
}

/// The family's kernels for arch A.
template <class A>
inline constexpr detail::quantize_kernels table_for(isa level) noexcept {
  return {
      level,
      &q_run<A, std::int8_t>,
      &q_run<A, std::uint8_t>,
      &q_run<A, std::int16_t>,
      &q_run<A, std::uint16_t>,
      &q_vec<A, std::int8_t>,
      &q_vec<A, std::uint8_t>,
      &q_vec<A, std::int16_t>,
      &q_vec<A, std::uint16_t>,
      &dq_run<A, std::int8_t>,
      &dq_run<A, std::uint8_t>,
      &dq_run<A, std::int16_t>,
      &dq_run<A, std::uint16_t>,
      &dq_vec_impl<A, std::int8_t>,
      &dq_vec_impl<A, std::uint8_t>,
      &dq_vec_impl<A, std::int16_t>,
      &dq_vec_impl<A, std::uint16_t>,
      &q_grp<A, std::int8_t>,
      &q_grp<A, std::uint8_t>,
      &q_grp<A, std::int16_t>,
      &q_grp<A, std::uint16_t>,
      &dq_grp_impl<A, std::int8_t>,
      &dq_grp_impl<A, std::uint8_t>,
      &dq_grp_impl<A, std::int16_t>,
      &dq_grp_impl<A, std::uint16_t>,
      &fq_run<A>,
      &fq_vec<A>,
      &pack_impl<A>,
      &unpack_impl<A>,
      &fence_impl<A>,
  };
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::qk

namespace qmath::kernel::QMATH_TARGET_NS {

/// The levels where the quantize kernels differ; every other level runs the
/// nearest of these on its chain (avxvnni: avx2, avx512vnni: avx512,
/// dotprod / i8mm: neon).
template <isa L>
using quantize_arch = simd::fallback_arch<L, isa::scalar, isa::sse2, isa::sse41, isa::avx2, isa::avx512, isa::neon>;

template <isa L>
inline constexpr detail::quantize_kernels quantize_table = qk::table_for<quantize_arch<L>>(L);

QMATH_KERNEL_FAMILY(quantize)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
