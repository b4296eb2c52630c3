#pragma once
// Scaled small-float quantization: FP8 (E4M3FN, E5M2), FP6 (E2M3, E3M2) and
// FP4 (E2M1) codes with one float32 scale per slot of a qmath::partition
// (per tensor, per channel(axis), per group(axis, group_size); see
// calibrate/partition.hpp for the slot of each element).
//
//   quantize:    code_i = encode<F>(x_i / scale_s, overflow::saturate)
//                (float32 division, round to nearest even; saturating: |t|
//                beyond max_value<F> and +-Inf -> +-max; NaN -> the format's
//                NaN, +max for FP6 / FP4 which have none, as ONNX does)
//   dequantize:  y_i = decode<F>(code_i) * scale_s
//   scale from a calibrated range: scale = amax / max_value<F>, amax =
//                max(|lo|, |hi|) (value_range::absmax). Degenerate ranges:
//                amax = 0 or an empty range (no finite value seen) -> scale
//                1 (every code of 0 is exact with any scale); a non-finite
//                amax -> errc::non_finite naming "ranges"; an amax so small
//                that amax / max underflows to 0 -> scale = the smallest
//                positive normal float32 (never 0).
// The calibrators are the integer schemes' observers: anything that yields
// value_range per slot (minmax_observer::ranges(), percentile_ranges /
// entropy_ranges / mse_ranges of a histogram_observer, ...) gives scales
// through scaled_params_from_ranges. The metrics are the metrics module's:
// compare / compare_per_slot on x and fake_quant(x) (metrics/error.hpp).
//
// Errors (status naming the argument): x / codes / y of the wrong size for
// the partition ("x", "codes", "y"), scale count != slots ("scale"), a scale
// that is not finite and > 0 ("scale", with its index), null data.
//
//   auto p = qmath::formats::compute_scaled_params<qmath::formats::fp8_e4m3fn>(w, *part);
//   QMATH_TRY(qmath::formats::quantize_scaled<qmath::formats::fp8_e4m3fn>(w, *p, codes));

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "qmath/calibrate/common.hpp"
#include "qmath/calibrate/minmax.hpp"
#include "qmath/calibrate/partition.hpp"
#include "qmath/core/status.hpp"
#include "qmath/formats/convert.hpp"
#include "qmath/formats/minifloat.hpp"

