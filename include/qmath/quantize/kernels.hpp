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
// Levels: scalar (W=1 reference), sse2, sse41, avx2 (avxvnni reuses it),
// avx512 (avx512vnni reuses it), neon (dotprod and i8mm reuse it). Pack and
// unpack of 1/2/4-bit codes use 128-bit SIMD (SSE2 on every x86 level, NEON on
// ARM); 3/5/6/7-bit codes use a 64-bit SWAR path (8 codes = `bits` bytes).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <cstdint>

#include "qmath/core/rounding.hpp"
#include "qmath/simd/arch/x86.hpp"
#include "qmath/simd/dispatch.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>
#elif defined(QMATH_ARCH_AARCH64)
#include <arm_neon.h>
#endif

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

// ---------------------------------------------------------------------------
// Scalar helpers (target-namespaced copies of the reference math)
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Per-level vector operations
// ---------------------------------------------------------------------------

template <isa L>
struct ops;

/// Scalar: one lane.
template <>
struct ops<isa::scalar> {
  static constexpr std::size_t W = 1;
  using F = float;
  using I = std::int32_t;
  using M = bool;
  using NF = bool;
  static F loadf(const float* p) noexcept { return *p; }
  static void storef(float* p, F v) noexcept { *p = v; }
  static F set1f(float v) noexcept { return v; }
  static I set1i(std::int32_t v) noexcept { return v; }
  static I loadi(const std::int32_t* p) noexcept { return *p; }
  static F add(F a, F b) noexcept { return a + b; }
  static F sub(F a, F b) noexcept { return a - b; }
  static F mul(F a, F b) noexcept { return a * b; }
  static F div(F a, F b) noexcept { return a / b; }
  static F maxf(F a, F b) noexcept { return a < b ? b : a; }
  static F minf(F a, F b) noexcept { return a > b ? b : a; }
  static F nan_to_zero(F a) noexcept { return a == a ? a : 0.0f; }
  static NF nf_zero() noexcept { return false; }
  static NF nf_acc(NF acc, F x) noexcept {
    std::uint32_t b;
    std::memcpy(&b, &x, 4);
    return acc | ((b & 0x7f800000u) == 0x7f800000u);
  }
  static bool nf_any(NF acc) noexcept { return acc; }
  static F round_even(F t) noexcept {
    const float a = t < 0.0f ? -t : t;
    if (!(a < 8388608.0f)) return t;
    const float c = t < 0.0f ? -8388608.0f : 8388608.0f;
    return (t + c) - c;
  }
  static F round_trunc(F t) noexcept {
    const float a = t < 0.0f ? -t : t;
    if (!(a < 8388608.0f)) return t;
    return static_cast<float>(static_cast<std::int32_t>(t));
  }
  static F round_floor(F t) noexcept {
    const F r = round_trunc(t);
    return r > t ? r - 1.0f : r;
  }
  static M cmp_ge(F a, F b) noexcept { return a >= b; }
  static M cmp_le(F a, F b) noexcept { return a <= b; }
  static M cmp_lt(F a, F b) noexcept { return a < b; }
  static M and_m(M a, M b) noexcept { return a && b; }
  static F add_masked(F a, M m, F b) noexcept { return m ? a + b : a; }
  static I cvtt(F a) noexcept { return static_cast<std::int32_t>(a); }
  static F cvt(I a) noexcept { return static_cast<float>(a); }
  static I addi(I a, I b) noexcept { return a + b; }
  static I subi(I a, I b) noexcept { return a - b; }
  static I mask01(M m) noexcept { return m ? 1 : 0; }
  static I iota() noexcept { return 0; }
  static I hash(I idx, std::uint32_t bk) noexcept {
    return static_cast<std::int32_t>(mix32(static_cast<std::uint32_t>(idx) ^ bk));
  }
  static F uniform(I h) noexcept {
    return static_cast<float>(static_cast<std::uint32_t>(h) >> 8) * 0x1p-24f;
  }
  template <class T>
  static I load_codes(const T* p) noexcept {
    return static_cast<std::int32_t>(*p);
  }
  static void streamf(float* p, F v) noexcept { *p = v; }
  static void sfence() noexcept {}
  template <class T, bool NT = false>
  static void store_codes4(T* p, I a, I b, I c, I d) noexcept {
    p[0] = static_cast<T>(a);
    p[1] = static_cast<T>(b);
    p[2] = static_cast<T>(c);
    p[3] = static_cast<T>(d);
  }
};

#if defined(QMATH_ARCH_X86)

