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
// The SIMD levels are written once, as templates on the arch tag A over
// xsimd batches of 32-bit lanes at the level's native width (16 lanes on
// AVX-512, 8 on AVX2, 4 on SSE2 / SSE4.1 / NEON): integer operators, shifts
// and selects from xsimd, widening loads, narrowing and streaming stores from
// simd/ops.hpp, and the one family operation (the small round-to-even) from
// simd/x86/formats.hpp / simd/neon/formats.hpp. Levels with their own code:
// scalar, sse2, sse41, avx2, avx512, neon (simd::fallback_level maps the
// others: avxvnni -> avx2, avx512vnni -> avx512, dotprod / i8mm -> neon).
// Blocks of 64 elements; tails go through a
// zero-padded stack buffer through the same block code, so a tail is
// bit-identical to a full block by construction. Streaming (non-temporal)
// stores on x86 when asked for (decode: one per vector; encode: one per four
// vectors of codes narrowed together by simd::store_narrow4), after
// a head that aligns the output to 64 bytes; one store fence at the end of a
// streamed call.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/formats/minifloat.hpp"
#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/neon/formats.hpp"
#include "qmath/simd/ops.hpp"
#include "qmath/simd/x86/formats.hpp"

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

template <class A>
using i32v = simd::batch<std::int32_t, A>;

inline constexpr std::size_t block = 64;  // elements per block

/// Runs `blk(in, out, nt)` (block elements; nt: std::true_type for
/// non-temporal stores) over n elements: full blocks in place, streamed when
/// `stream` after a head that aligns the output to 64 bytes; the head and the
/// tail through zero-padded copies.
template <class A, class In, class Out, class Blk>
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
  constexpr bool can_stream = true;
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
    if (streamed) simd::stream_fence<A>();
  } else {
    for (; i + block <= n; i += block) blk(x + i, y + i, std::false_type{});
  }
  if (i < n) part(i, n - i);
}

/// Each lane of t (0 <= t <= 2^10, exact) rounded to the nearest integer,
/// ties to even, by an instruction that names its rounding mode (AVX-512
/// embedded rounding, SSE4.1 / AVX roundps immediate, NEON FRINTN), never the
/// one in MXCSR / FPCR; SSE2: truncate and compare the exact remainder with 1/2.
template <class A>
QMATH_ALWAYS_INLINE i32v<A> round_small_even(const simd::batch<float, A>& t) noexcept {
  return simd::impl::round_small_even_i32(t, A{});
}

/// One vector of float32 bits -> codes of F (as 32-bit lanes).
template <class A, class F>
QMATH_ALWAYS_INLINE i32v<A> encode_vec(const i32v<A>& b, const i32v<A>& ovf_mag) noexcept {
  using I = i32v<A>;
  constexpr int E = F::exponent_bits, M = F::mantissa_bits, d = 23 - M;
  constexpr std::int32_t rebias = (127 - F::bias) << M;
  constexpr std::int32_t max_code = static_cast<std::int32_t>(F::max_code);
  const I a = b & I(0x7FFFFFFF);
  const I sgn = (b >> 31) & I(1 << (E + M));  // arithmetic shift: all ones or zero
  const I r = simd::shr_logical<d>(a + I((1 << (d - 1)) - 1) + ((a >> d) & I(1)));
  I mag = r - I(rebias);
  if constexpr (F::bias < 127) {
    constexpr std::int32_t min_normal = (128 - F::bias) << 23;
    constexpr std::int32_t kexp = (F::bias - 1 + M) << 23;
    const auto is_sub = a < I(min_normal);
    const I ac = simd::select(is_sub, a, I(min_normal));
    // (Lanes with a float32 subnormal or zero give t < 2^-102: rounded to 0.)
    const simd::batch<float, A> t = simd::bitcast<float>(ac + I(kexp));
    mag = simd::select(is_sub, round_small_even(t), mag);
  }
  mag = simd::select(mag > I(max_code), ovf_mag, mag);
  I code = sgn | mag;
  const auto is_nan = a > I(0x7F800000);
  if constexpr (F::has_nan) code = simd::select(is_nan, sgn | I(static_cast<std::int32_t>(F::qnan_code)), code);
  else code = simd::select(is_nan, I(max_code), code);
  return code;
}

