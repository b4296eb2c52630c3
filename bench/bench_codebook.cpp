// bench_codebook: qmath codebooks against Faiss in the same run, one thread.
//
// Data: the anchors' synthetic Gaussian mixture (shared/anchors/README.md),
// regenerated here: splitmix64, Box-Muller (cos branch), 64 centres, sigma
// 0.5, seed 1, 200,000 rows; rows [0, 100k) train, [100k, 200k) held out.
// The generator is checked against the anchors' checksums at start-up.
//
// k-means: k = 256, 25 iterations, d = 64 and 128, no subsampling, both
//   libraries start from the same centroids (256 distinct training rows drawn
//   with seed 1234). Target: qmath time <= Faiss time, final objective within
//   0.5%.
// PQ: d = 128, M = 8 and 16, nbits = 8, each library trains its own (Faiss
//   seed 1234 / qmath seed 1234, 25 iterations, no subsampling). Targets:
//   encode throughput ratio >= 1, reconstruction MSE within 0.5% of Faiss;
//   ADC scan >= 1e9 codes/s for M = 8 (per query, 16 queries per
//   adc_scan_batch call; the single-query adc_scan rate is printed beside it).
//
// Faiss uses OpenBLAS. OpenBLAS 0.3.21 does not know Zen 5 and picks Haswell
// kernels; unless QMATH_BENCH_OPENBLAS_DEFAULT=1 is set, the program re-runs
// itself with OPENBLAS_CORETYPE=SkylakeX (its faster AVX-512 kernels), plus
// OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1 (they must be set before
// OpenBLAS loads). The summary names the core used.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <time.h>
#include <unistd.h>
#include <vector>

#include "qmath/codebook/kmeans.hpp"
#include "qmath/codebook/product_quantizer.hpp"

#if defined(QMATH_BENCH_HAVE_FAISS)
#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <faiss/impl/ProductQuantizer.h>
#include <omp.h>
#endif

namespace {

// ---- synthetic data (own implementation of the anchors' definition) ----
class mix_rng {
 public:
  explicit mix_rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t bits() {
    s_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = s_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(bits() >> 11) / 9007199254740992.0; }
  double gauss() {
    const double radius = std::sqrt(-2.0 * std::log(1.0 - unit()));
    const double angle = 6.283185307179586476925286766559 * unit();
    return radius * std::cos(angle);
  }

 private:
  std::uint64_t s_;
};

std::vector<float> make_mixture(std::size_t rows, std::size_t dim, std::uint64_t seed) {
  constexpr std::size_t centres = 64;
  mix_rng g(seed);
  std::vector<double> ctr(centres * dim);
  for (double& v : ctr) v = g.gauss();
  std::vector<float> out(rows * dim);
  for (std::size_t r = 0; r < rows; ++r) {
    const double* c = ctr.data() + (g.bits() % centres) * dim;
    for (std::size_t j = 0; j < dim; ++j) out[r * dim + j] = static_cast<float>(c[j] + 0.5 * g.gauss());
  }
  return out;
}

struct dataset {
  std::size_t d = 0, n = 100000;
  std::vector<float> train, held;
  std::vector<float> init;  // 256 training rows (same start for both libraries)
};

dataset& data(std::size_t d) {
  static std::map<std::size_t, dataset> cache;
  auto it = cache.find(d);
  if (it != cache.end()) return it->second;
  dataset s;
  s.d = d;
  std::vector<float> all = make_mixture(200000, d, 1);
  s.train.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(100000 * d));
  s.held.assign(all.begin() + static_cast<std::ptrdiff_t>(100000 * d), all.end());
  // checksums of shared/anchors/results/synth_checksums.csv
  double sum = 0, sq = 0;
  for (float v : all) {
    sum += v;
    sq += double(v) * v;
  }
  std::printf("synth_d%zu: sum %.9g sum_sq %.9g x0 %.9g x1 %.9g x_last %.9g\n", d, sum, sq, all[0], all[1],
              all.back());
  const std::vector<std::uint32_t> pick = qmath::detail::sample_without_replacement(100000, 256, 1234);
  for (std::uint32_t i : pick) s.init.insert(s.init.end(), s.train.begin() + i * d, s.train.begin() + i * d + d);
  return cache.emplace(d, std::move(s)).first->second;
}

