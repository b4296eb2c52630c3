#pragma once
// Entropy (KL-divergence) threshold search, as TensorRT describes it
// (GTC 2017 "8-bit Inference with TensorRT"), on a histogram of |x|.
//
// For every candidate i = start_bin .. nbins (i bins kept):
//   P_j = bins[j] for j < i, with all mass beyond (sum bins[i..]) added to P_(i-1)
//   Q   = bins[0..i) merged into `levels` (128) contiguous groups and spread back:
//         each non-empty bin of a group gets group_sum / (#non-empty bins of
//         the group); empty bins stay 0
//   KL(P||Q) = sum_j p_j log(p_j / q_j) with p = P/sum P, q = Q/sum Q
//   (+inf when some p_j > 0 has q_j = 0: only possible at j = i-1, when
//    bins[i-1] == 0 but mass lies beyond)
// and the threshold is derived from the minimising i.
//
// Documented choices (defaults first; the alternatives used by open
// implementations are options):
//   grouping   even_split: bin j of i goes to group floor(j * levels / i)
//              (numpy.digitize in NVIDIA pytorch-quantization; exact integer
//              arithmetic here). floor_last_absorbs: groups of floor(i/levels)
//              bins, the last group takes the remainder (MXNet, TRT slides).
//   bin 0      keep (default) or copy_bin1 (pytorch-quantization sets
//              bins[0] = bins[1] to suppress the spike of exact zeros).
//   argmin     first (default: the smallest threshold among ties) or last
//              (pytorch-quantization). A flat histogram has KL = 0 for every
//              i: first gives i = start_bin, last gives the full range.
//   ties       KL values within 1e-12 of each other count as equal.
//   threshold  (i + 0.5) * width (TensorRT slides; default) or i * width
//              (pytorch-quantization's bin edge), plus the histogram's lower
//              edge (0 for magnitude histograms).
// The search costs O(nbins * levels) with prefix sums (no per-candidate
// O(nbins) pass): KL = (1/N) [sum c'_j log c'_j - sum_g S'_g log(S_g / nz_g)]
//   - log N + log M, N = total mass, M = sum of the i kept bins.
//
// Known answers (tests): expanding [1,0,2,3,5,3,1,7] into 2 levels gives
// [2,0,2,2,4,4,4,4]; bins[j] = j + 1 for j < 128 and 0 above has its
// minimum KL (0) at i = 128.
//
// Example:
//   qmath::histogram h(qmath::histogram_mode::magnitude);
//   QMATH_TRY(h.add(activations));
//   auto r = qmath::entropy_threshold(h);     // r->threshold = amax for int8
//   float scale = r->threshold / 127;

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "qmath/calibrate/histogram.hpp"

namespace qmath {

struct entropy_options {
  enum class grouping : unsigned char { even_split, floor_last_absorbs };
  enum class bin0 : unsigned char { keep, copy_bin1 };
  enum class argmin : unsigned char { first, last };
  enum class edge : unsigned char { half_bin_beyond, bin_edge };