/// SSE2 (and SSE4.1, which replaces the rounding, conversion and multiply).
template <isa L>
struct ops_sse {
  static constexpr std::size_t W = 4;
  using F = __m128;
  using I = __m128i;
  using M = __m128;
  using NF = __m128i;
  static F loadf(const float* p) noexcept { return _mm_loadu_ps(p); }
  static void storef(float* p, F v) noexcept { _mm_storeu_ps(p, v); }
  static F set1f(float v) noexcept { return _mm_set1_ps(v); }
  static I set1i(std::int32_t v) noexcept { return _mm_set1_epi32(v); }
  static I loadi(const std::int32_t* p) noexcept { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static F add(F a, F b) noexcept { return _mm_add_ps(a, b); }
  static F sub(F a, F b) noexcept { return _mm_sub_ps(a, b); }
  static F mul(F a, F b) noexcept { return _mm_mul_ps(a, b); }
  static F div(F a, F b) noexcept { return _mm_div_ps(a, b); }
  static F maxf(F a, F b) noexcept { return _mm_max_ps(a, b); }
  static F minf(F a, F b) noexcept { return _mm_min_ps(a, b); }
  static F nan_to_zero(F a) noexcept { return _mm_and_ps(a, _mm_cmpord_ps(a, a)); }
  static NF nf_zero() noexcept { return _mm_setzero_si128(); }
  static NF nf_acc(NF acc, F x) noexcept {
    const __m128i e = _mm_set1_epi32(0x7f800000);
    return _mm_or_si128(acc, _mm_cmpeq_epi32(_mm_and_si128(_mm_castps_si128(x), e), e));
  }
  static bool nf_any(NF acc) noexcept { return _mm_movemask_epi8(acc) != 0; }
  static F round_even(F t) noexcept {
#if defined(__SSE4_1__)
    if constexpr (L != isa::sse2) return _mm_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#endif
    // |t| < 2^23 (clamped by the caller): (t + copysign(2^23, t)) - copysign(2^23, t).
    const __m128 c = _mm_or_ps(_mm_and_ps(t, _mm_set1_ps(-0.0f)), _mm_set1_ps(8388608.0f));
    return _mm_sub_ps(_mm_add_ps(t, c), c);
  }
  static F round_trunc(F t) noexcept {
#if defined(__SSE4_1__)
    if constexpr (L != isa::sse2) return _mm_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
#endif
    return _mm_cvtepi32_ps(_mm_cvttps_epi32(t));
  }
  static F round_floor(F t) noexcept {
#if defined(__SSE4_1__)
    if constexpr (L != isa::sse2) return _mm_round_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
#endif
    const __m128 r = round_trunc(t);
    return _mm_sub_ps(r, _mm_and_ps(_mm_cmpgt_ps(r, t), _mm_set1_ps(1.0f)));
  }
  static M cmp_ge(F a, F b) noexcept { return _mm_cmpge_ps(a, b); }
  static M cmp_le(F a, F b) noexcept { return _mm_cmple_ps(a, b); }
  static M cmp_lt(F a, F b) noexcept { return _mm_cmplt_ps(a, b); }
  static M and_m(M a, M b) noexcept { return _mm_and_ps(a, b); }
  static F add_masked(F a, M m, F b) noexcept { return _mm_add_ps(a, _mm_and_ps(m, b)); }
  static I cvtt(F a) noexcept { return _mm_cvttps_epi32(a); }
  static F cvt(I a) noexcept { return _mm_cvtepi32_ps(a); }
  static I addi(I a, I b) noexcept { return _mm_add_epi32(a, b); }
  static I subi(I a, I b) noexcept { return _mm_sub_epi32(a, b); }
  static I mask01(M m) noexcept { return _mm_and_si128(_mm_castps_si128(m), _mm_set1_epi32(1)); }
  static I iota() noexcept { return _mm_setr_epi32(0, 1, 2, 3); }
  static I mullo(I a, I b) noexcept {
#if defined(__SSE4_1__)
    if constexpr (L != isa::sse2) return _mm_mullo_epi32(a, b);
#endif
    const __m128i p02 = _mm_mul_epu32(a, b);
    const __m128i p13 = _mm_mul_epu32(_mm_srli_epi64(a, 32), _mm_srli_epi64(b, 32));
    return _mm_unpacklo_epi32(_mm_shuffle_epi32(p02, 0x08), _mm_shuffle_epi32(p13, 0x08));
  }
  static I hash(I idx, std::uint32_t bk) noexcept {
    __m128i x = _mm_xor_si128(idx, _mm_set1_epi32(static_cast<std::int32_t>(bk)));
    x = _mm_xor_si128(x, _mm_srli_epi32(x, 16));
    x = mullo(x, _mm_set1_epi32(0x7feb352d));
    x = _mm_xor_si128(x, _mm_srli_epi32(x, 15));
    x = mullo(x, _mm_set1_epi32(static_cast<std::int32_t>(0x846ca68bu)));
    return _mm_xor_si128(x, _mm_srli_epi32(x, 16));
  }
  static F uniform(I h) noexcept { return _mm_mul_ps(_mm_cvtepi32_ps(_mm_srli_epi32(h, 8)), _mm_set1_ps(0x1p-24f)); }
  template <class T>
  static I load_codes(const T* p) noexcept {
    if constexpr (sizeof(T) == 1) {
      std::int32_t w;
      std::memcpy(&w, p, 4);
      const __m128i v = _mm_cvtsi32_si128(w);
#if defined(__SSE4_1__)
      if constexpr (L != isa::sse2) {
        if constexpr (std::is_signed_v<T>) return _mm_cvtepi8_epi32(v);
        else return _mm_cvtepu8_epi32(v);
      }
#endif
      if constexpr (std::is_signed_v<T>) {
        const __m128i a = _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
        return _mm_srai_epi32(_mm_unpacklo_epi16(a, a), 16);
      } else {
        const __m128i z = _mm_setzero_si128();
        return _mm_unpacklo_epi16(_mm_unpacklo_epi8(v, z), z);
      }
    } else {
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
      if constexpr (std::is_signed_v<T>) return _mm_srai_epi32(_mm_unpacklo_epi16(v, v), 16);
      else return _mm_unpacklo_epi16(v, _mm_setzero_si128());
    }
  }
  static void streamf(float* p, F v) noexcept { _mm_stream_ps(p, v); }
  static void sfence() noexcept { _mm_sfence(); }
  template <bool NT>
  static void st128(void* p, __m128i v) noexcept {
    if constexpr (NT) _mm_stream_si128(static_cast<__m128i*>(p), v);
    else _mm_storeu_si128(static_cast<__m128i*>(p), v);
  }
  template <class T, bool NT = false>
  static void store_codes4(T* p, I a, I b, I c, I d) noexcept {
    if constexpr (sizeof(T) == 1) {
      const __m128i ab = _mm_packs_epi32(a, b), cd = _mm_packs_epi32(c, d);
      const __m128i r = std::is_signed_v<T> ? _mm_packs_epi16(ab, cd) : _mm_packus_epi16(ab, cd);
      st128<NT>(p, r);
    } else if constexpr (std::is_signed_v<T>) {
      st128<NT>(p, _mm_packs_epi32(a, b));
      st128<NT>(p + 8, _mm_packs_epi32(c, d));
    } else {
      // [0, 65535] -> subtract 2^15, signed pack, flip the top bit back.
      const __m128i k = _mm_set1_epi32(32768), f = _mm_set1_epi16(static_cast<short>(0x8000));
      const __m128i ab = _mm_xor_si128(_mm_packs_epi32(_mm_sub_epi32(a, k), _mm_sub_epi32(b, k)), f);
      const __m128i cd = _mm_xor_si128(_mm_packs_epi32(_mm_sub_epi32(c, k), _mm_sub_epi32(d, k)), f);
      st128<NT>(p, ab);
      st128<NT>(p + 8, cd);
    }
  }
};
template <>
struct ops<isa::sse2> : ops_sse<isa::sse2> {};
#if defined(__SSE4_1__)
template <>
struct ops<isa::sse41> : ops_sse<isa::sse41> {};
#endif

#if defined(__AVX2__) && defined(__FMA__)
template <>
struct ops<isa::avx2> {
  static constexpr std::size_t W = 8;
  using F = __m256;
  using I = __m256i;
  using M = __m256;
  using NF = __m256i;
  static F loadf(const float* p) noexcept { return _mm256_loadu_ps(p); }
  static void storef(float* p, F v) noexcept { _mm256_storeu_ps(p, v); }
  static F set1f(float v) noexcept { return _mm256_set1_ps(v); }
  static I set1i(std::int32_t v) noexcept { return _mm256_set1_epi32(v); }
  static I loadi(const std::int32_t* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static F add(F a, F b) noexcept { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) noexcept { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) noexcept { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) noexcept { return _mm256_div_ps(a, b); }
  static F maxf(F a, F b) noexcept { return _mm256_max_ps(a, b); }
  static F minf(F a, F b) noexcept { return _mm256_min_ps(a, b); }
  static F nan_to_zero(F a) noexcept { return _mm256_and_ps(a, _mm256_cmp_ps(a, a, _CMP_ORD_Q)); }
  static NF nf_zero() noexcept { return _mm256_setzero_si256(); }
  static NF nf_acc(NF acc, F x) noexcept {
    const __m256i e = _mm256_set1_epi32(0x7f800000);
    return _mm256_or_si256(acc, _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(x), e), e));
  }
  static bool nf_any(NF acc) noexcept { return !_mm256_testz_si256(acc, acc); }
  static F round_even(F t) noexcept { return _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F round_trunc(F t) noexcept { return _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
  static F round_floor(F t) noexcept { return _mm256_round_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static M cmp_ge(F a, F b) noexcept { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static M cmp_le(F a, F b) noexcept { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static M cmp_lt(F a, F b) noexcept { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M and_m(M a, M b) noexcept { return _mm256_and_ps(a, b); }
  static F add_masked(F a, M m, F b) noexcept { return _mm256_add_ps(a, _mm256_and_ps(m, b)); }
  static I cvtt(F a) noexcept { return _mm256_cvttps_epi32(a); }
  static F cvt(I a) noexcept { return _mm256_cvtepi32_ps(a); }
  static I addi(I a, I b) noexcept { return _mm256_add_epi32(a, b); }
  static I subi(I a, I b) noexcept { return _mm256_sub_epi32(a, b); }
  static I mask01(M m) noexcept { return _mm256_and_si256(_mm256_castps_si256(m), _mm256_set1_epi32(1)); }
  static I iota() noexcept { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static I hash(I idx, std::uint32_t bk) noexcept {
    __m256i x = _mm256_xor_si256(idx, _mm256_set1_epi32(static_cast<std::int32_t>(bk)));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(static_cast<std::int32_t>(0x846ca68bu)));
    return _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
  }
  static F uniform(I h) noexcept {
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(h, 8)), _mm256_set1_ps(0x1p-24f));
  }
  template <class T>
  static I load_codes(const T* p) noexcept {
    if constexpr (sizeof(T) == 1) {
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
      if constexpr (std::is_signed_v<T>) return _mm256_cvtepi8_epi32(v);
      else return _mm256_cvtepu8_epi32(v);
    } else {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      if constexpr (std::is_signed_v<T>) return _mm256_cvtepi16_epi32(v);
      else return _mm256_cvtepu16_epi32(v);
    }
  }
  static void streamf(float* p, F v) noexcept { _mm256_stream_ps(p, v); }
  static void sfence() noexcept { _mm_sfence(); }
  template <bool NT>
  static void st256(void* p, __m256i v) noexcept {
    if constexpr (NT) _mm256_stream_si256(static_cast<__m256i*>(p), v);
    else _mm256_storeu_si256(static_cast<__m256i*>(p), v);
  }
  template <class T, bool NT = false>
  static void store_codes4(T* p, I a, I b, I c, I d) noexcept {
    if constexpr (sizeof(T) == 1) {
      const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
      const __m256i r = std::is_signed_v<T> ? _mm256_packs_epi16(ab, cd) : _mm256_packus_epi16(ab, cd);
      st256<NT>(p, _mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    } else {
      __m256i ab, cd;
      if constexpr (std::is_signed_v<T>) {
        ab = _mm256_packs_epi32(a, b);
        cd = _mm256_packs_epi32(c, d);
      } else {
        ab = _mm256_packus_epi32(a, b);
        cd = _mm256_packus_epi32(c, d);
      }
      st256<NT>(p, _mm256_permute4x64_epi64(ab, 0xD8));
      st256<NT>(p + 16, _mm256_permute4x64_epi64(cd, 0xD8));
    }
  }
};
#endif

#if defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
template <>
struct ops<isa::avx512> {
  static constexpr std::size_t W = 16;
  using F = __m512;
  using I = __m512i;
  using M = __mmask16;
  using NF = __mmask16;
  static F loadf(const float* p) noexcept { return _mm512_loadu_ps(p); }
  static void storef(float* p, F v) noexcept { _mm512_storeu_ps(p, v); }
  static F set1f(float v) noexcept { return _mm512_set1_ps(v); }
  static I set1i(std::int32_t v) noexcept { return _mm512_set1_epi32(v); }
  static I loadi(const std::int32_t* p) noexcept { return _mm512_loadu_si512(p); }
  static F add(F a, F b) noexcept { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) noexcept { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) noexcept { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) noexcept { return _mm512_div_ps(a, b); }
  static F maxf(F a, F b) noexcept { return _mm512_max_ps(a, b); }
  static F minf(F a, F b) noexcept { return _mm512_min_ps(a, b); }
  static F nan_to_zero(F a) noexcept { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, a, _CMP_ORD_Q), a); }
  static NF nf_zero() noexcept { return 0; }
  static NF nf_acc(NF acc, F x) noexcept {
    const __m512i e = _mm512_set1_epi32(0x7f800000);
    return static_cast<NF>(acc | _mm512_cmpeq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(x), e), e));
  }
  static bool nf_any(NF acc) noexcept { return acc != 0; }
  static F round_even(F t) noexcept { return _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F round_trunc(F t) noexcept { return _mm512_roundscale_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
  static F round_floor(F t) noexcept { return _mm512_roundscale_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static M cmp_ge(F a, F b) noexcept { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static M cmp_le(F a, F b) noexcept { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static M cmp_lt(F a, F b) noexcept { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M and_m(M a, M b) noexcept { return static_cast<M>(a & b); }
  static F add_masked(F a, M m, F b) noexcept { return _mm512_mask_add_ps(a, m, a, b); }
  static I cvtt(F a) noexcept { return _mm512_cvttps_epi32(a); }
  static F cvt(I a) noexcept { return _mm512_cvtepi32_ps(a); }
  static I addi(I a, I b) noexcept { return _mm512_add_epi32(a, b); }
  static I subi(I a, I b) noexcept { return _mm512_sub_epi32(a, b); }
  static I mask01(M m) noexcept { return _mm512_maskz_set1_epi32(m, 1); }
  static I iota() noexcept { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  static I hash(I idx, std::uint32_t bk) noexcept {
    __m512i x = _mm512_xor_si512(idx, _mm512_set1_epi32(static_cast<std::int32_t>(bk)));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32(0x7feb352d));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32(static_cast<std::int32_t>(0x846ca68bu)));
    return _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
  }
  static F uniform(I h) noexcept {
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(h, 8)), _mm512_set1_ps(0x1p-24f));
  }
  template <class T>
  static I load_codes(const T* p) noexcept {
    if constexpr (sizeof(T) == 1) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      if constexpr (std::is_signed_v<T>) return _mm512_cvtepi8_epi32(v);
      else return _mm512_cvtepu8_epi32(v);
    } else {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      if constexpr (std::is_signed_v<T>) return _mm512_cvtepi16_epi32(v);
      else return _mm512_cvtepu16_epi32(v);
    }
  }
  static void streamf(float* p, F v) noexcept { _mm512_stream_ps(p, v); }
  static void sfence() noexcept { _mm_sfence(); }
  template <class T, bool NT = false>
  static void store_codes4(T* p, I a, I b, I c, I d) noexcept {
    // Values are in range: truncating narrows are exact for signed and unsigned.
    if constexpr (sizeof(T) == 1) {
      const __m512i r = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(a)),
                                                         _mm512_cvtepi32_epi8(b), 1)),
          _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(c)), _mm512_cvtepi32_epi8(d), 1), 1);
      if constexpr (NT) _mm512_stream_si512(reinterpret_cast<__m512i*>(p), r);
      else _mm512_storeu_si512(p, r);
    } else {
      const __m512i ab = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(a)), _mm512_cvtepi32_epi16(b), 1);
      const __m512i cd = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(c)), _mm512_cvtepi32_epi16(d), 1);
      if constexpr (NT) {
        _mm512_stream_si512(reinterpret_cast<__m512i*>(p), ab);
        _mm512_stream_si512(reinterpret_cast<__m512i*>(p + 32), cd);
      } else {
        _mm512_storeu_si512(p, ab);
        _mm512_storeu_si512(p + 32, cd);
      }
    }
  }
};
#endif
#endif  // QMATH_ARCH_X86

