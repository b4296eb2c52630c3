#pragma once
// Computing qparams from a range [min_val, max_val] or from data, with the
// arithmetic of a chosen convention reproduced exactly.
//
// Every convention first widens the range to include 0:
//   min_neg = min(min_val, 0), max_pos = max(max_val, 0)
// so that 0 is exactly representable. Then, with [qmin, qmax] the code range
// (reduced by one bit when range_reduction::reduce_range: signed
// [floor(qmin/2), floor(qmax/2)], unsigned [0, floor(qmax/2)]):
//
// qparams_convention::pytorch (torch.ao.quantization observers, float32 arithmetic)
//   symmetric: scale = max(-min_neg, max_pos) / ((qmax - qmin) / 2)     e.g. /127.5 for int8
//              zero_point = round_half_even((qmin + qmax) / 2)          0 signed, 128 uint8
//   affine:    scale = (max_pos - min_neg) / (qmax - qmin)
//              zero_point = clamp(qmin - round_half_even(min_neg / scale), qmin, qmax)
//   scale = max(scale, eps) before the zero point (eps = 2^-23 by default): an
//   all-zero tensor gives scale 2^-23 and zero_point qmin (affine) or the
//   symmetric zero point. Symmetric + unsigned + reduce_range is unsupported
//   (as in PyTorch).
// qparams_convention::onnxruntime (quantization tool compute_scale_zp)
//   symmetric: a = max(|min_neg|, |max_pos|), range [-a, a]
//   scale = float(double(float(max_pos - min_neg)) / double(qmax - qmin))
//   zero_point = round_half_even((qmin+qmax)/2) (symmetric) or
//                round_half_even(qmin - double(min_neg) / scale_double) (affine)
//   a double scale below FLT_MIN (all-zero range) gives scale 1.0 and zero
//   point 0 (affine: clamped into [qmin, qmax]; symmetric: the fixed point).
//   ORT's default symmetric int8 range is [-127,127]: use
//   mapping::symmetric_restricted to match it; symmetric int4 is [-8,7].
// qparams_convention::tflite (TFLite / gemmlowp ChooseQuantizationParams, double)
//   symmetric: scale = float(double(amax) / double(qmax - zero_point))  (e.g. amax/127)
//   affine:    scale = (max_pos - min_neg) / (qmax - qmin); the zero point is
//              taken from whichever end (min or max) has the smaller error and
//              nudged: clamp, then round half away from zero.
//   all-zero range: scale 1.0, zero_point clamp(0) (affine) or the fixed point.
// scale_constraint::power_of_two (any convention): the scale is rounded UP to
//   the next power of two (so the range stays covered), then the affine zero
//   point is recomputed: clamp(qmin - round_half_even(min_neg / scale)).
//
// Errors: NaN or infinite min_val / max_val (errc::non_finite, named),
// min_val > max_val ("min_val"), qmin > 0 or qmax < 0 ("qmin"/"qmax"),
// eps not finite and > 0 (pytorch convention, "eps"), no code above the
// zero point for tflite symmetric scales (e.g. 2-bit with reduce_range,
// "qmax"), a range so wide that
// the scale overflows float (errc::out_of_range, "max_val"). Denormal and
// tiny ranges are legal: the scale is floored at eps (pytorch) or becomes
// 1.0 below FLT_MIN (onnxruntime, tflite).
//
// Example (PyTorch MinMaxObserver, quint8, data in [-1, 2]):
//   auto p = qmath::choose_qparams<qmath::uint8_affine_per_tensor>(-1.f, 2.f, {});
//   // p->scale == 0.0117647061f (3/255), p->zero_point == 85

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "qmath/core/qparams.hpp"
#include "qmath/core/rounding.hpp"
#include "qmath/core/scheme.hpp"
#include "qmath/core/status.hpp"

