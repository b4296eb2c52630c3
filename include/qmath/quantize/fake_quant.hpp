#pragma once
// Fake quantization (quantize then dequantize, in float) and its gradients.
//
// Forward (PyTorch fake_quantize_per_tensor_affine / per_channel):
//   t = x / scale (or x * (1/scale)), NaN -> 0
//   r = round(t)                     (per quantize_options::round)
//   y = float(clamp(r + zp, qmin, qmax) - zp) * scale
//   mask = qmin <= r + zp <= qmax    (1 / 0, one byte per element)
// Straight-through estimator: dx = dy * mask (fake_quant_backward).
// With division::reciprocal and rounding::half_even this is exactly PyTorch's
// CPU kernel.
//
// Learned step size (LSQ, PyTorch _LearnableFakeQuantize, per tensor):
//   zp_b = int(clamp(zero_point + 0.5, qmin, qmax))        (backward zero point)
//   inv = 1.0f / scale;  xq = round_half_even(zp_b + x * inv)
//   in range (qmin <= xq <= qmax): dx = dy, dscale = dy * ((xq - zp_b) * scale - x) * inv * g, dzp = 0
//   below: dx = 0, dscale = dy * (qmin - zp_b) * g, dzp = -dy * scale * g
//   above: dx = 0, dscale = dy * (qmax - zp_b) * g, dzp = -dy * scale * g
// dscale and dzp are summed over the elements (here in double, returned as
// float: PyTorch's float reduction order is not reproducible, the per-element
// terms are). g = grad_factor, 1/sqrt(numel * qmax) with use_grad_scaling
// (lsq_grad_factor). Symmetric schemes ignore d_zero_point.
//
// Example (issue known answer): scale 1, zp 0, [-128, 127], x = [0.3, 200, -200], dy = 1
//   -> dx = [1, 0, 0], d_scale = -0.3 + 127 - 128 = -1.3, d_zero_point = -2.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qmath/detail/checks.hpp"
#include "qmath/quantize/quantize.hpp"

namespace qmath {

namespace detail {

template <class S>
bool fake_quant_range(const quantize_kernels* k, const float* x, float* y, std::uint8_t* mask, std::size_t b,
                      std::size_t e, const param_layout* pl, const float* scale, const std::int32_t* zp,
                      const quantize_options& o, bool stream) noexcept {
  const std::uint32_t key = stochastic_key(o.seed);
  bool nf = false;
  auto run = [&](std::size_t i, std::size_t len, std::size_t entry) {
    const quant_run a{scale[entry], zp[entry], S::qmin, S::qmax, o.round, o.div, key, i, stream};
    nf |= k->fq_run(x + i, y + i, mask ? mask + i : nullptr, len, a);
  };
  auto vec = [&](std::size_t i, std::size_t len, std::size_t off) {
    const quant_vec a{scale + off, zp + off, S::qmin, S::qmax, o.round, o.div, key, i, stream};
    nf |= k->fq_vec(x + i, y + i, mask ? mask + i : nullptr, len, a);
  };
  auto grp = [&](std::size_t i, std::size_t len, std::size_t entry, std::size_t off) {
    for (std::size_t j = 0, g = entry; j < len; ++g) {
      const std::size_t m = pl->group_size - off < len - j ? pl->group_size - off : len - j;
      run(i + j, m, g);
      j += m;
      off = 0;
    }
  };
  if (pl == nullptr) run(b, e - b, 0);
  else for_each_segment(*pl, b, e, run, vec, grp);
  if (stream) k->fence();
  return nf;
}

template <class S>
status fake_quant_impl(std::span<const float> x, std::span<float> y, std::span<std::uint8_t> mask,
                       const param_layout* pl, const float* scale, const std::int32_t* zp,
                       const quantize_options& o) noexcept {
  const quantize_kernels* k = qkernels();
  std::uint8_t* m = mask.empty() ? nullptr : mask.data();
  const work_split w = split_work(x.size(), o.threads);
  const bool nt = use_streaming(o.store, x.size() * 2 * sizeof(float));
  bool nf = false;
  if (w.tasks == 1) {
    nf = fake_quant_range<S>(k, x.data(), y.data(), m, 0, x.size(), pl, scale, zp, o, nt);
  } else {
    bool flags[256] = {};
    parallel_for(w.tasks, w.tasks, [&](std::size_t t) {
      const std::size_t b = t * w.chunk < x.size() ? t * w.chunk : x.size();
      const std::size_t e = b + w.chunk < x.size() ? b + w.chunk : x.size();
      if (b < e) flags[t] = fake_quant_range<S>(k, x.data(), y.data(), m, b, e, pl, scale, zp, o, nt);
    });
    for (std::size_t t = 0; t < w.tasks; ++t) nf |= flags[t];
  }
  if (nf && o.nonfinite == nonfinite_policy::error) return first_nonfinite(x);
  return ok_status;
}

inline status check_fq_sizes(std::size_t xn, std::size_t yn, std::size_t mn) noexcept {
  if (xn == 0) return empty_input("x");
  if (yn != xn) return size_mismatch("y", "must have as many elements as x");
  if (mn != 0 && mn != xn) return size_mismatch("mask", "must be empty or have as many elements as x");
  return ok_status;
}

/// y may be x itself (in place) but must not overlap it otherwise; the mask
/// must not overlap x or y.
inline status check_fq_alias(std::span<const float> x, std::span<float> y, std::span<std::uint8_t> mask) noexcept {
  QMATH_TRY(check_in_place_or_disjoint(y, x, "y"));
  QMATH_TRY(check_no_overlap(mask, x, "mask"));
  return check_no_overlap(mask, y, "mask");
}

}  // namespace detail

/// Per-tensor fake quant: y = dequantize(quantize(x)); `mask` (empty, or one
/// byte per element) receives the STE mask.
template <per_tensor_scheme S>
status fake_quant(std::span<const float> x, const qparams<S>& p, std::span<float> y, std::span<std::uint8_t> mask,
                  const quantize_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_options(opt));
  QMATH_TRY(detail::check_fq_sizes(x.size(), y.size(), mask.size()));
  QMATH_TRY(detail::check_fq_alias(x, y, mask));
  QMATH_TRY(check_qparams(p));
  return detail::fake_quant_impl<S>(x, y, mask, nullptr, &p.scale, &p.zero_point, opt);
}

