#pragma once
// Per-element quantization math: the normative scalar definitions that every
// array function and SIMD kernel reproduces bit for bit.
//
//   t = x / scale                 (division::exact, ONNX)
//     = x * (1.0f / scale)        (division::reciprocal, PyTorch CPU)
//   t = 0 if t is NaN             (NaN -> zero_point)
//   t = clamp(t, qmin - zp, qmax - zp)        in float (+-Inf saturate)
//   q = int(round(t)) + zp                     round per `rounding`
//   x' = float(q - zp) * scale                 (dequantize)
//   fake_quant(x) = float(q - zp) * scale
//
// Clamping before rounding equals rounding then clamping (the bounds are
// integers and every rounding mode is monotone), and keeps the float -> int
// conversion in range. All functions are constexpr and never touch the FP
// environment.
//
// Example: quantize_value(3.0f, 2.0f, 128, 0, 255) == 130   (3/2 = 1.5 -> 2, ties to even)

#include <cstdint>

#include "qmath/core/rounding.hpp"

namespace qmath {

/// x mapped to the unrounded code offset t (before clamping).
constexpr float scaled_value(float x, float scale, division div) noexcept {
  return div == division::exact ? x / scale : x * (1.0f / scale);
}

/// The quantized code of x (see the file comment). `random_bits` is used by
/// rounding::stochastic only: pass stochastic_bits(stochastic_key(seed), index).
constexpr std::int32_t quantize_value(float x, float scale, std::int32_t zero_point, std::int32_t qmin,
                                      std::int32_t qmax, rounding mode = rounding::half_even,
                                      division div = division::exact, std::uint32_t random_bits = 0) noexcept {
  float t = scaled_value(x, scale, div);
  if (t != t) t = 0.0f;
  const float lo = static_cast<float>(qmin - zero_point);
  const float hi = static_cast<float>(qmax - zero_point);
  t = t < lo ? lo : t;
  t = t > hi ? hi : t;
  return static_cast<std::int32_t>(round_with(t, mode, random_bits)) + zero_point;
}

/// x' = float(q - zero_point) * scale.
constexpr float dequantize_value(std::int32_t q, float scale, std::int32_t zero_point) noexcept {
  return static_cast<float>(q - zero_point) * scale;
}

/// Result of fake-quantizing one element.
struct fake_quant_element {
  float y;       ///< dequantize(quantize(x))
  bool in_range; ///< qmin <= round(t) + zp <= qmax before clamping (the STE mask)
};

/// Fake-quant of one element with its straight-through mask:
/// y = float(clamp(round(t) + zp) - zp) * scale, in_range as PyTorch's
/// fake_quantize mask (quant_min <= round(x*inv) + zp <= quant_max).
constexpr fake_quant_element fake_quant_value(float x, float scale, std::int32_t zero_point, std::int32_t qmin,
                                              std::int32_t qmax, rounding mode = rounding::half_even,
                                              division div = division::exact,
                                              std::uint32_t random_bits = 0) noexcept {
  float t = scaled_value(x, scale, div);
  if (t != t) t = 0.0f;
  const float lo = static_cast<float>(qmin - zero_point);
  const float hi = static_cast<float>(qmax - zero_point);
  // Clamp one step outside the range: rounding commutes with integer bounds,
  // so r is out of [lo, hi] exactly when round(t) is.
  t = t < lo - 1.0f ? lo - 1.0f : t;
  t = t > hi + 1.0f ? hi + 1.0f : t;
  float r = round_with(t, mode, random_bits);
  const bool in = r >= lo && r <= hi;
  r = r < lo ? lo : r;
  r = r > hi ? hi : r;
  return {(r + 0.0f) * scale, in};  // + 0: an integer code offset has no -0
}

}  // namespace qmath
