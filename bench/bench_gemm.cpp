// bench_gemm: qmath integer GEMM against OpenBLAS and oneDNN, single thread
// unless stated, in one process so every ratio compares numbers measured in
// the same run. C = A x B, row-major, ops = 2*M*N*K.
//
//   qmath_u8s8     uint8 A x int8 B (prepacked), int32 C  (vs dnnl_gemm_u8s8s32)
//   qmath_s8s8     int8 A x int8 B, int32 C               (vs dnnl_gemm_s8s8s32)
//   qmath_u8s8_2t  the same with 2 threads
//   openblas_sgemm / dnnl_sgemm   FP32 baselines ("best FP32" = the faster)
//   vnni_peak      24 independent vpdpbusd zmm chains (the machine's int8 peak)
// Every library's result is checked against an int64 / double reference on
// sampled entries (counter max_err; int8 must be 0).
//
// Environment: OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1 are forced, and
// OPENBLAS_CORETYPE=SkylakeX when unset (OpenBLAS 0.3.21 misdetects Zen 5); both
// libraries read them at load time, so the program re-executes itself once
// with them set. Under QMATH_MAX_ISA=avx2 the FP32 baselines are capped to
// AVX2 too (OPENBLAS_CORETYPE=Haswell, dnnl_set_max_cpu_isa(avx2)), so the
// summary's ratio is int8 AVX2 / FP32 AVX2.
// The summary at the end prints medians over the repetitions and each ratio
// against its target (issue 6).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "qmath/gemm/gemm.hpp"
#include "qmath/gemm/linear.hpp"

#if defined(QMATH_BENCH_OPENBLAS)
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_corename(void);
#endif
#if defined(QMATH_BENCH_DNNL)
#include <oneapi/dnnl/dnnl.h>
#endif
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace {

struct shape {
  int m, n, k;
};
const shape k_shapes[] = {{256, 256, 256},   {1024, 1024, 1024}, {2048, 2048, 2048}, {1, 4096, 4096},
                          {8, 4096, 4096},   {64, 4096, 4096},   {128, 768, 3072}};

std::string shape_name(const shape& s) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
}

/// Seconds per call of every repetition, keyed by "lib/shape": process CPU
/// time (robust against the other tenants of this shared machine preempting
/// us; used for every single-thread ratio) and wall time (thread scaling).
std::map<std::string, std::vector<double>>& timings() {
  static std::map<std::string, std::vector<double>> t;
  return t;
}
std::map<std::string, std::vector<double>>& wall_timings() {
  static std::map<std::string, std::vector<double>> t;
  return t;
}
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

