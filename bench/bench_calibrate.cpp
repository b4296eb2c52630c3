// Calibration and metrics benchmarks, 16 Mi float32 samples, one thread.
//
// Baselines measured in the same run:
//   read1  streaming read of one 64 MiB array (8 independent SSE2 sums)
//   read2  streaming read of two arrays (what a metric must read)
// Ratios printed at the end: min/max vs read1 (target >= 0.8), metrics vs
// read2 (target >= 0.8), histogram + entropy search vs PyTorch's
// HistogramObserver on 16 Mi Gaussian samples: 58.01 ms forward + 3.05 ms
// calculate_qparams = 61.06 ms (figures from ../shared/anchors/RESULTS.md
// section 5, measured on this machine by the anchor run, NOT in this run;
// target >= 20x).
#include <benchmark/benchmark.h>

#include <emmintrin.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "qmath/calibrate/entropy.hpp"
#include "qmath/calibrate/minmax.hpp"
#include "qmath/calibrate/mse_search.hpp"
#include "qmath/metrics/error.hpp"

namespace {

// Keeps a result alive. benchmark::DoNotOptimize(T&) (the "+r,m" constraint of
// Google Benchmark 1.7) miscompiled here with GCC 12 -O3: a double assigned in
// the timed loop read back as 0 afterwards. The const& overload is safe.
template <class T>
void keep(const T& v) {
  benchmark::DoNotOptimize(v);
}

constexpr std::size_t kN = std::size_t{1} << 24;

const std::vector<float>& gauss() {
  static const std::vector<float> v = [] {
    std::vector<float> x(kN);
    std::mt19937_64 g(1234);
    std::normal_distribution<float> d(0.0f, 1.0f);
    for (float& f : x) f = d(g);
    return x;
  }();
  return v;
}

const std::vector<float>& gauss_q() {  // int8-like rounding of gauss()
  static const std::vector<float> v = [] {
    std::vector<float> y(gauss());
    for (float& f : y) f = std::nearbyint(f * 32.0f) / 32.0f;
    return y;
  }();
  return v;
}

__attribute__((noinline)) float read_sum(const float* p, std::size_t n) {
  __m128 a[8];
  for (auto& v : a) v = _mm_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 8; ++k) a[k] = _mm_add_ps(a[k], _mm_loadu_ps(p + i + 4 * k));
  __m128 s = _mm_setzero_ps();
  for (auto& v : a) s = _mm_add_ps(s, v);
  float out[4];
  _mm_storeu_ps(out, s);
  return out[0] + out[1] + out[2] + out[3];  // n is a multiple of 32 here
}

void set_rate(benchmark::State& st, std::size_t bytes_per_iter) {
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * bytes_per_iter));
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}

void BM_read1_baseline(benchmark::State& st) {
  const auto& x = gauss();
  for (auto _ : st) benchmark::DoNotOptimize(read_sum(x.data(), kN));
  set_rate(st, kN * 4);
}

void BM_read2_baseline(benchmark::State& st) {
  const auto& x = gauss();
  const auto& y = gauss_q();
  for (auto _ : st) {
    benchmark::DoNotOptimize(read_sum(x.data(), kN));
    benchmark::DoNotOptimize(read_sum(y.data(), kN));
  }
  set_rate(st, kN * 8);
}

void BM_minmax(benchmark::State& st) {
  const auto& x = gauss();
  qmath::value_range r;
  for (auto _ : st) {
    r = *qmath::finite_range(x);
    keep(r);
  }
  set_rate(st, kN * 4);
  st.counters["amax"] = r.absmax();
}

void BM_minmax_observer_per_channel_4096x4096(benchmark::State& st) {
  const auto& x = gauss();
  const std::size_t ext[2] = {4096, 4096};
  auto p = qmath::partition::per_channel(ext, 0);
  for (auto _ : st) {
    qmath::minmax_observer o(*p);
    benchmark::DoNotOptimize(o.observe(x));
    benchmark::DoNotOptimize(o.ranges().data());
  }
  set_rate(st, kN * 4);
}

void BM_metrics(benchmark::State& st) {
  const auto& x = gauss();
  const auto& y = gauss_q();
  qmath::error_stats e;
  for (auto _ : st) {
    e = *qmath::compare(x, y);
    keep(e);
  }
  set_rate(st, kN * 8);
  st.counters["sqnr_dB"] = e.sqnr_db();
  st.counters["mse"] = e.mse();
}

void BM_histogram_2048(benchmark::State& st) {
  const auto& x = gauss();
  for (auto _ : st) {
    qmath::histogram h;
    benchmark::DoNotOptimize(h.add(x));
    benchmark::DoNotOptimize(h.counts().data());
  }
  set_rate(st, kN * 4);
}