namespace qmath {

/// Whose arithmetic computes the qparams.
enum class qparams_convention : std::uint8_t { pytorch, onnxruntime, tflite };
/// Optional constraint on the scale.
enum class scale_constraint : std::uint8_t { none, power_of_two };
/// PyTorch's reduce_range: one bit less of code range.
enum class range_reduction : std::uint8_t { none, reduce_range };

constexpr std::string_view to_string(qparams_convention c) noexcept {
  switch (c) {
    case qparams_convention::pytorch: return "pytorch";
    case qparams_convention::onnxruntime: return "onnxruntime";
    case qparams_convention::tflite: return "tflite";
  }
  return "unknown";
}

/// Options of choose_qparams / compute_qparams.
struct qparams_options {
  qparams_convention convention = qparams_convention::pytorch;
  range_reduction range = range_reduction::none;
  scale_constraint constraint = scale_constraint::none;
  /// PyTorch scale floor (torch.finfo(float32).eps); pytorch convention only.
  float eps = 0x1p-23f;
  /// compute_qparams from data: error on NaN/Inf (naming the index), or
  /// `map`: ignore non-finite values when taking min/max.
  nonfinite_policy nonfinite = nonfinite_policy::error;
};

namespace detail {

constexpr std::int32_t floor_div2(std::int32_t v) noexcept { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

inline float pow2_ceil(float s) noexcept {
  if (!is_finite(s) || !(s > 0.0f)) return s;  // frexp of Inf leaves e unspecified
  int e = 0;
  const float m = std::frexp(s, &e);  // s = m * 2^e, m in [0.5, 1)
  if (m == 0.5f) return s;
  return std::ldexp(1.0f, e);
}

/// Round half to even in double without the FP environment (|v| < 2^51).
constexpr double round_half_even_d(double v) noexcept {
  const double a = v < 0 ? -v : v;
  if (!(a < 0x1p51)) return v;
  return (v + 0x1.8p52) - 0x1.8p52;
}

inline std::int32_t clamp_i32(double v, std::int32_t lo, std::int32_t hi) noexcept {
  if (!(v >= lo)) return lo;  // also NaN
  if (v > hi) return hi;
  return static_cast<std::int32_t>(v);
}

}  // namespace detail

/// qparams of one range [min_val, max_val] for codes in [qmin, qmax] (before
/// range reduction) with mapping `m` (symmetric and symmetric_restricted are
/// computed alike: the range given decides). See the file comment.
inline result<scale_zero_point> choose_qparams(float min_val, float max_val, std::int32_t qmin, std::int32_t qmax,
                                               mapping m, const qparams_options& opt) noexcept {
  if (!is_finite(min_val)) return status(errc::non_finite, "min_val", "must be finite");
  if (!is_finite(max_val)) return status(errc::non_finite, "max_val", "must be finite");
  if (min_val > max_val) return invalid_argument("min_val", "must be <= max_val");
  if (qmin > 0) return out_of_range("qmin", "must be <= 0 (the range must hold zero)");
  if (qmax < 0 || qmax <= qmin) return out_of_range("qmax", "must be >= 0 and > qmin");
  if (opt.convention == qparams_convention::pytorch && !(is_finite(opt.eps) && opt.eps > 0.0f))
    return invalid_argument("eps", "must be finite and > 0");
  const bool sym = m != mapping::affine;
  if (opt.range == range_reduction::reduce_range) {
    if (sym && qmin >= 0) {
      return status(errc::unsupported, "range", "reduce_range is not supported for unsigned symmetric schemes");
    }
    qmin = detail::floor_div2(qmin);
    qmax = detail::floor_div2(qmax);
  }
  const float min_neg = min_val < 0.0f ? min_val : 0.0f;
  const float max_pos = max_val > 0.0f ? max_val : 0.0f;
  const float amax = -min_neg > max_pos ? -min_neg : max_pos;
  // Symmetric zero point: round_half_even of the midpoint (0 signed, 2^(b-1) unsigned).
  const std::int32_t sym_zp = static_cast<std::int32_t>(round_half_even(0.5f * static_cast<float>(qmin + qmax)));

  scale_zero_point r{1.0f, 0};
  switch (opt.convention) {
    case qparams_convention::pytorch: {
      if (sym) {
        const float denom = static_cast<float>(qmax - qmin) / 2.0f;
        float scale = amax / denom;
        scale = scale > opt.eps ? scale : opt.eps;
        r = {scale, sym_zp};
      } else {
        float scale = (max_pos - min_neg) / static_cast<float>(qmax - qmin);
        scale = scale > opt.eps ? scale : opt.eps;
        const float z = static_cast<float>(qmin) - round_half_even(min_neg / scale);
        r = {scale, detail::clamp_i32(z, qmin, qmax)};
      }
      break;
    }
    case qparams_convention::onnxruntime: {
      const float lo = sym ? -amax : min_neg;
      const float hi = sym ? amax : max_pos;
      const double scale = static_cast<double>(hi - lo) / static_cast<double>(qmax - qmin);
      if (scale < static_cast<double>(std::numeric_limits<float>::min())) {
        r = {1.0f, sym ? sym_zp : detail::clamp_i32(0.0, qmin, qmax)};
      } else if (sym) {
        r = {static_cast<float>(scale), sym_zp};
      } else {
        const double z = detail::round_half_even_d(static_cast<double>(qmin) - static_cast<double>(lo) / scale);
        r = {static_cast<float>(scale), detail::clamp_i32(z, qmin, qmax)};
      }
      break;
    }
    case qparams_convention::tflite: {
      if (sym) {
        const double denom = static_cast<double>(qmax - sym_zp);
        if (!(denom > 0.0)) return out_of_range("qmax", "symmetric tflite scale needs a code above the zero point");
        const double scale = static_cast<double>(amax) / denom;
        r = {scale > 0.0 ? static_cast<float>(scale) : 1.0f, sym_zp};
        if (!(r.scale >= std::numeric_limits<float>::min())) r.scale = 1.0f;
      } else {
        const double rmin = min_neg, rmax = max_pos;
        if (rmin == rmax) {
          r = {1.0f, detail::clamp_i32(0.0, qmin, qmax)};
        } else {
          const double scale = (rmax - rmin) / static_cast<double>(qmax - qmin);
          const double zp_from_min = qmin - rmin / scale;
          const double zp_from_max = qmax - rmax / scale;
          const double err_min = std::fabs(static_cast<double>(qmin)) + std::fabs(rmin / scale);
          const double err_max = std::fabs(static_cast<double>(qmax)) + std::fabs(rmax / scale);
          const double zpd = err_min < err_max ? zp_from_min : zp_from_max;
          std::int32_t zp = 0;
          if (zpd < qmin) zp = qmin;
          else if (zpd > qmax) zp = qmax;
          else zp = static_cast<std::int32_t>(std::round(zpd));
          r = {static_cast<float>(scale), zp};
          if (!(r.scale >= std::numeric_limits<float>::min())) r = {1.0f, detail::clamp_i32(0.0, qmin, qmax)};
        }
      }
      break;
    }
  }
  if (opt.constraint == scale_constraint::power_of_two) {
    r.scale = detail::pow2_ceil(r.scale);
    if (!sym) {
      r.zero_point = detail::clamp_i32(static_cast<double>(qmin) - round_half_even(min_neg / r.scale), qmin, qmax);
    }
  }
  // A range wider than the float range can step through (e.g. [-FLT_MAX,
  // FLT_MAX] for 8 bits, or a power-of-two scale above 2^127): no finite
  // scale covers it.
  if (!is_finite(r.scale)) return out_of_range("max_val", "range too wide: the scale overflows float");
  return r;
}

/// qparams of one range for scheme S (its qmin, qmax and mapping).
template <quant_scheme S>
result<scale_zero_point> choose_qparams(float min_val, float max_val, const qparams_options& opt) noexcept {
  return choose_qparams(min_val, max_val, S::qmin, S::qmax, S::map, opt);
}

namespace detail {

/// min/max of each qparams entry; entry of element (o, c, i) is c (per-channel)
/// or (o * groups + c / group_size) * inner + i (per-group).
inline status entry_minmax(std::span<const float> x, const param_layout& pl, nonfinite_policy pol,
                           std::vector<float>& mn, std::vector<float>& mx) {
  const std::size_t n = pl.param_count();
  mn.assign(n, std::numeric_limits<float>::infinity());
  mx.assign(n, -std::numeric_limits<float>::infinity());
  const axis_layout& l = pl.layout;
  const bool grouped = pl.kind == granularity_kind::per_group;
  std::size_t idx = 0;
  for (std::size_t o = 0; o < l.outer; ++o) {
    for (std::size_t c = 0; c < l.channels; ++c) {
      const std::size_t base = grouped ? (o * pl.groups + c / pl.group_size) * l.inner : c;
      for (std::size_t i = 0; i < l.inner; ++i, ++idx) {
        const float v = x[idx];
        if (!is_finite(v)) {
          if (pol == nonfinite_policy::error) return status(errc::non_finite, "data", "NaN or Inf", idx);
          continue;
        }
        const std::size_t e = grouped ? base + i : base;
        mn[e] = v < mn[e] ? v : mn[e];
        mx[e] = v > mx[e] ? v : mx[e];
      }
    }
  }
  for (std::size_t e = 0; e < n; ++e) {
    if (mn[e] > mx[e]) mn[e] = mx[e] = 0.0f;  // no finite value: an all-zero range
  }
  return ok_status;
}

}  // namespace detail

/// Per-tensor qparams from data (min/max over all elements). Errors: empty
/// "data"; NaN/Inf at an index (policy error); see choose_qparams.
template <per_tensor_scheme S>
result<qparams<S>> compute_qparams(std::span<const float> data, const qparams_options& opt) noexcept {
  if (data.empty()) return empty_input("data");
  float mn = std::numeric_limits<float>::infinity(), mx = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < data.size(); ++i) {
    const float v = data[i];
    if (!is_finite(v)) {
      if (opt.nonfinite == nonfinite_policy::error) return status(errc::non_finite, "data", "NaN or Inf", i);
      continue;
    }
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  }
  if (mn > mx) mn = mx = 0.0f;
  auto r = choose_qparams<S>(mn, mx, opt);
  if (!r) return r.error();
  return qparams<S>{r->scale, r->zero_point};
}

/// Per-channel / per-group qparams from data of the given row-major shape,
/// written into `out` (its dynamic axis / group_size must be set by the
/// caller; scale and zero_point are resized). Errors: see make_param_layout,
/// data size vs shape ("data"), non-finite data, choose_qparams.
template <quant_scheme S>
  requires(S::kind != granularity_kind::per_tensor)
status compute_qparams(std::span<const float> data, std::span<const std::size_t> shape, qparams<S>& out,
                       const qparams_options& opt) {
  if (data.empty()) return empty_input("data");
  std::size_t gs = 1;
  if constexpr (S::kind == granularity_kind::per_group) gs = out.group_size;
  auto pl = make_param_layout(shape, out.axis, gs, S::kind);
  if (!pl) return pl.error();
  if (pl->layout.size() != data.size()) return size_mismatch("data", "size must equal the product of shape");
  std::vector<float> mn, mx;
  QMATH_TRY(detail::entry_minmax(data, *pl, opt.nonfinite, mn, mx));
  out.scale.resize(mn.size());
  out.zero_point.resize(mn.size());
  for (std::size_t e = 0; e < mn.size(); ++e) {
    auto r = choose_qparams<S>(mn[e], mx[e], opt);
    if (!r) return r.error().at(e);
    out.scale[e] = r->scale;
    out.zero_point[e] = r->zero_point;
  }
  return ok_status;
}

/// Same, returning the qparams (schemes whose axis and group size are static).
template <quant_scheme S>
  requires(S::kind != granularity_kind::per_tensor && S::granularity_type::static_axis != dynamic &&
           (S::kind != granularity_kind::per_group || S::granularity_type::static_group_size != dynamic))
result<qparams<S>> compute_qparams(std::span<const float> data, std::span<const std::size_t> shape,
                                   const qparams_options& opt) {
  qparams<S> p{};
  QMATH_TRY(compute_qparams<S>(data, shape, p, opt));
  return p;
}

}  // namespace qmath
