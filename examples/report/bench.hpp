#pragma once
// Section 4 of qmath-report (--bench): C = A x W for the tensor's shape, with
// W the tensor as a K x N matrix and A an M x K activation matrix (synthetic:
// N(0, 1), fixed seed; timings do not depend on the values, errors do).
//   FP32   sgemm of the BLAS found at build time (OpenBLAS), single thread
//   INT8   A -> uint8 affine per-tensor, W -> int8 symmetric per-channel
//          (qmath::compute_qparams + qmath::quantize), W packed once
//          (qmath::pack_weights), then qmath::gemm with the float
//          output_dequantize stage; timed with and without quantizing A
//   INT4-W the same with W quantized to int4 symmetric per-channel (codes
//          stored one per byte and run through the int8 kernel: the saving is
//          in storage, not in time)
// Errors are against a double-precision reference product. Timings: best of
// interleaved rounds in this process (timing.hpp), so the ratio compares like
// with like.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cli.hpp"
#include "json_writer.hpp"
#include "load.hpp"
#include "qmath/core/compute_qparams.hpp"
#include "qmath/gemm/gemm.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/quantize/quantize.hpp"
#include "../timing.hpp"

#ifdef QMATH_REPORT_HAVE_BLAS
extern "C" {
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
            const int* ldc);
// OpenBLAS extras, used when present.
void openblas_set_num_threads(int) __attribute__((weak));
char* openblas_get_config() __attribute__((weak));
}
#endif

namespace report {

struct bench_variant {
  std::string name;
  double seconds = nan_v;  // median per call
  double sqnr_db = nan_v;  // output vs the double reference
  double max_abs_error = nan_v;
  bool available = false;
};

struct bench_result {
  std::size_t m = 0, k = 0, n = 0;
  std::string blas;  // FP32 provider
  std::string int8_isa;
  std::vector<bench_variant> variants;  // fp32, int8 gemm, int8 incl. quantize A, int4-w gemm
};

namespace bench_detail {

template <class W>
bool quantize_weights(const std::vector<float>& w, std::size_t K, std::size_t N, std::vector<std::int8_t>& codes,
                      std::vector<float>& scales, std::string& err) {
  const std::size_t shape[2] = {K, N};
  qmath::qparams_options qo;
  qo.convention = qmath::qparams_convention::tflite;  // scale = max|w| / qmax
  auto p = qmath::compute_qparams<W>(w, shape, qo);
  if (!p) {
    err = p.error().message();
    return false;
  }
  codes.resize(w.size());
  if (auto st = qmath::quantize(std::span<const float>(w), shape, *p, std::span<std::int8_t>(codes)); !st) {
    err = st.message();
    return false;
  }
  scales = p->scale;
  return true;
}

}  // namespace bench_detail

inline bool bench_matmul(const tensor& t, const options& o, bench_result& b, std::string& err) {
  using namespace bench_detail;
  const bool last = o.axis == channel_axis::last;
  const std::size_t K = t.rows, N = t.cols, M = o.bench_m;
  b.m = M;
  b.k = K;
  b.n = N;
  // W as K x N row-major (channels last is already that layout).
  std::vector<float> w(K * N);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t j = 0; j < N; ++j) w[k * N + j] = last ? t.values[k * N + j] : t.values[j * K + k];
  std::vector<float> a(M * K);
  std::mt19937 rng(42);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : a) v = nd(rng);

  // Double-precision reference.
  std::vector<double> ref(M * N, 0.0);
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t k = 0; k < K; ++k) {
      const double av = a[i * K + k];
      for (std::size_t j = 0; j < N; ++j) ref[i * N + j] += av * static_cast<double>(w[k * N + j]);
    }
  std::vector<float> ref_f(ref.begin(), ref.end());
  auto score = [&](bench_variant& v, const std::vector<float>& c) {
    auto e = qmath::compare(ref_f, c);
    if (e) {
      v.sqnr_db = e->sqnr_db();
      v.max_abs_error = e->max_abs_err;
    }
  };

  // INT8: activations uint8 affine per-tensor; weights int8 / int4 symmetric per-channel.
  auto ap = qmath::compute_qparams<qmath::uint8_affine_per_tensor>(a, qmath::qparams_options{});
  if (!ap) {
    err = "activation qparams: " + ap.error().message();
    return false;
  }
  std::vector<std::uint8_t> aq(a.size());
  if (auto st = qmath::quantize(std::span<const float>(a), *ap, std::span<std::uint8_t>(aq)); !st) {
    err = "quantize activations: " + st.message();
    return false;
  }
  const float a_scale[1] = {ap->scale};
  b.int8_isa = std::string(qmath::to_string(qmath::gemm_active_isa()));
  std::vector<std::int8_t> w8, w4;
  std::vector<float> s8, s4;
  if (!quantize_weights<qmath::scheme<8, qmath::signedness::signed_int, qmath::mapping::symmetric,
                                      qmath::per_channel<1>>>(w, K, N, w8, s8, err) ||
      !quantize_weights<qmath::scheme<4, qmath::signedness::signed_int, qmath::mapping::symmetric,
                                      qmath::per_channel<1>>>(w, K, N, w4, s4, err))
    return false;
  auto p8 = qmath::pack_weights(qmath::matrix_view<std::int8_t>{w8, K, N});
  auto p4 = qmath::pack_weights(qmath::matrix_view<std::int8_t>{w4, K, N});
  if (!p8 || !p4) {
    err = "pack_weights: " + (p8 ? p4.error() : p8.error()).message();
    return false;
  }
  const qmath::output_dequantize stage8{a_scale, s8, {}}, stage4{a_scale, s4, {}};

  // The variants, each writing its own C; statuses checked after timing.
  std::vector<std::vector<float>> c(4, std::vector<float>(M * N));
  std::vector<qmath::status> st(4);
  std::vector<std::function<void()>> fs;
  std::vector<std::size_t> slot;
  bench_variant fp32{"FP32 sgemm", nan_v, nan_v, nan_v, false};