void BM_entropy_search_2048(benchmark::State& st) {
  qmath::histogram h;
  (void)h.add(gauss());
  double t = 0;
  for (auto _ : st) {
    t = qmath::entropy_threshold(h)->threshold;
    keep(t);
  }
  st.counters["threshold"] = t;
}

// SQNR of int8 symmetric fake quantization with threshold t (reciprocal multiply).
double sqnr_at(double t) {
  const auto& x = gauss();
  const float s = static_cast<float>(t / 127.0), inv = 1.0f / s;
  std::vector<float> y(kN);
  for (std::size_t i = 0; i < kN; ++i) {
    float q = std::nearbyint(x[i] * inv);
    q = q < -128.0f ? -128.0f : (q > 127.0f ? 127.0f : q);
    y[i] = q * s;
  }
  return qmath::compare(x, y)->sqnr_db();
}

// Histogram collection + a threshold search, timed together; the int8 SQNR of
// the resulting clip is an accuracy counter (PyTorch's HistogramObserver gave
// 40.40 dB on its 16 Mi Gaussian, uint8 affine, RESULTS.md section 5).
template <class Search>
void histogram_plus(benchmark::State& st, Search search) {
  const auto& x = gauss();
  double t = 0;
  for (auto _ : st) {
    qmath::histogram h;
    benchmark::DoNotOptimize(h.add(x));
    auto r = search(h);
    if (!r) {
      st.SkipWithError(r.error().message().c_str());
      break;
    }
    t = r->threshold;
    keep(t);
  }
  set_rate(st, kN * 4);
  st.counters["threshold"] = t;
  st.counters["int8_sqnr_dB"] = sqnr_at(t);
}

void BM_histogram_plus_entropy(benchmark::State& st) {
  histogram_plus(st, [](const qmath::histogram& h) { return qmath::entropy_threshold(h); });
}

void BM_histogram_plus_mse_search(benchmark::State& st) {
  histogram_plus(st, [](const qmath::histogram& h) { return qmath::mse_threshold(h, qmath::clip_grid::symmetric(8)); });
}

// Records CPU time per benchmark for the summary.
class summary_reporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> ns;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Iteration && !r.error_occurred)
        ns[r.run_name.function_name] = r.GetAdjustedCPUTime() * (r.time_unit == benchmark::kMillisecond ? 1e6 : r.time_unit == benchmark::kMicrosecond ? 1e3 : 1.0);
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

BENCHMARK(BM_read1_baseline)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_minmax)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_read2_baseline)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_metrics)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_minmax_observer_per_channel_4096x4096)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_histogram_2048)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_entropy_search_2048)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_histogram_plus_entropy)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_histogram_plus_mse_search)->Unit(benchmark::kMillisecond)->MinTime(0.5);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::printf("qmath active ISA level: %d (bench_calibrate, 16 Mi float32 samples)\n",
              static_cast<int>(qmath::active_isa()));
  summary_reporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  auto get = [&](const char* n) {
    auto it = rep.ns.find(n);
    return it == rep.ns.end() ? 0.0 : it->second;
  };
  auto ratio_line = [](const char* what, double r, double target, const char* unit) {
    if (r <= 0) return;
    std::printf("  %-58s %7.2f%s  target >= %.2f%s  %s\n", what, r, unit, target, unit, r >= target ? "MET" : "NOT MET");
  };
  std::printf("\nSummary (CPU-time ratios against baselines measured in this run unless marked; the machine is shared):\n");
  const double r1 = get("BM_read1_baseline"), r2 = get("BM_read2_baseline");
  if (r1 > 0 && get("BM_minmax") > 0) ratio_line("min/max, fraction of streaming read bandwidth", r1 / get("BM_minmax"), 0.8, "");
  if (r2 > 0 && get("BM_metrics") > 0) ratio_line("metrics (MSE/SQNR/cos/max), fraction of 2-array read", r2 / get("BM_metrics"), 0.8, "");
  const double pt_ms = 58.01 + 3.05;  // RESULTS.md section 5 (anchor run, not this run)
  if (get("BM_histogram_plus_entropy") > 0)
    ratio_line("histogram+entropy vs PyTorch HistogramObserver 61.06 ms*", pt_ms * 1e6 / get("BM_histogram_plus_entropy"), 20.0, "x");
  if (get("BM_histogram_plus_mse_search") > 0)
    ratio_line("histogram+MSE search vs PyTorch HistogramObserver 61.06 ms*", pt_ms * 1e6 / get("BM_histogram_plus_mse_search"), 20.0, "x");
  std::printf("  * PyTorch figure from ../shared/anchors/RESULTS.md (58.01 ms forward + 3.05 ms calculate_qparams,\n"
              "    16 Mi Gaussian, same machine, earlier run); it is not re-measured here.\n");
  benchmark::Shutdown();
  return 0;
}
