// Fuzz target: choose_qparams / compute_qparams (every convention, range
// reduction, power-of-two scales, code ranges of 2..16 bits).
// Properties: an error exactly for non-finite or reversed ranges (or a range
// whose scale cannot be represented); otherwise valid qparams (finite scale
// > 0, zero point in the reduced code range, the fixed zero point for
// symmetric mappings) whose codes cover [min(min,0), max(max,0)] to within
// one step; compute_qparams from data == choose_qparams of the data's finite
// min/max, per tensor and per channel.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "fuzz_support.hpp"
#include "qmath/core/compute_qparams.hpp"

namespace {

struct code_range {
  std::int32_t qmin, qmax;
  qmath::mapping map;
};

code_range pick_range(qmath_fuzz::reader& r) {
  const int bits = r.byte() % 8 == 7 ? 16 : static_cast<int>(r.range(2, 8));
  const bool is_signed = r.flag();
  const std::int32_t span = std::int32_t{1} << bits;
  code_range c{is_signed ? -span / 2 : 0, is_signed ? span / 2 - 1 : span - 1, qmath::mapping::affine};
  switch (r.byte() % 3) {
    case 0: c.map = qmath::mapping::affine; break;
    case 1: c.map = qmath::mapping::symmetric; break;
    default:
      if (is_signed) {
        c.map = qmath::mapping::symmetric_restricted;
        c.qmin = -c.qmax;
      }
      break;
  }
  return c;
}

void check_valid(const qmath::scale_zero_point& p, float mn, float mx, const code_range& c,
                 const qmath::qparams_options& o) {
  std::int32_t qmin = c.qmin, qmax = c.qmax;
  if (o.range == qmath::range_reduction::reduce_range) {
    qmin = qmath::detail::floor_div2(qmin);
    qmax = qmath::detail::floor_div2(qmax);
  }
  QMATH_FUZZ_CHECK(std::isfinite(p.scale) && p.scale > 0.0f);
  QMATH_FUZZ_CHECK(p.zero_point >= qmin && p.zero_point <= qmax);
  if (c.map != qmath::mapping::affine) {
    QMATH_FUZZ_CHECK(p.zero_point == (qmin < 0 ? 0 : (qmax + 1) / 2));
  }
  // Valid for the scheme's full range too (check_scale_zero_point).
  QMATH_FUZZ_CHECK(qmath::check_scale_zero_point(p.scale, p.zero_point, c.qmin, c.qmax, c.map).ok());
  if (o.constraint == qmath::scale_constraint::power_of_two) {
    int e = 0;
    QMATH_FUZZ_CHECK(std::frexp(p.scale, &e) == 0.5f);
  }
  // Coverage: the representable range reaches the data range to within one
  // step (rounding of the zero point) and a relative float error. Symmetric
  // mappings cover max(|min|, |max|) on the side with fewer codes; a scale
  // raised to eps (pytorch) or to FLT_MIN / 1.0 (degenerate ranges) only
  // covers more.
  const double s = p.scale, zp = p.zero_point;
  const double lo = std::min<double>(mn, 0.0), hi = std::max<double>(mx, 0.0);
  const double tol = 1.0 * s + 1e-5 * std::max(-lo, hi);
  const double top = (static_cast<double>(qmax) - zp) * s, bottom = (static_cast<double>(qmin) - zp) * s;
  if (c.map == qmath::mapping::affine) {
    QMATH_FUZZ_CHECK(top + tol >= hi);
    QMATH_FUZZ_CHECK(bottom - tol <= lo);
  } else {
    const double a = std::max(-lo, hi);
    QMATH_FUZZ_CHECK(std::min(top, -bottom) + tol >= a);
  }
}

}  // namespace