#if defined(QMATH_ARCH_AARCH64)
template <>
struct ops<isa::neon> {
  static constexpr std::size_t W = 4;
  using F = float32x4_t;
  using I = int32x4_t;
  using M = uint32x4_t;
  using NF = uint32x4_t;
  static F loadf(const float* p) noexcept { return vld1q_f32(p); }
  static void storef(float* p, F v) noexcept { vst1q_f32(p, v); }
  static F set1f(float v) noexcept { return vdupq_n_f32(v); }
  static I set1i(std::int32_t v) noexcept { return vdupq_n_s32(v); }
  static I loadi(const std::int32_t* p) noexcept { return vld1q_s32(p); }
  static F add(F a, F b) noexcept { return vaddq_f32(a, b); }
  static F sub(F a, F b) noexcept { return vsubq_f32(a, b); }
  static F mul(F a, F b) noexcept { return vmulq_f32(a, b); }
  static F div(F a, F b) noexcept { return vdivq_f32(a, b); }
  // NaN never reaches max/min (nan_to_zero runs first).
  static F maxf(F a, F b) noexcept { return vmaxq_f32(a, b); }
  static F minf(F a, F b) noexcept { return vminq_f32(a, b); }
  static F nan_to_zero(F a) noexcept {
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vceqq_f32(a, a)));
  }
  static NF nf_zero() noexcept { return vdupq_n_u32(0); }
  static NF nf_acc(NF acc, F x) noexcept {
    const uint32x4_t e = vdupq_n_u32(0x7f800000u);
    return vorrq_u32(acc, vceqq_u32(vandq_u32(vreinterpretq_u32_f32(x), e), e));
  }
  static bool nf_any(NF acc) noexcept { return vmaxvq_u32(acc) != 0; }
  static F round_even(F t) noexcept { return vrndnq_f32(t); }
  static F round_trunc(F t) noexcept { return vrndq_f32(t); }
  static F round_floor(F t) noexcept { return vrndmq_f32(t); }
  static M cmp_ge(F a, F b) noexcept { return vcgeq_f32(a, b); }
  static M cmp_le(F a, F b) noexcept { return vcleq_f32(a, b); }
  static M cmp_lt(F a, F b) noexcept { return vcltq_f32(a, b); }
  static M and_m(M a, M b) noexcept { return vandq_u32(a, b); }
  static F add_masked(F a, M m, F b) noexcept {
    return vaddq_f32(a, vreinterpretq_f32_u32(vandq_u32(m, vreinterpretq_u32_f32(b))));
  }
  static I cvtt(F a) noexcept { return vcvtq_s32_f32(a); }
  static F cvt(I a) noexcept { return vcvtq_f32_s32(a); }
  static I addi(I a, I b) noexcept { return vaddq_s32(a, b); }
  static I subi(I a, I b) noexcept { return vsubq_s32(a, b); }
  static I mask01(M m) noexcept { return vreinterpretq_s32_u32(vandq_u32(m, vdupq_n_u32(1))); }
  static I iota() noexcept {
    const std::int32_t v[4] = {0, 1, 2, 3};
    return vld1q_s32(v);
  }
  static I hash(I idx, std::uint32_t bk) noexcept {
    uint32x4_t x = veorq_u32(vreinterpretq_u32_s32(idx), vdupq_n_u32(bk));
    x = veorq_u32(x, vshrq_n_u32(x, 16));
    x = vmulq_u32(x, vdupq_n_u32(0x7feb352du));
    x = veorq_u32(x, vshrq_n_u32(x, 15));
    x = vmulq_u32(x, vdupq_n_u32(0x846ca68bu));
    return vreinterpretq_s32_u32(veorq_u32(x, vshrq_n_u32(x, 16)));
  }
  static F uniform(I h) noexcept {
    return vmulq_f32(vcvtq_f32_u32(vshrq_n_u32(vreinterpretq_u32_s32(h), 8)), vdupq_n_f32(0x1p-24f));
  }
  template <class T>
  static I load_codes(const T* p) noexcept {
    if constexpr (sizeof(T) == 1) {
      std::uint32_t w;
      std::memcpy(&w, p, 4);
      const uint8x8_t v = vreinterpret_u8_u32(vdup_n_u32(w));
      if constexpr (std::is_signed_v<T>) return vmovl_s16(vget_low_s16(vmovl_s8(vreinterpret_s8_u8(v))));
      else return vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(vmovl_u8(v))));
    } else {
      if constexpr (std::is_signed_v<T>) return vmovl_s16(vld1_s16(reinterpret_cast<const std::int16_t*>(p)));
      else return vreinterpretq_s32_u32(vmovl_u16(vld1_u16(reinterpret_cast<const std::uint16_t*>(p))));
    }
  }
  static void streamf(float* p, F v) noexcept { vst1q_f32(p, v); }
  static void sfence() noexcept {}
  template <class T, bool NT = false>
  static void store_codes4(T* p, I a, I b, I c, I d) noexcept {
    // Values are in range: truncating narrows are exact. (No non-temporal
    // store hint on NEON: NT stores are regular stores.)
    const int16x8_t ab = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
    const int16x8_t cd = vcombine_s16(vmovn_s32(c), vmovn_s32(d));
    if constexpr (sizeof(T) == 1) {
      vst1q_s8(reinterpret_cast<std::int8_t*>(p), vcombine_s8(vmovn_s16(ab), vmovn_s16(cd)));
    } else {
      vst1q_s16(reinterpret_cast<std::int16_t*>(p), ab);
      vst1q_s16(reinterpret_cast<std::int16_t*>(p + 8), cd);
    }
  }
};
#endif

