// bench_quantize: quantize / dequantize / fake-quant / pack throughput on
// 16 Mi float32 elements, single thread, against a streaming baseline
// measured in the same run (read 4 bytes + write 1 byte per element, with
// regular and with non-temporal stores, best available ISA).
//
// Ratios printed at the end: time(baseline) / time(op), i.e. the fraction of
// the baseline's element rate the operation reaches. Targets (issue 3):
// per-tensor int8 quantize and dequantize >= 0.85; per-channel and group-128
// >= 0.75; int4 quantize with packing >= 0.75. The PyTorch comparison uses the
// quantize_per_tensor figure from shared/anchors/RESULTS.md (not same-run).

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <span>
#include <ctime>
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "qmath/core/compute_qparams.hpp"
#include "qmath/quantize/fake_quant.hpp"
#include "qmath/quantize/pack.hpp"
#include "qmath/quantize/quantize.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace {

constexpr std::size_t kN = std::size_t{16} << 20;  // 16 Mi elements
constexpr std::size_t kRows = 4096, kCols = kN / kRows;
constexpr double kTorchMelem = 367.4;  // torch.quantize_per_tensor quint8, anchors/RESULTS.md (median)

// 64-byte aligned buffers (as tensor libraries allocate them).
template <class T>
struct aligned_vec {
  T* p = nullptr;
  std::size_t n = 0;
  explicit aligned_vec(std::size_t count) : p(static_cast<T*>(std::aligned_alloc(64, (count * sizeof(T) + 63) / 64 * 64))), n(count) {
    std::memset(static_cast<void*>(p), 0, count * sizeof(T));
  }
  ~aligned_vec() { std::free(p); }
  aligned_vec(const aligned_vec&) = delete;
  aligned_vec& operator=(const aligned_vec&) = delete;
  T* data() { return p; }
  const T* data() const { return p; }
  std::size_t size() const { return n; }
  T& operator[](std::size_t i) { return p[i]; }
  const T& operator[](std::size_t i) const { return p[i]; }
  operator std::span<T>() { return {p, n}; }
  operator std::span<const T>() const { return {p, n}; }
};

struct data_t {
  aligned_vec<float> x;
  aligned_vec<std::int8_t> q8;
  aligned_vec<std::uint8_t> packed;
  aligned_vec<float> y;
  data_t() : x(kN), q8(kN), packed(kN / 2), y(kN) {
    std::uint64_t s = 12345;
    for (std::size_t i = 0; i < kN; i += 2) {
      auto u = [&] {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return (static_cast<float>(s >> 40) + 0.5f) * 0x1p-24f;
      };
      const float r = std::sqrt(-2.0f * std::log(u())), t = 6.2831853f * u();
      x[i] = r * std::cos(t);
      x[i + 1] = r * std::sin(t);
    }
  }
};
data_t& data() {
  static data_t d;
  return d;
}

double sqnr_db(const aligned_vec<float>& a, const aligned_vec<float>& b) {
  double s = 0, e = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    s += double(a[i]) * a[i];
    e += double(a[i] - b[i]) * (a[i] - b[i]);
  }
  return 10.0 * std::log10(s / e);
}

// ---------------------------------------------------------------------------
// Streaming baseline: read 16 floats, write 16 bytes (their low bytes).
// ---------------------------------------------------------------------------
#if defined(__x86_64__)
QMATH_SIMD_DIAGNOSTICS_BEGIN
__attribute__((target("avx512f,avx512bw"))) void stream_avx512(const float* x, std::int8_t* o, std::size_t n,
                                                               bool nt) {
  if (nt) {
    for (std::size_t i = 0; i < n; i += 64) {
      for (int k = 0; k < 4; ++k) {
        const __m128i b = _mm512_cvtepi32_epi8(_mm512_castps_si512(_mm512_loadu_ps(x + i + 16 * k)));
        _mm_stream_si128(reinterpret_cast<__m128i*>(o + i + 16 * k), b);
      }
    }
    _mm_sfence();
  } else {
    for (std::size_t i = 0; i < n; i += 64) {
      for (int k = 0; k < 4; ++k) {
        const __m128i b = _mm512_cvtepi32_epi8(_mm512_castps_si512(_mm512_loadu_ps(x + i + 16 * k)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + i + 16 * k), b);
      }
    }
  }
}
__attribute__((target("avx2"))) void stream_avx2(const float* x, std::int8_t* o, std::size_t n, bool nt) {
  const __m256i shuf = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1,
                                        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  for (std::size_t i = 0; i < n; i += 32) {
    __m256i v[4];
    for (int k = 0; k < 4; ++k) v[k] = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i + 8 * k)), shuf);
    // lanes: [k:0..3 | k:4..7] bytes 0..3 of each 128-bit lane
    const __m256i a = _mm256_unpacklo_epi32(v[0], v[1]), b = _mm256_unpacklo_epi32(v[2], v[3]);
    const __m256i c = _mm256_unpacklo_epi64(a, b);
    const __m256i r = _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
    if (nt) _mm256_stream_si256(reinterpret_cast<__m256i*>(o + i), r);
    else _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + i), r);
  }
  if (nt) _mm_sfence();
}
QMATH_SIMD_DIAGNOSTICS_END
#endif

