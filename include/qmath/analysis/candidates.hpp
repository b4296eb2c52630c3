#pragma once
// Sensitivity-table candidates built from qmath schemes.
//
// make_candidate<S>(name, options) fake-quantizes a tensor with S: per-slot
// min/max calibration (calibrate/minmax.hpp), qparams by core's
// choose_qparams (convention in options.qparams), then
// dequantize(quantize(x)) per element (metrics/quantized.hpp). Cost:
// S::bits per element plus, unless options.count_qparams is false, 32 bits
// of scale (+ 32 of zero_point for affine schemes) per qparams entry,
// amortised over the elements. Static axis / group size only.
//
// Example:
//   std::vector<qmath::quant_candidate> c{
//       qmath::make_candidate<qmath::int8_sym_per_channel>("int8/channel"),
//       qmath::make_candidate<qmath::int4_sym_g32>("int4/g32")};

#include <cstddef>
#include <span>
#include <string>

#include "qmath/analysis/sensitivity.hpp"
#include "qmath/metrics/quantized.hpp"

namespace qmath {

struct candidate_options {
  qparams_options qparams{};
  fake_quant_options fake_quant{};
  bool count_qparams = true;
};

template <quant_scheme S>
  requires(S::kind == granularity_kind::per_tensor ||
           (S::granularity_type::static_axis != dynamic &&
            (S::kind != granularity_kind::per_group || S::granularity_type::static_group_size != dynamic)))
quant_candidate make_candidate(std::string name, const candidate_options& opt = {}) {
  quant_candidate c;
  c.name = std::move(name);
  c.bits_per_element = S::bits;
  c.count_qparams_bits = opt.count_qparams ? (S::map == mapping::affine ? 64.0 : 32.0) : 0.0;
  c.slots = [](std::span<const std::size_t> shape) -> std::size_t {
    auto p = partition_for<S>(shape);
    return p ? p->slots() : 0;
  };
  c.fake_quant = [opt](std::span<const float> x, std::span<const std::size_t> shape, std::span<float> out) -> status {
    auto p = partition_for<S>(shape);
    if (!p) return p.error();
    minmax_observer obs(*p);
    QMATH_TRY(obs.observe(x));
    auto q = calibrated_qparams<S>(obs, opt.qparams);
    if (!q) return q.error();
    return detail::fake_quantize_shaped<S>(x, shape, *p, *q, out, opt.fake_quant);
  };
  return c;
}

}  // namespace qmath