/// The implementation level used for level L.
template <isa L>
constexpr isa impl_level() noexcept {
  if constexpr (L == isa::avxvnni) return isa::avx2;
  else if constexpr (L == isa::avx512vnni) return isa::avx512;
  else if constexpr (L == isa::dotprod || L == isa::i8mm) return isa::neon;
  else return L;
}

// ---------------------------------------------------------------------------
// Generic kernels over ops<L>
// ---------------------------------------------------------------------------

/// Rounding of clamped values (|t| < 2^23) for mode R; `idx` = lane indices
/// (low 32 bits) for stochastic rounding.
template <class O, rounding R>
QMATH_ALWAYS_INLINE typename O::F round_mode(typename O::F t, typename O::I idx, std::uint32_t bk) noexcept {
  if constexpr (R == rounding::half_even) {
    (void)idx, (void)bk;
    return O::round_even(t);
  } else if constexpr (R == rounding::toward_zero) {
    (void)idx, (void)bk;
    return O::round_trunc(t);
  } else if constexpr (R == rounding::half_away) {
    (void)idx, (void)bk;
    const auto r = O::round_trunc(t);
    const auto d = O::sub(t, r);
    const auto up = O::add_masked(r, O::cmp_ge(d, O::set1f(0.5f)), O::set1f(1.0f));
    return O::add_masked(up, O::cmp_le(d, O::set1f(-0.5f)), O::set1f(-1.0f));
  } else {
    const auto f = O::round_floor(t);
    const auto u = O::uniform(O::hash(idx, bk));
    return O::add_masked(f, O::cmp_lt(u, O::sub(t, f)), O::set1f(1.0f));
  }
}

/// Shared per-vector quantize step: returns the rounded offset r (float,
/// integral, in [lo, hi]).
/// Non-finite inputs are rare: a vector holding one takes a branch that sets
/// `any_nf` and maps NaN to 0 (Inf saturates in the clamp).
template <class O, rounding R, division D>
QMATH_ALWAYS_INLINE typename O::F quant_step(typename O::F x, typename O::F s, typename O::F inv, typename O::F lo,
                                             typename O::F hi, typename O::I idx, std::uint32_t bk,
                                             bool& any_nf) noexcept {
  const auto m = O::nf_acc(O::nf_zero(), x);
  auto t = D == division::exact ? O::div(x, s) : O::mul(x, inv);
  if (QMATH_UNLIKELY(O::nf_any(m))) {
    any_nf = true;
    t = O::nan_to_zero(t);
  } else if constexpr (D == division::reciprocal) {
    // A finite x can still give NaN: 0 * (1 / scale) with 1 / scale = +Inf
    // (scale below 2^-128). The reference maps that NaN to 0 as well.
    t = O::nan_to_zero(t);
  }
  t = O::minf(O::maxf(t, lo), hi);
  return round_mode<O, R>(t, idx, bk);
}

/// Runs a kernel over n elements in blocks of B: full(i, stream_tag) for
/// whole blocks, part(i, r) for r <= B elements (the tail and, when
/// streaming, the head that aligns the output to 64 bytes).
template <class O, std::size_t B, class OutT, class Full, class Part>
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

/// Quantize a run sharing (scale, zp). Processes 4W elements per step; heads
/// and tails go through a zero-padded stack buffer.
template <isa L, class T, rounding R, division D>
QMATH_ALWAYS_INLINE bool q_run_impl(const float* x, T* q, std::size_t n, const detail::quant_run& a) noexcept {
  using O = ops<impl_level<L>()>;
  constexpr std::size_t B = 4 * O::W;
  const auto s = O::set1f(a.scale);
  const auto inv = O::set1f(1.0f / a.scale);
  const auto lo = O::set1f(static_cast<float>(a.qmin - a.zero_point));
  const auto hi = O::set1f(static_cast<float>(a.qmax - a.zero_point));
  const auto zp = O::set1i(a.zero_point);
  const auto iota = O::iota();
  bool nf = false;
  auto block = [&](const float* xp, T* qp, std::uint64_t index, auto nt) {
    const std::uint32_t bk = R == rounding::stochastic ? block_key(a.key, index) : 0u;
    const auto i0 = O::addi(O::set1i(static_cast<std::int32_t>(static_cast<std::uint32_t>(index))), iota);
    typename O::I v[4];
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const auto xv = O::loadf(xp + k * O::W);
      const auto idx = O::addi(i0, O::set1i(static_cast<std::int32_t>(k * O::W)));
      v[k] = O::addi(O::cvtt(quant_step<O, R, D>(xv, s, inv, lo, hi, idx, bk, nf)), zp);
    }
    O::template store_codes4<T, decltype(nt)::value>(qp, v[0], v[1], v[2], v[3]);
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
    block(x + i, q + i, a.index0 + i, nt);
  };
  drive<O, B>(n, q, a.stream, full, part);
  return nf;
}

