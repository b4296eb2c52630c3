#pragma once
// Rounding modes and the exact scalar rounding functions every kernel matches.
//
//   rounding::half_even   ties to even (default; PyTorch nearbyint, ONNX rint)
//   rounding::half_away   ties away from zero (C roundf; ggml Q8_0, MLAS blockwise)
//   rounding::toward_zero truncation
//   rounding::stochastic  floor(t) + 1 with probability frac(t): a 24-bit
//                         uniform u = stochastic_bits(key, index) >> 8, scaled by
//                         2^-24, rounds up when u < frac(t). The bits come from a
//                         counter-based hash of (seed, element index), so the
//                         result depends only on the seed and the element's
//                         position: identical on every ISA and thread count.
//
// These functions never read or change the floating-point environment: they
// are built from float add/sub/compare (round_half_even uses the 2^23
// "magic number": (t + c) - c with c = copysign(2^23, t) rounds t to an
// integer, ties to even, under the IEEE default rounding, for |t| < 2^23;
// larger |t| are already integers).
//
// Division semantics (how x is mapped to t before rounding):
//   division::exact       t = x / scale            (ONNX reference, PyTorch CUDA in double)
//   division::reciprocal  t = x * (1.0f / scale)   (PyTorch CPU / FBGEMM)
// They can differ by one code on near-ties: scale = 0.00214854861f,
// x = 0.273939937f gives 128 with the reciprocal and 127 with division.

#include <cstdint>
#include <limits>
#include <string_view>

namespace qmath {

/// Rounding mode of float -> integer conversions.
enum class rounding : std::uint8_t { half_even, half_away, toward_zero, stochastic };

/// How x is divided by the scale.
enum class division : std::uint8_t { exact, reciprocal };

/// What happens to NaN / +-Inf in input data.
enum class nonfinite_policy : std::uint8_t {
  error,  ///< return errc::non_finite naming the first offending index (default)
  map,    ///< NaN -> zero_point, +Inf -> qmax, -Inf -> qmin (saturate)
};

constexpr std::string_view to_string(rounding r) noexcept {
  switch (r) {
    case rounding::half_even: return "half_even";
    case rounding::half_away: return "half_away";
    case rounding::toward_zero: return "toward_zero";
    case rounding::stochastic: return "stochastic";
  }
  return "unknown";
}
constexpr std::string_view to_string(division d) noexcept {
  return d == division::exact ? "exact" : "reciprocal";
}

// ---------------------------------------------------------------------------
// Exact rounding of a float to an integral float
// ---------------------------------------------------------------------------

/// 2^23: floats of larger magnitude are integers.
inline constexpr float round_limit = 8388608.0f;

constexpr float fabs_constexpr(float t) noexcept { return t < 0.0f ? -t : t; }

/// Round to nearest, ties to even. Returns t unchanged when |t| >= 2^23 (an
/// integer already) or t is NaN. For |t| < 2^23, t + copysign(2^23, t) lies
/// in a binade of spacing 1, so the addition itself rounds (ties to even) and
/// the subtraction is exact.
constexpr float round_half_even(float t) noexcept {
  if (!(fabs_constexpr(t) < round_limit)) return t;
  const float c = t < 0.0f ? -round_limit : round_limit;
  return (t + c) - c;
}

/// Round toward zero.
constexpr float round_toward_zero(float t) noexcept {
  if (!(fabs_constexpr(t) < round_limit)) return t;
  return static_cast<float>(static_cast<std::int32_t>(t));
}

/// Round to nearest, ties away from zero (t - trunc(t) is exact).
constexpr float round_half_away(float t) noexcept {
  if (!(fabs_constexpr(t) < round_limit)) return t;
  const float r = round_toward_zero(t);
  const float d = t - r;
  if (d >= 0.5f) return r + 1.0f;
  if (d <= -0.5f) return r - 1.0f;
  return r;
}

/// Round toward minus infinity.
constexpr float round_down(float t) noexcept {
  if (!(fabs_constexpr(t) < round_limit)) return t;
  const float r = round_toward_zero(t);
  return r > t ? r - 1.0f : r;
}

// ---------------------------------------------------------------------------
// Counter-based random bits for stochastic rounding
// ---------------------------------------------------------------------------

/// A bijective 32-bit mixer (the "lowbias32" hash).
constexpr std::uint32_t mix32(std::uint32_t x) noexcept {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/// The 32-bit key of a 64-bit seed.
constexpr std::uint32_t stochastic_key(std::uint64_t seed) noexcept {
  return mix32(static_cast<std::uint32_t>(seed) ^ mix32(static_cast<std::uint32_t>(seed >> 32) + 0x9e3779b9u));
}

/// Key of the block of 2^32 indices that holds `index` (hash of its upper half).
constexpr std::uint32_t stochastic_block_key(std::uint32_t key, std::uint64_t index) noexcept {
  return mix32(static_cast<std::uint32_t>(index >> 32) ^ key);
}

/// Random bits of element `index`: mix32(lo32(index) ^ block_key).
constexpr std::uint32_t stochastic_bits(std::uint32_t key, std::uint64_t index) noexcept {
  return mix32(static_cast<std::uint32_t>(index) ^ stochastic_block_key(key, index));
}

/// Stochastic rounding with random bits `bits`: floor(t) + (u < t - floor(t)),
/// u = (bits >> 8) * 2^-24 in [0, 1).
constexpr float round_stochastic(float t, std::uint32_t bits) noexcept {
  if (!(fabs_constexpr(t) < round_limit)) return t;
  const float f = round_down(t);
  const float u = static_cast<float>(bits >> 8) * 0x1p-24f;
  return u < t - f ? f + 1.0f : f;
}

/// Round with a run-time mode (`bits` is used by rounding::stochastic only).
constexpr float round_with(float t, rounding mode, std::uint32_t bits) noexcept {
  switch (mode) {
    case rounding::half_even: return round_half_even(t);
    case rounding::half_away: return round_half_away(t);
    case rounding::toward_zero: return round_toward_zero(t);
    case rounding::stochastic: return round_stochastic(t, bits);
  }
  return round_half_even(t);
}

/// Is x finite (neither NaN nor +-Inf)? constexpr, no <cmath>.
constexpr bool is_finite(float x) noexcept {
  return x == x && x <= std::numeric_limits<float>::max() && x >= -std::numeric_limits<float>::max();
}

}  // namespace qmath
