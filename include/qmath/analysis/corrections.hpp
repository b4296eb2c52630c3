#pragma once
// Classic weight-side corrections, as math on row-major tensors.
//
// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization"):
//   two consecutive layers y = W2 f(W1 x + b1), f positively homogeneous (ReLU,
//   PReLU, identity). With r1_c the range of output channel c of W1 (row c of
//   W1 [C, K1]) and r2_c the range of input channel c of W2 (column c of
//   W2 [N, C]):
//     s_c = sqrt(r1_c * r2_c) / r2_c  (= sqrt(r1_c / r2_c))
//     W1[c, :] /= s_c,  b1[c] /= s_c,  W2[:, c] *= s_c
//   after which both ranges equal sqrt(r1_c r2_c); the network function is
//   unchanged. Range = max |w| (channel_range::absmax, the symmetric
//   quantization range; default) or max w - min w (channel_range::min_max, as
//   torch.ao.quantization._equalize). A channel with r1_c == 0 or r2_c == 0
//   keeps s_c = 1. Known answer: r1 = [4, 1], r2 = [1, 4] -> s = [2, 0.5],
//   ranges [2, 2].
//
// SmoothQuant (Xiao et al. 2023, mit-han-lab/smoothquant smooth.py):
//   s_j = max(max|X_j|^alpha / max(max|W_j|, 1e-5)^(1 - alpha), 1e-5)
//   X[:, j] /= s_j (or fold 1/s_j into the preceding LayerNorm's gamma and
//   beta), W[:, j] *= s_j for a weight W [N, C_in] (column j = input channel j).
//   Known answer: alpha 0.5, act max [16, 1], weight max [1, 4] -> s = [4, 0.5],
//   new maxima [4, 2] for both.
//
// Bias correction (same paper, section 4.2): with the weight error
//   eps = W_q - W ([N, K], W_q the dequantized weight) and E[x] the expected
//   input (K), E[W_q x] = E[W x] + eps E[x], so the corrected bias is
//     b'_n = b_n - sum_k eps[n, k] E[x_k]      (double accumulation)

#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "qmath/core/status.hpp"
#include "qmath/detail/checks.hpp"

namespace qmath {

enum class channel_range : unsigned char { absmax, min_max };

namespace detail {
inline float range_of(float lo, float hi, channel_range r) noexcept {
  return r == channel_range::absmax ? std::fmax(std::fabs(lo), std::fabs(hi)) : hi - lo;
}
}  // namespace detail

/// Per-channel ranges of the rows of m [rows, cols] (or of its columns).
inline result<std::vector<float>> channel_ranges(std::span<const float> m, std::size_t rows, std::size_t cols,
                                                 bool per_column, channel_range r = channel_range::absmax) {
  if (rows == 0 || cols == 0) return empty_input("m");
  if (m.size() != rows * cols) return size_mismatch("m", "must have rows * cols elements");
  QMATH_TRY(detail::check_finite(m, "m"));
  const std::size_t n = per_column ? cols : rows;
  std::vector<float> lo(n, INFINITY), hi(n, -INFINITY);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t c = per_column ? j : i;
      const float v = m[i * cols + j];
      lo[c] = std::fmin(lo[c], v);
      hi[c] = std::fmax(hi[c], v);
    }
  std::vector<float> out(n);
  for (std::size_t c = 0; c < n; ++c) out[c] = detail::range_of(lo[c], hi[c], r);
  return out;
}

/// s_c = sqrt(r1_c r2_c) / r2_c (1 where a range is 0). Errors: sizes differ,
/// empty, negative or non-finite ranges.
inline result<std::vector<float>> equalization_scales(std::span<const float> r1, std::span<const float> r2) {
  if (r1.empty()) return empty_input("r1");
  if (r1.size() != r2.size()) return size_mismatch("r2", "must have as many channels as r1");
  std::vector<float> s(r1.size());
  for (std::size_t c = 0; c < r1.size(); ++c) {
    if (!(r1[c] >= 0) || !std::isfinite(r1[c])) return status(errc::invalid_argument, "r1", "must be finite and >= 0", c);
    if (!(r2[c] >= 0) || !std::isfinite(r2[c])) return status(errc::invalid_argument, "r2", "must be finite and >= 0", c);
    s[c] = (r1[c] == 0 || r2[c] == 0)
               ? 1.0f
               : static_cast<float>(std::sqrt(static_cast<double>(r1[c]) * r2[c]) / static_cast<double>(r2[c]));
  }
  return s;
}

