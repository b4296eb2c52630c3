// bench_gguf: GGUF block-quantized matrix-vector products (llama.cpp's
// decode-time kernel) against an FP32 matrix-vector product measured in the
// same run, single thread; and reference quantize-row throughput.
//
//   matvec/<pair>/<rows>x<cols>   out[r] = dot(row r, v), v quantized once (Q8_0 / Q8_1 / Q8_K)
//   fp32/openblas_sgemv           cblas_sgemv (when OpenBLAS is found)
//   fp32/loop                     a plain float loop: AVX-512 intrinsics (16 lanes, 4
//                                 accumulators) where the CPU has AVX-512, else what the
//                                 compiler auto-vectorises
//   quantize/<format>             quantize() of 1M floats (the scalar reference)
// Counters: GB/s of weight bytes read, and the result's relative error
// against double (max over rows, |y - y_exact| / sum |w v|).
// The summary prints median CPU times and ratio = best FP32 time / qmath time.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "qmath/gguf/dot.hpp"
#include "qmath/gguf/quantize.hpp"
#include "qmath/simd/isa.hpp"

#if defined(QMATH_BENCH_OPENBLAS)
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

constexpr std::size_t k_rows = 4096, k_cols = 4096;

std::map<std::string, std::vector<double>>& timings() {
  static std::map<std::string, std::vector<double>> t;
  return t;
}
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
template <class F>
void timed(benchmark::State& state, const std::string& key, double bytes, F&& f) {
  const double c0 = cpu_seconds();
  for (auto _ : state) f();
  const double c = cpu_seconds() - c0;
  timings()[key].push_back(c / static_cast<double>(state.iterations()));
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

struct problem {
  std::vector<float> w, v, exact, mag;
  problem() {
    std::mt19937 rng(42);
    std::normal_distribution<float> g(0.0f, 0.02f), a(0.0f, 1.0f);
    w.resize(k_rows * k_cols);
    v.resize(k_cols);
    for (auto& x : w) x = g(rng);
    for (auto& x : v) x = a(rng);
    exact.resize(k_rows);
    mag.resize(k_rows);
    for (std::size_t r = 0; r < k_rows; ++r) {
      double s = 0, m = 0;
      for (std::size_t c = 0; c < k_cols; ++c) {
        s += static_cast<double>(w[r * k_cols + c]) * v[c];
        m += std::fabs(static_cast<double>(w[r * k_cols + c]) * v[c]);
      }
      exact[r] = static_cast<float>(s);
      mag[r] = static_cast<float>(m);
    }
  }
  double rel_err(const std::vector<float>& y) const {
    double e = 0;
    for (std::size_t r = 0; r < k_rows; ++r) e = std::max(e, std::fabs(static_cast<double>(y[r]) - exact[r]) / mag[r]);
    return e;
  }
};
const problem& prob() {
  static const problem p;
  return p;
}

template <class X, class Y>
void bm_matvec(benchmark::State& state, const char* name) {
  const auto& p = prob();
  std::vector<X> wq(k_rows * k_cols / qmath::gguf::block_elements<X>);
  std::vector<Y> vq(k_cols / qmath::gguf::block_elements<Y>);
  if (!qmath::gguf::quantize(p.w, std::span<X>(wq)).ok() || !qmath::gguf::quantize(p.v, std::span<Y>(vq)).ok()) {
    state.SkipWithError("quantize failed");
    return;
  }
  std::vector<float> y(k_rows);
  timed(state, std::string("matvec/") + name, static_cast<double>(wq.size() * sizeof(X)), [&] {
    (void)qmath::gguf::matvec(std::span<const X>(wq), k_rows, std::span<const Y>(vq), y);
    benchmark::DoNotOptimize(y.data());
  });
  state.counters["rel_err"] = p.rel_err(y);
  state.SetLabel(std::string(qmath::to_string(qmath::gguf::kernel_level())));
}

#if defined(__x86_64__)
QMATH_SIMD_DIAGNOSTICS_BEGIN
__attribute__((target("avx512f,avx2,fma"))) void sgemv_avx512(const float* w, const float* v, float* y) {
  for (std::size_t r = 0; r < k_rows; ++r) {
    const float* a = w + r * k_cols;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (std::size_t c = 0; c < k_cols; c += 64) {
      s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + c), _mm512_loadu_ps(v + c), s0);
      s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + c + 16), _mm512_loadu_ps(v + c + 16), s1);
      s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + c + 32), _mm512_loadu_ps(v + c + 32), s2);
      s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + c + 48), _mm512_loadu_ps(v + c + 48), s3);
    }
    y[r] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  }
}
QMATH_SIMD_DIAGNOSTICS_END
#endif
void sgemv_plain(const float* w, const float* v, float* y) {
  for (std::size_t r = 0; r < k_rows; ++r) {
    const float* a = w + r * k_cols;
    float s[16] = {};
    for (std::size_t c = 0; c < k_cols; c += 16)
      for (int l = 0; l < 16; ++l) s[l] += a[c + static_cast<std::size_t>(l)] * v[c + static_cast<std::size_t>(l)];
    float t = 0;
    for (float x : s) t += x;
    y[r] = t;
  }
}

