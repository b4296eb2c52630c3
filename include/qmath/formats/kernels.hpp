#pragma once
// The formats kernel family (private; use formats/convert.hpp): float32 <->
// fp16, bf16, FP8 E4M3FN / E5M2, FP6 E2M3 / E3M2, FP4 E2M1 codes (one code
// per uint16 / uint8, unpacked).
//
// Every level computes exactly formats::encode<F> / formats::decode<F>
// (formats/minifloat.hpp), bit for bit, NaN patterns included:
//  encode, per lane (a = |bits|):
//    normal in F:    code = (a + 2^(d-1) - 1 + ((a >> d) & 1)) >> d, minus the
//                    exponent rebias (d = 23 - M; the carry of the RNE add
//                    moves into the exponent by itself);
//    subnormal in F: t = |x| * 2^(bias - 1 + M) built by adding to the
//                    exponent field (exact; t <= 2^M), code = t rounded to
//                    the nearest integer, ties to even, by an instruction that
//                    names its rounding mode (SSE2: q = trunc(t), exact
//                    remainder compared with 1/2). float32 subnormals give 0
//                    (below half the smallest subnormal of every format but
//                    bf16, whose normal formula covers them);
//    then overflow (code > max) -> the mode's overflow code, NaN -> the
//    format's quiet NaN (or +max without NaN), sign or'ed in.
//  decode: normal codes by shifting into a float32 and rebiasing; subnormal
//    codes m as float(m) (exact) with the exponent field lowered; Inf and NaN
//    (canonical 0x7FC00000 | sign) selected.
// Only exact operations are used (integer arithmetic, truncating conversion,
// conversions and subtractions of small exact values), so no rounding mode,
// flush-to-zero or denormals-are-zero setting can change a result.
//
// The SIMD levels are written once with GCC/Clang vector extensions at the
// level's native width (16 lanes on AVX-512, 8 on AVX2, 4 on SSE2 / SSE4.1 /
// NEON); the compiler emits that level's instructions because the code lives
// in the per-target namespace. Blocks of 64 elements; tails go through a
// zero-padded stack buffer through the same block code, so a tail is
// bit-identical to a full block by construction. Streaming (non-temporal)
// stores on x86 when asked for (one per vector, of the vector's size), after
// a head that aligns the output to 64 bytes; one store fence at the end of a
// streamed call.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/formats/minifloat.hpp"
#include "qmath/simd/dispatch.hpp"

#if defined(QMATH_ARCH_X86)
#include <immintrin.h>
#elif defined(QMATH_ARCH_AARCH64)
#include <arm_neon.h>
#endif