/// Equalize W1 [C, K1] (+ bias b1 [C], may be empty) and W2 [N, C] in place;
/// returns the scales s (see file comment).
inline result<std::vector<float>> cross_layer_equalize(std::span<float> w1, std::span<float> b1, std::span<float> w2,
                                                       std::size_t channels, channel_range r = channel_range::absmax) {
  if (channels == 0) return invalid_argument("channels", "must be > 0");
  if (w1.empty() || w1.size() % channels != 0) return size_mismatch("w1", "must be [channels, K1]");
  if (w2.empty() || w2.size() % channels != 0) return size_mismatch("w2", "must be [N, channels]");
  if (!b1.empty() && b1.size() != channels) return size_mismatch("b1", "must be empty or have `channels` entries");
  QMATH_TRY(detail::check_finite(b1, "b1"));
  const std::size_t k1 = w1.size() / channels, n2 = w2.size() / channels;
  auto r1 = channel_ranges(w1, channels, k1, false, r);
  if (!r1) return r1.error();
  auto r2 = channel_ranges(w2, n2, channels, true, r);
  if (!r2) return status(r2.error().code(), "w2", r2.error().detail().data(), r2.error().index());
  auto s = equalization_scales(*r1, *r2);
  if (!s) return s.error();
  for (std::size_t c = 0; c < channels; ++c) {
    const float sc = (*s)[c];
    for (std::size_t k = 0; k < k1; ++k) w1[c * k1 + k] /= sc;
    if (!b1.empty()) b1[c] /= sc;
    for (std::size_t n = 0; n < n2; ++n) w2[n * channels + c] *= sc;
  }
  return s;
}

/// SmoothQuant migration scales (see file comment). alpha in [0, 1].
inline result<std::vector<float>> smoothquant_scales(std::span<const float> act_absmax, std::span<const float> weight_absmax,
                                                     double alpha = 0.5) {
  if (act_absmax.empty()) return empty_input("act_absmax");
  if (act_absmax.size() != weight_absmax.size()) return size_mismatch("weight_absmax", "must match act_absmax");
  if (!(alpha >= 0 && alpha <= 1)) return invalid_argument("alpha", "must be in [0, 1]");
  std::vector<float> s(act_absmax.size());
  for (std::size_t j = 0; j < s.size(); ++j) {
    const double a = act_absmax[j], w = weight_absmax[j];
    if (!(a >= 0) || !std::isfinite(a)) return status(errc::invalid_argument, "act_absmax", "must be finite and >= 0", j);
    if (!(w >= 0) || !std::isfinite(w)) return status(errc::invalid_argument, "weight_absmax", "must be finite and >= 0", j);
    s[j] = static_cast<float>(std::fmax(std::pow(a, alpha) / std::pow(std::fmax(w, 1e-5), 1 - alpha), 1e-5));
  }
  return s;
}

/// Multiply column j of m [rows, s.size()] by s_j (weights: W *= s) or divide
/// (activations: X /= s).
inline status scale_columns(std::span<float> m, std::span<const float> s, bool divide = false) {
  if (s.empty()) return empty_input("s");
  if (m.size() % s.size() != 0) return size_mismatch("m", "must be [rows, s.size()]");
  for (std::size_t j = 0; j < s.size(); ++j)
    if (!(s[j] > 0) || !std::isfinite(s[j])) return status(errc::invalid_argument, "s", "must be finite and > 0", j);
  for (std::size_t i = 0; i < m.size(); ++i) {
    const float f = s[i % s.size()];
    m[i] = divide ? m[i] / f : m[i] * f;
  }
  return ok_status;
}

/// b'_n = b_n - sum_k (W_q - W)[n, k] E[x_k] for W, W_q [N, K], E[x] [K],
/// bias [N] (updated in place).
inline status bias_correct(std::span<const float> w, std::span<const float> w_q, std::span<const float> input_mean,
                           std::span<float> bias) {
  if (bias.empty()) return empty_input("bias");
  if (input_mean.empty()) return empty_input("input_mean");
  if (w.size() != bias.size() * input_mean.size()) return size_mismatch("w", "must be [bias.size(), input_mean.size()]");
  if (w_q.size() != w.size()) return size_mismatch("w_q", "must have as many elements as w");
  QMATH_TRY(detail::check_finite(w, "w"));
  QMATH_TRY(detail::check_finite(w_q, "w_q"));
  QMATH_TRY(detail::check_finite(input_mean, "input_mean"));
  const std::size_t K = input_mean.size();
  for (std::size_t n = 0; n < bias.size(); ++n) {
    double e = 0;
    for (std::size_t k = 0; k < K; ++k)
      e += (static_cast<double>(w_q[n * K + k]) - w[n * K + k]) * input_mean[k];
    bias[n] = static_cast<float>(bias[n] - e);
  }
  return ok_status;
}

}  // namespace qmath