void bm_fp32_loop(benchmark::State& state) {
  const auto& p = prob();
  std::vector<float> y(k_rows);
#if defined(__x86_64__)
  const bool avx512 = qmath::cpu_supports(qmath::isa::avx512);
#else
  const bool avx512 = false;
#endif
  timed(state, "fp32/loop", static_cast<double>(p.w.size() * 4), [&] {
#if defined(__x86_64__)
    if (avx512) sgemv_avx512(p.w.data(), p.v.data(), y.data());
    else
#endif
      sgemv_plain(p.w.data(), p.v.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  });
  state.counters["rel_err"] = p.rel_err(y);
  state.SetLabel(avx512 ? "avx512 intrinsics" : "auto-vectorised");
}

#if defined(QMATH_BENCH_OPENBLAS)
void bm_fp32_openblas(benchmark::State& state) {
  const auto& p = prob();
  openblas_set_num_threads(1);
  std::vector<float> y(k_rows);
  timed(state, "fp32/openblas_sgemv", static_cast<double>(p.w.size() * 4), [&] {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(k_rows), static_cast<int>(k_cols), 1.0f, p.w.data(),
                static_cast<int>(k_cols), p.v.data(), 1, 0.0f, y.data(), 1);
    benchmark::DoNotOptimize(y.data());
  });
  state.counters["rel_err"] = p.rel_err(y);
}
#endif

template <class B>
void bm_quantize(benchmark::State& state, const char* name) {
  const auto& p = prob();
  const std::size_t n = 1u << 20;
  std::vector<B> q(n / qmath::gguf::block_elements<B>);
  const std::span<const float> x(p.w.data(), n);
  timed(state, std::string("quantize/") + name, static_cast<double>(n * 4), [&] {
    (void)qmath::gguf::quantize(x, std::span<B>(q));
    benchmark::DoNotOptimize(q.data());
  });
  state.counters["Melem/s"] = benchmark::Counter(static_cast<double>(n) * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace qmath::gguf;
  benchmark::RegisterBenchmark("fp32/loop/4096x4096", bm_fp32_loop)->Unit(benchmark::kMillisecond);
#if defined(QMATH_BENCH_OPENBLAS)
  benchmark::RegisterBenchmark("fp32/openblas_sgemv/4096x4096", bm_fp32_openblas)->Unit(benchmark::kMillisecond);
#endif
  benchmark::RegisterBenchmark("matvec/q4_0.q8_0/4096x4096", bm_matvec<block_q4_0, block_q8_0>, "q4_0.q8_0")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("matvec/q8_0.q8_0/4096x4096", bm_matvec<block_q8_0, block_q8_0>, "q8_0.q8_0")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("matvec/q4_1.q8_1/4096x4096", bm_matvec<block_q4_1, block_q8_1>, "q4_1.q8_1")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("matvec/q5_0.q8_0/4096x4096", bm_matvec<block_q5_0, block_q8_0>, "q5_0.q8_0")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("matvec/q4_k.q8_k/4096x4096", bm_matvec<block_q4_k, block_q8_k>, "q4_k.q8_k")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("matvec/q6_k.q8_k/4096x4096", bm_matvec<block_q6_k, block_q8_k>, "q6_k.q8_k")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("quantize/q8_0", bm_quantize<block_q8_0>, "q8_0")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("quantize/q4_0", bm_quantize<block_q4_0>, "q4_0")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("quantize/q8_k", bm_quantize<block_q8_k>, "q8_k")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("quantize/q4_k", bm_quantize<block_q4_k>, "q4_k")->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("quantize/q6_k", bm_quantize<block_q6_k>, "q6_k")->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  (void)prob();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  const auto& t = timings();
  double fp32 = 0;
  for (const char* k : {"fp32/loop", "fp32/openblas_sgemv"}) {
    auto it = t.find(k);
    if (it != t.end()) {
      const double m = median(it->second);
      fp32 = fp32 == 0 ? m : std::min(fp32, m);
    }
  }
  std::printf("\nsummary (single thread, median CPU time; ratio = best FP32 matrix-vector time / qmath time)\n");
  std::printf("%-28s %10s %8s\n", "kernel", "ms", "ratio");
  for (const auto& [k, v] : t) {
    const double m = median(v);
    if (k.rfind("quantize/", 0) == 0) {
      std::printf("%-28s %10.3f %8s  (%.1f Melem/s)\n", k.c_str(), m * 1e3, "-", (1u << 20) / m * 1e-6);
    } else {
      std::printf("%-28s %10.3f %8.2f\n", k.c_str(), m * 1e3, fp32 > 0 ? fp32 / m : 0.0);
    }
  }
  std::printf("qmath::gguf kernel level: %s\n", std::string(qmath::to_string(kernel_level())).c_str());
  return 0;
}