void stream_baseline(const float* x, std::int8_t* o, std::size_t n, bool nt) {
#if defined(__x86_64__)
  if (qmath::cpu_supports(qmath::isa::avx512)) return stream_avx512(x, o, n, nt);
  if (qmath::cpu_supports(qmath::isa::avx2)) return stream_avx2(x, o, n, nt);
#endif
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t b;
    std::memcpy(&b, x + i, 4);
    o[i] = static_cast<std::int8_t>(b);
  }
}

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Same-run ratios: every iteration times the baseline (regular and
// non-temporal stores) and the operation back to back on this thread's CPU
// clock; the ratio uses the fastest iteration of each (the least disturbed on
// a shared machine).
struct ratio_result {
  double op = 0, base = 0, base_nt = 0;  // best seconds per pass
  double med_vs_base = 0, med_vs_base_nt = 0;  // median of per-iteration ratios
};
double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
std::map<std::string, ratio_result>& results() {
  static std::map<std::string, ratio_result> r;
  return r;
}

template <class Op>
void run_with_baseline(benchmark::State& st, const char* name, Op&& op) {
  auto& d = data();
  // The baseline writes the same 16 MiB buffer as the int8 operations.
  std::int8_t* sink = d.q8.data();
  double best_op = 1e30, best_b = 1e30, best_nt = 1e30;
  std::vector<double> rb, rnt;
  for (auto _ : st) {
    double t0 = thread_seconds();
    stream_baseline(d.x.data(), sink, kN, false);
    benchmark::ClobberMemory();
    double t1 = thread_seconds();
    stream_baseline(d.x.data(), sink, kN, true);
    benchmark::ClobberMemory();
    double t2 = thread_seconds();
    if (!op()) {
      st.SkipWithError("operation failed");
      break;
    }
    benchmark::ClobberMemory();
    double t3 = thread_seconds();
    best_b = std::min(best_b, t1 - t0);
    best_nt = std::min(best_nt, t2 - t1);
    best_op = std::min(best_op, t3 - t2);
    rb.push_back((t1 - t0) / (t3 - t2));
    rnt.push_back((t2 - t1) / (t3 - t2));
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(kN));
  st.counters["Melem_per_s"] = kN / best_op / 1e6;
  st.counters["vs_base"] = best_b / best_op;
  st.counters["vs_base_nt"] = best_nt / best_op;
  results()[name] = {best_op, best_b, best_nt, median(rb), median(rnt)};
}

template <class S>
qmath::qparams<S> pt_params() {
  return *qmath::compute_qparams<S>(std::span<const float>(data().x.data(), kN), qmath::qparams_options{});
}

template <class S>
qmath::qparams<S> layout_params(const std::vector<std::size_t>& shape) {
  qmath::qparams<S> p{};
  (void)qmath::compute_qparams<S>(std::span<const float>(data().x.data(), kN), shape, p, qmath::qparams_options{});
  return p;
}

void BM_baseline(benchmark::State& st) {
  run_with_baseline(st, "baseline/stream", [] {
    stream_baseline(data().x.data(), data().q8.data(), kN, false);
    return true;
  });
}

void BM_quantize_per_tensor_int8(benchmark::State& st, qmath::division div, const char* name) {
  auto& d = data();
  const auto p = pt_params<qmath::int8_sym_per_tensor>();
  qmath::quantize_options o;
  o.div = div;
  run_with_baseline(st, name, [&] { return qmath::quantize(std::span<const float>(d.x.data(), kN), p, std::span<std::int8_t>(d.q8.data(), kN), o).ok(); });
  (void)qmath::dequantize(std::span<const std::int8_t>(d.q8.data(), kN), p, std::span<float>(d.y.data(), kN));
  st.counters["SQNR_dB"] = sqnr_db(d.x, d.y);
}

void BM_quantize_per_tensor_uint8_stochastic(benchmark::State& st) {
  auto& d = data();
  const auto p = pt_params<qmath::uint8_affine_per_tensor>();
  qmath::quantize_options o;
  o.round = qmath::rounding::stochastic;
  o.seed = 7;
  auto* q = reinterpret_cast<std::uint8_t*>(d.q8.data());
  run_with_baseline(st, "quantize/per_tensor_uint8_stochastic",
                    [&] { return qmath::quantize(std::span<const float>(d.x.data(), kN), p, std::span(q, kN), o).ok(); });
}

void BM_dequantize_per_tensor_int8(benchmark::State& st) {
  auto& d = data();
  const auto p = pt_params<qmath::int8_sym_per_tensor>();
  (void)qmath::quantize(std::span<const float>(d.x.data(), kN), p, std::span<std::int8_t>(d.q8.data(), kN));
  run_with_baseline(st, "dequantize/per_tensor_int8",
                    [&] { return qmath::dequantize(std::span<const std::int8_t>(d.q8.data(), kN), p, std::span<float>(d.y.data(), kN)).ok(); });
  st.counters["SQNR_dB"] = sqnr_db(d.x, d.y);
}

void BM_fake_quant_per_tensor_int8(benchmark::State& st) {
  auto& d = data();
  const auto p = pt_params<qmath::int8_sym_per_tensor>();
  run_with_baseline(st, "fake_quant/per_tensor_int8",
                    [&] { return qmath::fake_quant(std::span<const float>(d.x.data(), kN), p, std::span<float>(d.y.data(), kN), {}).ok(); });
  st.counters["SQNR_dB"] = sqnr_db(d.x, d.y);
}

template <class S>
void BM_quantize_layout(benchmark::State& st, const char* name, std::vector<std::size_t> shape) {
  auto& d = data();
  const auto p = layout_params<S>(shape);
  run_with_baseline(st, name,
                    [&] { return qmath::quantize(std::span<const float>(d.x.data(), kN), shape, p, std::span<std::int8_t>(d.q8.data(), kN)).ok(); });
  (void)qmath::dequantize(std::span<const std::int8_t>(d.q8.data(), kN), shape, p, std::span<float>(d.y.data(), kN));
  st.counters["SQNR_dB"] = sqnr_db(d.x, d.y);
}

template <class S>
void BM_dequantize_layout(benchmark::State& st, const char* name, std::vector<std::size_t> shape) {
  auto& d = data();
  const auto p = layout_params<S>(shape);
  (void)qmath::quantize(std::span<const float>(d.x.data(), kN), shape, p, std::span<std::int8_t>(d.q8.data(), kN));
  run_with_baseline(st, name, [&] {
    return qmath::dequantize(std::span<const std::int8_t>(d.q8.data(), kN), shape, p, std::span<float>(d.y.data(), kN)).ok();
  });
}

void BM_quantize_int4_packed_per_tensor(benchmark::State& st) {
  auto& d = data();
  const auto p = pt_params<qmath::int4_sym_per_tensor>();
  run_with_baseline(st, "quantize/int4_packed_per_tensor", [&] {
    return qmath::quantize_packed(std::span<const float>(d.x.data(), kN), p, std::span<std::uint8_t>(d.packed.data(), kN / 2)).ok();
  });
  (void)qmath::dequantize_packed(std::span<const std::uint8_t>(d.packed.data(), kN / 2), p, std::span<float>(d.y.data(), kN));
  st.counters["SQNR_dB"] = sqnr_db(d.x, d.y);
}

void BM_quantize_int4_packed_g128(benchmark::State& st) {
  auto& d = data();
  const std::vector<std::size_t> shape{kRows, kCols};
  const auto p = layout_params<qmath::int4_sym_g128>(shape);
  run_with_baseline(st, "quantize/int4_packed_g128", [&] {
    return qmath::quantize_packed(std::span<const float>(d.x.data(), kN), shape, p, std::span<std::uint8_t>(d.packed.data(), kN / 2)).ok();
  });
  (void)qmath::dequantize_packed(std::span<const std::uint8_t>(d.packed.data(), kN / 2), shape, p, std::span<float>(d.y.data(), kN));
  st.counters["SQNR_dB"] = sqnr_db(d.x, d.y);
}

void BM_unpack_int4(benchmark::State& st) {
  auto& d = data();
  run_with_baseline(st, "unpack/int4",
                    [&] { return qmath::unpack(std::span<const std::uint8_t>(d.packed.data(), kN / 2), 4, std::span<std::int8_t>(d.q8.data(), kN)).ok(); });
}

}  // namespace

