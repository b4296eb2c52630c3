#pragma once
// MSE-optimal clipping threshold over a histogram.
//
// A clip_grid describes the uniform quantizer a threshold T produces:
//   scale s = T / divisor;  levels L_q = (q - zero_point) * s,  q in [qmin, qmax];
//   Q(x) = the nearest level (x beyond the outer levels is clamped to them).
//   midrise(b):              q in [0, 2^b - 1], zero_point (2^b - 1)/2, divisor 2^(b-1)
//                            (2^b levels +-(k + 1/2) s over [-T, T]; the textbook
//                             quantizer of the Gaussian reference values)
//   symmetric(b):            q in [-2^(b-1), 2^(b-1) - 1], zero_point 0, divisor 2^(b-1) - 1
//   symmetric_restricted(b): q in [-(2^(b-1) - 1), 2^(b-1) - 1], zero_point 0, divisor 2^(b-1) - 1
//   pytorch_symmetric(b):    as symmetric(b) but divisor (2^b - 1)/2 (PyTorch's
//                            symmetric scale = amax / 127.5 at 8 bits)
//
// The expected squared error of a histogram is computed exactly for a density
// that is uniform inside each bin:  sum_bins c / w * integral_bin (x - Q(x))^2 dx
// (per quantization cell, (v-u)((v-L)^2 + (v-L)(u-L) + (u-L)^2)/3). Candidates
// are the bin upper edges T_m = m w (m = 1..M, M the bins needed to cover
// max |x|; magnitude or signed histograms). Search: coarse_to_fine (default)
// evaluates every `stride`-th candidate, then every candidate within one stride
// of the best coarse one; exhaustive evaluates all (O(M * nbins)).
//
// Known answers (tests): for N(0,1) the 4-bit midrise optimum is T = 2.6816
// (MSE 0.011543), 8-bit T = 3.9376 (MSE 8.769e-5).
//
// Example:
//   qmath::histogram h(qmath::histogram_mode::magnitude);
//   QMATH_TRY(h.add(x));
//   auto r = qmath::mse_threshold(h, qmath::clip_grid::symmetric(8));
//   float scale = static_cast<float>(r->threshold / 127);

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "qmath/calibrate/histogram.hpp"

namespace qmath {

struct clip_grid {
  std::int32_t qmin = -128;
  std::int32_t qmax = 127;
  double zero_point = 0;
  double divisor = 127;