namespace qmath::detail {

/// The element formats of the kernel family (index into its tables).
enum class float_format : std::uint8_t { fp16, bf16, fp8_e4m3fn, fp8_e5m2, fp6_e2m3, fp6_e3m2, fp4_e2m1 };
inline constexpr int float_format_count = 7;

template <class F>
constexpr float_format float_format_of() noexcept {
  if constexpr (std::is_same_v<F, formats::fp16>) return float_format::fp16;
  else if constexpr (std::is_same_v<F, formats::bf16>) return float_format::bf16;
  else if constexpr (std::is_same_v<F, formats::fp8_e4m3fn>) return float_format::fp8_e4m3fn;
  else if constexpr (std::is_same_v<F, formats::fp8_e5m2>) return float_format::fp8_e5m2;
  else if constexpr (std::is_same_v<F, formats::fp6_e2m3>) return float_format::fp6_e2m3;
  else if constexpr (std::is_same_v<F, formats::fp6_e3m2>) return float_format::fp6_e3m2;
  else {
    static_assert(std::is_same_v<F, formats::fp4_e2m1>, "float_format_of: not a kernel format");
    return float_format::fp4_e2m1;
  }
}

struct formats_kernels {
  isa level;
  /// x[0, n) -> codes (std::uint16_t for fp16 / bf16, std::uint8_t otherwise).
  void (*encode[float_format_count])(const float* x, void* codes, std::size_t n, formats::overflow mode,
                                     bool stream) noexcept;
  /// codes[0, n) -> y.
  void (*decode[float_format_count])(const void* codes, float* y, std::size_t n, bool stream) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

namespace fmtk {

template <int W>
struct vt;
template <>
struct vt<4> {
  typedef std::uint32_t u32 __attribute__((vector_size(16)));
  typedef std::int32_t i32 __attribute__((vector_size(16)));
  typedef float f32 __attribute__((vector_size(16)));
  typedef std::uint16_t u16 __attribute__((vector_size(8)));
  typedef std::uint8_t u8 __attribute__((vector_size(4)));
};
template <>
struct vt<8> {
  typedef std::uint32_t u32 __attribute__((vector_size(32)));
  typedef std::int32_t i32 __attribute__((vector_size(32)));
  typedef float f32 __attribute__((vector_size(32)));
  typedef std::uint16_t u16 __attribute__((vector_size(16)));
  typedef std::uint8_t u8 __attribute__((vector_size(8)));
};
template <>
struct vt<16> {
  typedef std::uint32_t u32 __attribute__((vector_size(64)));
  typedef std::int32_t i32 __attribute__((vector_size(64)));
  typedef float f32 __attribute__((vector_size(64)));
  typedef std::uint16_t u16 __attribute__((vector_size(32)));
  typedef std::uint8_t u8 __attribute__((vector_size(16)));
};

/// Native lanes of 32 bits at level L.
template <isa L>
constexpr int lanes() noexcept {
  if constexpr (L == isa::avx512 || L == isa::avx512vnni) return 16;
  else if constexpr (L == isa::avx2 || L == isa::avxvnni) return 8;
  else return 4;
}

inline constexpr std::size_t block = 64;  // elements per block

/// Stores the vector v at p; with NT, a non-temporal store of its size (p is
/// then aligned to that size). NEON has no non-temporal store intrinsic.
template <bool NT, class T>
QMATH_ALWAYS_INLINE void store_vec(void* p, const T& v) noexcept {
#if defined(QMATH_ARCH_X86)
  if constexpr (NT && sizeof(T) == 4) {
    int w;
    std::memcpy(&w, &v, 4);
    _mm_stream_si32(static_cast<int*>(p), w);
    return;
#if defined(__x86_64__)
  } else if constexpr (NT && sizeof(T) == 8) {
    long long w;
    std::memcpy(&w, &v, 8);
    _mm_stream_si64(static_cast<long long*>(p), w);
    return;
#endif
  } else if constexpr (NT && sizeof(T) == 16) {
    __m128i w;
    std::memcpy(&w, &v, 16);
    _mm_stream_si128(static_cast<__m128i*>(p), w);
    return;
#if defined(__AVX2__)
  } else if constexpr (NT && sizeof(T) == 32) {
    __m256i w;
    std::memcpy(&w, &v, 32);
    _mm256_stream_si256(static_cast<__m256i*>(p), w);
    return;
#endif
#if defined(__AVX512F__)
  } else if constexpr (NT && sizeof(T) == 64) {
    __m512i w;
    std::memcpy(&w, &v, 64);
    _mm512_stream_si512(static_cast<__m512i*>(p), w);
    return;
#endif
  }
#endif
  std::memcpy(p, &v, sizeof(T));
}

QMATH_ALWAYS_INLINE void store_fence() noexcept {
#if defined(QMATH_ARCH_X86)
  _mm_sfence();
#endif
}

/// Runs `blk(in, out, nt)` (block elements; nt: std::true_type for
/// non-temporal stores) over n elements: full blocks in place, streamed when
/// `stream` after a head that aligns the output to 64 bytes; the head and the
/// tail through zero-padded copies.
template <isa L, class In, class Out, class Blk>
QMATH_ALWAYS_INLINE void drive(const In* x, Out* y, std::size_t n, bool stream, Blk&& blk) noexcept {
  auto part = [&](std::size_t i, std::size_t r) {
    alignas(64) In tin[block];
    alignas(64) Out tout[block];
    std::memset(tin, 0, sizeof tin);
    std::memcpy(tin, x + i, r * sizeof(In));
    blk(tin, tout, std::false_type{});
    std::memcpy(y + i, tout, r * sizeof(Out));
  };
  std::size_t i = 0;
#if defined(QMATH_ARCH_X86)
  constexpr bool can_stream = L != isa::scalar;
#else
  constexpr bool can_stream = false;
#endif
  if (can_stream && stream && (reinterpret_cast<std::uintptr_t>(y) % sizeof(Out)) == 0) {
    std::size_t h = ((64u - (reinterpret_cast<std::uintptr_t>(y) & 63u)) & 63u) / sizeof(Out);
    h = h < n ? h : n;
    while (i < h) {
      const std::size_t r = h - i < block ? h - i : block;
      part(i, r);
      i += r;
    }
    bool streamed = false;
    for (; i + block <= n; i += block) {
      blk(x + i, y + i, std::true_type{});
      streamed = true;
    }
    if (streamed) store_fence();
  } else {
    for (; i + block <= n; i += block) blk(x + i, y + i, std::false_type{});
  }
  if (i < n) part(i, n - i);
}

// Lane select on a comparison mask (vector ?:, so AVX-512 keeps it in a mask
// register instead of materialising all-ones vectors).
template <class V, class M, class T>
QMATH_ALWAYS_INLINE T select(M m, T a, T b) noexcept {
  return m ? a : b;
}

/// Loads W codes (uint8 or uint16) zero-extended to 32-bit lanes (with the
/// level's widening instructions: GCC 12 scalarises some vector-extension
/// conversions).
template <isa L, class C, class V>
QMATH_ALWAYS_INLINE typename V::u32 load_widen(const C* p) noexcept {
  using u32 = typename V::u32;
#if defined(QMATH_ARCH_X86) && defined(__AVX512F__)
  if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
    if constexpr (sizeof(C) == 1)
      return std::bit_cast<u32>(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    else
      return std::bit_cast<u32>(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
  } else
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  if constexpr (L == isa::avx2 || L == isa::avxvnni) {
    if constexpr (sizeof(C) == 1)
      return std::bit_cast<u32>(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
    else
      return std::bit_cast<u32>(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  } else
#endif
#if defined(QMATH_ARCH_X86)
  if constexpr (L == isa::sse2 || L == isa::sse41) {
    const __m128i z = _mm_setzero_si128();
    if constexpr (sizeof(C) == 1) {
      int w;
      std::memcpy(&w, p, 4);
      return std::bit_cast<u32>(_mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(w), z), z));
    } else {
      return std::bit_cast<u32>(_mm_unpacklo_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)), z));
    }
  } else
#endif
#if defined(QMATH_ARCH_AARCH64)
  if constexpr (L == isa::neon || L == isa::dotprod || L == isa::i8mm) {
    if constexpr (sizeof(C) == 1) {
      std::uint32_t w;
      std::memcpy(&w, p, 4);
      return std::bit_cast<u32>(vmovl_u16(vget_low_u16(vmovl_u8(vcreate_u8(w)))));
    } else {
      return std::bit_cast<u32>(vmovl_u16(vld1_u16(p)));
    }
  } else
#endif
  {
    using CV = std::conditional_t<sizeof(C) == 2, typename V::u16, typename V::u8>;
    CV c;
    std::memcpy(&c, p, sizeof c);
    return __builtin_convertvector(c, u32);
  }
}

/// Round each lane of t (0 <= t <= 2^10, exact) to the nearest integer, ties
/// to even, with the rounding mode named in the instruction (AVX-512 embedded
/// rounding, SSE4.1 / AVX roundps immediate, NEON FRINTN), never the one in
/// MXCSR / FPCR; SSE2: truncate and compare the (exact) remainder with 1/2.
template <isa L, class V>
QMATH_ALWAYS_INLINE typename V::i32 round_even(typename V::f32 t) noexcept {
  using i32 = typename V::i32;
  using f32 = typename V::f32;
#if defined(QMATH_ARCH_X86) && defined(__AVX512F__)
  if constexpr (L == isa::avx512 || L == isa::avx512vnni) {
    return std::bit_cast<i32>(
        _mm512_cvt_roundps_epi32(std::bit_cast<__m512>(t), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  } else
#endif
#if defined(QMATH_ARCH_X86) && defined(__AVX2__)
  if constexpr (L == isa::avx2 || L == isa::avxvnni) {
    return __builtin_convertvector(
        std::bit_cast<f32>(_mm256_round_ps(std::bit_cast<__m256>(t), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)),
        i32);
  } else
#endif
#if defined(QMATH_ARCH_X86) && defined(__SSE4_1__)
  if constexpr (L == isa::sse41) {
    return __builtin_convertvector(
        std::bit_cast<f32>(_mm_round_ps(std::bit_cast<__m128>(t), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)), i32);
  } else
#endif
#if defined(QMATH_ARCH_AARCH64)
  if constexpr (L == isa::neon || L == isa::dotprod || L == isa::i8mm) {
    return std::bit_cast<i32>(vcvtq_s32_f32(vrndnq_f32(std::bit_cast<float32x4_t>(t))));
  } else
#endif
  {
    const i32 q = __builtin_convertvector(t, i32);
    const f32 fr = t - __builtin_convertvector(q, f32);
    const i32 up = (fr > 0.5f) | ((fr == 0.5f) & ((q & 1) != 0));
    return select<V>(up, q + 1, q);
  }
}

/// One vector of float32 bits -> codes of F (as 32-bit lanes).
template <isa L, class F, class V>
QMATH_ALWAYS_INLINE typename V::u32 encode_vec(typename V::u32 b, std::uint32_t ovf_mag) noexcept {
  using u32 = typename V::u32;
  using i32 = typename V::i32;
  using f32 = typename V::f32;
  constexpr int E = F::exponent_bits, M = F::mantissa_bits, d = 23 - M;
  constexpr std::uint32_t rebias = static_cast<std::uint32_t>(127 - F::bias) << M;
  const u32 a = b & 0x7FFFFFFFu;
  const u32 sgn = (b >> 31) << (E + M);
  const u32 r = (a + ((1u << (d - 1)) - 1u) + ((a >> d) & 1u)) >> d;
  u32 mag = r - rebias;
  if constexpr (F::bias < 127) {
    constexpr std::uint32_t min_normal = static_cast<std::uint32_t>(128 - F::bias) << 23;
    constexpr std::uint32_t kexp = static_cast<std::uint32_t>(F::bias - 1 + M) << 23;
    const i32 is_sub = (i32)a < (i32)(u32{} + min_normal);
    const u32 ac = select<V>(is_sub, a, u32{} + min_normal);
    // (Lanes with a float32 subnormal or zero give t < 2^-102: rounded to 0.)
    const f32 t = (f32)(ac + kexp);
    mag = select<V>(is_sub, (u32)round_even<L, V>(t), mag);
  }
  mag = select<V>((i32)mag > (i32)(u32{} + F::max_code), u32{} + ovf_mag, mag);
  u32 code = sgn | mag;
  const i32 is_nan = (i32)a > 0x7F800000;
  if constexpr (F::has_nan) code = select<V>(is_nan, sgn | F::qnan_code, code);
  else code = select<V>(is_nan, u32{} + F::max_code, code);
  return code;
}

/// One vector of codes of F (32-bit lanes, upper bits ignored) -> float32 bits.
template <class F, class V>
QMATH_ALWAYS_INLINE typename V::u32 decode_vec(typename V::u32 c) noexcept {
  using u32 = typename V::u32;
  using i32 = typename V::i32;
  using f32 = typename V::f32;
  constexpr int E = F::exponent_bits, M = F::mantissa_bits, d = 23 - M;
  const u32 mag = c & F::magnitude_mask;
  const u32 sgn = (c & F::sign_bit) << (31 - (E + M));
  u32 v = (mag << d) + (static_cast<std::uint32_t>(127 - F::bias) << 23);
  if constexpr (F::bias < 127) {
    constexpr std::uint32_t kexp = static_cast<std::uint32_t>(F::bias - 1 + M) << 23;
    const f32 fm = __builtin_convertvector((i32)mag, f32);
    const u32 sub = select<V>(mag != 0u, (u32)fm - kexp, u32{});
    v = select<V>(mag < (1u << M), sub, v);
  }
  if constexpr (F::nan == formats::nan_kind::ieee) {
    v = select<V>(mag == F::inf_code, u32{} + 0x7F800000u, v);
    v = select<V>(mag > F::inf_code, u32{} + 0x7FC00000u, v);
  } else if constexpr (F::nan == formats::nan_kind::all_ones) {
    v = select<V>(mag == F::magnitude_mask, u32{} + 0x7FC00000u, v);
  }
  return v | sgn;
}

template <class F>
constexpr std::uint32_t overflow_magnitude(formats::overflow mode) noexcept {
  if (mode == formats::overflow::saturate) return F::max_code;
  if constexpr (F::has_inf) return F::inf_code;
  else if constexpr (F::has_nan) return F::qnan_code;
  else return F::max_code;
}

}  // namespace fmtk

template <isa L, class F>
void formats_encode(const float* x, void* codes, std::size_t n, formats::overflow mode, bool stream) noexcept {
  using C = typename F::code_type;
  C* q = static_cast<C*>(codes);
  if constexpr (L == isa::scalar) {
    (void)stream;
    for (std::size_t i = 0; i < n; ++i) q[i] = formats::encode<F>(x[i], mode);
  } else {
    constexpr int W = fmtk::lanes<L>();
    using V = fmtk::vt<W>;
    using CV = std::conditional_t<sizeof(C) == 2, typename V::u16, typename V::u8>;
    const std::uint32_t ovf = fmtk::overflow_magnitude<F>(mode);
    fmtk::drive<L>(x, q, n, stream, [ovf](const float* in, C* out, auto nt) __attribute__((always_inline)) {
      for (std::size_t k = 0; k < fmtk::block; k += W) {
        typename V::u32 b;
        std::memcpy(&b, in + k, sizeof b);
        const CV c = __builtin_convertvector(fmtk::encode_vec<L, F, V>(b, ovf), CV);
        fmtk::store_vec<decltype(nt)::value>(out + k, c);
      }
    });
  }
}

template <isa L, class F>
void formats_decode(const void* codes, float* y, std::size_t n, bool stream) noexcept {
  using C = typename F::code_type;
  const C* q = static_cast<const C*>(codes);
  if constexpr (L == isa::scalar) {
    (void)stream;
    for (std::size_t i = 0; i < n; ++i) y[i] = formats::decode<F>(q[i]);
  } else {
    constexpr int W = fmtk::lanes<L>();
    using V = fmtk::vt<W>;
    fmtk::drive<L>(q, y, n, stream, [](const C* in, float* out, auto nt) __attribute__((always_inline)) {
      for (std::size_t k = 0; k < fmtk::block; k += W) {
        const typename V::u32 v = fmtk::decode_vec<F, V>(fmtk::load_widen<L, C, V>(in + k));
        fmtk::store_vec<decltype(nt)::value>(out + k, v);
      }
    });
  }
}

template <isa L>
inline constexpr detail::formats_kernels formats_table{
    L,
    {&formats_encode<L, formats::fp16>, &formats_encode<L, formats::bf16>, &formats_encode<L, formats::fp8_e4m3fn>,
     &formats_encode<L, formats::fp8_e5m2>, &formats_encode<L, formats::fp6_e2m3>,
     &formats_encode<L, formats::fp6_e3m2>, &formats_encode<L, formats::fp4_e2m1>},
    {&formats_decode<L, formats::fp16>, &formats_decode<L, formats::bf16>, &formats_decode<L, formats::fp8_e4m3fn>,
     &formats_decode<L, formats::fp8_e5m2>, &formats_decode<L, formats::fp6_e2m3>,
     &formats_decode<L, formats::fp6_e3m2>, &formats_decode<L, formats::fp4_e2m1>}};

QMATH_KERNEL_FAMILY(formats)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