bool check_checksums() {
  struct ref {
    std::size_t d;
    double sum, sq, x0, x1, xl;
  };
  const ref refs[] = {{64, -97233.405, 15664007.4, 2.50910234, -0.191395625, -1.98080194},
                      {128, -278181.127, 31702406.6, 0.354554504, -0.553649247, 0.812077165}};
  bool ok = true;
  for (const ref& r : refs) {
    const dataset& s = data(r.d);
    double sum = 0, sq = 0;
    for (float v : s.train) sum += v, sq += double(v) * v;
    for (float v : s.held) sum += v, sq += double(v) * v;
    auto close = [](double a, double b, double rel) { return std::fabs(a - b) <= rel * std::fabs(b); };
    const bool good = close(sum, r.sum, 1e-7) && close(sq, r.sq, 1e-8) && close(s.train[0], r.x0, 1e-8) &&
                      close(s.train[1], r.x1, 1e-8) && close(s.held.back(), r.xl, 1e-8);
    std::printf("synth_d%zu checksums vs anchors: %s\n", r.d, good ? "match" : "MISMATCH");
    ok = ok && good;
  }
  return ok;
}

// ---- results collected for the summary ----
std::map<std::string, std::vector<double>> g_times;  // process CPU seconds per call (1 thread)
std::map<std::string, std::vector<double>> g_wall;   // wall seconds per call
std::map<std::string, double> g_value;               // quality numbers

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Records CPU time (the machine is shared: wall time includes time spent
// descheduled; everything here runs on one thread) and wall time per call.
template <class F>
void timed(benchmark::State& st, const std::string& key, F&& f) {
  for (auto _ : st) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    g_times[key].push_back(cpu_seconds() - c0);
    g_wall[key].push_back(std::chrono::duration<double>(t1 - t0).count());
  }
}

double mean_sq_error(const std::vector<float>& a, const std::vector<float>& b, std::size_t rows) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
  return s / static_cast<double>(rows);
}

// Mean squared distance of the training rows to their nearest centroid,
// evaluated the same way for both libraries (double, direct differences).
double nearest_mse(const dataset& s, const std::vector<float>& cent) {
  std::vector<std::uint32_t> idx(s.n);
  (void)qmath::kmeans_assign(s.train, s.d, cent, idx);
  double tot = 0;
  for (std::size_t i = 0; i < s.n; ++i) {
    const float* x = s.train.data() + i * s.d;
    const float* c = cent.data() + idx[i] * s.d;
    for (std::size_t t = 0; t < s.d; ++t) tot += double(x[t] - c[t]) * (x[t] - c[t]);
  }
  return tot / static_cast<double>(s.n);
}

// ---------------------------------------------------------------- k-means
void bm_kmeans_qmath(benchmark::State& st) {
  const dataset& s = data(static_cast<std::size_t>(st.range(0)));
  qmath::kmeans_options o;
  o.k = 256;
  o.max_iter = 25;
  o.init = qmath::kmeans_init::given;
  o.max_points_per_centroid = 0;
  qmath::kmeans_result r;
  timed(st, "kmeans_qmath_d" + std::to_string(s.d), [&] { r = qmath::kmeans(s.train, s.d, o, s.init).value(); });
  const double obj = r.objective.back() / double(s.n);
  g_value["kmeans_qmath_obj_d" + std::to_string(s.d)] = obj;
  g_value["kmeans_qmath_mse_d" + std::to_string(s.d)] = nearest_mse(s, r.centroids);
  st.counters["obj_per_point"] = obj;
  st.counters["iterations"] = double(r.iterations);
}

