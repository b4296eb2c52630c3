#pragma once
// Section 1 of qmath-report: every scheme on every tensor, and the
// recommendation. The candidates are qmath schemes (make_candidate<S>) plus a
// scalar k-means codebook; errors, KL and sizes come from
// qmath::sensitivity_table; the recommendation is qmath::smallest_meeting_sqnr.
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"
#include "load.hpp"
#include "model.hpp"
#include "qmath/analysis/candidates.hpp"
#include "qmath/analysis/mixed_precision.hpp"
#include "qmath/analysis/sensitivity.hpp"
#include "qmath/codebook/scalar_codebook.hpp"

namespace report {

/// KL (256-bin histograms) is reported for tensors of at least this many
/// values (16 per bin on average); below, it measures sampling noise.
inline constexpr std::size_t kl_bins = 256, kl_min_values = 16 * kl_bins;

/// One candidate of the sweep, with the columns the table prints.
struct candidate_spec {
  int bits = 8;
  bool affine = false;
  enum class gran { per_tensor, per_channel, group, codebook } granularity = gran::per_tensor;
  std::size_t group = 0;  // group size, or codebook levels
  std::string name, mapping_name, granularity_name;
};

namespace sweep_detail {

// symmetric: signed codes, scale = max|x| / qmax (the TFLite / ONNX-weights
// rule: qparams_convention::tflite); affine: unsigned codes, PyTorch
// MinMaxObserver rule (qparams_convention::pytorch).
inline qmath::candidate_options candidate_opts(bool affine) {
  qmath::candidate_options o;
  o.qparams.convention = affine ? qmath::qparams_convention::pytorch : qmath::qparams_convention::tflite;
  return o;
}

template <int B, class G>
qmath::quant_candidate make_one(bool affine, const std::string& name) {
  if (affine) {
    return qmath::make_candidate<qmath::scheme<B, qmath::signedness::unsigned_int, qmath::mapping::affine, G>>(
        name, candidate_opts(true));
  }
  return qmath::make_candidate<qmath::scheme<B, qmath::signedness::signed_int, qmath::mapping::symmetric, G>>(
      name, candidate_opts(false));
}

// Channels on axis CA of the 2-D view, groups along the other axis GA.
template <int B, std::size_t CA, std::size_t GA>
qmath::quant_candidate make_for_bits(const candidate_spec& s) {
  using cs = candidate_spec;
  switch (s.granularity) {
    case cs::gran::per_tensor: return make_one<B, qmath::per_tensor>(s.affine, s.name);
    case cs::gran::per_channel: return make_one<B, qmath::per_channel<CA>>(s.affine, s.name);
    default: break;
  }
  if (s.group == 32) return make_one<B, qmath::per_group<32, GA>>(s.affine, s.name);
  return make_one<B, qmath::per_group<128, GA>>(s.affine, s.name);
}

template <std::size_t CA, std::size_t GA>
qmath::quant_candidate make_uniform(const candidate_spec& s) {
  switch (s.bits) {
    case 2: return make_for_bits<2, CA, GA>(s);
    case 3: return make_for_bits<3, CA, GA>(s);
    case 4: return make_for_bits<4, CA, GA>(s);
    case 5: return make_for_bits<5, CA, GA>(s);
    case 6: return make_for_bits<6, CA, GA>(s);
    case 7: return make_for_bits<7, CA, GA>(s);
    default: return make_for_bits<8, CA, GA>(s);
  }
}

/// A per-tensor scalar k-means codebook of `levels` levels (exact 1-D
/// optimum, qmath::fit_scalar_codebook), as a sensitivity-table candidate:
/// ceil(log2 levels) bits per value plus the codebook (32 bits per level).
inline qmath::quant_candidate make_codebook(const candidate_spec& s) {
  qmath::quant_candidate c;
  c.name = s.name;
  c.bits_per_element = s.bits;
  c.count_qparams_bits = 32.0 * static_cast<double>(s.group);
  c.slots = [](std::span<const std::size_t>) -> std::size_t { return 1; };
  const std::size_t levels = s.group;
  c.fake_quant = [levels](std::span<const float> x, std::span<const std::size_t>, std::span<float> out) -> qmath::status {
    qmath::scalar_codebook_options o;
    o.levels = levels;
    o.method = qmath::scalar_codebook_method::optimal;
    std::vector<float> cb(levels);
    auto sse = qmath::fit_scalar_codebook(x, {}, o, cb);
    if (!sse) return sse.error();
    std::vector<std::uint8_t> idx(x.size());
    QMATH_TRY(qmath::scalar_encode(x, x.size(), cb, levels, idx));
    return qmath::scalar_decode(idx, x.size(), cb, levels, out);
  };
  return c;
}

inline int ceil_log2(std::size_t v) {
  int b = 0;
  while ((std::size_t{1} << b) < v) ++b;
  return b;
}

}  // namespace sweep_detail

/// The candidates for one tensor: bits x {symmetric, affine} x {per-tensor,
/// per-channel, group-32, group-128}, then the codebook. Granularities that
/// would repeat another row are left out and listed in `skipped`: per-channel
/// when the tensor has one channel, group-G when G >= K (a group would be the
/// whole column, i.e. per-channel).
inline std::vector<candidate_spec> candidates_for(const tensor& t, const options& o, std::vector<std::string>& skipped) {
  using cs = candidate_spec;
  std::vector<candidate_spec> out;
  for (int b : o.bits) {
    for (bool affine : {false, true}) {
      const std::string ty = std::string(affine ? "uint" : "int") + std::to_string(b);
      const std::string map = affine ? "affine" : "sym";
      auto add = [&](cs::gran g, std::size_t group, const std::string& gname) {
        cs s;
        s.bits = b;
        s.affine = affine;
        s.granularity = g;
        s.group = group;
        s.mapping_name = affine ? "affine" : "symmetric";
        s.granularity_name = gname;
        s.name = ty + " " + map + " " + gname;
        out.push_back(s);
      };
      add(cs::gran::per_tensor, 0, "per-tensor");
      if (t.cols > 1) add(cs::gran::per_channel, 0, "per-channel");
      for (std::size_t g : {std::size_t{32}, std::size_t{128}}) {
        if (g < t.rows) add(cs::gran::group, g, "group-" + std::to_string(g));
      }
    }
  }
  if (t.cols <= 1) skipped.push_back("per-channel (one channel)");
  for (std::size_t g : {std::size_t{32}, std::size_t{128}}) {
    if (g >= t.rows) skipped.push_back("group-" + std::to_string(g) + " (K = " + std::to_string(t.rows) + " <= " +
                                       std::to_string(g) + ": same as per-channel)");
  }
  if (o.kmeans_levels > 0) {
    cs s;
    s.granularity = cs::gran::codebook;
    s.group = static_cast<std::size_t>(o.kmeans_levels);
    s.bits = sweep_detail::ceil_log2(s.group);
    s.mapping_name = "codebook";
    s.granularity_name = "per-tensor codebook";
    s.name = "kmeans-" + std::to_string(o.kmeans_levels) + " codebook";
    out.push_back(s);
  }
  return out;
}

inline qmath::quant_candidate make_candidate_of(const candidate_spec& s, bool channels_last) {
  if (s.granularity == candidate_spec::gran::codebook) return sweep_detail::make_codebook(s);
  return channels_last ? sweep_detail::make_uniform<1, 0>(s) : sweep_detail::make_uniform<0, 1>(s);
}

/// The 2-D view of a tensor: [K, C] (channels last) or [C, K] (channels first).
inline std::vector<std::size_t> view_shape(const tensor& t, bool channels_last) {
  return channels_last ? std::vector<std::size_t>{t.rows, t.cols} : std::vector<std::size_t>{t.cols, t.rows};
}

/// Sweeps one tensor: fills r (rows, recommendation) and the mixed-precision
/// options of the tensor (size in bits, error, SQNR per row).
inline bool analyse_tensor(const tensor& t, const options& o, tensor_result& r, qmath::mp_tensor& mp,
                           std::vector<std::string>& skipped, std::string& err) {
  const bool last = o.axis == channel_axis::last;
  const auto specs = candidates_for(t, o, skipped);
  std::vector<qmath::quant_candidate> cands;
  cands.reserve(specs.size());
  for (const auto& s : specs) cands.push_back(make_candidate_of(s, last));
  const std::vector<qmath::named_tensor> nt{{t.name, t.values, view_shape(t, last)}};
  qmath::sensitivity_options so;
  so.kl_bins = kl_bins;
  so.compute_kl = t.values.size() >= kl_min_values;
  auto table = qmath::sensitivity_table(nt, cands, so);
  if (!table) {
    err = table.error().message();
    return false;
  }
  r.name = t.name;
  r.shape = shape_string(t.shape);
  r.numel = t.values.size();
  r.rows = t.rows;
  r.cols = t.cols;
  r.rows_by_scheme.clear();
  const double fp32_bytes = 4.0 * static_cast<double>(t.values.size());
  for (const auto& row : *table) {
    const auto& s = specs[row.candidate];
    scheme_row sr;
    sr.scheme = s.name;
    sr.bits = s.bits;
    sr.mapping = s.mapping_name;
    sr.granularity = s.granularity_name;
    sr.sqnr_db = row.error.sqnr_db();
    sr.mse = row.error.mse();
    sr.max_abs_error = row.error.max_abs_err;
    sr.cosine = row.error.cosine();
    sr.kl = so.compute_kl ? row.kl : nan_v;
    sr.sum_sq_ref = row.error.sum_sq_ref;
    sr.sum_sq_err = row.error.sum_sq_err;
    sr.bytes = static_cast<std::size_t>(std::ceil(row.size_bits / 8.0));
    sr.compression = fp32_bytes / static_cast<double>(sr.bytes);
    r.rows_by_scheme.push_back(sr);
  }
  mp = qmath::to_mp_tensors(*table).front();
  // Relative noise: every tensor counts by its noise-to-signal ratio.
  const double energy = table->front().error.sum_sq_ref;
  mp.weight = energy > 0 ? 1.0 / energy : 1.0;
  // The recommendation: the cheapest option meeting --min-sqnr (exact for one tensor).
  const qmath::mp_tensor one[1] = {mp};
  auto best = qmath::smallest_meeting_sqnr(one, o.min_sqnr);
  r.recommended = best ? static_cast<int>(best->choice.front()) : -1;
  return true;
}

}  // namespace report
