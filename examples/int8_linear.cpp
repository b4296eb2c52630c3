// Example 5: an int8 linear layer against float32 — error and speed.
//
// ESRGAN's GFF_1 is a 1x1 convolution from 640 to 64 channels: per pixel, a
// linear layer y = x W + b with W [640 x 64] (bundled real weights). Over a
// 64x64 feature map it is one matrix product C[4096 x 64] = A[4096 x 640] W.
// The input features are synthetic (ReLU of N(0,1), fixed seed).
//
//   float32: C = A W + b                        (OpenBLAS sgemm when available)
//   int8:    A -> uint8 affine per-tensor, W -> int8 symmetric per-channel,
//            C = dequantize(A_q W_q) + b        (qmath::gemm, output_dequantize)
//
//   ./int8_linear
#include <algorithm>
#include <functional>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <vector>

#include "qmath/gemm/gemm.hpp"
#include "qmath/io/npy.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/qmath.hpp"
#include "timing.hpp"  // best-of-interleaved-rounds timing

#ifdef QMATH_EXAMPLE_HAVE_BLAS
extern "C" void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                       const int*, const float*, const int*, const float*, float*, const int*);
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
#endif

namespace {

int fail(const char* what, const qmath::status& st) {
  std::fprintf(stderr, "%s: %s\n", what, st.message().c_str());
  return 1;
}

}  // namespace

int main() {
  auto wk = qmath::io::read_npy("data/esrgan_x4/GFF_1__kernel.npy");  // [1, 1, 640, 64]
  auto wb = qmath::io::read_npy("data/esrgan_x4/GFF_1__bias.npy");
  if (!wk) return fail("GFF_1__kernel.npy", wk.error());
  if (!wb) return fail("GFF_1__bias.npy", wb.error());
  const std::span<const float> w = wk->values<float>(), bias = wb->values<float>();
  const std::size_t N = wk->shape.back(), K = w.size() / N, M = 64 * 64;

  std::vector<float> a(M * K);
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (auto& v : a) v = std::max(0.0f, g(rng));

  // Reference in double.
  std::vector<float> ref(M * N);
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) {
      double s = bias[j];
      for (std::size_t k = 0; k < K; ++k) s += static_cast<double>(a[i * K + k]) * w[k * N + j];
      ref[i * N + j] = static_cast<float>(s);
    }

  // --- int8 -------------------------------------------------------------------
  // Weights: int8 symmetric, one scale per output channel (axis 1 of [K, N]).
  using WS = qmath::scheme<8, qmath::signedness::signed_int, qmath::mapping::symmetric, qmath::per_channel<1>>;
  const std::size_t wshape[2] = {K, N};
  qmath::qparams_options wo;
  wo.convention = qmath::qparams_convention::tflite;  // scale_j = max_k |W[k][j]| / 127
  auto wp = qmath::compute_qparams<WS>(w, wshape, wo);
  if (!wp) return fail("weight qparams", wp.error());
  std::vector<std::int8_t> wq(w.size());
  if (auto st = qmath::quantize(w, wshape, *wp, std::span<std::int8_t>(wq)); !st) return fail("quantize W", st);
  // Pack once: the layout every kernel (AVX-512 VNNI ... NEON) reads.
  auto packed = qmath::pack_weights(qmath::matrix_view<std::int8_t>{wq, K, N});
  if (!packed) return fail("pack_weights", packed.error());

  // Activations: uint8 affine, one scale for the tensor (a calibrator would
  // choose it from samples; here from this batch: dynamic quantization).
  auto ap = qmath::compute_qparams<qmath::uint8_affine_per_tensor>(a, qmath::qparams_options{});
  if (!ap) return fail("activation qparams", ap.error());
  std::vector<std::uint8_t> aq(a.size());
  std::vector<float> c8(M * N);
  const float a_scale[1] = {ap->scale};
  // C[i][j] = float(acc) * (a_scale * w_scale[j]) + bias[j], acc = sum_k (A_q - za) * W_q exactly in integers.
  const qmath::output_dequantize stage{a_scale, wp->scale, bias};
  qmath::status st8;
  auto int8_layer = [&] {
    st8 = qmath::quantize(std::span<const float>(a), *ap, std::span<std::uint8_t>(aq));
    if (st8) st8 = qmath::gemm(qmath::matrix_view<std::uint8_t>{aq, M, K}, ap->zero_point, *packed,
                               qmath::matrix_span<float>{c8, M, N}, stage);
  };
  std::vector<std::function<void()>> layers{int8_layer};

  // --- float32 --------------------------------------------------------------
  std::vector<float> c32(M * N);
#ifdef QMATH_EXAMPLE_HAVE_BLAS
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  const int m = static_cast<int>(M), n = static_cast<int>(N), k = static_cast<int>(K);
  const float one = 1.0f, zero = 0.0f;
  layers.push_back([&] {
    sgemm_("N", "N", &n, &m, &k, &one, w.data(), &n, a.data(), &k, &zero, c32.data(), &n);
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) c32[i * N + j] += bias[j];
  });
#endif
  // Both variants timed in interleaved rounds (best of >= 9 rounds).
  const std::vector<double> t = report::best_of_interleaved(layers, 0.2);
  if (!st8) return fail("int8 layer", st8);
  const double t8 = t[0], t32 = t.size() > 1 ? t[1] : NAN;
  auto e8 = qmath::compare(ref, c8);
  if (!e8) return fail("compare", e8.error());

  std::printf("linear layer %zu -> %zu (GFF_1) on %zu rows: %.1f MMAC\n", K, N, M, 1e-6 * double(M * N * K));
  std::printf("int8 kernels: qmath %s\n\n", std::string(qmath::to_string(qmath::gemm_active_isa())).c_str());
  std::printf("%-34s %10s %9s %10s %12s\n", "variant", "time us", "GMAC/s", "SQNR dB", "max |err|");
  if (std::isfinite(t32)) {
    auto e32 = qmath::compare(ref, c32);
    if (!e32) return fail("compare", e32.error());
    std::printf("%-34s %10.1f %9.1f %10.2f %12.3e\n", "float32 (OpenBLAS sgemm + bias)", t32 * 1e6,
                1e-9 * double(M * N * K) / t32, e32->sqnr_db(), static_cast<double>(e32->max_abs_err));
  } else {
    std::printf("%-34s %10s   (built without OpenBLAS: no float32 timing)\n", "float32", "n/a");
  }
  std::printf("%-34s %10.1f %9.1f %10.2f %12.3e\n", "int8 (quantize A + qmath::gemm)", t8 * 1e6,
              1e-9 * double(M * N * K) / t8, e8->sqnr_db(), static_cast<double>(e8->max_abs_err));
  if (std::isfinite(t32)) std::printf("\nint8 / float32 speed: %.2fx (same process, 1 thread, best of interleaved rounds)\n", t32 / t8);
  std::printf("weights: %zu bytes float32 -> %zu bytes int8 + %zu scales\n", 4 * w.size(), wq.size(), N);
  // An 8-bit layer on well-scaled data keeps the output within ~30 dB of float.
  return e8->sqnr_db() > 30.0 ? 0 : 1;
}