#if defined(QMATH_BENCH_HAVE_FAISS)
void bm_kmeans_faiss(benchmark::State& st) {
  const dataset& s = data(static_cast<std::size_t>(st.range(0)));
  std::vector<float> cent;
  float obj = 0;
  timed(st, "kmeans_faiss_d" + std::to_string(s.d), [&] {
    faiss::ClusteringParameters cp;
    cp.niter = 25;
    cp.seed = 1234;
    cp.nredo = 1;
    cp.max_points_per_centroid = 1 << 30;
    faiss::Clustering clus(static_cast<int>(s.d), 256, cp);
    clus.centroids = s.init;  // same initial centroids
    faiss::IndexFlatL2 index(static_cast<faiss::Index::idx_t>(s.d));
    clus.train(static_cast<faiss::Index::idx_t>(s.n), s.train.data(), index);
    cent = clus.centroids;
    obj = clus.iteration_stats.back().obj;
  });
  g_value["kmeans_faiss_obj_d" + std::to_string(s.d)] = obj / double(s.n);
  g_value["kmeans_faiss_mse_d" + std::to_string(s.d)] = nearest_mse(s, cent);
  st.counters["obj_per_point"] = obj / double(s.n);
}
#endif

// ---------------------------------------------------------------- PQ
struct pq_state {
  qmath::product_quantizer q;
  std::vector<std::uint8_t> codes;
#if defined(QMATH_BENCH_HAVE_FAISS)
  faiss::ProductQuantizer f;
  std::vector<std::uint8_t> fcodes;
#endif
};

pq_state& pq(std::size_t m) {
  static std::map<std::size_t, pq_state> cache;
  return cache[m];
}

void bm_pq_train_qmath(benchmark::State& st) {
  const std::size_t M = static_cast<std::size_t>(st.range(0));
  const dataset& s = data(128);
  pq_state& p = pq(M);
  qmath::pq_options o;
  o.M = M;
  o.nbits = 8;
  o.max_iter = 25;
  o.seed = 1234;
  o.max_points_per_centroid = 0;
  timed(st, "pq_train_qmath_M" + std::to_string(M), [&] { p.q = qmath::product_quantizer::train(s.train, 128, o).value(); });
  p.codes.assign(s.n * p.q.code_size(), 0);
  (void)p.q.encode(s.held, p.codes);
  std::vector<float> rec(s.held.size());
  (void)p.q.decode(p.codes, rec);
  g_value["pq_qmath_mse_M" + std::to_string(M)] = mean_sq_error(rec, s.held, s.n);
  st.counters["mse_per_vector"] = g_value["pq_qmath_mse_M" + std::to_string(M)];
}

void bm_pq_encode_qmath(benchmark::State& st) {
  const std::size_t M = static_cast<std::size_t>(st.range(0));
  const dataset& s = data(128);
  pq_state& p = pq(M);
  timed(st, "pq_encode_qmath_M" + std::to_string(M), [&] { (void)p.q.encode(s.held, p.codes); });
  st.counters["vectors/s"] = benchmark::Counter(double(s.n), benchmark::Counter::kIsIterationInvariantRate);
}

void bm_pq_decode_qmath(benchmark::State& st) {
  const std::size_t M = static_cast<std::size_t>(st.range(0));
  const dataset& s = data(128);
  pq_state& p = pq(M);
  std::vector<float> rec(s.held.size());
  timed(st, "pq_decode_qmath_M" + std::to_string(M), [&] { (void)p.q.decode(p.codes, rec); });
  st.counters["vectors/s"] = benchmark::Counter(double(s.n), benchmark::Counter::kIsIterationInvariantRate);
}

void bm_pq_adc_qmath(benchmark::State& st) {
  const std::size_t M = static_cast<std::size_t>(st.range(0));
  const dataset& s = data(128);
  pq_state& p = pq(M);
  std::vector<float> lut(M * 256), out(s.n);
  (void)p.q.distance_table(std::span<const float>(s.train.data(), 128), lut);
  timed(st, "pq_adc_qmath_M" + std::to_string(M), [&] {
    (void)p.q.adc_scan(lut, p.codes, out);
    benchmark::DoNotOptimize(out.data());
  });
  st.counters["codes/s"] = benchmark::Counter(double(s.n), benchmark::Counter::kIsIterationInvariantRate);
}