template <class F>
void timed_loop(benchmark::State& state, const std::string& key, double ops, F&& f) {
  f();  // warm-up (packing caches, page faults)
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  for (auto _ : state) {
    f();
    benchmark::ClobberMemory();
  }
  const double c = cpu_seconds() - c0;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  timings()[key].push_back(c / static_cast<double>(state.iterations()));
  wall_timings()[key].push_back(s / static_cast<double>(state.iterations()));
  state.counters["GOPS"] = benchmark::Counter(ops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

struct problem {
  shape s;
  std::vector<std::uint8_t> au;
  std::vector<std::int8_t> as, b;
  std::vector<float> af, bf;
  explicit problem(shape sh) : s(sh) {
    std::mt19937 rng(42);
    const std::size_t mk = std::size_t(s.m) * s.k, kn = std::size_t(s.k) * s.n;
    au.resize(mk), as.resize(mk), b.resize(kn), af.resize(mk), bf.resize(kn);
    std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
    for (std::size_t i = 0; i < mk; ++i) au[i] = static_cast<std::uint8_t>(u8(rng)), as[i] = static_cast<std::int8_t>(s8(rng));
    for (std::size_t i = 0; i < kn; ++i) b[i] = static_cast<std::int8_t>(s8(rng));
    for (std::size_t i = 0; i < mk; ++i) af[i] = static_cast<float>(au[i]) / 255.0f;
    for (std::size_t i = 0; i < kn; ++i) bf[i] = static_cast<float>(b[i]) / 128.0f;
  }
  /// Max |error| over 64 sampled entries of an int32 (exact) or float result.
  template <class A, class C>
  double check(const std::vector<A>& a, const std::vector<C>& c, bool fp) const {
    std::mt19937 rng(7);
    double worst = 0;
    for (int t = 0; t < 64; ++t) {
      const std::size_t i = rng() % s.m, j = rng() % s.n;
      double ref = 0;
      std::int64_t iref = 0;
      for (int k = 0; k < s.k; ++k) {
        if (fp) ref += double(af[i * s.k + k]) * double(bf[std::size_t(k) * s.n + j]);
        else iref += std::int64_t(a[i * s.k + k]) * b[std::size_t(k) * s.n + j];
      }
      const double got = double(c[i * s.n + j]);
      worst = std::max(worst, fp ? std::fabs(got - ref) / std::max(1.0, std::fabs(ref)) : std::fabs(got - double(iref)));
    }
    return worst;
  }
};

void bm_qmath(benchmark::State& state, shape s, bool signed_a, unsigned threads) {
  problem p(s);
  auto pw = qmath::pack_weights(qmath::matrix_view<std::int8_t>{p.b, std::size_t(s.k), std::size_t(s.n)}).value();
  std::vector<std::int32_t> c(std::size_t(s.m) * s.n);
  const qmath::matrix_span<std::int32_t> cs{c, std::size_t(s.m), std::size_t(s.n)};
  const qmath::gemm_options opt{threads};
  bool ok = true;
  auto run = [&] {
    qmath::status st = signed_a ? qmath::gemm(qmath::matrix_view<std::int8_t>{p.as, std::size_t(s.m), std::size_t(s.k)}, 0,
                                              pw, cs, qmath::output_int32{}, opt)
                                : qmath::gemm(qmath::matrix_view<std::uint8_t>{p.au, std::size_t(s.m), std::size_t(s.k)},
                                              0, pw, cs, qmath::output_int32{}, opt);
    ok = ok && st.ok();
  };
  const std::string lib = std::string(signed_a ? "qmath_s8s8" : "qmath_u8s8") + (threads > 1 ? "_2t" : "");
  timed_loop(state, lib + "/" + shape_name(s), 2.0 * s.m * s.n * s.k, run);
  state.counters["max_err"] = signed_a ? p.check(p.as, c, false) : p.check(p.au, c, false);
  if (!ok) state.SkipWithError("qmath::gemm failed");
  state.SetLabel(std::string(qmath::to_string(qmath::gemm_active_isa())));
}

/// int4 group-128 weights (signed, symmetric), int8 activations, float out.
void bm_qmath_int4(benchmark::State& state, shape s) {
  problem p(s);
  const std::size_t K = s.k, N = s.n, G = K / 128;
  std::vector<std::int8_t> codes(K * N);
  for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<std::int8_t>(p.b[i] >> 4);  // [-8, 7]
  std::vector<float> sc(G * N, 0.01f), asc(s.m, 0.02f), c(std::size_t(s.m) * N);
  qmath::packed_weights_int4 w;
  bool ok = qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{codes, K, N}, qmath::int4_kind::signed_int4, 128,
                                     sc, {}, w)
                .ok();
  const qmath::matrix_view<std::int8_t> av{p.as, std::size_t(s.m), K};
  timed_loop(state, "qmath_int4_g128/" + shape_name(s), 2.0 * s.m * s.n * s.k,
             [&] { ok = ok && qmath::gemm_int4(av, asc, w, {}, qmath::matrix_span<float>{c, std::size_t(s.m), N}).ok(); });
  // exactness of sampled entries: integer dot with the codes (scales are powers-free constants)
  std::mt19937 rng(3);
  double worst = 0;
  for (int t = 0; t < 32; ++t) {
    const std::size_t i = rng() % s.m, j = rng() % N;
    double ref = 0;
    for (std::size_t g = 0; g < G; ++g) {
      std::int64_t acc = 0;
      for (std::size_t k = g * 128; k < (g + 1) * 128; ++k) acc += std::int64_t(p.as[i * K + k]) * codes[k * N + j];
      ref += double(acc) * 0.01;
    }
    ref *= 0.02;
    worst = std::max(worst, std::fabs(c[i * N + j] - ref) / std::max(1.0, std::fabs(ref)));
  }
  state.counters["max_err"] = worst;
  if (!ok) state.SkipWithError("gemm_int4 failed");
  state.SetLabel(std::string(qmath::to_string(qmath::gemm_int4_active_isa())));
}

/// Dynamic-quantization linear layer: float x, int8 per-channel weights, float y + bias.
void bm_qmath_linear(benchmark::State& state, shape s) {
  problem p(s);
  const std::size_t M = s.m, N = s.n, K = s.k;
  auto pw = qmath::pack_weights(qmath::matrix_view<std::int8_t>{p.b, K, N}).value();
  std::vector<float> ws(N, 1.0f / 128), bias(N, 0.0f), y(M * N), x(M * K);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = p.af[i] - 0.5f;
  bool ok = true;
  timed_loop(state, "qmath_linear_dyn/" + shape_name(s), 2.0 * s.m * s.n * s.k, [&] {
    ok = ok && qmath::linear_dynamic(qmath::matrix_view<float>{x, M, K}, pw, ws, bias, qmath::matrix_span<float>{y, M, N})
                   .ok();
  });
  // accuracy against the float product (SQNR in dB)
  std::mt19937 rng(5);
  double num = 0, den = 0;
  for (int t = 0; t < 32; ++t) {
    const std::size_t i = rng() % M, j = rng() % N;
    double ref = 0;
    for (std::size_t k = 0; k < K; ++k) ref += double(x[i * K + k]) * double(p.bf[k * N + j]);
    num += ref * ref, den += (y[i * N + j] - ref) * (y[i * N + j] - ref);
  }
  state.counters["sqnr_db"] = 10 * std::log10(num / std::max(den, 1e-30));
  if (!ok) state.SkipWithError("linear_dynamic failed");
}

#if defined(QMATH_BENCH_OPENBLAS)
void bm_openblas(benchmark::State& state, shape s) {
  problem p(s);
  std::vector<float> c(std::size_t(s.m) * s.n);
  timed_loop(state, "openblas_sgemm/" + shape_name(s), 2.0 * s.m * s.n * s.k, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.f, p.af.data(), s.k, p.bf.data(), s.n, 0.f,
                c.data(), s.n);
  });
  state.counters["max_err"] = p.check(p.au, c, true);
  state.SetLabel(openblas_get_corename());
}
#endif

