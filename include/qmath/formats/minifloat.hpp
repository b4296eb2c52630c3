#pragma once
// Small floating-point element formats: the scalar reference codec.
//
// A format is a type describing its bit layout (sign, E exponent bits, M
// mantissa bits, bias) and its special values:
//
//   format      E  M  bias  Inf  NaN codes            max finite
//   fp16        5 10   15   yes  exp all ones, m!=0   65504
//   bf16        8  7  127   yes  exp all ones, m!=0   3.3895314e38
//   fp8_e4m3fn  4  3    7   no   S.1111.111           448
//   fp8_e5m2    5  2   15   yes  exp all ones, m!=0   57344
//   fp6_e2m3    2  3    1   no   none                 7.5
//   fp6_e3m2    3  2    3   no   none                 28
//   fp4_e2m1    2  1    1   no   none                 6
//   e8m0        8  0  127   no   0xFF (no sign, no zero) 2^127   (MX scales)
//
// encode<F>(x, mode) rounds a float32 to the nearest code, ties to the code
// with an even mantissa (IEEE round-to-nearest-even), exactly as ONNX Cast /
// QuantizeLinear (opset 19+ for FP8, 23 for FP4) and ml_dtypes define it:
//   - finite x whose rounded magnitude exceeds the largest finite value:
//       overflow::saturate      -> +-max        (ONNX saturate=1)
//       overflow::non_saturating-> +-Inf if F has Inf, else NaN if F has NaN,
//                                  else +-max   (ONNX saturate=0)
//     (e4m3fn: 464 rounds to 448, 465 overflows; e5m2: 61440 overflows.)
//   - +-Inf: saturate -> +-max; non_saturating -> +-Inf, or NaN, or +-max as
//     above. (fp16/bf16 are IEEE formats: use non_saturating, the default.)
//   - NaN: a quiet NaN of the same sign where F has NaN (fp16 0x7E00, bf16
//     0x7FC0, e4m3fn 0x7F, e5m2 0x7E, each | sign); formats without NaN give
//     +max (ONNX float4e2m1: NaN -> 6).
//   - -0.0 stays -0.0; float32 subnormals round like any other value.
// decode<F>(code) is exact (every code of these formats is a float32 value).
// Both are constexpr and depend on nothing but integer arithmetic: no
// floating-point environment is read.
//
//   qmath::formats::encode<qmath::formats::fp8_e4m3fn>(100.0f)   == 0x6C (96)
//   qmath::formats::decode<qmath::formats::fp4_e2m1>(0x7)          == 6.0f

#include <bit>
#include <cstdint>
#include <type_traits>

namespace qmath::formats {

/// What encode does with magnitudes beyond the largest finite value.
enum class overflow : std::uint8_t {
  saturate,        ///< clamp to +-max (ONNX saturate=1)
  non_saturating,  ///< Inf where the format has it, else NaN, else +-max (ONNX saturate=0)
};

/// How a format marks NaN.
enum class nan_kind : std::uint8_t {
  ieee,     ///< exponent all ones with a non-zero mantissa (and Inf with a zero one)
  all_ones, ///< only the code with every exponent and mantissa bit set (e4m3fn)
  none,     ///< no NaN (and no Inf)
};

/// A sign-magnitude floating-point format with E exponent and M mantissa bits.
template <int E, int M, int Bias, nan_kind Nan>
struct minifloat_format {
  static_assert(E >= 1 && E <= 8 && M >= 0 && M <= 10, "minifloat_format: unsupported layout");
  static constexpr int exponent_bits = E;
  static constexpr int mantissa_bits = M;
  static constexpr int bias = Bias;
  static constexpr int bits = 1 + E + M;
  static constexpr nan_kind nan = Nan;
  static constexpr bool has_inf = Nan == nan_kind::ieee;
  static constexpr bool has_nan = Nan != nan_kind::none;
  using code_type = std::conditional_t<(bits > 8), std::uint16_t, std::uint8_t>;

