// Fuzz target: quantize / dequantize / fake_quant / quantize_packed /
// dequantize_packed for every scheme family (8/16-bit, sub-byte; signed,
// unsigned; symmetric, restricted, affine; per tensor, per channel, per group
// with run-time axis and group size), every rounding and division mode, both
// non-finite policies, under the ISA cap chosen by the input.
// Properties: the call succeeds exactly when the qparams, shape, axis and
// group size are valid (non_finite only for NaN/Inf data under the error
// policy, with the output still written); every code equals the scalar
// reference quantize_value of its entry; dequantize equals dequantize_value
// bit for bit; quantize(dequantize(q)) == q for round-to-nearest modes with
// well-scaled qparams; fake_quant == fake_quant_value; the fused packed paths
// equal pack(quantize) and dequantize(unpack).
#include <cmath>
#include <cstring>
#include <vector>

#include "fuzz_support.hpp"
#include "qmath/quantize/fake_quant.hpp"
#include "qmath/quantize/pack.hpp"
#include "qmath/quantize/quantize.hpp"

namespace {

using qmath::granularity_kind;

struct layout_info {
  bool valid = true;
  std::size_t entries = 1, C = 1, inner = 1, G = 1, groups = 1;
};

template <class S>
std::size_t entry_of(const layout_info& l, std::size_t i) {
  if constexpr (S::kind == granularity_kind::per_tensor) {
    return 0;
  } else if constexpr (S::kind == granularity_kind::per_channel) {
    return (i / l.inner) % l.C;
  } else {
    const std::size_t o = i / (l.C * l.inner), c = (i / l.inner) % l.C, t = i % l.inner;
    return (o * l.groups + c / l.G) * l.inner + t;
  }
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

template <class S>
void run(qmath_fuzz::reader& r) {
  using T = typename S::storage_type;
  const std::size_t rank = r.range(1, 3);
  std::vector<std::size_t> shape(rank);
  std::size_t n = 1;
  for (auto& d : shape) n *= (d = r.range(1, 9));
  if (r.byte() % 16 == 0) n += 1;  // shape / data size mismatch
  std::vector<float> x(n);
  for (auto& v : x) v = r.value();

  qmath::qparams<S> p{};
  layout_info l;
  auto pick_scale = [&] { return r.byte() % 16 == 0 ? r.any_float() : std::ldexp(1.0f + r.byte() / 64.0f, static_cast<int>(r.range(0, 40)) - 30); };
  auto pick_zp = [&]() -> std::int32_t {
    if (r.byte() % 16 == 0) return static_cast<std::int32_t>(static_cast<std::int16_t>(r.u16()));
    if constexpr (S::map != qmath::mapping::affine) return S::qmin < 0 ? 0 : (S::qmax + 1) / 2;
    return S::qmin + static_cast<std::int32_t>(r.u16() % static_cast<std::uint32_t>(S::qmax - S::qmin + 1));
  };
  bool params_ok = true;
  if constexpr (S::kind == granularity_kind::per_tensor) {
    p.scale = pick_scale();
    p.zero_point = pick_zp();
    params_ok = qmath::check_scale_zero_point(p.scale, p.zero_point, S::qmin, S::qmax, S::map).ok();
    l.valid = true;
  } else {
    p.axis = r.range(0, rank);  // == rank: out of range
    std::size_t gs = 1;
    if constexpr (S::kind == granularity_kind::per_group) {
      p.group_size = r.range(0, 4);  // 0: invalid; may not divide
      gs = p.group_size;
    }
    l.valid = p.axis < rank && gs != 0;
    if (l.valid) {
      l.C = shape[p.axis];
      for (std::size_t d = p.axis + 1; d < rank; ++d) l.inner *= shape[d];
      std::size_t outer = 1;
      for (std::size_t d = 0; d < p.axis; ++d) outer *= shape[d];
      if constexpr (S::kind == granularity_kind::per_group) {
        l.valid = l.C % gs == 0;
        l.G = gs;
        l.groups = l.valid ? l.C / gs : 1;
        l.entries = outer * l.groups * l.inner;
      } else {
        l.entries = l.C;
      }
    }
    std::size_t count = l.entries;
    if (r.byte() % 16 == 0) count = r.range(1, 20);
    l.valid = l.valid && count == l.entries;
    p.scale.resize(count);
    p.zero_point.resize(count);
    for (std::size_t e = 0; e < count; ++e) {
      p.scale[e] = pick_scale();
      p.zero_point[e] = pick_zp();
      params_ok = params_ok && qmath::check_scale_zero_point(p.scale[e], p.zero_point[e], S::qmin, S::qmax, S::map).ok();
    }
  }
  std::size_t prod = 1;
  for (auto d : shape) prod *= d;
  const bool shape_ok = S::kind == granularity_kind::per_tensor || prod == n;
  const bool valid = params_ok && l.valid && shape_ok;

  qmath::quantize_options o;
  o.round = static_cast<qmath::rounding>(r.byte() % 4);
  o.div = static_cast<qmath::division>(r.byte() % 2);
  o.nonfinite = r.flag() ? qmath::nonfinite_policy::map : qmath::nonfinite_policy::error;
  o.seed = r.u64();
  o.store = static_cast<qmath::store_hint>(r.byte() % 3);
  bool any_bad = false;
  for (float v : x) any_bad |= !std::isfinite(v);

  auto scale_of = [&](std::size_t i) {
    if constexpr (S::kind == granularity_kind::per_tensor) return p.scale;
    else return p.scale[entry_of<S>(l, i)];
  };
  auto zp_of = [&](std::size_t i) {
    if constexpr (S::kind == granularity_kind::per_tensor) return p.zero_point;
    else return p.zero_point[entry_of<S>(l, i)];
  };
  auto call_q = [&](std::span<const float> in, std::span<T> q, const qmath::quantize_options& opt) {
    if constexpr (S::kind == granularity_kind::per_tensor) return qmath::quantize(in, p, q, opt);
    else return qmath::quantize(in, shape, p, q, opt);
  };

  std::vector<T> q(n);
  const qmath::status st = call_q(x, q, o);
  if (!valid) {
    QMATH_FUZZ_CHECK(!st.ok() && st.code() != qmath::errc::non_finite);
    return;
  }
  if (any_bad && o.nonfinite == qmath::nonfinite_policy::error) {
    QMATH_FUZZ_CHECK(st.code() == qmath::errc::non_finite && st.argument() == "x");
    QMATH_FUZZ_CHECK(st.index() < n && !std::isfinite(x[st.index()]));
  } else {
    QMATH_FUZZ_CHECK(st.ok());
  }
  const std::uint32_t key = qmath::stochastic_key(o.seed);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t want = qmath::quantize_value(x[i], scale_of(i), zp_of(i), S::qmin, S::qmax, o.round, o.div,
                                                    qmath::stochastic_bits(key, i));
    QMATH_FUZZ_CHECK(static_cast<std::int32_t>(q[i]) == want);
    QMATH_FUZZ_CHECK(want >= S::qmin && want <= S::qmax);
  }

  // Dequantize (the codes as stored) and the round trip.
  std::vector<float> dq(n);
  qmath::dequantize_options dopt;
  dopt.store = o.store;
  qmath::status ds;
  if constexpr (S::kind == granularity_kind::per_tensor) ds = qmath::dequantize(std::span<const T>(q), p, std::span<float>(dq), dopt);
  else ds = qmath::dequantize(std::span<const T>(q), shape, p, std::span<float>(dq), dopt);
  QMATH_FUZZ_CHECK(ds.ok());
  for (std::size_t i = 0; i < n; ++i) QMATH_FUZZ_CHECK(same_bits(dq[i], qmath::dequantize_value(q[i], scale_of(i), zp_of(i))));
  if (o.round == qmath::rounding::half_even || o.round == qmath::rounding::half_away) {
    std::vector<T> q2(n);
    qmath::quantize_options o2 = o;
    o2.nonfinite = qmath::nonfinite_policy::map;
    QMATH_FUZZ_CHECK(call_q(dq, q2, o2).ok());
    for (std::size_t i = 0; i < n; ++i) {
      const float s = scale_of(i);
      const float back = dq[i];
      // Exact when (q - zp) * s is a normal float and no overflow happened.
      const bool well_scaled = s >= 0x1p-60f && s <= 0x1p60f && std::isfinite(back) &&
                               (back == 0.0f || std::fabs(back) >= 0x1p-100f);
      if (well_scaled) QMATH_FUZZ_CHECK(q2[i] == q[i]);
    }
  }

  // Fake quant (with the STE mask).
  std::vector<float> y(n);
  std::vector<std::uint8_t> mask(r.flag() ? n : 0);
  qmath::status fs;
  if constexpr (S::kind == granularity_kind::per_tensor) fs = qmath::fake_quant(std::span<const float>(x), p, std::span<float>(y), std::span<std::uint8_t>(mask), o);
  else fs = qmath::fake_quant(std::span<const float>(x), shape, p, std::span<float>(y), std::span<std::uint8_t>(mask), o);
  QMATH_FUZZ_CHECK(fs.code() == st.code());
  for (std::size_t i = 0; i < n; ++i) {
    const auto want = qmath::fake_quant_value(x[i], scale_of(i), zp_of(i), S::qmin, S::qmax, o.round, o.div,
                                              qmath::stochastic_bits(key, i));
    QMATH_FUZZ_CHECK(same_bits(y[i], want.y));
    if (!mask.empty()) QMATH_FUZZ_CHECK((mask[i] != 0) == want.in_range);
  }

  if constexpr (S::bits < 8) {
    std::vector<std::uint8_t> packed(qmath::packed_size(n, S::bits) + r.range(0, 2), 0xA5);
    qmath::status ps;
    if constexpr (S::kind == granularity_kind::per_tensor) ps = qmath::quantize_packed(std::span<const float>(x), p, std::span<std::uint8_t>(packed), o);
    else ps = qmath::quantize_packed(std::span<const float>(x), shape, p, std::span<std::uint8_t>(packed), o);
    QMATH_FUZZ_CHECK(ps.code() == st.code());
    std::vector<std::uint8_t> ref(packed.size(), 0xA5);
    QMATH_FUZZ_CHECK(qmath::pack(std::span<const T>(q), S::bits, std::span<std::uint8_t>(ref)).ok());
    for (std::size_t b = 0; b < qmath::packed_size(n, S::bits); ++b) QMATH_FUZZ_CHECK(packed[b] == ref[b]);
    std::vector<float> dq2(n);
    qmath::status us;
    if constexpr (S::kind == granularity_kind::per_tensor) us = qmath::dequantize_packed(std::span<const std::uint8_t>(packed), p, std::span<float>(dq2), dopt);
    else us = qmath::dequantize_packed(std::span<const std::uint8_t>(packed), shape, p, std::span<float>(dq2), dopt);
    QMATH_FUZZ_CHECK(us.ok());
    for (std::size_t i = 0; i < n; ++i) QMATH_FUZZ_CHECK(same_bits(dq2[i], dq[i]));
  }
}

using namespace qmath;
using u8_group_dyn = scheme<8, signedness::unsigned_int, mapping::affine, per_group<dynamic, dynamic>>;
using u4_channel_dyn = scheme<4, signedness::unsigned_int, mapping::affine, per_channel<dynamic>>;
using i3_affine = scheme<3, signedness::signed_int, mapping::affine, per_tensor>;
using u16_channel_dyn = scheme<16, signedness::unsigned_int, mapping::affine, per_channel<dynamic>>;
using i6_symr_group_dyn = scheme<6, signedness::signed_int, mapping::symmetric_restricted, per_group<dynamic, dynamic>>;

}  // namespace

QMATH_FUZZ_TARGET(quantize) {
  qmath_fuzz::reader r(data, size);
  qmath_fuzz::pick_cap(r);
  switch (r.byte() % 12) {
    case 0: run<int8_sym_per_tensor>(r); break;
    case 1: run<uint8_affine_per_tensor>(r); break;
    case 2: run<int8_symr_per_tensor>(r); break;
    case 3: run<uint8_sym_per_tensor>(r); break;
    case 4: run<int16_sym>(r); break;
    case 5: run<uint16_affine_per_tensor>(r); break;
    case 6: run<uint4_affine_per_tensor>(r); break;
    case 7: run<i3_affine>(r); break;
    case 8: run<int8_sym_per_channel_dyn>(r); break;
    case 9: run<int4_sym_group_dyn>(r); break;
    case 10: run<u8_group_dyn>(r); break;
    default:
      run<u4_channel_dyn>(r);
      run<u16_channel_dyn>(r);
      run<i6_symr_group_dyn>(r);
      break;
  }
  return 0;
}
