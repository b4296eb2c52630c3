#pragma once
// Quantization parameters (scale, zero_point) shaped by the granularity, and
// the layout of a tensor around its quantization axis.
//
//   per_tensor               qparams<S>{float scale; int32_t zero_point;}
//   per_channel<Axis>        qparams<S>{vector<float> scale; vector<int32_t> zero_point; axis}
//                            scale.size() == shape[axis]
//   per_group<G, Axis>       qparams<S>{vector<float> scale; vector<int32_t> zero_point; axis, group_size}
//                            a matrix [outer][shape[axis] / G][inner] in row-major
//                            order, where outer = prod(shape[0..axis)), inner =
//                            prod(shape(axis..]) (ONNX blocked layout: for a
//                            [N, K] weight grouped along axis 1 it is [N][K/G]).
// A static Axis / GroupSize is a `static constexpr` member; a dynamic one is a
// plain data member set by the user. qparams are aggregates: copyable,
// comparable, storable.
//
// Validity (checked by every function that takes qparams; see check_qparams):
// scale finite and > 0; qmin <= zero_point <= qmax; symmetric schemes need the
// fixed zero point (0 signed, 2^(b-1) unsigned).
//
// Example:
//   qmath::qparams<qmath::uint8_affine_per_tensor> p{0.0117647061f, 85};
//   qmath::qparams<qmath::int8_sym_per_channel> w{{0.1f, 0.2f}, {0, 0}};  // 2 output channels

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "qmath/core/rounding.hpp"
#include "qmath/core/scheme.hpp"
#include "qmath/core/status.hpp"

namespace qmath {

/// One (scale, zero_point) pair.
struct scale_zero_point {
  float scale;
  std::int32_t zero_point;
  friend constexpr bool operator==(const scale_zero_point&, const scale_zero_point&) = default;
};

template <class Scheme>
struct qparams;

/// Per-tensor qparams.
template <per_tensor_scheme S>
struct qparams<S> {
  using scheme_type = S;
  float scale;
  std::int32_t zero_point;
  friend constexpr bool operator==(const qparams&, const qparams&) = default;
};

namespace detail {
template <std::size_t Axis>
struct axis_member {
  static constexpr std::size_t axis = Axis;
};
template <>
struct axis_member<dynamic> {
  std::size_t axis;
};
}  // namespace detail

/// Per-channel qparams with a compile-time axis.
template <per_channel_scheme S>
  requires(S::granularity_type::static_axis != dynamic)
struct qparams<S> {
  using scheme_type = S;
  static constexpr std::size_t axis = S::granularity_type::static_axis;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
  friend bool operator==(const qparams&, const qparams&) = default;
};

/// Per-channel qparams with a run-time axis.
template <per_channel_scheme S>
  requires(S::granularity_type::static_axis == dynamic)
struct qparams<S> {
  using scheme_type = S;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
  std::size_t axis;
  friend bool operator==(const qparams&, const qparams&) = default;
};

/// Per-group qparams: four variants (static/dynamic group size and axis), all
/// with members scale, zero_point, axis, group_size.
template <per_group_scheme S>
  requires(S::granularity_type::static_axis != dynamic && S::granularity_type::static_group_size != dynamic)
struct qparams<S> {
  using scheme_type = S;
  static constexpr std::size_t axis = S::granularity_type::static_axis;
  static constexpr std::size_t group_size = S::granularity_type::static_group_size;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
  friend bool operator==(const qparams&, const qparams&) = default;
};
template <per_group_scheme S>
  requires(S::granularity_type::static_axis == dynamic && S::granularity_type::static_group_size != dynamic)
struct qparams<S> {
  using scheme_type = S;
  static constexpr std::size_t group_size = S::granularity_type::static_group_size;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
  std::size_t axis;
  friend bool operator==(const qparams&, const qparams&) = default;
};
template <per_group_scheme S>
  requires(S::granularity_type::static_axis != dynamic && S::granularity_type::static_group_size == dynamic)
struct qparams<S> {
  using scheme_type = S;
  static constexpr std::size_t axis = S::granularity_type::static_axis;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
  std::size_t group_size;
  friend bool operator==(const qparams&, const qparams&) = default;
};
template <per_group_scheme S>
  requires(S::granularity_type::static_axis == dynamic && S::granularity_type::static_group_size == dynamic)
struct qparams<S> {
  using scheme_type = S;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
  std::size_t axis;
  std::size_t group_size;
  friend bool operator==(const qparams&, const qparams&) = default;
};

// ---------------------------------------------------------------------------
// Tensor layout around an axis
// ---------------------------------------------------------------------------

/// A row-major tensor seen as [outer][channels][inner] around one axis.
struct axis_layout {
  std::size_t outer = 1;
  std::size_t channels = 1;
  std::size_t inner = 1;
  [[nodiscard]] constexpr std::size_t size() const noexcept { return outer * channels * inner; }
};

namespace detail {
/// a * b, or false when the product does not fit in size_t.
constexpr bool checked_mul(std::size_t a, std::size_t b, std::size_t& out) noexcept {
  if (a != 0 && b > static_cast<std::size_t>(-1) / a) return false;
  out = a * b;
  return true;
}
}  // namespace detail

/// The layout of `shape` around `axis`; errors: axis out of range, empty
/// shape, zero dimension, or a shape whose element count overflows size_t
/// ("shape", errc::out_of_range; checked before any element is touched).
inline result<axis_layout> make_axis_layout(std::span<const std::size_t> shape, std::size_t axis) noexcept {
  if (shape.empty()) return empty_input("shape");
  if (axis >= shape.size()) return out_of_range("axis", "must be < the rank of shape");
  axis_layout l;
  std::size_t total = 1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return invalid_argument("shape", "dimensions must be > 0");
    if (!detail::checked_mul(total, shape[d], total)) return out_of_range("shape", "element count overflows size_t");
    if (d < axis) l.outer *= shape[d];
    else if (d == axis) l.channels = shape[d];
    else l.inner *= shape[d];
  }
  return l;
}

