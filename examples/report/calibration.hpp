#pragma once
// Section 3 of qmath-report (--calibrate, and the ranges drawn by --svg): the
// clipping range each qmath calibrator picks on a sample, and the error of
// quantizing the sample with it.
//   min/max       qmath::minmax_observer
//   percentile    qmath::percentile_observer::magnitude_percentile(P)  -> [-T, T]
//   entropy (KL)  qmath::entropy_threshold on the TensorRT histogram
//                 (2048 bins of |x| over [0, max|x|])                   -> [-T, T]
//   MSE search    qmath::mse_threshold on the same histogram            -> [-T, T]
// Scheme: int8 symmetric per-tensor, or uint8 affine per-tensor when the sample
// has no negative value (the range is then [0, T]). qparams come from
// qmath::calibrated_qparams / qmath::qparams_from_threshold, errors from
// qmath::quantization_error.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "json_writer.hpp"
#include "load.hpp"
#include "model.hpp"
#include "qmath/calibrate/entropy.hpp"
#include "qmath/calibrate/histogram.hpp"
#include "qmath/calibrate/minmax.hpp"
#include "qmath/calibrate/mse_search.hpp"
#include "qmath/calibrate/percentile.hpp"
#include "qmath/calibrate/qparams.hpp"
#include "qmath/metrics/quantized.hpp"
#include "svg.hpp"

namespace report {

struct calibration_result {
  std::string scheme;  // "int8 symmetric per-tensor" or "uint8 affine per-tensor"
  std::vector<calib_row> rows;
};

namespace calib_detail {

template <class S>
bool evaluate(const tensor& t, const std::string& method, qmath::result<qmath::qparams<S>> q, double lo, double hi,
              calibration_result& out, std::string& err) {
  if (!q) {
    err = method + ": " + q.error().message();
    return false;
  }
  const std::size_t shape[1] = {t.values.size()};
  auto e = qmath::quantization_error<S>(t.values, shape, *q);
  if (!e) {
    err = method + ": " + e.error().message();
    return false;
  }
  calib_row r;
  r.method = method;
  r.lo = lo;
  r.hi = hi;
  r.sqnr_db = e->sqnr_db();
  r.mse = e->mse();
  std::size_t clipped = 0;
  for (float v : t.values) clipped += (v < lo || v > hi) ? 1 : 0;
  r.clipped_fraction = static_cast<double>(clipped) / static_cast<double>(t.values.size());
  out.rows.push_back(r);
  return true;
}

template <class S>
bool run_all(const tensor& t, const options& o, const qmath::clip_grid& grid, calibration_result& out,
             std::string& err) {
  const qmath::qparams_options qo{};  // PyTorch convention
  auto fail = [&](const std::string& what, const qmath::status& st) {
    err = what + ": " + st.message();
    return false;
  };
  // min/max
  qmath::minmax_observer mm;
  if (auto st = mm.observe(t.values); !st) return fail("min/max", st);
  const qmath::value_range seen = mm.ranges()[0];
  const bool nonneg = S::map == qmath::mapping::affine;
  {
    const double lo = nonneg ? 0.0 : -static_cast<double>(seen.absmax());
    const double hi = nonneg ? static_cast<double>(seen.hi) : static_cast<double>(seen.absmax());
    if (!evaluate<S>(t, "min/max", qmath::calibrated_qparams<S>(mm, qo), lo, hi, out, err)) return false;
  }
  auto threshold_row = [&](const std::string& name, double T) {
    const double lo = nonneg ? 0.0 : -T;
    return evaluate<S>(t, name, qmath::qparams_from_threshold<S>(T, qo, seen), lo, T, out, err);
  };
  // percentile of |x|
  qmath::percentile_observer po;
  if (auto st = po.observe(t.values); !st) return fail("percentile", st);
  auto pt = po.magnitude_percentile(o.percentile);
  if (!pt) return fail("percentile", pt.error());
  char pname[48];
  std::snprintf(pname, sizeof pname, "percentile %.4g", o.percentile);
  if (!threshold_row(pname, *pt)) return false;
  // TensorRT histogram: 2048 bins of |x| over [0, max|x|].
  const float amax = seen.absmax();
  if (!(amax > 0)) {
    err = "the sample is all zeros: no clipping range to search";
    return false;
  }
  auto h = qmath::histogram::fixed(qmath::histogram_mode::magnitude, 0.0f, amax);
  if (!h) return fail("histogram", h.error());
  if (auto st = h->add(t.values); !st) return fail("histogram", st);
  auto en = qmath::entropy_threshold(*h);
  if (!en) return fail("entropy", en.error());
  if (!threshold_row("entropy (KL)", en->threshold)) return false;
  auto ms = qmath::mse_threshold(*h, grid);
  if (!ms) return fail("MSE search", ms.error());
  return threshold_row("MSE search", ms->threshold);
}

}  // namespace calib_detail

inline bool calibrate_ranges(const tensor& t, const options& o, calibration_result& out, std::string& err) {
  out.rows.clear();
  bool nonneg = true;
  for (float v : t.values) nonneg = nonneg && v >= 0;
  if (nonneg) {
    out.scheme = "uint8 affine per-tensor";
    return calib_detail::run_all<qmath::uint8_affine_per_tensor>(t, o, qmath::clip_grid{0, 255, 0.0, 255.0}, out,
                                                                 err);
  }
  out.scheme = "int8 symmetric per-tensor";
  return calib_detail::run_all<qmath::int8_sym_per_tensor>(t, o, qmath::clip_grid::pytorch_symmetric(8), out, err);
}

/// Display histogram of a tensor (qmath::histogram, fixed layout over its range).
inline bool histogram_of(const tensor& t, std::uint32_t bins, svg_histogram& out, std::string& err) {
  qmath::minmax_observer mm;
  if (auto st = mm.observe(t.values); !st) {
    err = st.message();
    return false;
  }
  const auto r = mm.ranges()[0];
  float lo = r.lo, hi = r.hi;
  if (!(hi > lo)) hi = lo + 1.0f;
  auto h = qmath::histogram::fixed(qmath::histogram_mode::signed_values, lo, hi, bins);
  if (!h) {
    err = h.error().message();
    return false;
  }
  if (auto st = h->add(t.values); !st) {
    err = st.message();
    return false;
  }
  out.lo = lo;
  out.hi = hi;
  out.counts.assign(h->counts().begin(), h->counts().end());
  return true;
}

inline void print_calibration_text(const tensor& t, const calibration_result& c) {
  std::printf("\n== Calibration of %s [%s], %zu values: %s ==\n", t.name.c_str(), shape_string(t.shape).c_str(),
              t.values.size(), c.scheme.c_str());
  std::printf("  %-18s %12s %12s %9s %11s %9s\n", "calibrator", "lo", "hi", "SQNR dB", "MSE", "clipped");
  for (const auto& r : c.rows) {
    std::printf("  %-18s %12.5g %12.5g %9.2f %11.3e %8.4f%%\n", r.method.c_str(), r.lo, r.hi, r.sqnr_db, r.mse,
                100.0 * r.clipped_fraction);
  }
}

inline void json_calibration(json_writer& j, const tensor& t, const calibration_result& c) {
  j.key("calibration").begin_object();
  j.member("sample", t.name).member("numel", t.values.size()).member("scheme", c.scheme);
  j.key("calibrators").begin_array();
  for (const auto& r : c.rows) {
    j.begin_object().member("method", r.method).member("lo", r.lo).member("hi", r.hi);
    j.member("sqnr_db", r.sqnr_db).member("mse", r.mse).member("clipped_fraction", r.clipped_fraction);
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

}  // namespace report
