#pragma once
// Error between a tensor and its quantized form, for any scheme.
//
//   fake_quantize_slots<S>(x, partition, q, out, opt)
//       out_i = dequantize(quantize(x_i)) with the (scale, zero_point) of x_i's
//       slot, through core's per-element definitions (quantize/element.hpp:
//       fake_quant_value, codes clamped to [S::qmin, S::qmax], rounding and
//       division as in opt). Per-group partitions may end in a shorter group.
//       (When every group is full, quantization_error / make_candidate run
//       core's dispatched array fake_quant instead: same definition, same bits.)
//   quantization_error<S>(x, shape, q, opt)          -> error_stats (metrics/error.hpp)
//   quantization_error_per_slot<S>(x, shape, q, opt) -> one error_stats per qparams entry
// Errors: invalid qparams (named, index = entry), entry count != partition
// slots, sizes, non-finite x.
//
// Example (PyTorch CPU convention: reciprocal multiply):
//   qmath::fake_quant_options fo{qmath::rounding::half_even, qmath::division::reciprocal};
//   auto e = qmath::quantization_error<qmath::int8_sym_per_channel>(w, shape, q, fo);
//   double db = e->sqnr_db();

#include <cstddef>
#include <span>
#include <vector>

#include "qmath/calibrate/qparams.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/quantize/element.hpp"
#include "qmath/quantize/fake_quant.hpp"

namespace qmath {

struct fake_quant_options {
  rounding round = rounding::half_even;
  division div = division::exact;
};

namespace detail {

template <quant_scheme S>
std::size_t qparams_entries(const qparams<S>& q) noexcept {
  if constexpr (S::kind == granularity_kind::per_tensor) {
    (void)q;
    return 1;
  } else {
    return q.scale.size();
  }
}

template <quant_scheme S>
scale_zero_point qparams_entry(const qparams<S>& q, std::size_t s) noexcept {
  if constexpr (S::kind == granularity_kind::per_tensor) {
    (void)s;
    return {q.scale, q.zero_point};
  } else {
    return {q.scale[s], q.zero_point[s]};
  }
}

}  // namespace detail

/// Fake-quantize x slot by slot (see file comment). out.size() == x.size().
template <quant_scheme S>
status fake_quantize_slots(std::span<const float> x, const partition& p, const qparams<S>& q, std::span<float> out,
                           const fake_quant_options& opt = {}) {
  QMATH_TRY(p.check_size(x.size(), "x"));
  if (out.size() != x.size()) return size_mismatch("out", "must have as many elements as x");
  const std::size_t slots = detail::qparams_entries(q);
  if (slots != p.slots()) return size_mismatch("qparams", "entry count does not match the partition");
  if constexpr (S::kind != granularity_kind::per_tensor) {
    if (q.zero_point.size() != slots) return size_mismatch("zero_point", "must have as many entries as scale");
  }
  for (std::size_t s = 0; s < slots; ++s) {
    const scale_zero_point e = detail::qparams_entry(q, s);
    QMATH_TRY(check_scale_zero_point(e.scale, e.zero_point, S::qmin, S::qmax, S::map).at(s));
  }
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!is_finite(x[i])) return status(errc::non_finite, "x", "NaN or Inf", i);
  p.for_each_run(x.size(), [&](std::size_t b, std::size_t len, std::size_t slot, std::size_t stride) {
    for (std::size_t j = 0; j < len; ++j) {
      const scale_zero_point e = detail::qparams_entry(q, slot + j * stride);
      out[b + j] = fake_quant_value(x[b + j], e.scale, e.zero_point, S::qmin, S::qmax, opt.round, opt.div).y;
    }
  });
  return ok_status;
}

namespace detail {

// Fake quantization of a tensor of `shape`: core's array fake_quant when the
// partition is regular (no short last group), else fake_quantize_slots.
template <quant_scheme S>
status fake_quantize_shaped(std::span<const float> x, std::span<const std::size_t> shape, const partition& p,
                            const qparams<S>& q, std::span<float> out, const fake_quant_options& opt) {
  QMATH_TRY(p.check_size(x.size(), "x"));
  if (out.size() != x.size()) return size_mismatch("out", "must have as many elements as x");
  quantize_options qo;
  qo.round = opt.round;
  qo.div = opt.div;
  if constexpr (S::kind == granularity_kind::per_tensor) {
    (void)shape;
    return fake_quant<S>(x, q, out, {}, qo);
  } else {
    if (p.kind() == partition_kind::per_group && p.axis_len() % p.group_size() != 0)
      return fake_quantize_slots<S>(x, p, q, out, opt);
    return fake_quant<S>(x, shape, q, out, {}, qo);
  }
}

template <quant_scheme S>
result<partition> partition_of(std::span<const std::size_t> shape, const qparams<S>& q) {
  std::size_t axis = 0, gs = 0;
  if constexpr (S::kind != granularity_kind::per_tensor) axis = q.axis;
  if constexpr (S::kind == granularity_kind::per_group) gs = q.group_size;
  return partition_for<S>(shape, axis, gs);
}

}  // namespace detail

/// Error of x against its fake-quantized form under q (see file comment).
/// `axis` / `group_size` of dynamic schemes are taken from q.
template <quant_scheme S>
result<error_stats> quantization_error(std::span<const float> x, std::span<const std::size_t> shape,
                                       const qparams<S>& q, const fake_quant_options& opt = {}) {
  auto p = detail::partition_of<S>(shape, q);
  if (!p) return p.error();
  std::vector<float> y(x.size());
  QMATH_TRY(detail::fake_quantize_shaped<S>(x, shape, *p, q, y, opt));
  return compare(x, y);
}

/// Per-entry errors (slot s of the partition = qparams entry s).
template <quant_scheme S>
result<std::vector<error_stats>> quantization_error_per_slot(std::span<const float> x,
                                                             std::span<const std::size_t> shape, const qparams<S>& q,
                                                             const fake_quant_options& opt = {}) {
  auto p = detail::partition_of<S>(shape, q);
  if (!p) return p.error();
  std::vector<float> y(x.size());
  QMATH_TRY(detail::fake_quantize_shaped<S>(x, shape, *p, q, y, opt));
  return compare_per_slot(x, y, *p);
}

}  // namespace qmath