/// Per-channel / per-group fake quant.
template <quant_scheme S>
  requires(S::kind != granularity_kind::per_tensor)
status fake_quant(std::span<const float> x, std::span<const std::size_t> shape, const qparams<S>& p,
                  std::span<float> y, std::span<std::uint8_t> mask, const quantize_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_options(opt));
  QMATH_TRY(detail::check_fq_sizes(x.size(), y.size(), mask.size()));
  QMATH_TRY(detail::check_fq_alias(x, y, mask));
  auto pl = detail::check_layout(p, shape, x.size());
  if (!pl) return pl.error();
  return detail::fake_quant_impl<S>(x, y, mask, &*pl, p.scale.data(), p.zero_point.data(), opt);
}

/// Straight-through gradient: dx = mask ? dy : 0.
inline status fake_quant_backward(std::span<const float> dy, std::span<const std::uint8_t> mask,
                                  std::span<float> dx) noexcept {
  if (dy.empty()) return empty_input("dy");
  if (mask.size() != dy.size()) return size_mismatch("mask", "must have as many elements as dy");
  if (dx.size() != dy.size()) return size_mismatch("dx", "must have as many elements as dy");
  QMATH_TRY(detail::check_in_place_or_disjoint(dx, dy, "dx"));
  QMATH_TRY(detail::check_no_overlap(dx, mask, "dx"));
  for (std::size_t i = 0; i < dy.size(); ++i) dx[i] = mask[i] ? dy[i] : 0.0f;
  return ok_status;
}

/// Summed LSQ gradients of the scale and zero point.
struct lsq_gradients {
  float d_scale;
  float d_zero_point;
};

/// PyTorch's grad_factor with use_grad_scaling: 1 / sqrt(numel * qmax).
inline float lsq_grad_factor(std::size_t numel, std::int32_t qmax) noexcept {
  return 1.0f / std::sqrt(static_cast<float>(numel) * static_cast<float>(qmax));
}

/// LSQ backward for one (scale, zero_point) (see the file comment). Writes dx.
/// Errors: "scale" (not finite > 0), "zero_point" (not finite), "qmin"
/// (qmin >= qmax), sizes ("dy", "dx"), empty "x".
inline result<lsq_gradients> lsq_backward(std::span<const float> x, std::span<const float> dy, float scale,
                                          float zero_point, std::int32_t qmin, std::int32_t qmax, float grad_factor,
                                          std::span<float> dx) noexcept {
  if (x.empty()) return empty_input("x");
  if (dy.size() != x.size()) return size_mismatch("dy", "must have as many elements as x");
  if (dx.size() != x.size()) return size_mismatch("dx", "must have as many elements as x");
  if (!is_finite(scale) || !(scale > 0.0f)) return invalid_argument("scale", "must be finite and > 0");
  if (!is_finite(zero_point)) return invalid_argument("zero_point", "must be finite");
  if (qmin >= qmax) return invalid_argument("qmin", "must be < qmax");
  float zc = zero_point + 0.5f;
  zc = zc < static_cast<float>(qmin) ? static_cast<float>(qmin) : zc;
  zc = zc > static_cast<float>(qmax) ? static_cast<float>(qmax) : zc;
  const float zp = static_cast<float>(static_cast<std::int32_t>(zc));
  const float inv = 1.0f / scale;
  const float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  double ds = 0.0, dz = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float xq = round_half_even(zp + x[i] * inv);
    const float g = dy[i];
    if (xq < lo || xq > hi || xq != xq) {
      dx[i] = 0.0f;
      ds += static_cast<double>(g * ((xq < lo ? lo : hi) - zp) * grad_factor);
      dz += static_cast<double>(-g * scale * grad_factor);
    } else {
      dx[i] = g;
      ds += static_cast<double>(g * ((xq - zp) * scale - x[i]) * inv * grad_factor);
    }
  }
  return lsq_gradients{static_cast<float>(ds), static_cast<float>(dz)};
}

}  // namespace qmath
