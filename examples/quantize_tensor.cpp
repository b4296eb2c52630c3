// Example 1: quantize one real tensor to int8 and look at what happened.
//
// Reads a convolution kernel of the bundled ESRGAN weights, picks int8
// symmetric per-tensor qparams from its range, quantizes, dequantizes, and
// prints the scale, a few values before/after, the code usage and the error.
//
//   ./quantize_tensor [file.npy]      (default: data/esrgan_x4/F_0__kernel.npy)
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "qmath/io/npy.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/qmath.hpp"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "data/esrgan_x4/F_0__kernel.npy";

  // 1. Load a float32 tensor (qmath::io reads .npy files; errors are values, never exceptions).
  auto arr = qmath::io::read_npy(path);
  if (!arr) {
    std::fprintf(stderr, "%s: %s\n", path, arr.error().message().c_str());
    return 1;
  }
  std::span<const float> x = arr->values<float>();
  if (x.empty()) {
    std::fprintf(stderr, "%s: expected a non-empty float32 array\n", path);
    return 1;
  }
  std::printf("%s: %zu values\n", path, x.size());

  // 2. Choose qparams. The scheme is a type: 8 bits, signed codes, symmetric
  //    (zero_point fixed at 0), one scale for the whole tensor.
  using S = qmath::int8_sym_per_tensor;
  qmath::qparams_options opt;
  opt.convention = qmath::qparams_convention::tflite;  // scale = max|x| / 127
  auto p = qmath::compute_qparams<S>(x, opt);
  if (!p) {
    std::fprintf(stderr, "compute_qparams: %s\n", p.error().message().c_str());
    return 1;
  }
  std::printf("scheme int8 symmetric per-tensor: scale = %.9g, zero_point = %d, codes in [%d, %d]\n", p->scale,
              p->zero_point, S::qmin, S::qmax);

  // 3. Quantize:  q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax)
  std::vector<std::int8_t> q(x.size());
  if (auto st = qmath::quantize(x, *p, std::span<std::int8_t>(q)); !st) {
    std::fprintf(stderr, "quantize: %s\n", st.message().c_str());
    return 1;
  }
  // 4. Dequantize:  x' = (q - zero_point) * scale
  std::vector<float> y(x.size());
  if (auto st = qmath::dequantize(std::span<const std::int8_t>(q), *p, std::span<float>(y)); !st) {
    std::fprintf(stderr, "dequantize: %s\n", st.message().c_str());
    return 1;
  }
  std::printf("\n%12s %6s %12s %12s\n", "x", "q", "x'", "x - x'");
  for (std::size_t i = 0; i < 6; ++i)
    std::printf("%12.7f %6d %12.7f %12.3e\n", x[i], q[i], y[i], static_cast<double>(x[i]) - y[i]);

  // 5. How many of the 256 codes are used? Weights cluster near 0, so a
  //    per-tensor scale set by the largest weight leaves most codes idle.
  std::vector<std::size_t> used(256, 0);
  for (auto c : q) ++used[static_cast<std::size_t>(c + 128)];
  std::size_t distinct = 0, near_zero = 0;
  for (std::size_t c = 0; c < 256; ++c) distinct += used[c] != 0;
  for (auto c : q) near_zero += (c >= -8 && c <= 8);
  std::printf("\ncodes used: %zu of 256; %.1f%% of the values have |q| <= 8\n", distinct,
              100.0 * static_cast<double>(near_zero) / static_cast<double>(q.size()));

  // 6. The error, measured by qmath::compare (sums in double).
  auto e = qmath::compare(x, y);
  if (!e) {
    std::fprintf(stderr, "compare: %s\n", e.error().message().c_str());
    return 1;
  }
  std::printf("SQNR %.2f dB, MSE %.3e, max |x - x'| %.3e (half a step: %.3e), cosine %.7f\n", e->sqnr_db(), e->mse(),
              static_cast<double>(e->max_abs_err), 0.5 * p->scale, e->cosine());
  std::printf("size: %zu bytes as float32 -> %zu bytes of int8 codes + 4 bytes of scale\n", 4 * x.size(), q.size());
  // A well-formed result: the error never exceeds half a quantization step.
  return e->max_abs_err <= 0.5f * p->scale * 1.0001f ? 0 : 1;
}