// 16 queries (train rows 0..15) over the same 100k codes in one
// adc_scan_batch call; the timed region includes the call's table
// interleaving. Rate = codes scanned per second per query (16 x 100k / time).
constexpr std::size_t adc_batch_nq = 16;
void bm_pq_adc_batch_qmath(benchmark::State& st) {
  const std::size_t M = static_cast<std::size_t>(st.range(0));
  const dataset& s = data(128);
  pq_state& p = pq(M);
  const std::size_t tsz = M * 256;
  std::vector<float> luts(adc_batch_nq * tsz), out(adc_batch_nq * s.n);
  for (std::size_t q = 0; q < adc_batch_nq; ++q)
    (void)p.q.distance_table(std::span<const float>(s.train.data() + q * 128, 128),
                             std::span<float>(luts).subspan(q * tsz, tsz));
  timed(st, "pq_adc_batch_qmath_M" + std::to_string(M), [&] {
    (void)p.q.adc_scan_batch(luts, p.codes, out);
    benchmark::DoNotOptimize(out.data());
  });
  st.counters["codes/s/query"] =
      benchmark::Counter(double(s.n * adc_batch_nq), benchmark::Counter::kIsIterationInvariantRate);
}

#if defined(QMATH_BENCH_HAVE_FAISS)
void bm_pq_train_faiss(benchmark::State& st) {
  const std::size_t M = static_cast<std::size_t>(st.range(0));
  const dataset& s = data(128);
  pq_state& p = pq(M);
  timed(st, "pq_train_faiss_M" + std::to_string(M), [&] {
    p.f = faiss::ProductQuantizer(128, M, 8);
    p.f.cp.max_points_per_centroid = 1 << 30;
    p.f.train(static_cast<faiss::Index::idx_t>(s.n), s.train.data());
  });
  p.fcodes.assign(s.n * p.f.code_size, 0);
  p.f.compute_codes(s.held.data(), p.fcodes.data(), s.n);
  std::vector<float> rec(s.held.size());
  p.f.decode(p.fcodes.data(), rec.data(), s.n);
  g_value["pq_faiss_mse_M" + std::to_string(M)] = mean_sq_error(rec, s.held, s.n);
  st.counters["mse_per_vector"] = g_value["pq_faiss_mse_M" + std::to_string(M)];
}

void bm_pq_encode_faiss(benchmark::State& st) {
  const std::size_t M = static_cast<std::size_t>(st.range(0));
  const dataset& s = data(128);
  pq_state& p = pq(M);
  timed(st, "pq_encode_faiss_M" + std::to_string(M), [&] { p.f.compute_codes(s.held.data(), p.fcodes.data(), s.n); });
  st.counters["vectors/s"] = benchmark::Counter(double(s.n), benchmark::Counter::kIsIterationInvariantRate);
}

void bm_pq_decode_faiss(benchmark::State& st) {
  const std::size_t M = static_cast<std::size_t>(st.range(0));
  const dataset& s = data(128);
  pq_state& p = pq(M);
  std::vector<float> rec(s.held.size());
  timed(st, "pq_decode_faiss_M" + std::to_string(M), [&] { p.f.decode(p.fcodes.data(), rec.data(), s.n); });
  st.counters["vectors/s"] = benchmark::Counter(double(s.n), benchmark::Counter::kIsIterationInvariantRate);
}
#endif