#if defined(QMATH_BENCH_DNNL)
void bm_dnnl_sgemm(benchmark::State& state, shape s) {
  problem p(s);
  std::vector<float> c(std::size_t(s.m) * s.n);
  timed_loop(state, "dnnl_sgemm/" + shape_name(s), 2.0 * s.m * s.n * s.k, [&] {
    dnnl_sgemm('N', 'N', s.m, s.n, s.k, 1.f, p.af.data(), s.k, p.bf.data(), s.n, 0.f, c.data(), s.n);
  });
  state.counters["max_err"] = p.check(p.au, c, true);
}
void bm_dnnl_int8(benchmark::State& state, shape s, bool signed_a) {
  problem p(s);
  std::vector<std::int32_t> c(std::size_t(s.m) * s.n);
  const std::int32_t co = 0;
  timed_loop(state, std::string(signed_a ? "dnnl_s8s8s32/" : "dnnl_u8s8s32/") + shape_name(s), 2.0 * s.m * s.n * s.k,
             [&] {
               if (signed_a)
                 dnnl_gemm_s8s8s32('N', 'N', 'F', s.m, s.n, s.k, 1.f, p.as.data(), s.k, 0, p.b.data(), s.n, 0, 0.f,
                                   c.data(), s.n, &co);
               else
                 dnnl_gemm_u8s8s32('N', 'N', 'F', s.m, s.n, s.k, 1.f, p.au.data(), s.k, 0, p.b.data(), s.n, 0, 0.f,
                                   c.data(), s.n, &co);
             });
  state.counters["max_err"] = signed_a ? p.check(p.as, c, false) : p.check(p.au, c, false);
}
#endif

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void vnni_chains(long n) {
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpternlogd $0xff, %%zmm30, %%zmm30, %%zmm30\n\t"
      "vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n\t"
      "1:\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm0\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm1\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm2\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm3\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm4\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm5\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm6\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm7\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm8\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm9\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm10\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm11\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm12\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm13\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm14\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm15\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm16\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm17\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm18\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm19\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm20\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm21\n\t"
      "vpdpbusd %%zmm30, %%zmm31, %%zmm22\n\t vpdpbusd %%zmm30, %%zmm31, %%zmm23\n\t"
      "dec %0\n\t jnz 1b\n\t vzeroupper"
      : "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm30",
        "xmm31", "cc");
}
#endif