QMATH_FUZZ_TARGET(qparams) {
  qmath_fuzz::reader r(data, size);
  const code_range c = pick_range(r);
  qmath::qparams_options o;
  o.convention = static_cast<qmath::qparams_convention>(r.byte() % 3);
  o.range = r.byte() % 4 == 0 ? qmath::range_reduction::reduce_range : qmath::range_reduction::none;
  o.constraint = r.byte() % 4 == 0 ? qmath::scale_constraint::power_of_two : qmath::scale_constraint::none;
  if (r.byte() % 8 == 0) o.eps = 0x1p-12f;
  float mn = r.value(), mx = r.value();
  if (r.flag() && mn > mx) std::swap(mn, mx);

  auto p = qmath::choose_qparams(mn, mx, c.qmin, c.qmax, c.map, o);
  const bool unsupported_reduce = o.range == qmath::range_reduction::reduce_range &&
                                  c.map != qmath::mapping::affine && c.qmin >= 0;
  if (!std::isfinite(mn) || !std::isfinite(mx)) {
    QMATH_FUZZ_CHECK(!p && p.error().code() == qmath::errc::non_finite);
  } else if (mn > mx) {
    QMATH_FUZZ_CHECK(!p && p.error().code() == qmath::errc::invalid_argument);
  } else if (unsupported_reduce) {
    QMATH_FUZZ_CHECK(!p && p.error().code() == qmath::errc::unsupported);
  } else if (!p) {
    // The other documented failures: the range is too wide for a finite
    // float scale ("max_val"), or a tflite symmetric code range without a
    // code above the zero point ("qmax", 2-bit signed with reduce_range).
    QMATH_FUZZ_CHECK(p.error().code() == qmath::errc::out_of_range);
    if (p.error().argument() == "max_val") {
      QMATH_FUZZ_CHECK(std::max(std::fabs(mn), std::fabs(mx)) > 0x1p100f);
    } else {
      QMATH_FUZZ_CHECK(p.error().argument() == "qmax" && o.convention == qmath::qparams_convention::tflite &&
                       c.map != qmath::mapping::affine && o.range == qmath::range_reduction::reduce_range);
    }
  } else {
    check_valid(*p, mn, mx, c, o);
  }

  // From data: per tensor (int8 affine) and per channel (uint8 affine, axis
  // chosen by the input) against choose_qparams of each slot's finite range.
  const std::size_t rows = r.range(1, 5), cols = r.range(1, 7);
  o.nonfinite = r.flag() ? qmath::nonfinite_policy::map : qmath::nonfinite_policy::error;
  o.range = qmath::range_reduction::none;
  std::vector<float> x(rows * cols);
  bool any_bad = false;
  for (float& v : x) {
    v = r.value();
    any_bad |= !std::isfinite(v);
  }
  auto slot_range = [&](auto in_slot) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!in_slot(i) || !std::isfinite(x[i])) continue;
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
    if (lo > hi) lo = hi = 0.0f;
    return qmath::choose_qparams<qmath::int8_affine_per_tensor>(lo, hi, o);
  };
  auto pt = qmath::compute_qparams<qmath::int8_affine_per_tensor>(x, o);
  if (any_bad && o.nonfinite == qmath::nonfinite_policy::error) {
    QMATH_FUZZ_CHECK(!pt && pt.error().code() == qmath::errc::non_finite);
  } else {
    auto want = slot_range([](std::size_t) { return true; });
    QMATH_FUZZ_CHECK(pt.has_value() == want.has_value());
    if (pt) QMATH_FUZZ_CHECK(pt->scale == want->scale && pt->zero_point == want->zero_point);
  }
  using pc = qmath::scheme<8, qmath::signedness::signed_int, qmath::mapping::affine,
                           qmath::per_channel<qmath::dynamic>>;
  qmath::qparams<pc> q{};
  q.axis = r.byte() % 3;  // 2 is out of range
  const std::size_t shape[2] = {rows, cols};
  const qmath::status st = qmath::compute_qparams<pc>(x, shape, q, o);
  if (q.axis >= 2) {
    QMATH_FUZZ_CHECK(st.code() == qmath::errc::out_of_range && st.argument() == "axis");
  } else if (any_bad && o.nonfinite == qmath::nonfinite_policy::error) {
    QMATH_FUZZ_CHECK(st.code() == qmath::errc::non_finite);
  } else if (st.ok()) {
    const std::size_t ch = q.axis == 0 ? rows : cols;
    QMATH_FUZZ_CHECK(q.scale.size() == ch && q.zero_point.size() == ch);
    for (std::size_t k = 0; k < ch; ++k) {
      auto want = slot_range([&](std::size_t i) { return (q.axis == 0 ? i / cols : i % cols) == k; });
      QMATH_FUZZ_CHECK(want.has_value());
      QMATH_FUZZ_CHECK(q.scale[k] == want->scale && q.zero_point[k] == want->zero_point);
    }
  } else {
    QMATH_FUZZ_CHECK(st.code() == qmath::errc::out_of_range);  // a channel's range too wide
  }
  return 0;
}