/// Quantize with per-element (scale, zp).
template <isa L, class T, rounding R, division D>
bool q_vec_impl(const float* x, T* q, std::size_t n, const detail::quant_vec& a) noexcept {
  using O = ops<impl_level<L>()>;
  constexpr std::size_t B = 4 * O::W;
  const auto qmin = O::set1i(a.qmin), qmax = O::set1i(a.qmax);
  const auto one = O::set1f(1.0f);
  const auto iota = O::iota();
  const std::int32_t pad_zp = a.qmin < 0 ? 0 : a.qmin;
  bool nf = false;
  auto block = [&](const float* xp, const float* sp, const std::int32_t* zpp, T* qp, std::uint64_t index, auto nt) {
    const std::uint32_t bk = R == rounding::stochastic ? block_key(a.key, index) : 0u;
    const auto i0 = O::addi(O::set1i(static_cast<std::int32_t>(static_cast<std::uint32_t>(index))), iota);
    typename O::I v[4];
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const auto xv = O::loadf(xp + k * O::W);
      const auto s = O::loadf(sp + k * O::W);
      const auto zp = O::loadi(zpp + k * O::W);
      const auto inv = D == division::reciprocal ? O::div(one, s) : s;
      const auto lo = O::cvt(O::subi(qmin, zp)), hi = O::cvt(O::subi(qmax, zp));
      const auto idx = O::addi(i0, O::set1i(static_cast<std::int32_t>(k * O::W)));
      v[k] = O::addi(O::cvtt(quant_step<O, R, D>(xv, s, inv, lo, hi, idx, bk, nf)), zp);
    }
    O::template store_codes4<T, decltype(nt)::value>(qp, v[0], v[1], v[2], v[3]);
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
    block(x + i, a.scale + i, a.zero_point + i, q + i, a.index0 + i, nt);
  };
  drive<O, B>(n, q, a.stream, full, part);
  return nf;
}

/// Quantize consecutive groups (per-group granularity along the last axis).
template <isa L, class T, rounding R, division D>
bool q_grp_impl(const float* x, T* q, std::size_t n, std::size_t G, std::size_t off,
                const detail::quant_vec& a) noexcept {
  bool nf = false;
  for (std::size_t j = 0, g = 0; j < n; ++g) {
    const std::size_t len = G - off < n - j ? G - off : n - j;
    const detail::quant_run r{a.scale[g], a.zero_point[g], a.qmin, a.qmax, a.mode, a.div, a.key, a.index0 + j,
                              a.stream};
    nf |= q_run_impl<L, T, R, D>(x + j, q + j, len, r);
    j += len;
    off = 0;
  }
  return nf;
}

/// Fake quant of a run (y = (clamp(round(t)) ) * scale, mask = unclamped code in range).
template <isa L, rounding R, division D>
bool fq_run_impl(const float* x, float* y, std::uint8_t* mask, std::size_t n, const detail::quant_run& a) noexcept {
  using O = ops<impl_level<L>()>;
  constexpr std::size_t B = 4 * O::W;
  const auto s = O::set1f(a.scale);
  const auto inv = O::set1f(1.0f / a.scale);
  const float lof = static_cast<float>(a.qmin - a.zero_point), hif = static_cast<float>(a.qmax - a.zero_point);
  const auto lo = O::set1f(lof), hi = O::set1f(hif);
  const auto lo1 = O::set1f(lof - 1.0f), hi1 = O::set1f(hif + 1.0f);
  const auto zero = O::set1f(0.0f);
  const auto iota = O::iota();
  bool nf = false;
  auto block = [&](const float* xp, float* yp, std::uint8_t* mp, std::uint64_t index) {
    const std::uint32_t bk = R == rounding::stochastic ? block_key(a.key, index) : 0u;
    const auto i0 = O::addi(O::set1i(static_cast<std::int32_t>(static_cast<std::uint32_t>(index))), iota);
    typename O::I m[4];
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const auto xv = O::loadf(xp + k * O::W);
      const auto idx = O::addi(i0, O::set1i(static_cast<std::int32_t>(k * O::W)));
      auto r = quant_step<O, R, D>(xv, s, inv, lo1, hi1, idx, bk, nf);
      m[k] = O::mask01(O::and_m(O::cmp_ge(r, lo), O::cmp_le(r, hi)));
      // + 0: the code offset is an integer, so -0 (round of a tiny negative
      // t with roundps / vrndscaleps / frintn) must become +0 like the
      // reference (y = float(q - zp) * scale).
      r = O::add(O::minf(O::maxf(r, lo), hi), zero);
      O::storef(yp + k * O::W, O::mul(r, s));
    }
    if (mp) O::template store_codes4<std::uint8_t>(mp, m[0], m[1], m[2], m[3]);
  };
  std::size_t i = 0;
  auto one_by_one = [&](std::size_t from, std::size_t count) {
    for (std::size_t j = 0; j < count; ++j) {
      float xb[B] = {}, yb[B];
      std::uint8_t mb[B];
      xb[0] = x[from + j];
      block(xb, yb, mb, a.index0 + from + j);
      y[from + j] = yb[0];
      if (mask) mask[from + j] = mb[0];
    }
  };
  for (; i + B <= n; i += B) {
    if constexpr (R == rounding::stochastic) {
      const std::uint64_t first = a.index0 + i;
      if ((first >> 32) != ((first + B - 1) >> 32)) {
        one_by_one(i, B);
        continue;
      }
    }
    block(x + i, y + i, mask ? mask + i : nullptr, a.index0 + i);
  }
  if (i < n) {
    const std::size_t r = n - i;
    const std::uint64_t first = a.index0 + i;
    if (R == rounding::stochastic && (first >> 32) != ((first + r - 1) >> 32)) {
      one_by_one(i, r);
    } else {
      float xb[B] = {}, yb[B];
      std::uint8_t mb[B];
      std::memcpy(xb, x + i, r * sizeof(float));
      block(xb, yb, mb, first);
      std::memcpy(y + i, yb, r * sizeof(float));
      if (mask) std::memcpy(mask + i, mb, r);
    }
  }
  return nf;
}

