// Example 2: per-channel quantization of a real convolution kernel.
//
// An ESRGAN 3x3 convolution kernel is stored HWIO: [kh, kw, in, out]. Seen
// as a matrix it is [K = kh*kw*in, N = out]: each column feeds one output
// channel. Output channels have very different ranges, so one scale per
// channel (per_channel<1> on the [K, N] view) beats one scale for the
// tensor. This program quantizes the kernel both ways and shows, channel by
// channel, who gains.
//
//   ./per_channel_conv [file.npy]      (default: data/esrgan_x4/F_0__kernel.npy)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <span>
#include <vector>

#include "qmath/calibrate/partition.hpp"
#include "qmath/io/npy.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/qmath.hpp"

namespace {

// Quantize + dequantize with scheme S on the [K, N] view; returns x'.
template <class S>
bool round_trip(std::span<const float> x, std::span<const std::size_t> shape, std::vector<float>& y,
                typename qmath::qparams<S>& p) {
  qmath::qparams_options opt;
  opt.convention = qmath::qparams_convention::tflite;  // scale = max|x| / 127 per channel
  qmath::status st;
  if constexpr (S::kind == qmath::granularity_kind::per_tensor) {
    auto r = qmath::compute_qparams<S>(x, opt);
    if (!r) st = r.error();
    else p = *r;
  } else {
    auto r = qmath::compute_qparams<S>(x, shape, opt);
    if (!r) st = r.error();
    else p = *r;
  }
  if (!st) {
    std::fprintf(stderr, "compute_qparams: %s\n", st.message().c_str());
    return false;
  }
  std::vector<std::int8_t> q(x.size());
  y.resize(x.size());
  if constexpr (S::kind == qmath::granularity_kind::per_tensor) {
    st = qmath::quantize(x, p, std::span<std::int8_t>(q));
    if (st) st = qmath::dequantize(std::span<const std::int8_t>(q), p, std::span<float>(y));
  } else {
    st = qmath::quantize(x, shape, p, std::span<std::int8_t>(q));
    if (st) st = qmath::dequantize(std::span<const std::int8_t>(q), shape, p, std::span<float>(y));
  }
  if (!st) std::fprintf(stderr, "quantize: %s\n", st.message().c_str());
  return static_cast<bool>(st);
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "data/esrgan_x4/F_0__kernel.npy";
  auto arr = qmath::io::read_npy(path);
  if (!arr) {
    std::fprintf(stderr, "%s: %s\n", path, arr.error().message().c_str());
    return 1;
  }
  const auto x = arr->values<float>();
  if (x.empty() || arr->shape.size() != 4) {
    std::fprintf(stderr, "%s: expected a float32 HWIO convolution kernel\n", path);
    return 1;
  }
  const std::size_t N = arr->shape[3], K = x.size() / N;
  const std::size_t shape[2] = {K, N};
  std::printf("%s: HWIO %zux%zux%zux%zu -> matrix [K=%zu, N=%zu]\n", path, arr->shape[0], arr->shape[1], arr->shape[2],
              N, K, N);

  // int8 symmetric, per tensor and per output channel (axis 1 of [K, N]).
  using per_tensor = qmath::int8_sym_per_tensor;
  using per_channel = qmath::scheme<8, qmath::signedness::signed_int, qmath::mapping::symmetric, qmath::per_channel<1>>;
  std::vector<float> y_t, y_c;
  qmath::qparams<per_tensor> p_t{};
  qmath::qparams<per_channel> p_c{};
  if (!round_trip<per_tensor>(x, shape, y_t, p_t) || !round_trip<per_channel>(x, shape, y_c, p_c)) return 1;

  // Errors for the whole tensor and per channel (qmath::compare_per_slot with
  // the partition "one slot per index along axis 1").
  auto whole_t = qmath::compare(x, y_t);
  auto whole_c = qmath::compare(x, y_c);
  auto part = qmath::partition::per_channel(shape, 1);
  if (!whole_t || !whole_c || !part) return 1;
  auto ch_t = qmath::compare_per_slot(x, y_t, *part);
  auto ch_c = qmath::compare_per_slot(x, y_c, *part);
  if (!ch_t || !ch_c) return 1;

  std::printf("\nwhole tensor: per-tensor SQNR %.2f dB (one scale %.3g), per-channel SQNR %.2f dB (%zu scales)\n",
              whole_t->sqnr_db(), p_t.scale, whole_c->sqnr_db(), p_c.scale.size());

  // The channels with the smallest scales gain the most: their values used
  // only a few codes under the shared scale.
  std::vector<std::size_t> order(N);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p_c.scale[a] < p_c.scale[b]; });
  std::printf("\n%8s %12s %16s %17s %8s\n", "channel", "max|w|", "SQNR per-tensor", "SQNR per-channel", "gain");
  auto row = [&](std::size_t c) {
    const double t = (*ch_t)[c].sqnr_db(), pc = (*ch_c)[c].sqnr_db();
    std::printf("%8zu %12.5f %13.2f dB %14.2f dB %+6.1f dB\n", c, 127.0 * p_c.scale[c], t, pc, pc - t);
  };
  for (std::size_t i = 0; i < 4; ++i) row(order[i]);
  std::printf("%8s\n", "...");
  for (std::size_t i = N - 4; i < N; ++i) row(order[i]);

  // Cost: N scales instead of one. Benefit: the SQNR above.
  std::printf("\nstorage: %zu int8 codes + %zu float scales = %zu bytes (per-tensor: %zu bytes)\n", x.size(), N,
              x.size() + 4 * N, x.size() + 4);
  // Per-channel scales are never coarser, so the whole-tensor SQNR cannot drop.
  return whole_c->sqnr_db() >= whole_t->sqnr_db() ? 0 : 1;
}
