#pragma once
// From calibration results to qparams of any scheme.
//
// Every calibrator ends in a range per slot (min/max, moving average,
// percentile, or a clipping threshold T from the entropy / MSE / ACIQ
// searches, i.e. the range [-T, T]). The qparams arithmetic itself is core's
// choose_qparams (core/compute_qparams.hpp): every convention (PyTorch, ONNX
// Runtime, TFLite, power-of-two scales, reduce_range) stays in one place.
//
//   qparams_from_ranges<S>(ranges, partition, options)
//       one choose_qparams<S>(lo, hi) per slot; the partition must have S's
//       granularity (per_tensor: 1 slot; per_channel: S's axis; per_group: S's
//       axis and group size; dynamic axis / group size are taken from the
//       partition). Per-group partitions may end in a shorter group; such
//       qparams have one entry per slot.
//   calibrated_qparams<S>(observer, options)       minmax / moving-average observers
//   qparams_from_threshold<S>(T, observed, options) clip range [-T, T]; for affine
//       schemes intersected with the observed range when one is given.
//   partition_for<S>(shape[, axis, group_size])    the partition matching S
// Constant tensor (lo == hi): documented by the convention (e.g. PyTorch
// symmetric int8 on a constant c != 0: scale |c|/127.5; all zeros: scale
// 2^-23, zero_point 0 / 128; ONNX Runtime and TFLite: scale 1.0).
// Errors: a slot that saw no finite value (empty_input "ranges", index = slot);
// granularity mismatch ("partition"); errors of choose_qparams (index = slot).
//
// Example:
//   auto p = qmath::partition_for<qmath::int8_sym_per_channel>(shape);
//   qmath::minmax_observer obs(*p);
//   QMATH_TRY(obs.observe(w));
//   auto q = qmath::calibrated_qparams<qmath::int8_sym_per_channel>(obs);

#include <cstddef>
#include <span>
#include <vector>

#include "qmath/calibrate/minmax.hpp"
#include "qmath/calibrate/partition.hpp"
#include "qmath/core/compute_qparams.hpp"

namespace qmath {

/// The partition of a tensor of `shape` for scheme S. `axis` / `group_size`
/// are used only where S leaves them dynamic.
template <quant_scheme S>
result<partition> partition_for(std::span<const std::size_t> shape, std::size_t axis = 0,
                                std::size_t group_size = 0) {
  const std::size_t n = shape_size(shape);
  if (n == 0) return empty_input("shape");
  if (n == static_cast<std::size_t>(-1)) return out_of_range("shape", "element count overflows size_t");
  if constexpr (S::kind == granularity_kind::per_tensor) {
    return partition::per_tensor(n);
  } else if constexpr (S::kind == granularity_kind::per_channel) {
    constexpr std::size_t a = S::granularity_type::static_axis;
    return partition::per_channel(shape, a == dynamic ? axis : a);
  } else {
    constexpr std::size_t a = S::granularity_type::static_axis;
    constexpr std::size_t g = S::granularity_type::static_group_size;
    return partition::per_group(shape, a == dynamic ? axis : a, g == dynamic ? group_size : g);
  }
}

namespace detail {

template <quant_scheme S>
status check_partition_for(const partition& p, std::size_t slots) {
  if (p.slots() != slots) return size_mismatch("ranges", "must have partition.slots() entries");
  if constexpr (S::kind == granularity_kind::per_tensor) {
    if (p.kind() != partition_kind::per_tensor) return invalid_argument("partition", "scheme is per-tensor");
  } else if constexpr (S::kind == granularity_kind::per_channel) {
    if (p.kind() != partition_kind::per_channel) return invalid_argument("partition", "scheme is per-channel");
    constexpr std::size_t a = S::granularity_type::static_axis;
    if (a != dynamic && p.axis() != a) return invalid_argument("partition", "axis differs from the scheme's");
  } else {
    if (p.kind() != partition_kind::per_group) return invalid_argument("partition", "scheme is per-group");
    constexpr std::size_t a = S::granularity_type::static_axis;
    constexpr std::size_t g = S::granularity_type::static_group_size;
    if (a != dynamic && p.axis() != a) return invalid_argument("partition", "axis differs from the scheme's");
    if (g != dynamic && p.group_size() != g) return invalid_argument("partition", "group size differs from the scheme's");
  }
  return ok_status;
}

}  // namespace detail

/// qparams<S> from one range per slot (see file comment).
template <quant_scheme S>
result<qparams<S>> qparams_from_ranges(std::span<const value_range> ranges, const partition& p,
                                       const qparams_options& opt = {}) {
  QMATH_TRY(detail::check_partition_for<S>(p, ranges.size()));
  for (std::size_t s = 0; s < ranges.size(); ++s)
    if (ranges[s].empty()) return status(errc::empty_input, "ranges", "a slot saw no finite value", s);
  if constexpr (S::kind == granularity_kind::per_tensor) {
    auto r = choose_qparams<S>(ranges[0].lo, ranges[0].hi, opt);
    if (!r) return r.error();
    return qparams<S>{r->scale, r->zero_point};
  } else {
    qparams<S> q{};
    q.scale.resize(ranges.size());
    q.zero_point.resize(ranges.size());
    if constexpr (S::granularity_type::static_axis == dynamic) q.axis = p.axis();
    if constexpr (S::kind == granularity_kind::per_group) {
      if constexpr (S::granularity_type::static_group_size == dynamic) q.group_size = p.group_size();
    }
    for (std::size_t s = 0; s < ranges.size(); ++s) {
      auto r = choose_qparams<S>(ranges[s].lo, ranges[s].hi, opt);
      if (!r) return r.error().at(s);
      q.scale[s] = r->scale;
      q.zero_point[s] = r->zero_point;
    }
    return q;
  }
}

/// qparams<S> of a min/max observer's ranges.
template <quant_scheme S>
result<qparams<S>> calibrated_qparams(const minmax_observer& o, const qparams_options& opt = {}) {
  return qparams_from_ranges<S>(o.ranges(), o.layout(), opt);
}

/// qparams<S> of a moving-average observer's ranges (partition p it was built with).
template <quant_scheme S>
result<qparams<S>> calibrated_qparams(const moving_average_observer& o, const partition& p,
                                      const qparams_options& opt = {}) {
  const std::vector<value_range> r = o.ranges();
  return qparams_from_ranges<S>(r, p, opt);
}

/// Per-tensor qparams<S> for a clipping threshold T (see file comment).
template <quant_scheme S>
  requires(S::kind == granularity_kind::per_tensor)
result<qparams<S>> qparams_from_threshold(double threshold, const qparams_options& opt = {},
                                          value_range observed = {}) {
  if (!(threshold > 0) || !std::isfinite(threshold)) return invalid_argument("threshold", "must be finite and > 0");
  value_range r{static_cast<float>(-threshold), static_cast<float>(threshold)};
  if (S::map == mapping::affine && !observed.empty()) {
    r.lo = observed.lo > r.lo ? observed.lo : r.lo;
    r.hi = observed.hi < r.hi ? observed.hi : r.hi;
    if (r.lo > r.hi) r.lo = r.hi;
  }
  const value_range one[1] = {r};
  return qparams_from_ranges<S>(one, partition::per_tensor(), opt);
}

}  // namespace qmath