/// 24 independent vpdpbusd zmm chains: the int8 peak of one core.
void bm_vnni_peak(benchmark::State& state) {
#if defined(__x86_64__)
  if (!qmath::cpu_supports(qmath::isa::avx512vnni)) {
    state.SkipWithError("no AVX-512 VNNI");
    return;
  }
  constexpr long iters = 1 << 16;
  timed_loop(state, "vnni_peak/-", 2.0 * 64 * 24 * iters, [] { vnni_chains(iters); });
#else
  state.SkipWithError("x86 only");
#endif
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

/// Median GOP/s of lib at shape (NaN when not measured); CPU time unless wall.
double gops(const std::string& lib, const shape& s, bool wall = false) {
  auto& t = wall ? wall_timings() : timings();
  auto it = t.find(lib + "/" + shape_name(s));
  if (it == t.end()) return NAN;
  return 2.0 * s.m * s.n * s.k / median(it->second) * 1e-9;
}
double spread(const std::string& lib, const shape& s) {
  auto it = timings().find(lib + "/" + shape_name(s));
  if (it == timings().end() || it->second.empty()) return NAN;
  const auto [mn, mx] = std::minmax_element(it->second.begin(), it->second.end());
  return (*mx - *mn) / median(it->second);
}

void print_summary() {
  const bool capped_avx2 = qmath::max_isa() == qmath::isa::avx2;
  const double peak = [] {
    auto it = timings().find("vnni_peak/-");
    return it == timings().end() ? NAN : 2.0 * 64 * 24 * (1 << 16) / median(it->second) * 1e-9;
  }();
  std::printf("\n== qmath GEMM summary (medians over repetitions of process-CPU-time GOP/s, 2t column: wall; level %s) ==\n",
              std::string(qmath::to_string(qmath::gemm_active_isa())).c_str());
  std::printf("vnni_peak (24 chains): %.1f GOP/s\n", peak);
  std::printf("%-16s %9s %9s %9s %9s %9s %9s %9s %9s %7s\n", "MxNxK", "openblas", "dnnl_f32", "dnnl_u8s8", "dnnl_s8s8",
              "qmath_u8", "qmath_s8", "qmath_2t", "of_peak", "spread");
  for (const shape& s : k_shapes) {
    const double q = gops("qmath_u8s8", s);
    std::printf("%-16s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.3f %7.3f\n", shape_name(s).c_str(),
                gops("openblas_sgemm", s), gops("dnnl_sgemm", s), gops("dnnl_u8s8s32", s), gops("dnnl_s8s8s32", s), q,
                gops("qmath_s8s8", s), gops("qmath_u8s8_2t", s, true), q / peak, spread("qmath_u8s8", s));
  }
  std::printf("\nratio                                   shape            measured   target  met\n");
  auto line = [](const char* what, const shape& s, double r, double target) {
    std::printf("%-40s %-16s %8.2f %8.2f  %s\n", what, shape_name(s).c_str(), r, target,
                std::isnan(r) ? "n/a" : (r >= target ? "yes" : "NO"));
  };
  for (const shape& s : k_shapes) {
    const double best_fp32 = std::fmax(gops("openblas_sgemm", s), gops("dnnl_sgemm", s));
    const double q = gops("qmath_u8s8", s);
    const bool small_m = s.m <= 8;
    if (!capped_avx2) {
      line("qmath u8s8 / dnnl u8s8s32", s, q / gops("dnnl_u8s8s32", s), small_m ? 4.0 : 1.0);
      line("qmath s8s8 / dnnl s8s8s32", s, gops("qmath_s8s8", s) / gops("dnnl_s8s8s32", s), small_m ? 4.0 : 1.0);
      if (!small_m && s.m != 64) line("qmath u8s8 / best FP32", s, q / best_fp32, 3.7);
    } else {
      line("qmath int8 (avx2 cap) / FP32 AVX2", s, q / best_fp32, 1.0);
    }
  }
  for (const shape& s : k_shapes) {
    const double best_fp32 = std::fmax(gops("openblas_sgemm", s), gops("dnnl_sgemm", s));
    if (s.n == 4096 && s.k == 4096 && s.m <= 8) line("qmath int4 g128 / best FP32", s, gops("qmath_int4_g128", s) / best_fp32, 6.0);
    if (s.m == 64 && s.n == 4096) {
      std::printf("%-40s %-16s %8.2f %8s  (no target)\n", "qmath int4 g128 / best FP32", shape_name(s).c_str(),
                  gops("qmath_int4_g128", s) / best_fp32, "-");
      line("qmath dynamic linear / best FP32", s, gops("qmath_linear_dyn", s) / best_fp32, 2.5);
    }
  }
  const shape big{2048, 2048, 2048};
  line("qmath 2 threads / 1 thread (wall)", big, gops("qmath_u8s8_2t", big, true) / gops("qmath_u8s8", big, true), 1.8);
}

}  // namespace