/// Fake quant with per-element (scale, zp).
template <isa L, rounding R, division D>
bool fq_vec_impl(const float* x, float* y, std::uint8_t* mask, std::size_t n, const detail::quant_vec& a) noexcept {
  using O = ops<impl_level<L>()>;
  constexpr std::size_t B = 4 * O::W;
  const auto qmin = O::set1i(a.qmin), qmax = O::set1i(a.qmax);
  const auto one = O::set1f(1.0f), zero = O::set1f(0.0f);
  const auto iota = O::iota();
  bool nf = false;
  auto block = [&](const float* xp, const float* sp, const std::int32_t* zpp, float* yp, std::uint8_t* mp,
                   std::uint64_t index) {
    const std::uint32_t bk = R == rounding::stochastic ? block_key(a.key, index) : 0u;
    const auto i0 = O::addi(O::set1i(static_cast<std::int32_t>(static_cast<std::uint32_t>(index))), iota);
    typename O::I m[4];
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const auto xv = O::loadf(xp + k * O::W);
      const auto s = O::loadf(sp + k * O::W);
      const auto zp = O::loadi(zpp + k * O::W);
      const auto inv = D == division::reciprocal ? O::div(one, s) : s;
      const auto lo = O::cvt(O::subi(qmin, zp)), hi = O::cvt(O::subi(qmax, zp));
      const auto idx = O::addi(i0, O::set1i(static_cast<std::int32_t>(k * O::W)));
      auto r = quant_step<O, R, D>(xv, s, inv, O::sub(lo, one), O::add(hi, one), idx, bk, nf);
      m[k] = O::mask01(O::and_m(O::cmp_ge(r, lo), O::cmp_le(r, hi)));
      // + 0: the code offset is an integer, so -0 (round of a tiny negative
      // t with roundps / vrndscaleps / frintn) must become +0 like the
      // reference (y = float(q - zp) * scale).
      r = O::add(O::minf(O::maxf(r, lo), hi), zero);
      O::storef(yp + k * O::W, O::mul(r, s));
    }
    if (mp) O::template store_codes4<std::uint8_t>(mp, m[0], m[1], m[2], m[3]);
  };
  auto one_by_one = [&](std::size_t from, std::size_t count) {
    for (std::size_t j = 0; j < count; ++j) {
      float xb[B] = {}, sb[B], yb[B];
      std::int32_t zb[B];
      std::uint8_t mb[B];
      for (std::size_t k = 0; k < B; ++k) sb[k] = 1.0f, zb[k] = a.qmin < 0 ? 0 : a.qmin;
      xb[0] = x[from + j];
      sb[0] = a.scale[from + j];
      zb[0] = a.zero_point[from + j];
      block(xb, sb, zb, yb, mb, a.index0 + from + j);
      y[from + j] = yb[0];
      if (mask) mask[from + j] = mb[0];
    }
  };
  std::size_t i = 0;
  for (; i + B <= n; i += B) {
    if constexpr (R == rounding::stochastic) {
      const std::uint64_t first = a.index0 + i;
      if ((first >> 32) != ((first + B - 1) >> 32)) {
        one_by_one(i, B);
        continue;
      }
    }
    block(x + i, a.scale + i, a.zero_point + i, y + i, mask ? mask + i : nullptr, a.index0 + i);
  }
  if (i < n) {
    const std::size_t r = n - i;
    const std::uint64_t first = a.index0 + i;
    if (R == rounding::stochastic && (first >> 32) != ((first + r - 1) >> 32)) {
      one_by_one(i, r);
    } else {
      float xb[B] = {}, sb[B], yb[B];
      std::int32_t zb[B];
      std::uint8_t mb[B];
      for (std::size_t k = 0; k < B; ++k) sb[k] = 1.0f, zb[k] = a.qmin < 0 ? 0 : a.qmin;
      std::memcpy(xb, x + i, r * sizeof(float));
      std::memcpy(sb, a.scale + i, r * sizeof(float));
      std::memcpy(zb, a.zero_point + i, r * sizeof(std::int32_t));
      block(xb, sb, zb, yb, mb, first);
      std::memcpy(y + i, yb, r * sizeof(float));
      if (mask) std::memcpy(mask + i, mb, r);
    }
  }
  return nf;
}

/// Dequantize a run: x = float(q - zp) * scale.
template <isa L, class T>
QMATH_ALWAYS_INLINE void dq_run_impl(const T* q, float* x, std::size_t n, float scale, std::int32_t zero_point,
                                     bool stream) noexcept {
  using O = ops<impl_level<L>()>;
  constexpr std::size_t B = 4 * O::W;
  const auto s = O::set1f(scale);
  const auto zp = O::set1i(zero_point);
  auto block = [&](const T* qp, float* xp, auto nt) {
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const auto v = O::mul(O::cvt(O::subi(O::template load_codes<T>(qp + k * O::W), zp)), s);
      if constexpr (decltype(nt)::value) O::streamf(xp + k * O::W, v);
      else O::storef(xp + k * O::W, v);
    }
  };
  auto part = [&](std::size_t i, std::size_t r) {
    T qb[B] = {};
    float xb[B];
    std::memcpy(qb, q + i, r * sizeof(T));
    block(qb, xb, std::false_type{});
    std::memcpy(x + i, xb, r * sizeof(float));
  };
  drive<O, B>(n, x, stream, [&](std::size_t i, auto nt) { block(q + i, x + i, nt); }, part);
}

/// Dequantize consecutive groups.
template <isa L, class T>
void dq_grp_impl(const T* q, float* x, std::size_t n, std::size_t G, std::size_t off, const float* scale,
                 const std::int32_t* zero_point, bool stream) noexcept {
  for (std::size_t j = 0, g = 0; j < n; ++g) {
    const std::size_t len = G - off < n - j ? G - off : n - j;
    dq_run_impl<L, T>(q + j, x + j, len, scale[g], zero_point[g], stream);
    j += len;
    off = 0;
  }
}

/// Dequantize with per-element (scale, zp).
template <isa L, class T>
void dq_vec_impl(const T* q, float* x, std::size_t n, const float* scale, const std::int32_t* zero_point,
                 bool stream) noexcept {
  using O = ops<impl_level<L>()>;
  constexpr std::size_t B = 4 * O::W;
  auto block = [&](const T* qp, const float* sp, const std::int32_t* zpp, float* xp, auto nt) {
    QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
      const auto d = O::subi(O::template load_codes<T>(qp + k * O::W), O::loadi(zpp + k * O::W));
      const auto v = O::mul(O::cvt(d), O::loadf(sp + k * O::W));
      if constexpr (decltype(nt)::value) O::streamf(xp + k * O::W, v);
      else O::storef(xp + k * O::W, v);
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
  drive<O, B>(n, x, stream,
              [&](std::size_t i, auto nt) { block(q + i, scale + i, zero_point + i, x + i, nt); }, part);
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

template <isa L>
std::uint8_t pack_impl(const std::uint8_t* c, std::uint8_t* out, std::size_t n, int bits,
                       std::uint8_t bias) noexcept {
  std::size_t i = 0;  // codes done (a multiple of 8 before the SWAR tail)
  std::uint8_t bad = 0;
  constexpr isa I = impl_level<L>();
#if defined(QMATH_ARCH_X86)
  if constexpr (I != isa::scalar) {
    const __m128i vb = _mm_set1_epi8(static_cast<char>(bias));
    const __m128i vm = _mm_set1_epi8(static_cast<char>(~((1u << bits) - 1u)));
    __m128i vbad = _mm_setzero_si128();
    auto ld = [&](std::size_t k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + k));
      vbad = _mm_or_si128(vbad, _mm_and_si128(_mm_add_epi8(v, vb), vm));
      return v;
    };
    if (bits == 4) {
      const __m128i m4 = _mm_set1_epi8(0x0F), lo16 = _mm_set1_epi16(0x000F), hi16 = _mm_set1_epi16(0x00F0);
      for (; i + 32 <= n; i += 32) {
        const __m128i a = _mm_and_si128(ld(i), m4), b = _mm_and_si128(ld(i + 16), m4);
        const __m128i ra = _mm_or_si128(_mm_and_si128(a, lo16), _mm_and_si128(_mm_srli_epi16(a, 4), hi16));
        const __m128i rb = _mm_or_si128(_mm_and_si128(b, lo16), _mm_and_si128(_mm_srli_epi16(b, 4), hi16));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i / 2), _mm_packus_epi16(ra, rb));
      }
    } else if (bits == 2) {
      const __m128i m2 = _mm_set1_epi8(0x03), m16 = _mm_set1_epi16(0x000F), m32 = _mm_set1_epi32(0xFF);
      for (; i + 64 <= n; i += 64) {
        __m128i f[4];
        QMATH_UNROLL4
    for (int k = 0; k < 4; ++k) {
          const __m128i a = _mm_and_si128(ld(i + 16 * static_cast<std::size_t>(k)), m2);
          const __m128i e = _mm_and_si128(_mm_or_si128(a, _mm_srli_epi16(a, 6)), m16);
          f[k] = _mm_and_si128(_mm_or_si128(e, _mm_srli_epi32(e, 12)), m32);
        }
        const __m128i r = _mm_packus_epi16(_mm_packs_epi32(f[0], f[1]), _mm_packs_epi32(f[2], f[3]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i / 4), r);
      }
    } else if (bits == 1) {
      for (; i + 16 <= n; i += 16) {
        const auto m = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_slli_epi16(ld(i), 7)));
        out[i / 8] = static_cast<std::uint8_t>(m);
        out[i / 8 + 1] = static_cast<std::uint8_t>(m >> 8);
      }
    } else if (bits == 8) {
      for (; i + 16 <= n; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), ld(i));
    }
    bad = static_cast<std::uint8_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(vbad, _mm_setzero_si128())) != 0xFFFF);
  }