void register_all(int reps) {
  for (int d : {64, 128}) {
    benchmark::RegisterBenchmark(("kmeans/qmath/d" + std::to_string(d)).c_str(), bm_kmeans_qmath)
        ->Arg(d)->Iterations(1)->Repetitions(reps)->Unit(benchmark::kMillisecond)->UseRealTime();
#if defined(QMATH_BENCH_HAVE_FAISS)
    benchmark::RegisterBenchmark(("kmeans/faiss/d" + std::to_string(d)).c_str(), bm_kmeans_faiss)
        ->Arg(d)->Iterations(1)->Repetitions(reps)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
  }
  for (int M : {8, 16}) {
    const std::string m = std::to_string(M);
    benchmark::RegisterBenchmark(("pq_train/qmath/M" + m).c_str(), bm_pq_train_qmath)
        ->Arg(M)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
#if defined(QMATH_BENCH_HAVE_FAISS)
    benchmark::RegisterBenchmark(("pq_train/faiss/M" + m).c_str(), bm_pq_train_faiss)
        ->Arg(M)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
    for (int rep = 0; rep < 2; ++rep) {  // interleaved, so drift hits both
      benchmark::RegisterBenchmark(("pq_encode/qmath/M" + m).c_str(), bm_pq_encode_qmath)
          ->Arg(M)->MinTime(0.3)->Unit(benchmark::kMillisecond)->UseRealTime();
#if defined(QMATH_BENCH_HAVE_FAISS)
      benchmark::RegisterBenchmark(("pq_encode/faiss/M" + m).c_str(), bm_pq_encode_faiss)
          ->Arg(M)->MinTime(0.3)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
    }
    benchmark::RegisterBenchmark(("pq_decode/qmath/M" + m).c_str(), bm_pq_decode_qmath)
        ->Arg(M)->MinTime(0.2)->Unit(benchmark::kMillisecond)->UseRealTime();
#if defined(QMATH_BENCH_HAVE_FAISS)
    benchmark::RegisterBenchmark(("pq_decode/faiss/M" + m).c_str(), bm_pq_decode_faiss)
        ->Arg(M)->MinTime(0.2)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
    for (int rep = 0; rep < 3; ++rep) {  // single-query and batched scans interleaved
      benchmark::RegisterBenchmark(("pq_adc_scan/qmath/M" + m).c_str(), bm_pq_adc_qmath)
          ->Arg(M)->MinTime(0.3)->Unit(benchmark::kMillisecond)->UseRealTime();
      benchmark::RegisterBenchmark(("pq_adc_scan_batch16/qmath/M" + m).c_str(), bm_pq_adc_batch_qmath)
          ->Arg(M)->MinTime(0.3)->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  }
}

void summary() {
  std::printf("\n==== bench_codebook summary (1 thread; ratios from process CPU time, wall-time ratio in brackets) ====\n");
  int pass = 0, total = 0;
  auto line = [&](const std::string& what, double v, const char* target, bool ok) {
    std::printf("  %-44s %9.4f   target %-12s %s\n", what.c_str(), v, target, ok ? "PASS" : "MISS");
    ++total;
    pass += ok;
  };
  auto info = [](const std::string& what, double v) { std::printf("  %-44s %9.4f   (info)\n", what.c_str(), v); };
  auto cpu = [](const std::string& k) { return median(g_times[k]); };
  auto wall = [](const std::string& k) { return median(g_wall[k]); };
#if defined(QMATH_BENCH_HAVE_FAISS)
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("Faiss 1.7.3, BLAS OpenBLAS with core %s\n", core ? core : "auto-detected (Haswell kernels on Zen 5)");
  for (int d : {64, 128}) {
    const std::string ds = std::to_string(d), q = "kmeans_qmath_d" + ds, f = "kmeans_faiss_d" + ds;
    if (cpu(q) <= 0 || cpu(f) <= 0) continue;
    std::printf("k-means k=256 d=%d n=100k 25 it, same initial centroids: qmath %.3f s, Faiss %.3f s CPU [wall ratio %.3f]\n",
                d, cpu(q), cpu(f), wall(q) / wall(f));
    line("kmeans d" + ds + " time qmath/Faiss", cpu(q) / cpu(f), "<= 1", cpu(q) <= cpu(f));
    const double oq = g_value["kmeans_qmath_obj_d" + ds], of = g_value["kmeans_faiss_obj_d" + ds];
    line("kmeans d" + ds + " final objective qmath/Faiss", oq / of, "within 0.5%", std::fabs(oq / of - 1) <= 0.005);
    const double mq = g_value["kmeans_qmath_mse_d" + ds], mf = g_value["kmeans_faiss_mse_d" + ds];
    info("kmeans d" + ds + " MSE to final centroids q/F", mq / mf);
  }
  for (int M : {8, 16}) {
    const std::string m = std::to_string(M);
    const std::string eq = "pq_encode_qmath_M" + m, ef = "pq_encode_faiss_M" + m;
    if (cpu(eq) <= 0 || cpu(ef) <= 0) continue;
    std::printf("PQ d=128 M=%d nbits=8 (held-out 100k): encode qmath %.0f vec/s, Faiss %.0f vec/s [wall ratio %.3f]\n", M,
                1e5 / cpu(eq), 1e5 / cpu(ef), wall(ef) / wall(eq));
    line("PQ M" + m + " encode throughput qmath/Faiss", cpu(ef) / cpu(eq), ">= 1", cpu(ef) >= cpu(eq));
    const double mq = g_value["pq_qmath_mse_M" + m], mf = g_value["pq_faiss_mse_M" + m];
    std::printf("  (reconstruction MSE per vector: qmath %.6g, Faiss %.6g)\n", mq, mf);
    line("PQ M" + m + " reconstruction MSE qmath/Faiss", mq / mf, "within 0.5%", std::fabs(mq / mf - 1) <= 0.005);
    info("PQ M" + m + " decode throughput qmath/Faiss", cpu("pq_decode_faiss_M" + m) / cpu("pq_decode_qmath_M" + m));
    info("PQ M" + m + " train time qmath/Faiss", cpu("pq_train_qmath_M" + m) / cpu("pq_train_faiss_M" + m));
  }
#else
  std::printf("Faiss not linked: no peer ratios.\n");
#endif
  for (int M : {8, 16}) {
    const std::string m = std::to_string(M), k = "pq_adc_qmath_M" + m, kb = "pq_adc_batch_qmath_M" + m;
    if (cpu(k) <= 0 || cpu(kb) <= 0) continue;
    const double rate = 1e5 / cpu(k) / 1e9, brate = double(adc_batch_nq) * 1e5 / cpu(kb) / 1e9;
    info("ADC scan M" + m + " 1 query (G codes/s)", rate);
    if (M == 8)
      line("ADC scan M8 16-query batch (G codes/s/query)", brate, ">= 1", brate >= 1.0);
    else
      info("ADC scan M16 16-query batch (G codes/s/query)", brate);
    info("ADC scan M" + m + " batch/1-query rate", brate / rate);
  }
  std::printf("targets met: %d / %d\n", pass, total);
}

}  // namespace

int main(int argc, char** argv) {
#if defined(QMATH_BENCH_HAVE_FAISS)
  // OpenBLAS reads its settings when it loads: re-run with them in place.
  const char* want_default = std::getenv("QMATH_BENCH_OPENBLAS_DEFAULT");
  const bool is_default = want_default && std::strcmp(want_default, "1") == 0;
  if (!std::getenv("QMATH_BENCH_REEXEC")) {
    setenv("QMATH_BENCH_REEXEC", "1", 1);
    if (!is_default) setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
    std::perror("bench_codebook: re-exec failed, continuing with the current environment");
  }
  omp_set_num_threads(1);
#endif
  const bool synth_ok = check_checksums();
  int reps = 3;
  if (const char* r = std::getenv("QMATH_BENCH_REPS")) reps = std::max(1, std::atoi(r));
  register_all(reps);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  summary();
  if (!synth_ok) std::printf("WARNING: synthetic data does not match the anchors' checksums\n");
  return 0;
}