/// One vector of codes of F (32-bit lanes, upper bits ignored) -> float32 bits.
template <class A, class F>
QMATH_ALWAYS_INLINE i32v<A> decode_vec(const i32v<A>& c) noexcept {
  using I = i32v<A>;
  constexpr int E = F::exponent_bits, M = F::mantissa_bits, d = 23 - M;
  const I mag = c & I(static_cast<std::int32_t>(F::magnitude_mask));
  const I sgn = (c & I(static_cast<std::int32_t>(F::sign_bit))) << (31 - (E + M));
  I v = (mag << d) + I((127 - F::bias) << 23);
  if constexpr (F::bias < 127) {
    constexpr std::int32_t kexp = (F::bias - 1 + M) << 23;
    const I fm = simd::bitcast<std::int32_t>(simd::to_f32(mag));
    const I sub = simd::select(mag == I(0), I(0), fm - I(kexp));
    v = simd::select(mag < I(1 << M), sub, v);
  }
  if constexpr (F::nan == formats::nan_kind::ieee) {
    v = simd::select(mag == I(static_cast<std::int32_t>(F::inf_code)), I(0x7F800000), v);
    v = simd::select(mag > I(static_cast<std::int32_t>(F::inf_code)), I(0x7FC00000), v);
  } else if constexpr (F::nan == formats::nan_kind::all_ones) {
    v = simd::select(mag == I(static_cast<std::int32_t>(F::magnitude_mask)), I(0x7FC00000), v);
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

template <class A, class F>
void formats_encode(const float* x, void* codes, std::size_t n, formats::overflow mode, bool stream) noexcept {
  using C = typename F::code_type;
  C* q = static_cast<C*>(codes);
  if constexpr (simd::is_scalar_arch<A>) {
    (void)stream;
    for (std::size_t i = 0; i < n; ++i) q[i] = formats::encode<F>(x[i], mode);
  } else {
    constexpr std::size_t W = simd::lanes<std::int32_t, A>;
    const fmtk::i32v<A> ovf(static_cast<std::int32_t>(fmtk::overflow_magnitude<F>(mode)));
    fmtk::drive<A>(x, q, n, stream, [ovf](const float* in, C* out, auto nt) __attribute__((always_inline)) {
      for (std::size_t k = 0; k < fmtk::block; k += 4 * W) {
        const auto e = [&](std::size_t j) __attribute__((always_inline)) {
          return fmtk::encode_vec<A, F>(simd::bitcast<std::int32_t>(simd::load<A>(in + k + j * W)), ovf);
        };
        simd::store_narrow4<C, decltype(nt)::value>(out + k, e(0), e(1), e(2), e(3));
      }
    });
  }
}

template <class A, class F>
void formats_decode(const void* codes, float* y, std::size_t n, bool stream) noexcept {
  using C = typename F::code_type;
  const C* q = static_cast<const C*>(codes);
  if constexpr (simd::is_scalar_arch<A>) {
    (void)stream;
    for (std::size_t i = 0; i < n; ++i) y[i] = formats::decode<F>(q[i]);
  } else {
    constexpr std::size_t W = simd::lanes<std::int32_t, A>;
    fmtk::drive<A>(q, y, n, stream, [](const C* in, float* out, auto nt) __attribute__((always_inline)) {
      for (std::size_t k = 0; k < fmtk::block; k += W) {
        const simd::batch<float, A> v = simd::bitcast<float>(fmtk::decode_vec<A, F>(simd::load_widen<A>(in + k)));
        if constexpr (decltype(nt)::value) simd::stream(out + k, v);
        else simd::store(out + k, v);
      }
    });
  }
}

/// The levels at which formats kernels differ; the others run the nearest.
template <isa L>
using formats_arch =
    simd::fallback_arch<L, isa::scalar, isa::sse2, isa::sse41, isa::avx2, isa::avx512, isa::neon>;

template <isa L>
inline constexpr detail::formats_kernels formats_table{
    L,
    {&formats_encode<formats_arch<L>, formats::fp16>, &formats_encode<formats_arch<L>, formats::bf16>,
     &formats_encode<formats_arch<L>, formats::fp8_e4m3fn>, &formats_encode<formats_arch<L>, formats::fp8_e5m2>,
     &formats_encode<formats_arch<L>, formats::fp6_e2m3>, &formats_encode<formats_arch<L>, formats::fp6_e3m2>,
     &formats_encode<formats_arch<L>, formats::fp4_e2m1>},
    {&formats_decode<formats_arch<L>, formats::fp16>, &formats_decode<formats_arch<L>, formats::bf16>,
     &formats_decode<formats_arch<L>, formats::fp8_e4m3fn>, &formats_decode<formats_arch<L>, formats::fp8_e5m2>,
     &formats_decode<formats_arch<L>, formats::fp6_e2m3>, &formats_decode<formats_arch<L>, formats::fp6_e3m2>,
     &formats_decode<formats_arch<L>, formats::fp4_e2m1>}};

QMATH_KERNEL_FAMILY(formats)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END