#elif defined(QMATH_ARCH_AARCH64)
  if constexpr (I != isa::scalar) {
    const uint8x16_t vb = vdupq_n_u8(bias);
    const uint8x16_t vm = vdupq_n_u8(static_cast<std::uint8_t>(~((1u << bits) - 1u)));
    uint8x16_t vbad = vdupq_n_u8(0);
    auto chk = [&](uint8x16_t v) { vbad = vorrq_u8(vbad, vandq_u8(vaddq_u8(v, vb), vm)); };
    if (bits == 4) {
      const uint8x16_t m4 = vdupq_n_u8(0x0F);
      for (; i + 32 <= n; i += 32) {
        const uint8x16x2_t v = vld2q_u8(c + i);
        chk(v.val[0]);
        chk(v.val[1]);
        vst1q_u8(out + i / 2, vorrq_u8(vandq_u8(v.val[0], m4), vshlq_n_u8(v.val[1], 4)));
      }
    } else if (bits == 2) {
      const uint8x16_t m2 = vdupq_n_u8(0x03);
      for (; i + 64 <= n; i += 64) {
        const uint8x16x4_t v = vld4q_u8(c + i);
        for (int k = 0; k < 4; ++k) chk(v.val[k]);
        uint8x16_t r = vandq_u8(v.val[0], m2);
        r = vorrq_u8(r, vshlq_n_u8(vandq_u8(v.val[1], m2), 2));
        r = vorrq_u8(r, vshlq_n_u8(vandq_u8(v.val[2], m2), 4));
        r = vorrq_u8(r, vshlq_n_u8(v.val[3], 6));
        vst1q_u8(out + i / 4, r);
      }
    } else if (bits == 1) {
      const std::uint8_t wv[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
      const uint8x16_t w = vld1q_u8(wv), one = vdupq_n_u8(1);
      for (; i + 16 <= n; i += 16) {
        const uint8x16_t v = vld1q_u8(c + i);
        chk(v);
        const uint8x16_t b = vmulq_u8(vandq_u8(v, one), w);
        out[i / 8] = vaddv_u8(vget_low_u8(b));
        out[i / 8 + 1] = vaddv_u8(vget_high_u8(b));
      }
    } else if (bits == 8) {
      for (; i + 16 <= n; i += 16) {
        const uint8x16_t v = vld1q_u8(c + i);
        chk(v);
        vst1q_u8(out + i, v);
      }
    }
    bad = static_cast<std::uint8_t>(vmaxvq_u8(vbad) != 0);
  }
#endif
  const std::uint8_t tail = pack_swar(c + i, out + i / 8 * static_cast<std::size_t>(bits), n - i, bits, bias);
  return static_cast<std::uint8_t>(bad | (tail != 0 ? 1 : 0));
}

template <isa L>
void unpack_impl(const std::uint8_t* in, std::uint8_t* c, std::size_t n, int bits, std::uint8_t sign_bias) noexcept {
  std::size_t i = 0;
  constexpr isa I = impl_level<L>();
#if defined(QMATH_ARCH_X86)
  if constexpr (I != isa::scalar) {
    const __m128i sb = _mm_set1_epi8(static_cast<char>(sign_bias));
    auto sx = [&](__m128i v) { return _mm_sub_epi8(_mm_xor_si128(v, sb), sb); };
    auto st = [&](std::size_t k, __m128i v) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(c + k), sx(v));
    };
    if (bits == 4) {
      const __m128i m4 = _mm_set1_epi8(0x0F);
      for (; i + 32 <= n; i += 32) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i / 2));
        const __m128i lo = _mm_and_si128(b, m4), hi = _mm_and_si128(_mm_srli_epi16(b, 4), m4);
        st(i, _mm_unpacklo_epi8(lo, hi));
        st(i + 16, _mm_unpackhi_epi8(lo, hi));
      }
    } else if (bits == 2) {
      const __m128i m2 = _mm_set1_epi8(0x03);
      for (; i + 64 <= n; i += 64) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i / 4));
        const __m128i c0 = _mm_and_si128(b, m2), c1 = _mm_and_si128(_mm_srli_epi16(b, 2), m2);
        const __m128i c2 = _mm_and_si128(_mm_srli_epi16(b, 4), m2), c3 = _mm_and_si128(_mm_srli_epi16(b, 6), m2);
        const __m128i p01l = _mm_unpacklo_epi8(c0, c1), p01h = _mm_unpackhi_epi8(c0, c1);
        const __m128i p23l = _mm_unpacklo_epi8(c2, c3), p23h = _mm_unpackhi_epi8(c2, c3);
        st(i, _mm_unpacklo_epi16(p01l, p23l));
        st(i + 16, _mm_unpackhi_epi16(p01l, p23l));
        st(i + 32, _mm_unpacklo_epi16(p01h, p23h));
        st(i + 48, _mm_unpackhi_epi16(p01h, p23h));
      }
    } else if (bits == 1) {
      const __m128i bitv = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
      const __m128i one = _mm_set1_epi8(1);
      for (; i + 16 <= n; i += 16) {
        std::uint16_t w;
        std::memcpy(&w, in + i / 8, 2);
        __m128i x = _mm_cvtsi32_si128(w);
        x = _mm_unpacklo_epi8(x, x);
        x = _mm_unpacklo_epi16(x, x);
        x = _mm_unpacklo_epi32(x, x);
        st(i, _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(x, bitv), bitv), one));
      }
    } else if (bits == 8) {
      for (; i + 16 <= n; i += 16) st(i, _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    }
  }
#elif defined(QMATH_ARCH_AARCH64)
  if constexpr (I != isa::scalar) {
    const uint8x16_t sb = vdupq_n_u8(sign_bias);
    auto sx = [&](uint8x16_t v) { return vsubq_u8(veorq_u8(v, sb), sb); };
    if (bits == 4) {
      const uint8x16_t m4 = vdupq_n_u8(0x0F);
      for (; i + 32 <= n; i += 32) {
        const uint8x16_t b = vld1q_u8(in + i / 2);
        uint8x16x2_t r;
        r.val[0] = sx(vandq_u8(b, m4));
        r.val[1] = sx(vshrq_n_u8(b, 4));
        vst2q_u8(c + i, r);
      }
    } else if (bits == 2) {
      const uint8x16_t m2 = vdupq_n_u8(0x03);
      for (; i + 64 <= n; i += 64) {
        const uint8x16_t b = vld1q_u8(in + i / 4);
        uint8x16x4_t r;
        r.val[0] = sx(vandq_u8(b, m2));
        r.val[1] = sx(vandq_u8(vshrq_n_u8(b, 2), m2));
        r.val[2] = sx(vandq_u8(vshrq_n_u8(b, 4), m2));
        r.val[3] = sx(vshrq_n_u8(b, 6));
        vst4q_u8(c + i, r);
      }
    } else if (bits == 1) {
      const std::uint8_t bv[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
      const uint8x16_t bitv = vld1q_u8(bv), one = vdupq_n_u8(1);
      for (; i + 16 <= n; i += 16) {
        const uint8x16_t x = vcombine_u8(vdup_n_u8(in[i / 8]), vdup_n_u8(in[i / 8 + 1]));
        vst1q_u8(c + i, sx(vandq_u8(vtstq_u8(x, bitv), one)));
      }
    } else if (bits == 8) {
      for (; i + 16 <= n; i += 16) vst1q_u8(c + i, sx(vld1q_u8(in + i)));
    }
  }
#endif
  unpack_swar(in + i / 8 * static_cast<std::size_t>(bits), c + i, n - i, bits, sign_bias);
}