  static constexpr std::uint32_t sign_bit = 1u << (E + M);
  static constexpr std::uint32_t magnitude_mask = sign_bit - 1u;
  /// Magnitude code of the largest finite value.
  static constexpr std::uint32_t max_code =
      Nan == nan_kind::ieee ? (((1u << E) - 2u) << M) | ((1u << M) - 1u)
      : Nan == nan_kind::all_ones ? magnitude_mask - 1u
                                  : magnitude_mask;
  /// Magnitude code of +Inf (ieee) or of the canonical quiet NaN.
  static constexpr std::uint32_t inf_code = ((1u << E) - 1u) << M;
  static constexpr std::uint32_t qnan_code =
      Nan == nan_kind::ieee ? (inf_code | (M > 0 ? 1u << (M - 1) : 0u)) : magnitude_mask;
};

using fp16 = minifloat_format<5, 10, 15, nan_kind::ieee>;
using bf16 = minifloat_format<8, 7, 127, nan_kind::ieee>;
using fp8_e4m3fn = minifloat_format<4, 3, 7, nan_kind::all_ones>;
using fp8_e5m2 = minifloat_format<5, 2, 15, nan_kind::ieee>;
using fp6_e2m3 = minifloat_format<2, 3, 1, nan_kind::none>;
using fp6_e3m2 = minifloat_format<3, 2, 3, nan_kind::none>;
using fp4_e2m1 = minifloat_format<2, 1, 1, nan_kind::none>;

template <class F>
concept minifloat = requires {
  F::exponent_bits;
  F::mantissa_bits;
  F::bias;
  F::max_code;
};

/// Is `code` (sign included) a NaN of format F?
template <minifloat F>
constexpr bool is_nan_code(std::uint32_t code) noexcept {
  const std::uint32_t m = code & F::magnitude_mask;
  if constexpr (F::nan == nan_kind::ieee) return m > F::inf_code;
  else if constexpr (F::nan == nan_kind::all_ones) return m == F::magnitude_mask;
  else return false;
}

/// Is `code` an infinity of format F?
template <minifloat F>
constexpr bool is_inf_code(std::uint32_t code) noexcept {
  if constexpr (F::has_inf) return (code & F::magnitude_mask) == F::inf_code;
  else return false;
}

/// The exact float32 value of `code` (the bits above F::bits are ignored).
template <minifloat F>
constexpr float decode(std::uint32_t code) noexcept {
  constexpr int E = F::exponent_bits, M = F::mantissa_bits;
  const std::uint32_t sign = (code & F::sign_bit) ? 0x80000000u : 0u;
  const std::uint32_t mag = code & F::magnitude_mask;
  if (is_nan_code<F>(code)) return std::bit_cast<float>(sign | 0x7FC00000u);
  if (is_inf_code<F>(code)) return std::bit_cast<float>(sign | 0x7F800000u);
  const std::uint32_t e = mag >> M;
  const std::uint32_t m = mag & ((1u << M) - 1u);
  if (e == 0) {
    if (m == 0) return std::bit_cast<float>(sign);
    // Subnormal: m * 2^(1 - bias - M). Normalise into a float32 (every
    // subnormal of these formats is a normal or subnormal float32 exactly).
    int shift = std::countl_zero(m) - (32 - M);  // leading zeros within M bits
    const std::uint32_t mn = (m << (shift + 1)) & ((1u << M) - 1u);
    const int exp2 = 1 - F::bias - (shift + 1);  // value = (1.mn) * 2^exp2
    const int fe = exp2 + 127;
    if (fe <= 0) {  // float32 subnormal (only e8 formats reach it)
      const std::uint32_t full = (1u << M) | mn;
      return std::bit_cast<float>(sign | ((full << (23 - M)) >> (1 - fe)));
    }
    return std::bit_cast<float>(sign | (static_cast<std::uint32_t>(fe) << 23) | (mn << (23 - M)));
  }
  (void)E;
  const int fe = static_cast<int>(e) - F::bias + 127;
  return std::bit_cast<float>(sign | (static_cast<std::uint32_t>(fe) << 23) | (m << (23 - M)));
}

/// float32 -> code of F, round to nearest even; see the header comment for
/// overflow, Inf and NaN.
template <minifloat F>
constexpr typename F::code_type encode(float x, overflow mode = overflow::non_saturating) noexcept {
  constexpr int M = F::mantissa_bits;
  constexpr int drop = 23 - M;
  using code_t = typename F::code_type;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (bits >> 31) ? F::sign_bit : 0u;
  const std::uint32_t a = bits & 0x7FFFFFFFu;
  auto overflowed = [&]() constexpr -> code_t {
    if (mode == overflow::saturate) return static_cast<code_t>(sign | F::max_code);
    if constexpr (F::has_inf) return static_cast<code_t>(sign | F::inf_code);
    else if constexpr (F::has_nan) return static_cast<code_t>(sign | F::qnan_code);
    else return static_cast<code_t>(sign | F::max_code);
  };
  if (a > 0x7F800000u) {  // NaN
    if constexpr (F::has_nan) return static_cast<code_t>(sign | F::qnan_code);
    else return static_cast<code_t>(F::max_code);
  }
  if (a == 0x7F800000u) return overflowed();
  const int fe = static_cast<int>(a >> 23);   // float32 biased exponent (0 for subnormals)
  const int te = fe - 127 + F::bias;          // F's biased exponent for a normal result
  std::uint32_t mag;
  if (te >= 1) {
    // Normal in F (before rounding): round the 23-bit mantissa to M bits; a
    // carry moves into the exponent by itself.
    std::uint32_t r = a;
    if constexpr (drop > 0) r = (a + ((1u << (drop - 1)) - 1u) + ((a >> drop) & 1u)) >> drop;
    const std::uint32_t rebias = static_cast<std::uint32_t>(127 - F::bias) << M;
    mag = r - rebias;
  } else {
    // Subnormal in F: code = RNE(significand * 2^(fe' - 150) / 2^(1 - bias - M)).
    const std::uint32_t sig = fe == 0 ? (a & 0x7FFFFFu) : ((a & 0x7FFFFFu) | 0x800000u);
    const int fe1 = fe == 0 ? 1 : fe;
    const int shift = (1 - F::bias - M) - (fe1 - 150);  // >= drop + 1
    if (shift > 25) {
      mag = 0;
    } else {
      const std::uint32_t half = 1u << (shift - 1);
      const std::uint32_t q = sig >> shift, rem = sig & ((1u << shift) - 1u);
      mag = q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
    }
  }
  if (mag > F::max_code) return overflowed();
  return static_cast<code_t>(sign | mag);
}

/// Rounding of the element codecs that take one (encode_scaled): ties to even
/// (IEEE, ONNX, OCP MX) or away from zero (microxcaling's "nearest").
enum class tie_rule : std::uint8_t { to_even, away_from_zero };

/// code of F for x * 2^-shift, rounded with `ties` (every other rounding
/// decision is to nearest), computed exactly from the bits of x (no
/// multiplication is performed, so no float32 subnormal is flushed or
/// rounded on the way). Overflow, Inf and NaN as encode. With shift = 0 and
/// tie_rule::to_even it equals encode<F>(x, mode) for every x.
///   encode_scaled<fp4_e2m1>(12.0f, 1, overflow::saturate) == 0x7 (6)
template <minifloat F>
constexpr typename F::code_type encode_scaled(float x, int shift, overflow mode,
                                              tie_rule ties = tie_rule::to_even) noexcept {
  constexpr int M = F::mantissa_bits;
  using code_t = typename F::code_type;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (bits >> 31) ? F::sign_bit : 0u;
  const std::uint32_t a = bits & 0x7FFFFFFFu;
  auto overflowed = [&]() constexpr -> code_t {
    if (mode == overflow::saturate) return static_cast<code_t>(sign | F::max_code);
    if constexpr (F::has_inf) return static_cast<code_t>(sign | F::inf_code);
    else if constexpr (F::has_nan) return static_cast<code_t>(sign | F::qnan_code);
    else return static_cast<code_t>(sign | F::max_code);
  };
  if (a > 0x7F800000u) {
    if constexpr (F::has_nan) return static_cast<code_t>(sign | F::qnan_code);
    else return static_cast<code_t>(F::max_code);
  }
  if (a == 0x7F800000u) return overflowed();
  if (a == 0) return static_cast<code_t>(sign);
  // |x| = sig * 2^(ex - 23), sig in [2^23, 2^24).
  std::uint32_t sig = a & 0x7FFFFFu;
  int ex = static_cast<int>(a >> 23) - 127;
  if ((a >> 23) == 0) {
    const int lz = std::countl_zero(sig) - 8;  // sig != 0
    sig <<= lz;
    ex = -126 - lz;
  } else {
    sig |= 0x800000u;
  }
  long long e = static_cast<long long>(ex) - shift;  // exponent of the scaled value
  // Drop `d` low bits of sig, rounding to nearest with the tie rule.
  auto round_shift = [&](int d) constexpr -> std::uint32_t {
    if (d <= 0) return sig;  // (not reached: d >= 23 - M >= 13)
    if (d > 25) return 0u;
    const std::uint32_t half = 1u << (d - 1);
    const std::uint32_t q = sig >> d, rem = sig & ((1u << d) - 1u);
    const bool up = rem > half || (rem == half && (ties == tie_rule::away_from_zero || (q & 1u)));
    return q + (up ? 1u : 0u);
  };
  constexpr int emin = 1 - F::bias;  // exponent of the smallest normal
  constexpr int emax_field = (1 << F::exponent_bits) - 1;
  std::uint32_t mag;
  if (e >= emin) {
    if (e + F::bias > emax_field) return overflowed();  // beyond every finite code
    const std::uint32_t r = round_shift(23 - M);  // in [2^M, 2^(M+1)]
    mag = (static_cast<std::uint32_t>(e + F::bias) << M) + (r - (1u << M));
  } else {
    const long long d = (23 - M) + (emin - e);
    mag = d > 25 ? 0u : round_shift(static_cast<int>(d));
  }
  if (mag > F::max_code) return overflowed();
  return static_cast<code_t>(sign | mag);
}

/// E8M0, the shared scale of OCP MX: 8 exponent bits, no sign, no mantissa,
/// bias 127; code e is 2^(e - 127) (e = 0 is 2^-127, a float32 subnormal),
/// 0xFF is NaN, there is no zero and no Inf.
struct e8m0 {
  static constexpr int bits = 8;
  static constexpr int bias = 127;
  static constexpr std::uint8_t nan_code = 0xFF;
  using code_type = std::uint8_t;
};

/// The float32 value of an E8M0 code: 2^(code - 127), NaN (0x7FC00000) for 0xFF.
constexpr float decode_e8m0(std::uint8_t code) noexcept {
  if (code == e8m0::nan_code) return std::bit_cast<float>(0x7FC00000u);
  if (code == 0) return std::bit_cast<float>(0x00400000u);  // 2^-127
  return std::bit_cast<float>(static_cast<std::uint32_t>(code) << 23);
}

/// The E8M0 code of 2^e: e clamped to [-127, 127] (so never NaN).
constexpr std::uint8_t e8m0_from_exponent(int e) noexcept {
  e = e < -127 ? -127 : (e > 127 ? 127 : e);
  return static_cast<std::uint8_t>(e + 127);
}

/// floor(log2 |x|) of a finite non-zero float32, exact (subnormals included).
constexpr int floor_log2(float x) noexcept {
  const std::uint32_t a = std::bit_cast<std::uint32_t>(x) & 0x7FFFFFFFu;
  if ((a >> 23) == 0) return (31 - std::countl_zero(a)) - 149;
  return static_cast<int>(a >> 23) - 127;
}

/// The largest finite value of F.
template <minifloat F>
inline constexpr float max_value = decode<F>(F::max_code);

// fp16 / bf16 shorthands (IEEE: overflow goes to Inf).
constexpr std::uint16_t fp16_from_float(float x) noexcept { return encode<fp16>(x); }
constexpr float float_from_fp16(std::uint16_t h) noexcept { return decode<fp16>(h); }
constexpr std::uint16_t bf16_from_float(float x) noexcept { return encode<bf16>(x); }
constexpr float float_from_bf16(std::uint16_t h) noexcept { return decode<bf16>(h); }

}  // namespace qmath::formats
