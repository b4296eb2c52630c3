// qmath-report: what quantization costs and buys, tensor by tensor, on real
// data. See `qmath-report --help` and docs/demo.md.
//
// Every number comes from the library: qparams from qmath's calibrators and
// compute_qparams, codes from qmath::quantize, errors from qmath's metrics,
// codebooks from qmath's k-means, the plan from qmath's mixed-precision
// allocator, timings of qmath's GEMM. This file only orchestrates and prints.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#define QMATH_REPORT_HAS_ISATTY 1
#endif

#include "cli.hpp"
#include "json_writer.hpp"
#include "load.hpp"
#include "model.hpp"
#include "qmath/simd/dispatch.hpp"
#include "qmath/version.hpp"
#include "sections.hpp"
#include "svg.hpp"

#ifndef QMATH_REPORT_DATA_DIR
#define QMATH_REPORT_DATA_DIR "data/esrgan_x4"
#endif

namespace {

using namespace report;

/// "\r[12/56] name" on stderr when it is a terminal (long runs only).
class progress_line {
 public:
  progress_line(bool enabled, std::size_t total) : total_(total) {
#ifdef QMATH_REPORT_HAS_ISATTY
    enabled_ = enabled && total >= 8 && isatty(2);
#else
    (void)enabled;
#endif
  }
  void step(std::size_t i, const std::string& what) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", i + 1, total_, what.c_str());
    std::fflush(stderr);
  }
  void done() {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  bool enabled_ = false;
  std::size_t total_;
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string fmt_db(double v) {
  if (std::isinf(v) && v > 0) return "exact";
  return fmt("%.2f", v);
}

std::string fmt_bytes(double b) {
  if (b >= 1e6) return fmt("%.2f MB", b / 1e6);
  if (b >= 1e3) return fmt("%.1f kB", b / 1e3);
  return fmt("%.0f B", b);
}

void print_tensor_text(const tensor_result& r, const options& o) {
  if (o.brief) {
    if (r.recommended >= 0) {
      const auto& s = r.rows_by_scheme[static_cast<std::size_t>(r.recommended)];
      std::printf("%-20s %-12s %-28s %7s dB  %5.1fx\n", r.name.c_str(), r.shape.c_str(), s.scheme.c_str(),
                  fmt_db(s.sqnr_db).c_str(), s.compression);
    } else {
      std::printf("%-20s %-12s %-28s\n", r.name.c_str(), r.shape.c_str(), "(no scheme meets the target)");
    }
    return;
  }
  std::printf("\n%s  [%s]  %zu values, viewed as %zu x %zu (K x C), float32 %s\n", r.name.c_str(),
              r.shape.c_str(), r.numel, r.rows, r.cols, fmt_bytes(4.0 * static_cast<double>(r.numel)).c_str());
  std::printf("  %-26s %4s %8s %10s %9s %9s %9s %9s %6s\n", "scheme", "bits", "SQNR dB", "MSE", "max err", "cosine",
              "KL", "bytes", "ratio");
  for (std::size_t i = 0; i < r.rows_by_scheme.size(); ++i) {
    const auto& s = r.rows_by_scheme[i];
    const bool rec = static_cast<int>(i) == r.recommended;
    std::printf("%s %-26s %4d %8s %10.3e %9.2e %9.6f %9s %9zu %5.1fx\n", rec ? "*" : " ", s.scheme.c_str(), s.bits,
                fmt_db(s.sqnr_db).c_str(), s.mse, s.max_abs_error, s.cosine,
                std::isfinite(s.kl) ? fmt("%.2e", s.kl).c_str() : "-", s.bytes, s.compression);
  }
  if (r.recommended >= 0) {
    const auto& s = r.rows_by_scheme[static_cast<std::size_t>(r.recommended)];
    std::printf("  -> smallest scheme with SQNR >= %.1f dB: %s (%s dB, %s, %.1fx smaller)\n", o.min_sqnr,
                s.scheme.c_str(), fmt_db(s.sqnr_db).c_str(), fmt_bytes(static_cast<double>(s.bytes)).c_str(),
                s.compression);
  } else {
    std::printf("  -> no scheme reaches %.1f dB: keep this tensor in float (or add --bits with more bits)\n",
                o.min_sqnr);
  }
}

void json_tensor(json_writer& j, const tensor_result& r) {
  j.begin_object();
  j.member("name", r.name).member("shape", r.shape).member("numel", r.numel);
  j.member("rows", r.rows).member("cols", r.cols);
  j.key("schemes").begin_array();
  for (const auto& s : r.rows_by_scheme) {
    j.begin_object();
    j.member("scheme", s.scheme).member("bits", s.bits).member("mapping", s.mapping);
    j.member("granularity", s.granularity).member("sqnr_db", s.sqnr_db).member("mse", s.mse);
    j.member("max_abs_error", s.max_abs_error).member("cosine", s.cosine).member("kl", s.kl);
    j.member("bytes", s.bytes).member("compression", s.compression);
    j.end_object();
  }
  j.end_array();
  j.key("recommended");
  if (r.recommended >= 0) {
    j.value(r.rows_by_scheme[static_cast<std::size_t>(r.recommended)].scheme);
  } else {
    j.null();
  }
  j.end_object();
}

int fail(const std::string& msg, int code) {
  std::fprintf(stderr, "qmath-report: error: %s\n", msg.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (auto err = parse_options(argc, argv, o)) {
    std::fprintf(stderr, "qmath-report: %s\n", err->message.c_str());
    std::fprintf(stderr, "usage: qmath-report [PATH...] [options]  (see --help)\n");
    return 2;
  }
  if (o.help) {
    std::fputs(usage_text(), stdout);
    return 0;
  }
  const bool bundled = o.paths.empty();
  if (bundled) {
    // The bundled weights: ./data/esrgan_x4 when run from the source tree,
    // else the source tree this binary was built from.
    std::error_code ec;
    o.paths.push_back(std::filesystem::is_directory("data/esrgan_x4", ec) ? "data/esrgan_x4" : QMATH_REPORT_DATA_DIR);
  }

  // --- inputs ---------------------------------------------------------------
  std::vector<std::filesystem::path> files;
  load_error lerr;
  if (!expand_paths(o.paths, files, lerr)) return fail(lerr.message, 1);
  std::vector<tensor> tensors(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!load_tensor(files[i], o.axis == channel_axis::last, tensors[i], lerr)) return fail(lerr.message, 1);
  }
  std::optional<tensor> activations;
  if (o.calibrate) {
    tensor a;
    if (!load_tensor(*o.calibrate, true, a, lerr)) return fail(lerr.message, 1);
    activations = std::move(a);
  }
  std::size_t focus = 0;  // the tensor of --svg / --bench
  if (o.tensor) {
    auto it = std::find_if(tensors.begin(), tensors.end(), [&](const tensor& t) { return t.name == *o.tensor; });
    if (it == tensors.end()) return fail("--tensor " + *o.tensor + ": no tensor of that name", 2);
    focus = static_cast<std::size_t>(it - tensors.begin());
  } else {
    for (std::size_t i = 1; i < tensors.size(); ++i)
      if (tensors[i].values.size() > tensors[focus].values.size()) focus = i;
  }

  // --- analysis ---------------------------------------------------------------
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<tensor_result> results(tensors.size());
  std::vector<qmath::mp_tensor> mp(tensors.size());
  std::vector<std::vector<std::string>> skipped(tensors.size());
  progress_line progress(o.progress, tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    progress.step(i, tensors[i].name);
    std::string err;
    if (!analyse_tensor(tensors[i], o, results[i], mp[i], skipped[i], err)) {
      progress.done();
      return fail(tensors[i].path + ": " + err, 1);
    }
  }
  progress.done();

  plan_result plan;
  plan_model(tensors, results, mp, o, plan);
  calibration_result calib;
  const tensor& calib_source = activations ? *activations : tensors[focus];
  if (o.calibrate || o.svg) {
    std::string err;
    if (!calibrate_ranges(calib_source, o, calib, err)) return fail("calibration: " + err, 1);
  }
  bench_result bench;
  if (o.bench) {
    std::string err;
    if (!bench_matmul(tensors[focus], o, bench, err)) return fail("bench: " + err, 1);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // --- output -----------------------------------------------------------------
  if (o.svg) {
    svg_histogram h;
    std::string err;
    if (!histogram_of(calib_source, 160, h, err)) return fail("histogram: " + err, 1);
    std::vector<svg_range> ranges;
    for (const auto& c : calib.rows) {
      ranges.push_back({c.method, c.lo, c.hi,
                        "-> " + calib.scheme + ": SQNR " + fmt("%.2f", c.sqnr_db) + " dB, " +
                            fmt("%.3g", 100.0 * c.clipped_fraction) + "% clipped"});
    }
    std::vector<svg_bar> bars;
    const auto& fr = results[focus];
    for (std::size_t i = 0; i < fr.rows_by_scheme.size(); ++i) {
      const auto& s = fr.rows_by_scheme[i];
      bars.push_back({s.scheme, s.sqnr_db, s.bits, static_cast<int>(i) == fr.recommended});
    }
    const std::string caption = std::string(activations ? "activation sample " : "tensor ") + calib_source.name +
                                " [" + shape_string(calib_source.shape) + "], " +
                                std::to_string(calib_source.values.size()) +
                                " values: histogram (log counts) and the clipping range of each calibrator";
    const std::string doc = render_svg(tensors[focus].name, caption, h, ranges, bars, o.min_sqnr);
    std::ofstream f(*o.svg, std::ios::binary | std::ios::trunc);
    f << doc;
    f.flush();
    if (!f) return fail(*o.svg + ": cannot write the SVG file", 1);
  }

  if (o.json) {
    json_writer j(stdout);
    j.begin_object();
    j.member("qmath_version", std::to_string(QMATH_VERSION_MAJOR) + "." + std::to_string(QMATH_VERSION_MINOR) + "." +
                                  std::to_string(QMATH_VERSION_PATCH));
    j.member("isa", std::string(qmath::to_string(qmath::active_isa())));
    j.member("min_sqnr_db", o.min_sqnr);
    j.key("inputs").begin_array();
    for (const auto& p : o.paths) j.value(p);
    j.end_array();
    j.key("tensors").begin_array();
    for (const auto& r : results) json_tensor(j, r);
    j.end_array();
    json_plan(j, plan, results, o);
    if (o.calibrate) json_calibration(j, calib_source, calib);
    if (o.bench) json_bench(j, tensors[focus], bench);
    j.member("seconds", seconds);
    j.end_object();
    j.finish();
    return 0;
  }

  std::printf("qmath-report %d.%d.%d — kernels: %s; %zu tensor(s) from %s%s\n", QMATH_VERSION_MAJOR,
              QMATH_VERSION_MINOR, QMATH_VERSION_PATCH, std::string(qmath::to_string(qmath::active_isa())).c_str(),
              tensors.size(), o.paths.front().c_str(), bundled ? " (bundled ESRGAN x4 weights, MIT)" : "");
  if (!o.brief) {
    std::printf(
        "SQNR = 10 log10(sum x^2 / sum (x - x')^2) with x' = dequantize(quantize(x)); KL = KL(P || Q) of 256-bin\n"
        "histograms of x and x'; bytes = packed codes + 32-bit scales (+ 32-bit zero points for affine, + the\n"
        "float32 levels of a codebook); ratio = float32 bytes / bytes. symmetric: signed codes, scale = max|x| / qmax;\n"
        "affine: unsigned codes, PyTorch MinMaxObserver rule. '*' marks the smallest scheme with SQNR >= %.1f dB.\n"
        "KL compares value distributions, not values: it is shown from %zu values up, and it also grows when the\n"
        "code grid aliases with the bins (8-bit per-tensor); rank schemes by SQNR.\n",
        o.min_sqnr, kl_min_values);
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    print_tensor_text(results[i], o);
    if (!o.brief && !skipped[i].empty()) {
      std::string line;
      for (const auto& s : skipped[i]) line += (line.empty() ? "" : "; ") + s;
      std::printf("  (not listed: %s)\n", line.c_str());
    }
  }
  print_plan_text(plan, results, o);
  if (o.calibrate) print_calibration_text(calib_source, calib);
  if (o.bench) print_bench_text(tensors[focus], bench);
  if (o.svg) std::printf("\nSVG written to %s\n", o.svg->c_str());
  std::printf("\n(analysis took %.2f s)\n", seconds);
  return 0;
}