// ---------------------------------------------------------------------------
// Mode dispatch (outside the loops) and the table
// ---------------------------------------------------------------------------

template <isa L>
void fence_impl() noexcept {
  ops<impl_level<L>()>::sfence();
}

template <isa L, class T>
bool q_run(const float* x, T* q, std::size_t n, const detail::quant_run& a) noexcept {
  const bool ex = a.div == division::exact;
  switch (a.mode) {
    case rounding::half_away:
      return ex ? q_run_impl<L, T, rounding::half_away, division::exact>(x, q, n, a)
                : q_run_impl<L, T, rounding::half_away, division::reciprocal>(x, q, n, a);
    case rounding::toward_zero:
      return ex ? q_run_impl<L, T, rounding::toward_zero, division::exact>(x, q, n, a)
                : q_run_impl<L, T, rounding::toward_zero, division::reciprocal>(x, q, n, a);
    case rounding::stochastic:
      return ex ? q_run_impl<L, T, rounding::stochastic, division::exact>(x, q, n, a)
                : q_run_impl<L, T, rounding::stochastic, division::reciprocal>(x, q, n, a);
    default:
      return ex ? q_run_impl<L, T, rounding::half_even, division::exact>(x, q, n, a)
                : q_run_impl<L, T, rounding::half_even, division::reciprocal>(x, q, n, a);
  }
}

template <isa L, class T>
bool q_vec(const float* x, T* q, std::size_t n, const detail::quant_vec& a) noexcept {
  const bool ex = a.div == division::exact;
  switch (a.mode) {
    case rounding::half_away:
      return ex ? q_vec_impl<L, T, rounding::half_away, division::exact>(x, q, n, a)
                : q_vec_impl<L, T, rounding::half_away, division::reciprocal>(x, q, n, a);
    case rounding::toward_zero:
      return ex ? q_vec_impl<L, T, rounding::toward_zero, division::exact>(x, q, n, a)
                : q_vec_impl<L, T, rounding::toward_zero, division::reciprocal>(x, q, n, a);
    case rounding::stochastic:
      return ex ? q_vec_impl<L, T, rounding::stochastic, division::exact>(x, q, n, a)
                : q_vec_impl<L, T, rounding::stochastic, division::reciprocal>(x, q, n, a);
    default:
      return ex ? q_vec_impl<L, T, rounding::half_even, division::exact>(x, q, n, a)
                : q_vec_impl<L, T, rounding::half_even, division::reciprocal>(x, q, n, a);
  }
}

template <isa L, class T>
bool q_grp(const float* x, T* q, std::size_t n, std::size_t G, std::size_t off, const detail::quant_vec& a) noexcept {
  const bool ex = a.div == division::exact;
  switch (a.mode) {
    case rounding::half_away:
      return ex ? q_grp_impl<L, T, rounding::half_away, division::exact>(x, q, n, G, off, a)
                : q_grp_impl<L, T, rounding::half_away, division::reciprocal>(x, q, n, G, off, a);
    case rounding::toward_zero:
      return ex ? q_grp_impl<L, T, rounding::toward_zero, division::exact>(x, q, n, G, off, a)
                : q_grp_impl<L, T, rounding::toward_zero, division::reciprocal>(x, q, n, G, off, a);
    case rounding::stochastic:
      return ex ? q_grp_impl<L, T, rounding::stochastic, division::exact>(x, q, n, G, off, a)
                : q_grp_impl<L, T, rounding::stochastic, division::reciprocal>(x, q, n, G, off, a);
    default:
      return ex ? q_grp_impl<L, T, rounding::half_even, division::exact>(x, q, n, G, off, a)
                : q_grp_impl<L, T, rounding::half_even, division::reciprocal>(x, q, n, G, off, a);
  }
}

template <isa L>
bool fq_run(const float* x, float* y, std::uint8_t* m, std::size_t n, const detail::quant_run& a) noexcept {
  const bool ex = a.div == division::exact;
  switch (a.mode) {
    case rounding::half_away:
      return ex ? fq_run_impl<L, rounding::half_away, division::exact>(x, y, m, n, a)
                : fq_run_impl<L, rounding::half_away, division::reciprocal>(x, y, m, n, a);
    case rounding::toward_zero:
      return ex ? fq_run_impl<L, rounding::toward_zero, division::exact>(x, y, m, n, a)
                : fq_run_impl<L, rounding::toward_zero, division::reciprocal>(x, y, m, n, a);
    case rounding::stochastic:
      return ex ? fq_run_impl<L, rounding::stochastic, division::exact>(x, y, m, n, a)
                : fq_run_impl<L, rounding::stochastic, division::reciprocal>(x, y, m, n, a);
    default:
      return ex ? fq_run_impl<L, rounding::half_even, division::exact>(x, y, m, n, a)
                : fq_run_impl<L, rounding::half_even, division::reciprocal>(x, y, m, n, a);
  }
}

template <isa L>
bool fq_vec(const float* x, float* y, std::uint8_t* m, std::size_t n, const detail::quant_vec& a) noexcept {
  const bool ex = a.div == division::exact;
  switch (a.mode) {
    case rounding::half_away:
      return ex ? fq_vec_impl<L, rounding::half_away, division::exact>(x, y, m, n, a)
                : fq_vec_impl<L, rounding::half_away, division::reciprocal>(x, y, m, n, a);
    case rounding::toward_zero:
      return ex ? fq_vec_impl<L, rounding::toward_zero, division::exact>(x, y, m, n, a)
                : fq_vec_impl<L, rounding::toward_zero, division::reciprocal>(x, y, m, n, a);
    case rounding::stochastic:
      return ex ? fq_vec_impl<L, rounding::stochastic, division::exact>(x, y, m, n, a)
                : fq_vec_impl<L, rounding::stochastic, division::reciprocal>(x, y, m, n, a);
    default:
      return ex ? fq_vec_impl<L, rounding::half_even, division::exact>(x, y, m, n, a)
                : fq_vec_impl<L, rounding::half_even, division::reciprocal>(x, y, m, n, a);
  }
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::qk

namespace qmath::kernel::QMATH_TARGET_NS {

template <isa L>
inline constexpr detail::quantize_kernels quantize_table{
    L,
    &qk::q_run<L, std::int8_t>,
    &qk::q_run<L, std::uint8_t>,
    &qk::q_run<L, std::int16_t>,
    &qk::q_run<L, std::uint16_t>,
    &qk::q_vec<L, std::int8_t>,
    &qk::q_vec<L, std::uint8_t>,
    &qk::q_vec<L, std::int16_t>,
    &qk::q_vec<L, std::uint16_t>,
    &qk::dq_run_impl<L, std::int8_t>,
    &qk::dq_run_impl<L, std::uint8_t>,
    &qk::dq_run_impl<L, std::int16_t>,
    &qk::dq_run_impl<L, std::uint16_t>,
    &qk::dq_vec_impl<L, std::int8_t>,
    &qk::dq_vec_impl<L, std::uint8_t>,
    &qk::dq_vec_impl<L, std::int16_t>,
    &qk::dq_vec_impl<L, std::uint16_t>,
    &qk::q_grp<L, std::int8_t>,
    &qk::q_grp<L, std::uint8_t>,
    &qk::q_grp<L, std::int16_t>,
    &qk::q_grp<L, std::uint16_t>,
    &qk::dq_grp_impl<L, std::int8_t>,
    &qk::dq_grp_impl<L, std::uint8_t>,
    &qk::dq_grp_impl<L, std::int16_t>,
    &qk::dq_grp_impl<L, std::uint16_t>,
    &qk::fq_run<L>,
    &qk::fq_vec<L>,
    &qk::pack_impl<L>,
    &qk::unpack_impl<L>,
    &qk::fence_impl<L>,
};

QMATH_KERNEL_FAMILY(quantize)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