/// Number of elements of a shape (0 for an empty shape; SIZE_MAX when the
/// product overflows size_t, which no real tensor can match).
constexpr std::size_t shape_size(std::span<const std::size_t> shape) noexcept {
  if (shape.empty()) return 0;
  std::size_t n = 1;
  for (std::size_t d : shape)
    if (!detail::checked_mul(n, d, n)) return static_cast<std::size_t>(-1);
  return n;
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/// Check one (scale, zero_point) against a code range and mapping.
constexpr status check_scale_zero_point(float scale, std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax,
                                        mapping m) noexcept {
  if (!is_finite(scale) || !(scale > 0.0f)) return invalid_argument("scale", "must be finite and > 0");
  if (zero_point < qmin || zero_point > qmax) return out_of_range("zero_point", "must be in [qmin, qmax]");
  if (m != mapping::affine) {
    const std::int32_t fixed = qmin < 0 ? 0 : (qmax + 1) / 2;
    if (zero_point != fixed) {
      return invalid_argument("zero_point", "symmetric schemes need zero_point 0 (signed) or 2^(bits-1) (unsigned)");
    }
  }
  return ok_status;
}

namespace detail {
template <class S>
status check_param_arrays(std::span<const float> scale, std::span<const std::int32_t> zp) noexcept {
  if (scale.empty()) return empty_input("scale");
  if (zp.size() != scale.size()) return size_mismatch("zero_point", "must have as many entries as scale");
  for (std::size_t i = 0; i < scale.size(); ++i) {
    const status st = check_scale_zero_point(scale[i], zp[i], S::qmin, S::qmax, S::map);
    if (!st) return st.at(i);
  }
  return ok_status;
}
}  // namespace detail

/// Validate qparams values (not their size against a tensor: see
/// resolve_layout). The status names "scale" or "zero_point" and the index.
template <quant_scheme S>
status check_qparams(const qparams<S>& p) noexcept {
  if constexpr (S::kind == granularity_kind::per_tensor) {
    return check_scale_zero_point(p.scale, p.zero_point, S::qmin, S::qmax, S::map);
  } else {
    return detail::check_param_arrays<S>(p.scale, p.zero_point);
  }
}

/// How qparams of a per-channel / per-group scheme apply to a tensor of a
/// given shape: layout around the axis, group size (1 for per-channel) and
/// number of groups along the axis.
struct param_layout {
  axis_layout layout;
  granularity_kind kind = granularity_kind::per_channel;
  std::size_t group_size = 1;
  std::size_t groups = 1;  ///< per-group: channels / group_size; per-channel: channels
  /// Number of (scale, zero_point) entries the tensor needs.
  [[nodiscard]] constexpr std::size_t param_count() const noexcept {
    return kind == granularity_kind::per_group ? layout.outer * groups * layout.inner : layout.channels;
  }
};

/// Layout for a per-channel (axis) or per-group (axis, group_size) scheme.
/// Errors: "axis" out of range, "group_size" zero or not dividing shape[axis].
inline result<param_layout> make_param_layout(std::span<const std::size_t> shape, std::size_t axis,
                                              std::size_t group_size, granularity_kind kind) noexcept {
  auto l = make_axis_layout(shape, axis);
  if (!l) return l.error();
  param_layout pl;
  pl.layout = *l;
  pl.kind = kind;
  if (kind == granularity_kind::per_group) {
    if (group_size == 0 || group_size == dynamic) return invalid_argument("group_size", "must be > 0");
    if (pl.layout.channels % group_size != 0) {
      return invalid_argument("group_size", "must divide shape[axis]");
    }
    pl.group_size = group_size;
    pl.groups = pl.layout.channels / group_size;
  } else {
    pl.group_size = 1;
    pl.groups = pl.layout.channels;
  }
  return pl;
}

/// The param layout of qparams `p` for `shape`, and checks that p holds the
/// right number of entries (per-channel: shape[axis]; per-group:
/// outer * shape[axis]/group_size * inner).
template <quant_scheme S>
  requires(S::kind != granularity_kind::per_tensor)
result<param_layout> resolve_layout(const qparams<S>& p, std::span<const std::size_t> shape) noexcept {
  std::size_t gs = 1;
  if constexpr (S::kind == granularity_kind::per_group) gs = p.group_size;
  auto pl = make_param_layout(shape, p.axis, gs, S::kind);
  if (!pl) return pl;
  const std::size_t need = pl->param_count();
  if (p.scale.size() != need) return size_mismatch("scale", "entry count does not match shape, axis and group_size");
  if (p.zero_point.size() != need) {
    return size_mismatch("zero_point", "entry count does not match shape, axis and group_size");
  }
  return pl;
}

}  // namespace qmath