  static clip_grid midrise(int bits) noexcept {
    const std::int32_t n = static_cast<std::int32_t>(1L << bits);
    return {0, n - 1, (n - 1) / 2.0, n / 2.0};
  }
  static clip_grid symmetric(int bits) noexcept {
    const std::int32_t h = static_cast<std::int32_t>(1L << (bits - 1));
    return {-h, h - 1, 0.0, static_cast<double>(h - 1)};
  }
  static clip_grid symmetric_restricted(int bits) noexcept {
    const std::int32_t h = static_cast<std::int32_t>(1L << (bits - 1));
    return {-(h - 1), h - 1, 0.0, static_cast<double>(h - 1)};
  }
  static clip_grid pytorch_symmetric(int bits) noexcept {
    const std::int32_t h = static_cast<std::int32_t>(1L << (bits - 1));
    return {-h, h - 1, 0.0, (2.0 * h - 1) / 2.0};
  }
  [[nodiscard]] status check() const noexcept {
    if (qmin >= qmax) return invalid_argument("grid", "qmin must be < qmax");
    if (!(divisor > 0) || !std::isfinite(divisor)) return invalid_argument("grid", "divisor must be finite and > 0");
    if (!std::isfinite(zero_point)) return invalid_argument("grid", "zero_point must be finite");
    return ok_status;
  }
};

namespace detail {

// integral over [u, v] of (x - L)^2.
inline double sq_integral(double u, double v, double L) noexcept {
  const double a = u - L, b = v - L;
  return (v - u) * (a * a + a * b + b * b) / 3.0;
}

// integral over [a, b] of (x - Q(x))^2 for the grid at scale s.
inline double cell_error(double a, double b, double s, const clip_grid& g) noexcept {
  if (!(b > a)) return 0.0;
  auto code = [&](double x) {
    double q = std::floor(x / s + g.zero_point + 0.5);
    return std::clamp(q, static_cast<double>(g.qmin), static_cast<double>(g.qmax));
  };
  const double qa = code(a), qb = code(b);
  double err = 0;
  for (double q = qa; q <= qb; q += 1) {
    const double L = (q - g.zero_point) * s;
    const double lo = q == g.qmin ? a : std::max(a, (q - 0.5 - g.zero_point) * s);
    const double hi = q == g.qmax ? b : std::min(b, (q + 0.5 - g.zero_point) * s);
    if (hi > lo) err += sq_integral(lo, hi, L);
  }
  return err;
}

}  // namespace detail

/// Expected squared error per element (MSE) of quantizing data distributed as
/// `weights` (bin j = [lower + j w, lower + (j+1) w), uniform inside) with
/// threshold T on grid g. For a magnitude histogram this equals the MSE of
/// the signed data (the grids are symmetric about 0 up to the extra code of
/// symmetric(b), which |x| never uses).
inline double histogram_clip_mse(std::span<const double> weights, double lower, double width, double threshold,
                                 const clip_grid& g) noexcept {
  const double s = threshold / g.divisor;
  double err = 0, tot = 0;
  for (std::size_t j = 0; j < weights.size(); ++j) {
    if (weights[j] == 0) continue;
    const double a = lower + static_cast<double>(j) * width;
    err += weights[j] / width * detail::cell_error(a, a + width, s, g);
    tot += weights[j];
  }
  return tot > 0 ? err / tot : 0.0;
}

struct mse_search_options {
  enum class method : unsigned char { coarse_to_fine, exhaustive };
  method search = method::coarse_to_fine;
  std::uint32_t stride = 16;  ///< coarse step, in bins
};

struct mse_result {
  double threshold = 0;  ///< optimal clipping threshold T
  double mse = 0;        ///< expected MSE per element at T
};

/// MSE-optimal symmetric threshold over explicit weights (see file comment).
/// Errors: empty / all-zero weights; bad width or grid.
inline result<mse_result> mse_threshold(std::span<const double> weights, double lower, double width,
                                        const clip_grid& g, const mse_search_options& opt = {}) {
  QMATH_TRY(g.check());
  if (weights.empty()) return empty_input("weights");
  if (!(width > 0) || !std::isfinite(width)) return invalid_argument("width", "must be finite and > 0");
  double amax = 0;
  bool any = false;
  for (std::size_t j = 0; j < weights.size(); ++j) {
    if (!(weights[j] >= 0) || !std::isfinite(weights[j]))
      return status(errc::invalid_argument, "weights", "must be finite and >= 0", j);
    if (weights[j] == 0) continue;
    any = true;
    const double a = lower + static_cast<double>(j) * width;
    amax = std::max({amax, std::fabs(a), std::fabs(a + width)});
  }
  if (!any) return empty_input("weights");
  const std::size_t M = static_cast<std::size_t>(std::ceil(amax / width - 1e-9));
  auto eval = [&](std::size_t m) { return histogram_clip_mse(weights, lower, width, static_cast<double>(m) * width, g); };
  mse_result best{0, std::numeric_limits<double>::infinity()};
  auto consider = [&](std::size_t m) {
    const double e = eval(m);
    if (e < best.mse) best = {static_cast<double>(m) * width, e};
  };
  if (opt.search == mse_search_options::method::exhaustive || opt.stride <= 1) {
    for (std::size_t m = 1; m <= M; ++m) consider(m);
  } else {
    const std::size_t st = opt.stride;
    for (std::size_t m = st; m < M + st; m += st) consider(std::min(m, M));
    const std::size_t c = static_cast<std::size_t>(std::llround(best.threshold / width));
    const std::size_t lo = c > st ? c - st : 1, hi = std::min(M, c + st);
    for (std::size_t m = lo; m <= hi; ++m) consider(m);
  }
  return best;
}

/// MSE-optimal symmetric threshold of a histogram (magnitude or signed).
inline result<mse_result> mse_threshold(const histogram& h, const clip_grid& g, const mse_search_options& opt = {}) {
  if (h.total() == 0) return empty_input("histogram");
  const std::vector<double> w = h.weights();
  return mse_threshold(w, h.lower(), h.bin_width(), g, opt);
}

}  // namespace qmath
