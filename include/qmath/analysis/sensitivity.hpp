#pragma once
// Sensitivity analysis: the error of every candidate scheme on every tensor.
//
// A candidate is a named fake-quantization (x -> dequantize(quantize(x))) with
// its storage cost in bits per element; make_candidate<Scheme>() (in
// analysis/candidates.hpp) builds one from a qmath scheme. For each tensor t
// and candidate c, the table row holds the error statistics of (x, fq_c(x))
// (metrics/error.hpp: MSE, SQNR, cosine, max |error|, relative L2), the KL
// divergence of their value histograms (metrics/kl.hpp, `kl_bins` bins,
// additive smoothing) and the size ceil(numel * bits_per_element + qparams bits).
// rank_by() orders rows from most to least damaged (lowest SQNR / cosine, or
// highest MSE / KL first); ties keep tensor, then candidate, order.
//
// Example:
//   std::vector<qmath::named_tensor> ts{{"conv1", w1, {64, 27}}, ...};
//   std::vector<qmath::quant_candidate> cs{qmath::make_candidate<qmath::int8_sym_per_channel>("int8 pc"), ...};
//   auto table = qmath::sensitivity_table(ts, cs);
//   qmath::rank_by(*table, qmath::sensitivity_metric::sqnr);

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "qmath/analysis/mixed_precision.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/metrics/kl.hpp"

namespace qmath {

struct named_tensor {
  std::string name;
  std::span<const float> data;
  std::vector<std::size_t> shape;  ///< row-major extents (product == data.size())
};

struct quant_candidate {
  std::string name;
  double bits_per_element = 8;
  /// Bits of qparams per entry (scale, zero point) and the number of entries
  /// for a shape (optional): size = ceil(numel * bits_per_element + slots * count_qparams_bits).
  double count_qparams_bits = 0;
  std::function<std::size_t(std::span<const std::size_t> shape)> slots;
  /// Writes fq(x) into out (same size); shape as in named_tensor.
  std::function<status(std::span<const float> x, std::span<const std::size_t> shape, std::span<float> out)> fake_quant;
};

struct sensitivity_row {
  std::size_t tensor = 0, candidate = 0;
  std::string tensor_name, candidate_name;
  error_stats error;
  double kl = 0;          ///< KL(hist(x) || hist(fq(x)))
  double size_bits = 0;   ///< numel * bits_per_element
};

struct sensitivity_options {
  std::uint32_t kl_bins = 256;
  bool compute_kl = true;
};

enum class sensitivity_metric : unsigned char { sqnr, mse, kl, cosine };

/// All (tensor, candidate) rows, tensor-major. Errors: empty inputs, a shape
/// that does not match its data (index = tensor), a failing candidate (its
/// status, index = tensor).
inline result<std::vector<sensitivity_row>> sensitivity_table(std::span<const named_tensor> tensors,
                                                              std::span<const quant_candidate> candidates,
                                                              const sensitivity_options& opt = {}) {
  if (tensors.empty()) return empty_input("tensors");
  if (candidates.empty()) return empty_input("candidates");
  std::vector<sensitivity_row> rows;
  std::vector<float> fq;
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    const named_tensor& nt = tensors[t];
    std::size_t n = 1;
    for (std::size_t e : nt.shape) n *= e;
    if (nt.data.empty()) return status(errc::empty_input, "tensors", "tensor has no data", t);
    if (nt.shape.empty() || n != nt.data.size())
      return status(errc::size_mismatch, "tensors", "shape does not match the data size", t);
    fq.assign(n, 0.0f);
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      if (!candidates[c].fake_quant) return status(errc::invalid_argument, "candidates", "no fake_quant function", c);
      status st = candidates[c].fake_quant(nt.data, nt.shape, fq);
      if (!st) return st.at(t);
      sensitivity_row r;
      r.tensor = t;
      r.candidate = c;
      r.tensor_name = nt.name;
      r.candidate_name = candidates[c].name;
      auto e = compare(nt.data, fq);
      if (!e) return e.error().at(t);
      r.error = *e;
      if (opt.compute_kl) {
        auto kl = kl_divergence_samples(nt.data, fq, opt.kl_bins);
        if (!kl) return kl.error().at(t);
        r.kl = *kl;
      }
      const double entries = candidates[c].slots ? static_cast<double>(candidates[c].slots(nt.shape)) : 0.0;
      r.size_bits = std::ceil(static_cast<double>(n) * candidates[c].bits_per_element +
                              entries * candidates[c].count_qparams_bits);
      rows.push_back(std::move(r));
    }
  }
  return rows;
}

/// Order rows from most to least damaged by `m` (stable).
inline void rank_by(std::vector<sensitivity_row>& rows, sensitivity_metric m) {
  auto key = [m](const sensitivity_row& r) {
    switch (m) {
      case sensitivity_metric::sqnr: return r.error.sqnr_db();
      case sensitivity_metric::mse: return -r.error.mse();
      case sensitivity_metric::kl: return -r.kl;
      case sensitivity_metric::cosine: return r.error.cosine();
    }
    return 0.0;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const sensitivity_row& a, const sensitivity_row& b) { return key(a) < key(b); });
}

/// Mixed-precision input from a (tensor-major) table: option c of tensor t has
/// size size_bits, error = sum of squared errors (MSE * numel), and its SQNR.
inline std::vector<mp_tensor> to_mp_tensors(std::span<const sensitivity_row> rows) {
  std::vector<mp_tensor> out;
  for (const sensitivity_row& r : rows) {
    if (r.tensor >= out.size()) out.resize(r.tensor + 1);
    auto& opts = out[r.tensor].options;
    if (r.candidate >= opts.size()) opts.resize(r.candidate + 1);
    opts[r.candidate] = {r.size_bits, r.error.sum_sq_err, r.error.sqnr_db()};
  }
  return out;
}

}  // namespace qmath
