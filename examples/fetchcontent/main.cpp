// The smallest qmath program: quantize a few values to uint8 and back.
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "qmath/qmath.hpp"

int main() {
  const std::vector<float> x = {-1.0f, -0.25f, 0.0f, 0.5f, 2.0f};
  // PyTorch MinMaxObserver rule for quint8 on the range [-1, 2]: scale 3/255, zero_point 85.
  auto p = qmath::choose_qparams<qmath::uint8_affine_per_tensor>(-1.0f, 2.0f, qmath::qparams_options{});
  if (!p) return std::puts(p.error().message().c_str()), 1;
  const qmath::qparams<qmath::uint8_affine_per_tensor> qp{p->scale, p->zero_point};
  std::vector<std::uint8_t> q(x.size());
  std::vector<float> y(x.size());
  if (!qmath::quantize(std::span<const float>(x), qp, std::span<std::uint8_t>(q)) ||
      !qmath::dequantize(std::span<const std::uint8_t>(q), qp, std::span<float>(y)))
    return 1;
  std::printf("qmath %d: scale %.9g, zero_point %d\n", qmath::version, qp.scale, qp.zero_point);
  for (std::size_t i = 0; i < x.size(); ++i) std::printf("  %6.3f -> %3d -> %8.5f\n", x[i], q[i], y[i]);
  return q[0] == 0 && q[2] == 85 && q[4] == 255 ? 0 : 1;
}