  std::uint32_t levels = 128;     ///< quantized levels (128 = int8 magnitudes)
  std::uint32_t start_bin = 128;  ///< first candidate i (>= levels)
  grouping group_rule = grouping::even_split;
  bin0 bin0_rule = bin0::keep;
  argmin argmin_rule = argmin::first;
  edge threshold_rule = edge::half_bin_beyond;
};

struct entropy_result {
  double threshold = 0;    ///< clipping threshold (amax)
  std::uint32_t bins = 0;  ///< minimising candidate i
  double divergence = 0;   ///< KL(P||Q) at i
};

/// The "quantize then expand" step on its own: bins merged into `levels`
/// groups (grouping rule as above) and spread over each group's non-empty
/// bins. out.size() must equal bins.size() >= levels >= 1.
inline status expand_levels(std::span<const double> bins, std::uint32_t levels, std::span<double> out,
                            entropy_options::grouping rule = entropy_options::grouping::even_split) noexcept {
  const std::size_t i = bins.size();
  if (levels == 0) return invalid_argument("levels", "must be >= 1");
  if (i < levels) return invalid_argument("bins", "must have at least `levels` entries");
  if (out.size() != i) return size_mismatch("out", "must have as many entries as bins");
  for (std::uint32_t g = 0; g < levels; ++g) {
    std::size_t b, e;
    if (rule == entropy_options::grouping::even_split) {
      b = (static_cast<std::size_t>(g) * i + levels - 1) / levels;
      e = (static_cast<std::size_t>(g + 1) * i + levels - 1) / levels;
    } else {
      const std::size_t m = i / levels;
      b = g * m;
      e = g + 1 == levels ? i : (g + 1) * m;
    }
    double s = 0;
    std::size_t nz = 0;
    for (std::size_t j = b; j < e; ++j) {
      s += bins[j];
      nz += bins[j] != 0;
    }
    for (std::size_t j = b; j < e; ++j) out[j] = bins[j] != 0 ? s / static_cast<double>(nz) : 0.0;
  }
  return ok_status;
}

/// KL search over explicit bin weights (bin 0 starting at `lower`, width
/// `width`). Errors: fewer bins than start_bin; start_bin < levels; negative or
/// non-finite weights; zero total.
inline result<entropy_result> entropy_threshold(std::span<const double> weights, double width,
                                                const entropy_options& opt = {}, double lower = 0.0) {
  const std::size_t nb = weights.size();
  if (opt.levels == 0) return invalid_argument("levels", "must be >= 1");
  if (opt.start_bin < opt.levels) return invalid_argument("start_bin", "must be >= levels");
  if (nb < opt.start_bin) return invalid_argument("weights", "needs at least start_bin bins");
  if (!(width > 0) || !std::isfinite(width)) return invalid_argument("width", "must be finite and > 0");
  std::vector<double> c(weights.begin(), weights.end());
  for (std::size_t j = 0; j < nb; ++j)
    if (!(c[j] >= 0) || !std::isfinite(c[j])) return status(errc::invalid_argument, "weights", "must be finite and >= 0", j);
  if (opt.bin0_rule == entropy_options::bin0::copy_bin1 && nb > 1) c[0] = c[1];
  // Prefix sums: C = sum c, L = sum c log c, Z = #non-empty.
  std::vector<double> C(nb + 1, 0.0), Lg(nb + 1, 0.0);
  std::vector<std::uint32_t> Z(nb + 1, 0);
  for (std::size_t j = 0; j < nb; ++j) {
    C[j + 1] = C[j] + c[j];
    Lg[j + 1] = Lg[j] + (c[j] > 0 ? c[j] * std::log(c[j]) : 0.0);
    Z[j + 1] = Z[j] + (c[j] > 0);
  }
  const double N = C[nb];
  if (!(N > 0)) return empty_input("weights");
  const double inf = std::numeric_limits<double>::infinity();
  const std::uint32_t lv = opt.levels;
  entropy_result best{0, 0, inf};
  bool have = false;
  for (std::size_t i = opt.start_bin; i <= nb; ++i) {
    const double M = C[i];
    const double out = N - M;
    double kl = inf;
    if (M > 0 && !(c[i - 1] == 0 && out > 0)) {
      // sum c' log c' with c'_(i-1) = c_(i-1) + out.
      const double last = c[i - 1] + out;
      double plogp = Lg[i - 1] + (last > 0 ? last * std::log(last) : 0.0);
      double plogq = 0;
      for (std::uint32_t g = 0; g < lv; ++g) {
        std::size_t b, e;
        if (opt.group_rule == entropy_options::grouping::even_split) {
          b = (static_cast<std::size_t>(g) * i + lv - 1) / lv;
          e = (static_cast<std::size_t>(g + 1) * i + lv - 1) / lv;
        } else {
          const std::size_t m = i / lv;
          b = g * m;
          e = g + 1 == lv ? i : (g + 1) * m;
        }
        const double S = C[e] - C[b];
        if (S <= 0) continue;
        const double nz = static_cast<double>(Z[e] - Z[b]);
        const double Sp = e == i ? S + out : S;  // outliers sit in bin i-1 (non-empty here)
        plogq += Sp * std::log(S / nz);
      }
      kl = (plogp - plogq) / N - std::log(N) + std::log(M);
      if (kl < 0) kl = 0;  // rounding
    }
    if (kl == inf) continue;
    // Ties (within 1e-12, the rounding noise of the formula) follow argmin_rule.
    const bool better = opt.argmin_rule == entropy_options::argmin::first ? kl < best.divergence - 1e-12
                                                                           : kl <= best.divergence + 1e-12;
    if (!have || better) {
      best.bins = static_cast<std::uint32_t>(i);
      best.divergence = kl;
      have = true;
    }
  }
  if (!have) return invalid_argument("weights", "no candidate has a finite divergence");
  const double k = opt.threshold_rule == entropy_options::edge::half_bin_beyond ? best.bins + 0.5 : best.bins;
  best.threshold = lower + k * width;
  return best;
}

/// KL search on a magnitude histogram (see file comment). Candidates stop at
/// the last non-empty bin (a growable histogram has empty bins above its data;
/// the TensorRT fixed layout [0, max|x|] has none), but never below start_bin.
/// Errors: a signed histogram; an empty histogram; see above.
inline result<entropy_result> entropy_threshold(const histogram& h, const entropy_options& opt = {}) {
  if (h.mode() != histogram_mode::magnitude)
    return invalid_argument("histogram", "entropy calibration needs a histogram_mode::magnitude histogram");
  if (h.total() == 0) return empty_input("histogram");
  std::vector<double> w = h.weights();
  // Thresholds beyond the data are no candidates: stop at the last non-empty bin.
  std::size_t last = w.size();
  while (last > 0 && w[last - 1] == 0) --last;
  w.resize(std::max<std::size_t>(last, std::min<std::size_t>(opt.start_bin, w.size())));
  return entropy_threshold(w, h.bin_width(), opt, h.lower());
}

}  // namespace qmath