namespace qmath::formats {

/// A small-float format that can be scaled (every kernel format but the
/// 16-bit ones, which need no scale).
template <class F>
concept scalable_format = kernel_format<F> && F::bits <= 8;

/// One float32 scale per slot of `layout`.
template <scalable_format F>
struct scaled_params {
  partition layout;
  std::vector<float> scale;
};

/// scale = amax / max_value<F> with the degenerate cases of the header comment.
template <scalable_format F>
result<float> scale_from_amax(float amax) noexcept {
  if (!std::isfinite(amax)) return status(errc::non_finite, "amax", "must be finite");
  if (amax < 0) return invalid_argument("amax", "must be >= 0");
  if (amax == 0) return 1.0f;
  const float s = amax / max_value<F>;
  return s > 0 && std::isnormal(s) ? s : std::numeric_limits<float>::min();
}

/// Scales from calibrated per-slot ranges (ranges.size() == layout.slots()).
template <scalable_format F>
result<scaled_params<F>> scaled_params_from_ranges(std::span<const value_range> ranges, const partition& layout) {
  if (ranges.size() != layout.slots()) return size_mismatch("ranges", "must have one range per slot of the partition");
  scaled_params<F> p{layout, std::vector<float>(ranges.size())};
  for (std::size_t s = 0; s < ranges.size(); ++s) {
    const float amax = ranges[s].empty() ? 0.0f : ranges[s].absmax();
    if (!std::isfinite(amax)) return status(errc::non_finite, "ranges", "must be finite", s);
    p.scale[s] = *scale_from_amax<F>(amax);
  }
  return p;
}

/// Min/max calibration of x (NaN / Inf: errc::non_finite naming "x").
template <scalable_format F>
result<scaled_params<F>> compute_scaled_params(std::span<const float> x, const partition& layout) {
  minmax_observer obs(layout);
  QMATH_TRY(obs.observe(x));
  return scaled_params_from_ranges<F>(obs.ranges(), layout);
}

namespace detail {

template <scalable_format F>
status check_scaled(std::size_t n, const void* data, const scaled_params<F>& p, const char* arg) noexcept {
  if (data == nullptr && n != 0) return invalid_argument(arg, "null data with a non-zero size");
  QMATH_TRY(p.layout.check_size(n, arg));
  if (p.scale.size() != p.layout.slots()) return size_mismatch("scale", "must have one scale per slot of the partition");
  for (std::size_t s = 0; s < p.scale.size(); ++s)
    if (!(std::isfinite(p.scale[s]) && p.scale[s] > 0)) return invalid_argument("scale", "must be finite and > 0").at(s);
  return ok_status;
}

}  // namespace detail

/// codes_i = encode<F>(x_i / scale_slot(i), saturate).
template <scalable_format F>
status quantize_scaled(std::span<const float> x, const scaled_params<F>& p,
                       std::span<typename F::code_type> codes) noexcept {
  QMATH_TRY(detail::check_scaled(x.size(), x.data(), p, "x"));
  if (codes.size() != x.size()) return size_mismatch("codes", "must have x.size() elements");
  if (codes.data() == nullptr) return invalid_argument("codes", "null data with a non-zero size");
  constexpr std::size_t chunk = 512;
  p.layout.for_each_run(x.size(), [&](std::size_t b, std::size_t len, std::size_t slot, std::size_t stride) {
    if (stride == 0) {
      const float s = p.scale[slot];
      float t[chunk];
      for (std::size_t i = 0; i < len; i += chunk) {
        const std::size_t r = len - i < chunk ? len - i : chunk;
        for (std::size_t j = 0; j < r; ++j) t[j] = x[b + i + j] / s;
        (void)encode<F>(std::span<const float>(t, r), codes.subspan(b + i, r), overflow::saturate,
                        {store_hint::temporal});
      }
    } else {
      for (std::size_t j = 0; j < len; ++j) codes[b + j] = encode<F>(x[b + j] / p.scale[slot + j], overflow::saturate);
    }
  });
  return ok_status;
}

/// y_i = decode<F>(codes_i) * scale_slot(i).
template <scalable_format F>
status dequantize_scaled(std::span<const typename F::code_type> codes, const scaled_params<F>& p,
                         std::span<float> y) noexcept {
  QMATH_TRY(detail::check_scaled(codes.size(), codes.data(), p, "codes"));
  if (y.size() != codes.size()) return size_mismatch("y", "must have codes.size() elements");
  if (y.data() == nullptr) return invalid_argument("y", "null data with a non-zero size");
  (void)decode<F>(codes, y, {store_hint::temporal});
  p.layout.for_each_run(y.size(), [&](std::size_t b, std::size_t len, std::size_t slot, std::size_t stride) {
    for (std::size_t j = 0; j < len; ++j) y[b + j] *= p.scale[stride == 0 ? slot : slot + j];
  });
  return ok_status;
}

/// y = dequantize_scaled(quantize_scaled(x)) (y may alias x).
template <scalable_format F>
status fake_quant_scaled(std::span<const float> x, const scaled_params<F>& p, std::span<float> y) {
  QMATH_TRY(detail::check_scaled(x.size(), x.data(), p, "x"));
  if (y.size() != x.size()) return size_mismatch("y", "must have x.size() elements");
  std::vector<typename F::code_type> c(x.size());
  QMATH_TRY(quantize_scaled<F>(x, p, c));
  return dequantize_scaled<F>(c, p, y);
}

}  // namespace qmath::formats