int main(int argc, char** argv) {
  (void)data();
  using namespace qmath;
  auto reg = [](const char* name, auto fn) {
    return benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kMillisecond)->MinTime(0.3);
  };
  reg("baseline/stream", BM_baseline);
  reg("quantize/per_tensor_int8",
      [](benchmark::State& s) { BM_quantize_per_tensor_int8(s, division::exact, "quantize/per_tensor_int8"); });
  reg("quantize/per_tensor_int8_reciprocal", [](benchmark::State& s) {
    BM_quantize_per_tensor_int8(s, division::reciprocal, "quantize/per_tensor_int8_reciprocal");
  });
  reg("quantize/per_tensor_uint8_stochastic", BM_quantize_per_tensor_uint8_stochastic);
  reg("dequantize/per_tensor_int8", BM_dequantize_per_tensor_int8);
  reg("fake_quant/per_tensor_int8", BM_fake_quant_per_tensor_int8);
  reg("quantize/per_channel_int8_axis0", [](benchmark::State& s) {
    BM_quantize_layout<int8_sym_per_channel>(s, "quantize/per_channel_int8_axis0", {kRows, kCols});
  });
  using pc1 = scheme<8, signedness::signed_int, mapping::symmetric, per_channel<1>>;
  reg("quantize/per_channel_int8_axis1",
      [](benchmark::State& s) { BM_quantize_layout<pc1>(s, "quantize/per_channel_int8_axis1", {kRows, kCols}); });
  reg("dequantize/per_channel_int8_axis0", [](benchmark::State& s) {
    BM_dequantize_layout<int8_sym_per_channel>(s, "dequantize/per_channel_int8_axis0", {kRows, kCols});
  });
  reg("quantize/group128_int4", [](benchmark::State& s) {
    BM_quantize_layout<int4_sym_g128>(s, "quantize/group128_int4", {kRows, kCols});
  });
  reg("dequantize/group128_int4", [](benchmark::State& s) {
    BM_dequantize_layout<int4_sym_g128>(s, "dequantize/group128_int4", {kRows, kCols});
  });
  reg("quantize/int4_packed_per_tensor", BM_quantize_int4_packed_per_tensor);
  reg("quantize/int4_packed_g128", BM_quantize_int4_packed_g128);
  reg("unpack/int4", BM_unpack_int4);

  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();

  const auto& r = results();
  std::printf("\nqmath quantize kernels dispatch to: %s; 16 Mi float32 elements, 1 thread\n",
              std::string(to_string(quantize_active_level())).c_str());
  std::printf("Ratios = element rate of the operation / element rate of the streaming baseline (read 4 B + write 1 B\n"
              "per element), both timed back to back in every iteration on this thread's CPU clock. 'best' columns:\n"
              "fastest iteration of each; 'med' columns: median over iterations of the per-iteration ratio.\n");
  std::printf("%-38s %8s %8s %9s %9s %9s %9s %6s  %s\n", "operation", "Melem/s", "base", "best/b", "best/nt", "med/b",
              "med/nt", "target", "meets(med/nt)");
  struct row {
    const char* name;
    double target;
  };
  const row rows[] = {
      {"baseline/stream", 0},
      {"quantize/per_tensor_int8", 0.85},
      {"quantize/per_tensor_int8_reciprocal", 0.85},
      {"dequantize/per_tensor_int8", 0.85},
      {"quantize/per_channel_int8_axis0", 0.75},
      {"quantize/per_channel_int8_axis1", 0.75},
      {"dequantize/per_channel_int8_axis0", 0.75},
      {"quantize/group128_int4", 0.75},
      {"dequantize/group128_int4", 0.75},
      {"quantize/int4_packed_per_tensor", 0.75},
      {"quantize/int4_packed_g128", 0.75},
      {"quantize/per_tensor_uint8_stochastic", 0},
      {"fake_quant/per_tensor_int8", 0},
      {"unpack/int4", 0},
  };
  for (const row& w : rows) {
    auto it = r.find(w.name);
    if (it == r.end()) continue;
    const ratio_result& x = it->second;
    const double vb = x.base / x.op, vnt = x.base_nt / x.op;
    const double vbest = std::min(x.med_vs_base, x.med_vs_base_nt);
    char tgt[16] = "-", ok[8] = "-";
    if (w.target > 0) {
      std::snprintf(tgt, sizeof tgt, "%.2f", w.target);
      std::snprintf(ok, sizeof ok, "%s", vbest >= w.target ? "yes" : "NO");
    }
    std::printf("%-38s %8.0f %8.0f %9.3f %9.3f %9.3f %9.3f %6s  %s\n", w.name, kN / x.op / 1e6,
                kN / std::min(x.base, x.base_nt) / 1e6, vb, vnt, x.med_vs_base, x.med_vs_base_nt, tgt, ok);
  }
  auto it = r.find("quantize/per_tensor_int8");
  if (it != r.end()) {
    const double melem = kN / it->second.op / 1e6;
    std::printf("\nper-tensor int8 quantize: %.0f Melem/s = %.1fx PyTorch torch.quantize_per_tensor (%.1f Melem/s: a\n"
                "figure from shared/anchors/RESULTS.md measured earlier on this machine, NOT in this run)\n",
                melem, melem / kTorchMelem, kTorchMelem);
  }
  std::printf("('meets' requires the median ratio against the faster of the two baselines to reach the target)\n");
  benchmark::Shutdown();
  return 0;
}