int main(int argc, char** argv) {
  // The BLAS libraries read their environment when they are loaded: re-exec once.
  if (std::getenv("QMATH_BENCH_REEXEC") == nullptr) {
    const char* cap = std::getenv("QMATH_MAX_ISA");
    const bool avx2 = cap && std::string(cap) == "avx2";
    setenv("QMATH_BENCH_REEXEC", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    // Forced (this machine's environment presets Haswell, the AVX2 kernels).
    setenv("OPENBLAS_CORETYPE", avx2 ? "Haswell" : "SkylakeX", 1);
    execv("/proc/self/exe", argv);
    std::perror("bench_gemm: re-exec failed, continuing with the current environment");
  }
  if (omp_set_num_threads) omp_set_num_threads(1);
#if defined(QMATH_BENCH_OPENBLAS)
  openblas_set_num_threads(1);
#endif
#if defined(QMATH_BENCH_DNNL)
  if (qmath::max_isa() == qmath::isa::avx2) (void)dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2);
#endif
  const char* only = std::getenv("QMATH_BENCH_SHAPES");  // optional filter, e.g. "256x256x256"
  benchmark::RegisterBenchmark("vnni_peak", bm_vnni_peak)->Unit(benchmark::kMicrosecond);
  for (const shape& s : k_shapes) {
    const std::string n = shape_name(s);
    if (only && std::string(only).find(n) == std::string::npos) continue;
#if defined(QMATH_BENCH_OPENBLAS)
    benchmark::RegisterBenchmark(("openblas_sgemm/" + n).c_str(), bm_openblas, s)->Unit(benchmark::kMicrosecond);
#endif
#if defined(QMATH_BENCH_DNNL)
    benchmark::RegisterBenchmark(("dnnl_sgemm/" + n).c_str(), bm_dnnl_sgemm, s)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("dnnl_u8s8s32/" + n).c_str(), bm_dnnl_int8, s, false)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("dnnl_s8s8s32/" + n).c_str(), bm_dnnl_int8, s, true)->Unit(benchmark::kMicrosecond);
#endif
    benchmark::RegisterBenchmark(("qmath_u8s8/" + n).c_str(), bm_qmath, s, false, 1u)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("qmath_s8s8/" + n).c_str(), bm_qmath, s, true, 1u)->Unit(benchmark::kMicrosecond);
    if (s.m == 2048)
      benchmark::RegisterBenchmark(("qmath_u8s8_2t/" + n).c_str(), bm_qmath, s, false, 2u)->Unit(benchmark::kMicrosecond);
    if (s.n == 4096 && s.k == 4096)
      benchmark::RegisterBenchmark(("qmath_int4_g128/" + n).c_str(), bm_qmath_int4, s)->Unit(benchmark::kMicrosecond);
    if (s.m == 64 && s.n == 4096)
      benchmark::RegisterBenchmark(("qmath_linear_dyn/" + n).c_str(), bm_qmath_linear, s)->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_summary();
  return 0;
}