#ifdef QMATH_REPORT_HAVE_BLAS
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  b.blas = openblas_get_config ? openblas_get_config() : "BLAS sgemm";
  const int mi = static_cast<int>(M), ni = static_cast<int>(N), ki = static_cast<int>(K);
  const float one = 1.0f, zero = 0.0f;
  // Row-major C = A W is column-major C^T = W^T A^T: sgemm("N", "N", n, m, k, W, A).
  fs.push_back([&] { sgemm_("N", "N", &ni, &mi, &ki, &one, w.data(), &ni, a.data(), &ki, &zero, c[0].data(), &ni); });
  slot.push_back(0);
  fp32.available = true;
#else
  b.blas = "none (built without OpenBLAS: no FP32 baseline)";
#endif
  auto gemm_into = [&](std::size_t i, const qmath::packed_weights& pw, const qmath::output_dequantize& stage) {
    qmath::status g = qmath::gemm(qmath::matrix_view<std::uint8_t>{aq, M, K}, ap->zero_point, pw,
                                  qmath::matrix_span<float>{c[i], M, N}, stage);
    if (!g) st[i] = g;
  };
  fs.push_back([&] { gemm_into(1, *p8, stage8); });
  slot.push_back(1);
  fs.push_back([&] {
    qmath::status q = qmath::quantize(std::span<const float>(a), *ap, std::span<std::uint8_t>(aq));
    if (!q) st[2] = q;
    gemm_into(2, *p8, stage8);
  });
  slot.push_back(2);
  fs.push_back([&] { gemm_into(3, *p4, stage4); });
  slot.push_back(3);
  const std::vector<double> secs = best_of_interleaved(fs);
  for (const auto& s : st) {
    if (!s) {
      err = s.message();
      return false;
    }
  }
  const char* names[4] = {"FP32 sgemm", "INT8 gemm (u8 x s8)", "INT8 incl. quantizing A", "INT4-weight gemm"};
  b.variants.assign(4, bench_variant{});
  b.variants[0] = fp32;
  for (std::size_t v = 0; v < fs.size(); ++v) {
    bench_variant& bv = b.variants[slot[v]];
    bv.name = names[slot[v]];
    bv.available = true;
    bv.seconds = secs[v];
    score(bv, c[slot[v]]);
  }
  return true;
}

inline void print_bench_text(const tensor& t, const bench_result& b) {
  std::printf("\n== Matrix multiplication for %s: C[%zu x %zu] = A[%zu x %zu] x W[%zu x %zu], 1 thread ==\n",
              t.name.c_str(), b.m, b.n, b.m, b.k, b.k, b.n);
  std::printf("FP32: %s; INT8 kernels: qmath %s\n", b.blas.c_str(), b.int8_isa.c_str());
  const double flops = 2.0 * static_cast<double>(b.m * b.n * b.k);
  const double base = b.variants.front().seconds;
  std::printf("  %-26s %10s %9s %11s %9s %11s\n", "variant", "time us", "GOP/s", "vs FP32", "SQNR dB", "max err");
  for (const auto& v : b.variants) {
    if (!v.available) {
      std::printf("  %-26s %10s\n", v.name.c_str(), "n/a");
      continue;
    }
    std::printf("  %-26s %10.1f %9.1f %10.2fx %9.2f %11.3e\n", v.name.c_str(), v.seconds * 1e6, flops / v.seconds / 1e9,
                std::isfinite(base) ? base / v.seconds : nan_v, v.sqnr_db, v.max_abs_error);
  }
  std::printf("  (\"vs FP32\" = FP32 time / variant time, measured in this run; errors against a double reference;\n"
              "   activations are synthetic N(0,1), the weights are the tensor's)\n");
}

inline void json_bench(json_writer& j, const tensor& t, const bench_result& b) {
  j.key("bench").begin_object();
  j.member("tensor", t.name).member("m", b.m).member("k", b.k).member("n", b.n);
  j.member("fp32_provider", b.blas).member("int8_isa", b.int8_isa);
  const double base = b.variants.front().seconds;
  j.key("variants").begin_array();
  for (const auto& v : b.variants) {
    j.begin_object().member("name", v.name).member("available", v.available);
    j.member("seconds", v.seconds).member("speedup_vs_fp32", base / v.seconds);
    j.member("sqnr_db", v.sqnr_db).member("max_abs_error", v.max_abs_error).end_object();
  }
  j.end_array();
  j.end_object();
}

}  // namespace report
