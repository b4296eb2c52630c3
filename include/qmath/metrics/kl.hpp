#pragma once
// KL divergence between two histograms / discrete distributions.
//
//   KL(P || Q) = sum_j p_j ln(p_j / q_j)   (nats), p = P / sum P, q = Q / sum Q
// Terms with p_j = 0 contribute 0. Empty bins of Q where P has mass make the
// divergence infinite; smoothing decides what happens (documented choice):
//   kl_smoothing::additive (default): d'_j = (d_j + eps) / (1 + n eps) on each
//     normalised distribution (eps = 1e-6 by default); always defined.
//   kl_smoothing::redistribute (ONNX Runtime / MXNet calibration, eps 1e-4):
//     on each normalised distribution d separately, every zero entry becomes
//     eps and every non-zero entry loses eps * n_zero / n_nonzero (mass stays 1).
//     Error if that would make an entry <= 0 (eps too large for d).
//   kl_smoothing::none: KL = +inf when some p_j > 0 has q_j = 0.
// kl_divergence_samples() compares two sample sets through histograms of
// `nbins` equal bins over the union of their ranges.
//
// Example:
//   auto kl = qmath::kl_divergence(p_counts, q_counts);        // additive, eps 1e-6

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "qmath/calibrate/histogram.hpp"
#include "qmath/core/status.hpp"

namespace qmath {

enum class kl_smoothing : unsigned char { additive, redistribute, none };

struct kl_options {
  kl_smoothing smoothing = kl_smoothing::additive;
  double epsilon = 1e-6;  ///< use 1e-4 with redistribute to match ORT / MXNet
};

namespace detail {

inline status normalise(std::span<const double> in, const char* arg, const kl_options& opt, std::vector<double>& out) {
  out.assign(in.begin(), in.end());
  double s = 0;
  for (std::size_t j = 0; j < out.size(); ++j) {
    if (!(out[j] >= 0) || !std::isfinite(out[j])) return status(errc::invalid_argument, arg, "entries must be finite and >= 0", j);
    s += out[j];
  }
  if (!(s > 0)) return invalid_argument(arg, "must have positive total mass");
  for (double& v : out) v /= s;
  if (opt.smoothing == kl_smoothing::additive) {
    const double d = 1.0 + static_cast<double>(out.size()) * opt.epsilon;
    for (double& v : out) v = (v + opt.epsilon) / d;
  }
  if (opt.smoothing == kl_smoothing::redistribute) {
    std::size_t nz = 0;
    for (double v : out) nz += v == 0;
    if (nz == 0) return ok_status;
    const double take = opt.epsilon * static_cast<double>(nz) / static_cast<double>(out.size() - nz);
    for (double& v : out) {
      if (v == 0) {
        v = opt.epsilon;
      } else {
        v -= take;
        if (!(v > 0)) return invalid_argument("epsilon", "too large: smoothing would empty a bin");
      }
    }
  }
  return ok_status;
}

}  // namespace detail

/// KL(P || Q) of two histograms of equal length (see file comment).
inline result<double> kl_divergence(std::span<const double> p, std::span<const double> q, const kl_options& opt = {}) {
  if (p.empty()) return empty_input("p");
  if (p.size() != q.size()) return size_mismatch("q", "must have as many bins as p");
  if (opt.smoothing != kl_smoothing::none && !(opt.epsilon > 0 && opt.epsilon < 1))
    return invalid_argument("epsilon", "must be in (0, 1)");
  std::vector<double> a, b;
  QMATH_TRY(detail::normalise(p, "p", opt, a));
  QMATH_TRY(detail::normalise(q, "q", opt, b));
  double kl = 0;
  for (std::size_t j = 0; j < a.size(); ++j) {
    if (a[j] == 0) continue;
    if (b[j] == 0) return std::numeric_limits<double>::infinity();
    kl += a[j] * std::log(a[j] / b[j]);
  }
  return kl;
}

/// KL between the empirical distributions of two sample sets, via histograms
/// of `nbins` equal bins over [min, max] of both (non-finite values: error).
inline result<double> kl_divergence_samples(std::span<const float> x, std::span<const float> y,
                                            std::uint32_t nbins = 2048, const kl_options& opt = {}) {
  auto rx = finite_range(x);
  if (!rx) return rx.error();
  auto ry = finite_range(y);
  if (!ry) return status(ry.error().code(), "y", ry.error().detail().data(), ry.error().index());
  value_range u = *rx;
  u.merge(*ry);
  float hi = u.hi;
  if (!(hi > u.lo)) hi = u.lo + 1.0f;  // constant data: one occupied bin
  hi = std::nextafter(hi, std::numeric_limits<float>::infinity());
  auto hx = histogram::fixed(histogram_mode::signed_values, u.lo, hi, nbins);
  if (!hx) return hx.error();
  histogram hy = *hx;
  QMATH_TRY(hx->add(x));
  QMATH_TRY(hy.add(y));
  const std::vector<double> wx = hx->weights(), wy = hy.weights();
  return kl_divergence(wx, wy, opt);
}

}  // namespace qmath
