// The bad-input matrix: every public entry point family x every class of bad
// or degenerate input -> the documented error (code and argument name) or
// the documented behaviour (README "Error model: documented behaviours").
// Runs in every leg, including asan-ubsan: nothing here may be undefined.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "qmath/calibrate/entropy.hpp"
#include "qmath/calibrate/histogram.hpp"
#include "qmath/calibrate/minmax.hpp"
#include "qmath/calibrate/mse_search.hpp"
#include "qmath/calibrate/percentile.hpp"
#include "qmath/calibrate/qparams.hpp"
#include "qmath/codebook/kmeans.hpp"
#include "qmath/codebook/product_quantizer.hpp"
#include "qmath/codebook/scalar_codebook.hpp"
#include "qmath/core/compute_qparams.hpp"
#include "qmath/gemm/gemm.hpp"
#include "qmath/gemm/int4.hpp"
#include "qmath/gemm/linear.hpp"
#include "qmath/io/npy.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/metrics/kl.hpp"
#include "qmath/quantize/fake_quant.hpp"
#include "qmath/quantize/pack.hpp"
#include "qmath/quantize/quantize.hpp"
#include "qmath/quantize/requantize.hpp"
#include "qmath/simd/isa.hpp"

namespace {

using qmath::errc;

constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();
constexpr float inf_f = std::numeric_limits<float>::infinity();
constexpr float denorm_f = std::numeric_limits<float>::denorm_min();
constexpr std::size_t huge = (std::size_t{1} << 63) + 1;  // huge * 2 wraps to 2

/// The status has code `c` and names argument `arg`.
#define CHECK_ERR(expr, c, arg)                                         \
  do {                                                                  \
    const qmath::status st_ = (expr);                                   \
    INFO(st_.message());                                                \
    CHECK(st_.code() == (c));                                           \
    CHECK(st_.argument() == std::string_view(arg));                     \
  } while (0)

template <class R>
qmath::status err_of(const R& r) {
  return r ? qmath::ok_status : r.error();
}

using i8pt = qmath::int8_sym_per_tensor;
using u8pt = qmath::uint8_affine_per_tensor;
using i8pc = qmath::int8_sym_per_channel_dyn;
using i4g = qmath::int4_sym_group_dyn;

}  // namespace

// ---------------------------------------------------------------- qparams --

TEST_CASE("bad input: choose_qparams / compute_qparams") {
  const qmath::qparams_options o{};
  // NaN / +-Inf range ends.
  CHECK_ERR(err_of(qmath::choose_qparams<u8pt>(nan_f, 1.f, o)), errc::non_finite, "min_val");
  CHECK_ERR(err_of(qmath::choose_qparams<u8pt>(0.f, inf_f, o)), errc::non_finite, "max_val");
  CHECK_ERR(err_of(qmath::choose_qparams<u8pt>(-inf_f, 0.f, o)), errc::non_finite, "min_val");
  // Reversed range.
  CHECK_ERR(err_of(qmath::choose_qparams<u8pt>(2.f, 1.f, o)), errc::invalid_argument, "min_val");
  // Code ranges that do not hold 0.
  CHECK_ERR(err_of(qmath::choose_qparams(0.f, 1.f, 1, 255, qmath::mapping::affine, o)), errc::out_of_range, "qmin");
  CHECK_ERR(err_of(qmath::choose_qparams(0.f, 1.f, -5, -1, qmath::mapping::affine, o)), errc::out_of_range, "qmax");
  // eps zero / negative / NaN (pytorch convention).
  for (float eps : {0.0f, -1.0f, nan_f, inf_f}) {
    qmath::qparams_options e;
    e.eps = eps;
    CHECK_ERR(err_of(qmath::choose_qparams<u8pt>(0.f, 0.f, e)), errc::invalid_argument, "eps");
  }
  // A range too wide for a finite scale: [-FLT_MAX, FLT_MAX] affine 8 bit.
  const float fmax = std::numeric_limits<float>::max();
  for (auto conv : {qmath::qparams_convention::pytorch, qmath::qparams_convention::onnxruntime}) {
    qmath::qparams_options c;
    c.convention = conv;
    CHECK_ERR(err_of(qmath::choose_qparams<u8pt>(-fmax, fmax, c)), errc::out_of_range, "max_val");
  }
  {
    qmath::qparams_options c;  // symmetric: amax / 127.5 is finite
    auto p = qmath::choose_qparams<i8pt>(-fmax, fmax, c);
    REQUIRE(p);
    CHECK(std::isfinite(p->scale));
    c.constraint = qmath::scale_constraint::power_of_two;  // 2^127 is the largest power of two
    CHECK_ERR(err_of(qmath::choose_qparams(-fmax, fmax, -1, 1, qmath::mapping::symmetric_restricted, c)),
              errc::out_of_range, "max_val");
  }
  // Denormal range: the scale is floored at eps (pytorch) / 1.0 (onnxruntime, tflite).
  {
    auto p = qmath::choose_qparams<u8pt>(0.f, denorm_f, o);
    REQUIRE(p);
    CHECK(p->scale == 0x1p-23f);
    CHECK(p->zero_point == 0);
    for (auto conv : {qmath::qparams_convention::onnxruntime, qmath::qparams_convention::tflite}) {
      qmath::qparams_options c;
      c.convention = conv;
      auto q = qmath::choose_qparams<u8pt>(-denorm_f, denorm_f, c);
      REQUIRE(q);
      CHECK(q->scale == 1.0f);
    }
  }
  // Constant and all-zero tensors (README "Degenerate data").
  {
    const std::vector<float> zeros(7, 0.0f), consts(7, 3.0f);
    auto z = qmath::compute_qparams<u8pt>(zeros, o);
    REQUIRE(z);
    CHECK(z->scale == 0x1p-23f);
    CHECK(z->zero_point == 0);
    auto c = qmath::compute_qparams<u8pt>(consts, o);
    REQUIRE(c);
    CHECK(c->scale == 3.0f / 255.0f);
    CHECK(qmath::quantize_value(3.0f, c->scale, c->zero_point, 0, 255) == 255);
  }
  // Empty data; NaN / Inf in data (error policy names the index; map ignores).
  const std::vector<float> empty;
  CHECK_ERR(err_of(qmath::compute_qparams<u8pt>(empty, o)), errc::empty_input, "data");
  const std::vector<float> bad{1.f, nan_f, -inf_f, 2.f};
  auto e = qmath::compute_qparams<u8pt>(bad, o);
  CHECK_ERR(err_of(e), errc::non_finite, "data");
  CHECK(e.error().index() == 1);
  qmath::qparams_options m;
  m.nonfinite = qmath::nonfinite_policy::map;
  auto mapped = qmath::compute_qparams<u8pt>(bad, m);
  REQUIRE(mapped);
  CHECK(*mapped == *qmath::compute_qparams<u8pt>(std::vector<float>{1.f, 2.f}, o));
  // Per channel: axis out of range, shape mismatch, zero dims, group not dividing, huge shapes.
  std::vector<float> x(6, 1.0f);
  const std::size_t shape[2] = {2, 3};
  qmath::qparams<i8pc> pc{};
  pc.axis = 2;
  CHECK_ERR(qmath::compute_qparams<i8pc>(x, shape, pc, o), errc::out_of_range, "axis");
  pc.axis = 0;
  const std::size_t wrong[2] = {2, 4};
  CHECK_ERR(qmath::compute_qparams<i8pc>(x, wrong, pc, o), errc::size_mismatch, "data");
  const std::size_t zero_dim[2] = {0, 3};
  CHECK_ERR(qmath::compute_qparams<i8pc>(x, zero_dim, pc, o), errc::invalid_argument, "shape");
  qmath::qparams<i4g> g{};
  g.axis = 1;
  g.group_size = 2;  // does not divide 3
  CHECK_ERR(qmath::compute_qparams<i4g>(x, shape, g, o), errc::invalid_argument, "group_size");
  g.group_size = 0;
  CHECK_ERR(qmath::compute_qparams<i4g>(x, shape, g, o), errc::invalid_argument, "group_size");
  // {2^63 + 1, 2} has 2^64 + 2 elements: wraps to 2 in size_t. Must be
  // rejected before any element is read (used to read far out of bounds).
  const std::size_t wraps[2] = {huge, 2};
  std::vector<float> two(2, 1.0f);
  pc.axis = 1;
  CHECK_ERR(qmath::compute_qparams<i8pc>(two, wraps, pc, o), errc::out_of_range, "shape");
  CHECK_ERR(err_of(qmath::make_axis_layout(wraps, 0)), errc::out_of_range, "shape");
  CHECK(qmath::shape_size(wraps) == std::numeric_limits<std::size_t>::max());
  CHECK_ERR(err_of(qmath::partition::per_channel(wraps, 1)), errc::out_of_range, "shape");
  CHECK_ERR(err_of(qmath::partition_for<i8pt>(wraps)), errc::out_of_range, "shape");
}

// --------------------------------------------------------------- quantize --

TEST_CASE("bad input: quantize / dequantize / fake_quant") {
  std::vector<float> x{0.5f, -1.f, 2.f, 3.f, 0.f, 1.f};
  std::vector<std::int8_t> q(6);
  std::vector<float> y(6);
  const qmath::qparams<i8pt> p{0.1f, 0};
  // Empty, size mismatch.
  CHECK_ERR(qmath::quantize(std::span<const float>(), p, std::span<std::int8_t>()), errc::empty_input, "x");
  CHECK_ERR(qmath::quantize(std::span<const float>(x), p, std::span(q).first(5)), errc::size_mismatch, "q");
  CHECK_ERR(qmath::dequantize(std::span<const std::int8_t>(), p, std::span<float>()), errc::empty_input, "q");
  CHECK_ERR(qmath::dequantize(std::span<const std::int8_t>(q), p, std::span(y).first(2)), errc::size_mismatch, "x");
  CHECK_ERR(qmath::fake_quant(std::span<const float>(x), p, std::span(y).first(3), {}), errc::size_mismatch, "y");
  std::vector<std::uint8_t> mask(6);
  CHECK_ERR(qmath::fake_quant(std::span<const float>(x), p, std::span<float>(y), std::span(mask).first(2)),
            errc::size_mismatch, "mask");
  // Zero, negative, NaN, Inf scale; zero point out of range / not the fixed symmetric value.
  for (float s : {0.0f, -0.1f, nan_f, inf_f, -inf_f}) {
    CHECK_ERR(qmath::quantize(std::span<const float>(x), qmath::qparams<i8pt>{s, 0}, std::span(q)),
              errc::invalid_argument, "scale");
    CHECK_ERR(qmath::dequantize(std::span<const std::int8_t>(q), qmath::qparams<i8pt>{s, 0}, std::span(y)),
              errc::invalid_argument, "scale");
    CHECK_ERR(qmath::fake_quant(std::span<const float>(x), qmath::qparams<i8pt>{s, 0}, std::span(y), {}),
              errc::invalid_argument, "scale");
  }
  std::vector<std::uint8_t> qu(6);
  CHECK_ERR(qmath::quantize(std::span<const float>(x), qmath::qparams<u8pt>{0.1f, 256}, std::span(qu)),
            errc::out_of_range, "zero_point");
  CHECK_ERR(qmath::quantize(std::span<const float>(x), qmath::qparams<u8pt>{0.1f, -1}, std::span(qu)),
            errc::out_of_range, "zero_point");
  CHECK_ERR(qmath::quantize(std::span<const float>(x), qmath::qparams<i8pt>{0.1f, 3}, std::span(q)),
            errc::invalid_argument, "zero_point");
  // Denormal scale: legal; values saturate (x / scale overflows to +-Inf).
  REQUIRE(qmath::quantize(std::span<const float>(x), qmath::qparams<i8pt>{denorm_f, 0}, std::span(q)).ok());
  CHECK(q == std::vector<std::int8_t>{127, -128, 127, 127, 0, 127});
  // Denormal data: quantizes to the zero point, dequantizes to 0.
  const std::vector<float> dn{denorm_f, -denorm_f, 0x1p-140f};
  std::vector<std::uint8_t> qd(3);
  REQUIRE(qmath::quantize(std::span<const float>(dn), qmath::qparams<u8pt>{0.5f, 7}, std::span(qd)).ok());
  CHECK(qd == std::vector<std::uint8_t>{7, 7, 7});
  // NaN / Inf data: error naming x and the first index, output written as under map.
  std::vector<float> bad{1.f, nan_f, inf_f, -inf_f};
  std::vector<std::uint8_t> qb(4, 99);
  const qmath::status st = qmath::quantize(std::span<const float>(bad), qmath::qparams<u8pt>{1.f, 10}, std::span(qb));
  CHECK_ERR(st, errc::non_finite, "x");
  CHECK(st.index() == 1);
  CHECK(qb == std::vector<std::uint8_t>{11, 10, 255, 0});
  qmath::quantize_options map;
  map.nonfinite = qmath::nonfinite_policy::map;
  std::fill(qb.begin(), qb.end(), 0);
  REQUIRE(qmath::quantize(std::span<const float>(bad), qmath::qparams<u8pt>{1.f, 10}, std::span(qb), map).ok());
  CHECK(qb == std::vector<std::uint8_t>{11, 10, 255, 0});
  // Unknown option values.
  qmath::quantize_options wrong;
  wrong.round = static_cast<qmath::rounding>(9);
  CHECK_ERR(qmath::quantize(std::span<const float>(x), p, std::span(q), wrong), errc::invalid_argument, "round");
  wrong = {};
  wrong.div = static_cast<qmath::division>(5);
  CHECK_ERR(qmath::quantize(std::span<const float>(x), p, std::span(q), wrong), errc::invalid_argument, "div");
  // Per channel / per group: axis out of range, group size not dividing or 0,
  // wrong entry counts, shape vs data mismatch, huge (wrapping) shapes.
  const std::size_t shape[2] = {2, 3};
  qmath::qparams<i8pc> pc{{0.1f, 0.2f}, {0, 0}, 2};
  CHECK_ERR(qmath::quantize(std::span<const float>(x), shape, pc, std::span(q)), errc::out_of_range, "axis");
  pc.axis = 1;  // needs 3 entries
  CHECK_ERR(qmath::quantize(std::span<const float>(x), shape, pc, std::span(q)), errc::size_mismatch, "scale");
  pc.axis = 0;
  pc.zero_point = {0};
  CHECK_ERR(qmath::quantize(std::span<const float>(x), shape, pc, std::span(q)), errc::size_mismatch, "zero_point");
  pc.zero_point = {0, 0};
  const std::size_t other[2] = {2, 4};  // right entry count, 8 elements for 6 values
  CHECK_ERR(qmath::quantize(std::span<const float>(x), other, pc, std::span(q)), errc::size_mismatch, "shape");
  pc.scale[1] = -1.0f;
  const qmath::status neg = qmath::quantize(std::span<const float>(x), shape, pc, std::span(q));
  CHECK_ERR(neg, errc::invalid_argument, "scale");
  CHECK(neg.index() == 1);
  pc.scale[1] = 0.2f;
  qmath::qparams<i4g> g{{0.1f, 0.1f, 0.1f}, {0, 0, 0}, 1, 2};
  const std::size_t gshape[2] = {3, 2};
  CHECK(qmath::quantize(std::span<const float>(x), gshape, g, std::span(q)).ok());
  g.group_size = 4;
  CHECK_ERR(qmath::quantize(std::span<const float>(x), gshape, g, std::span(q)), errc::invalid_argument, "group_size");
  g.group_size = 0;
  CHECK_ERR(qmath::quantize(std::span<const float>(x), gshape, g, std::span(q)), errc::invalid_argument, "group_size");
  qmath::qparams<i8pc> wide{{0.1f, 0.1f}, {0, 0}, 1};
  const std::size_t wraps[2] = {huge, 2};
  std::vector<std::int8_t> q2(2);
  CHECK_ERR(qmath::quantize(std::span<const float>(x).first(2), wraps, wide, std::span(q2)), errc::out_of_range,
            "shape");
  CHECK_ERR(qmath::dequantize(std::span<const std::int8_t>(q2), wraps, wide, std::span(y).first(2)),
            errc::out_of_range, "shape");
  // Aliasing: an output overlapping the input is rejected; fake_quant may
  // run exactly in place (y == x).
  std::vector<float> buf{0.5f, -1.f, 2.f, 3.f, 0.f, 1.f, 0.f, 0.f};
  auto as_i8 = std::span<std::int8_t>(reinterpret_cast<std::int8_t*>(buf.data()), 6);
  CHECK_ERR(qmath::quantize(std::span<const float>(buf).first(6), p, as_i8), errc::invalid_argument, "q");
  CHECK_ERR(qmath::dequantize(std::span<const std::int8_t>(as_i8), p, std::span(buf).subspan(1, 6)),
            errc::invalid_argument, "x");
  std::vector<float> inplace = x, expect(6);
  REQUIRE(qmath::fake_quant(std::span<const float>(x), p, std::span(expect), {}).ok());
  REQUIRE(qmath::fake_quant(std::span<const float>(inplace), p, std::span(inplace), {}).ok());
  CHECK(inplace == expect);
  CHECK_ERR(qmath::fake_quant(std::span<const float>(buf).first(6), p, std::span(buf).subspan(1, 6), {}),
            errc::invalid_argument, "y");
  auto mask_alias = std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buf.data()), 6);
  CHECK_ERR(qmath::fake_quant(std::span<const float>(buf).first(6), p, std::span(y), mask_alias),
            errc::invalid_argument, "mask");
  std::vector<float> dy{1.f, 2.f, 3.f};
  const std::vector<std::uint8_t> m3{1, 0, 1};
  REQUIRE(qmath::fake_quant_backward(dy, m3, dy).ok());  // in place
  CHECK(dy == std::vector<float>{1.f, 0.f, 3.f});
  CHECK_ERR(qmath::fake_quant_backward(std::span<const float>(buf).first(3), m3, std::span(buf).subspan(1, 3)),
            errc::invalid_argument, "dx");
  CHECK_ERR(qmath::fake_quant_backward(std::span<const float>(), m3, std::span(dy)), errc::empty_input, "dy");
}

// ------------------------------------------------------------ pack/unpack --

TEST_CASE("bad input: pack / unpack / quantize_packed") {
  std::vector<std::uint8_t> codes{1, 2, 3, 15}, packed(2);
  CHECK_ERR(qmath::pack(std::span<const std::uint8_t>(codes), 0, std::span(packed)), errc::out_of_range, "bits");
  CHECK_ERR(qmath::pack(std::span<const std::uint8_t>(codes), 9, std::span(packed)), errc::out_of_range, "bits");
  CHECK_ERR(qmath::pack(std::span<const std::uint8_t>(), 4, std::span(packed)), errc::empty_input, "codes");
  CHECK_ERR(qmath::pack(std::span<const std::uint8_t>(codes), 4, std::span(packed).first(1)), errc::size_mismatch,
            "packed");
  const qmath::status big = qmath::pack(std::span<const std::uint8_t>(codes), 3, std::span(packed));
  CHECK_ERR(big, errc::out_of_range, "codes");
  CHECK(big.index() == 3);
  std::vector<std::int8_t> sc{-8, 7, -9, 0};
  const qmath::status sbad = qmath::pack(std::span<const std::int8_t>(sc), 4, std::span(packed));
  CHECK_ERR(sbad, errc::out_of_range, "codes");
  CHECK(sbad.index() == 2);
  CHECK_ERR(qmath::unpack(std::span<const std::uint8_t>(packed).first(1), 4, std::span(codes)), errc::size_mismatch,
            "packed");
  CHECK_ERR(qmath::unpack(std::span<const std::uint8_t>(packed), 4, std::span<std::uint8_t>()), errc::empty_input,
            "codes");
  // Aliasing: packing or unpacking in place is rejected.
  std::vector<std::uint8_t> both{1, 2, 3, 4, 5, 6, 7, 8};
  CHECK_ERR(qmath::pack(std::span<const std::uint8_t>(both), 4, std::span(both)), errc::invalid_argument, "packed");
  CHECK_ERR(qmath::unpack(std::span<const std::uint8_t>(both).first(2), 4, std::span(both).first(4)),
            errc::invalid_argument, "codes");
  // packed_size never overflows (count * bits would wrap for count > 2^61).
  const std::size_t max = std::numeric_limits<std::size_t>::max();
  CHECK(qmath::packed_size(max, 8) == max);
  CHECK(qmath::packed_size(max, 1) == max / 8 + 1);
  CHECK(qmath::packed_size(max, 4) == max / 2 + 1);
  CHECK(qmath::packed_size((std::size_t{1} << 62) + 3, 4) == (std::size_t{1} << 61) + 2);
  CHECK(qmath::packed_size(5, 3) == 2);
  // Fused paths.
  const std::vector<float> x{0.f, 1.f, nan_f};
  const qmath::qparams<qmath::uint4_affine_per_tensor> p4{0.5f, 8};
  std::vector<std::uint8_t> pk(2);
  CHECK_ERR(qmath::quantize_packed(std::span<const float>(), p4, std::span(pk)), errc::empty_input, "x");
  CHECK_ERR(qmath::quantize_packed(std::span<const float>(x), p4, std::span(pk).first(1)), errc::size_mismatch,
            "packed");
  CHECK_ERR(qmath::quantize_packed(std::span<const float>(x), qmath::qparams<qmath::uint4_affine_per_tensor>{0.5f, 16},
                                   std::span(pk)),
            errc::out_of_range, "zero_point");
  CHECK_ERR(qmath::quantize_packed(std::span<const float>(x), p4, std::span(pk)), errc::non_finite, "x");
  CHECK(pk[0] == (8 | (10 << 4)));  // written as under map: NaN -> zero point
  CHECK(pk[1] == 8);
  std::vector<float> back(3);
  REQUIRE(qmath::dequantize_packed(std::span<const std::uint8_t>(pk), p4, std::span(back)).ok());
  CHECK(back == std::vector<float>{0.f, 1.f, 0.f});
  CHECK_ERR(qmath::dequantize_packed(std::span<const std::uint8_t>(pk).first(1), p4, std::span(back)),
            errc::size_mismatch, "packed");
  std::vector<float> fb(4, 1.0f);
  auto fb_bytes = std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(fb.data()), 2);
  CHECK_ERR(qmath::quantize_packed(std::span<const float>(fb).first(3), p4, fb_bytes), errc::invalid_argument,
            "packed");
  CHECK_ERR(qmath::dequantize_packed(std::span<const std::uint8_t>(fb_bytes), p4, std::span(fb).first(3)),
            errc::invalid_argument, "x");
}

// ------------------------------------------------------------- requantize --

TEST_CASE("bad input: requantize and quantize_multiplier") {
  std::vector<std::int32_t> acc{100, -100, 5000, 0};
  std::vector<std::int8_t> out(4);
  const std::vector<float> m1{0.01f};
  const qmath::requant_output o{0, -128, 127};
  CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(acc), 0, {}, m1, o, std::span(out)),
            errc::invalid_argument, "cols");
  CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(acc), 3, {}, m1, o, std::span(out)),
            errc::size_mismatch, "acc");
  CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(), 2, {}, m1, o, std::span<std::int8_t>()),
            errc::empty_input, "acc");
  CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(acc), 2, {}, m1, o, std::span(out).first(3)),
            errc::size_mismatch, "out");
  const std::vector<float> m3{0.1f, 0.1f, 0.1f};
  CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(acc), 2, {}, m3, o, std::span(out)),
            errc::size_mismatch, "multiplier");
  for (float bad : {nan_f, inf_f, -0.5f}) {
    const std::vector<float> mb{bad};
    CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(acc), 2, {}, mb, o, std::span(out)),
              errc::invalid_argument, "multiplier");
  }
  CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(acc), 2, {}, m1, qmath::requant_output{200, -128, 127},
                                    std::span(out)),
            errc::out_of_range, "zero_point");
  CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(acc), 2, {}, m1, qmath::requant_output{0, 5, -5},
                                    std::span(out)),
            errc::out_of_range, "clamp_min");
  // Aliasing the accumulators.
  auto alias = std::span<std::int8_t>(reinterpret_cast<std::int8_t*>(acc.data()), 4);
  CHECK_ERR(qmath::requantize_float(std::span<const std::int32_t>(acc), 2, {}, m1, o, alias), errc::invalid_argument,
            "out");
  for (double m : {-1.0, std::nan(""), static_cast<double>(INFINITY)}) CHECK_ERR(err_of(qmath::quantize_multiplier(m)), errc::invalid_argument, "multiplier");
  CHECK_ERR(err_of(qmath::quantize_multiplier(4294967296.0)), errc::out_of_range, "multiplier");
  // Denormal multiplier: representable as 0 (shift below -31): output = zero point.
  auto dm = qmath::quantize_multiplier(1e-310);
  REQUIRE(dm);
  CHECK(dm->multiplier == 0);
}

// ------------------------------------------------------------ calibrators --

TEST_CASE("bad input: calibrators") {
  const std::vector<float> x{1.f, -2.f, 3.f, 0.5f}, bad{1.f, nan_f, 2.f, -inf_f}, empty;
  qmath::minmax_observer mm;
  CHECK_ERR(mm.observe(empty), errc::empty_input, "x");
  const qmath::status st = mm.observe(bad);
  CHECK_ERR(st, errc::non_finite, "x");
  CHECK(st.index() == 1);
  CHECK(mm.range().empty());  // unchanged
  CHECK(mm.batches() == 0);
  qmath::minmax_observer skip(qmath::partition::per_tensor(), qmath::calibration_nonfinite::skip);
  REQUIRE(skip.observe(bad).ok());
  CHECK(skip.range() == qmath::value_range{1.f, 2.f});
  CHECK(skip.skipped() == 2);
  // Denormals are ordinary values.
  REQUIRE(mm.observe(std::vector<float>{denorm_f, -denorm_f}).ok());
  CHECK(mm.range() == qmath::value_range{-denorm_f, denorm_f});
  // Size mismatch against a fixed partition; axis out of range; group 0; merging different layouts.
  const std::size_t shape[2] = {2, 2};
  auto part = qmath::partition::per_channel(shape, 1);
  REQUIRE(part);
  qmath::minmax_observer pc(*part);
  CHECK_ERR(pc.observe(std::vector<float>(5, 1.f)), errc::size_mismatch, "x");
  CHECK_ERR(pc.merge(mm), errc::size_mismatch, "other");
  CHECK_ERR(err_of(qmath::partition::per_channel(shape, 2)), errc::out_of_range, "axis");
  CHECK_ERR(err_of(qmath::partition::per_group(shape, 1, 0)), errc::invalid_argument, "group_size");
  // Moving average: constant outside (0, 1].
  for (double c : {0.0, -0.5, 1.5, std::nan("")}) {
    qmath::moving_average_observer ma(qmath::partition::per_tensor(), c);
    CHECK_ERR(ma.observe(x), errc::invalid_argument, "averaging_constant");
  }
  // Histograms: empty, NaN (state unchanged), bad bins, bad fixed range, merge mismatch.
  qmath::histogram h;
  CHECK_ERR(h.add(empty), errc::empty_input, "x");
  CHECK_ERR(h.add(bad), errc::non_finite, "x");
  CHECK(h.total() == 0);
  qmath::histogram odd(qmath::histogram_mode::magnitude, 3);
  CHECK_ERR(odd.add(x), errc::invalid_argument, "nbins");
  CHECK_ERR(err_of(qmath::histogram::fixed(qmath::histogram_mode::magnitude, nan_f, 1.f)), errc::invalid_argument, "lo");
  CHECK_ERR(err_of(qmath::histogram::fixed(qmath::histogram_mode::magnitude, 1.f, 1.f)), errc::invalid_argument, "hi");
  CHECK_ERR(err_of(qmath::histogram::fixed(qmath::histogram_mode::magnitude, -1.f, 1.f)), errc::invalid_argument, "lo");
  CHECK_ERR(err_of(qmath::histogram::fixed(qmath::histogram_mode::magnitude, 0.f, denorm_f)), errc::invalid_argument,
            "hi");
  CHECK_ERR(h.merge(qmath::histogram(qmath::histogram_mode::signed_values)), errc::invalid_argument, "other");
  // Constant (all-zero) data in a growable histogram: width 2^-126, one bin.
  REQUIRE(h.add(std::vector<float>(5, 0.0f)).ok());
  CHECK(h.total() == 5);
  CHECK(h.width_exponent() == -126);
  // Percentile: pct outside [0, 100], empty, NaN.
  qmath::percentile_observer po;
  CHECK_ERR(err_of(po.percentile(50)), errc::empty_input, "values");
  REQUIRE(po.observe(x).ok());
  CHECK_ERR(err_of(po.percentile(101)), errc::invalid_argument, "pct");
  CHECK_ERR(err_of(po.percentile(std::nan(""))), errc::invalid_argument, "pct");
  CHECK(*po.percentile(100) == 3.0);
  // Threshold searches on an empty histogram; qparams from empty / bad ranges.
  CHECK_FALSE(qmath::entropy_threshold(qmath::histogram{}).has_value());
  const qmath::value_range none{};
  CHECK_ERR(err_of(qmath::qparams_from_ranges<i8pt>(std::span(&none, 1), qmath::partition::per_tensor())),
            errc::empty_input, "ranges");
  CHECK_ERR(err_of(qmath::qparams_from_threshold<i8pt>(0.0)), errc::invalid_argument, "threshold");
  CHECK_ERR(err_of(qmath::qparams_from_threshold<i8pt>(INFINITY)), errc::invalid_argument, "threshold");
}

// ---------------------------------------------------------------- metrics --

TEST_CASE("bad input: metrics") {
  const std::vector<float> x{1.f, 2.f, 3.f}, y{1.f, 2.f, 4.f}, empty, zeros(3, 0.f);
  CHECK_ERR(err_of(qmath::compare(empty, empty)), errc::empty_input, "x");
  CHECK_ERR(err_of(qmath::compare(x, std::span(y).first(2))), errc::size_mismatch, "y");
  const std::vector<float> xn{1.f, nan_f, 3.f}, yi{1.f, 2.f, -inf_f};
  auto e1 = qmath::compare(xn, y);
  CHECK_ERR(err_of(e1), errc::non_finite, "x");
  CHECK(e1.error().index() == 1);
  auto e2 = qmath::compare(x, yi);
  CHECK_ERR(err_of(e2), errc::non_finite, "y");
  CHECK(e2.error().index() == 2);
  // x - y overflows float: an error, never a silent Inf.
  const float fmax = std::numeric_limits<float>::max();
  CHECK_ERR(err_of(qmath::compare(std::vector<float>{fmax}, std::vector<float>{-fmax})), errc::non_finite, "y");
  // Documented degenerate values.
  auto same = qmath::compare(x, x);
  REQUIRE(same);
  CHECK(same->sqnr_db() == INFINITY);
  CHECK(same->relative_l2() == 0.0);
  auto z = qmath::compare(zeros, zeros);
  REQUIRE(z);
  CHECK(z->cosine() == 1.0);
  CHECK(z->sqnr_db() == INFINITY);
  auto zx = qmath::compare(zeros, x);
  REQUIRE(zx);
  CHECK(zx->sqnr_db() == -INFINITY);
  CHECK(zx->cosine() == 0.0);
  CHECK(zx->relative_l2() == INFINITY);
  CHECK(std::isnan(qmath::error_stats{}.mse()));
  // Denormals: exact sums.
  auto d = qmath::compare(std::vector<float>{denorm_f}, std::vector<float>{0.f});
  REQUIRE(d);
  CHECK(d->max_abs_err == denorm_f);
  // KL: empty, mismatch, negative / NaN weights, bad epsilon, all-zero.
  const std::vector<double> p{1, 2, 3}, q{1, 1, 1}, dz{0, 0, 0}, dneg{1, -1, 0}, dnan{1, std::nan(""), 0}, de;
  CHECK_ERR(err_of(qmath::kl_divergence(de, de)), errc::empty_input, "p");
  CHECK_ERR(err_of(qmath::kl_divergence(p, std::span(q).first(2))), errc::size_mismatch, "q");
  CHECK_FALSE(qmath::kl_divergence(dneg, q).has_value());
  CHECK_FALSE(qmath::kl_divergence(p, dnan).has_value());
  CHECK_FALSE(qmath::kl_divergence(dz, q).has_value());
  qmath::kl_options ko;
  ko.epsilon = 0;
  CHECK_ERR(err_of(qmath::kl_divergence(p, q, ko)), errc::invalid_argument, "epsilon");
  ko.smoothing = qmath::kl_smoothing::none;
  CHECK(*qmath::kl_divergence(p, std::vector<double>{1, 0, 1}, ko) == INFINITY);
  CHECK(*qmath::kl_divergence(p, p) == 0.0);
}

// --------------------------------------------------------------- codebook --

TEST_CASE("bad input: k-means, product quantizer, scalar codebooks") {
  const std::vector<float> x{0.f, 0.f, 1.f, 1.f, 5.f, 5.f}, empty;
  qmath::kmeans_options o;
  o.k = 2;
  CHECK_ERR(err_of(qmath::kmeans(x, 0, o)), errc::invalid_argument, "d");
  CHECK_ERR(err_of(qmath::kmeans(empty, 2, o)), errc::empty_input, "x");
  CHECK_ERR(err_of(qmath::kmeans(x, 4, o)), errc::size_mismatch, "x");
  o.k = 0;
  CHECK_ERR(err_of(qmath::kmeans(x, 2, o)), errc::invalid_argument, "k");
  o.k = 4;  // k > n = 3
  CHECK_ERR(err_of(qmath::kmeans(x, 2, o)), errc::out_of_range, "k");
  o.k = 2;
  const std::vector<float> xn{0.f, nan_f, 1.f, 1.f, 5.f, 5.f};
  CHECK_ERR(err_of(qmath::kmeans(xn, 2, o)), errc::non_finite, "x");
  // Degenerate: k == n gives the points; identical points leave empty
  // clusters, re-seeded by splitting (c * (1 +- 1/1024), documented).
  o.k = 3;
  auto all = qmath::kmeans(x, 2, o);
  REQUIRE(all);
  std::vector<float> c = all->centroids;
  std::sort(c.begin(), c.end());
  CHECK(c == std::vector<float>{0.f, 0.f, 1.f, 1.f, 5.f, 5.f});
  o.k = 2;
  const std::vector<float> same(8, 2.0f);
  auto dup = qmath::kmeans(same, 2, o);
  REQUIRE(dup);
  CHECK(dup->splits > 0);
  for (float v : dup->centroids) CHECK(std::fabs(v - 2.0f) <= 2.0f / 1024.0f);
  // kmeans_assign: sizes, non-finite centroids, aliasing outputs.
  std::vector<std::uint32_t> idx(3);
  std::vector<float> dist(3);
  const std::vector<float> cents{0.f, 0.f, 5.f, 5.f};
  CHECK_ERR(qmath::kmeans_assign(x, 2, empty, idx), errc::empty_input, "centroids");
  CHECK_ERR(qmath::kmeans_assign(x, 2, std::span(cents).first(3), idx), errc::size_mismatch, "centroids");
  CHECK_ERR(qmath::kmeans_assign(x, 2, cents, std::span(idx).first(2)), errc::size_mismatch, "idx");
  CHECK_ERR(qmath::kmeans_assign(x, 2, std::vector<float>{0.f, inf_f}, idx), errc::non_finite, "centroids");
  std::vector<float> xbuf = x;
  CHECK_ERR(qmath::kmeans_assign(xbuf, 2, cents, idx, std::span(xbuf).first(3)), errc::invalid_argument, "dist");
  REQUIRE(qmath::kmeans_assign(x, 2, cents, idx, dist).ok());
  CHECK(idx == std::vector<std::uint32_t>{0, 0, 1});
  // Product quantizer.
  qmath::pq_options po;
  po.M = 3;  // does not divide d = 2
  CHECK_FALSE(qmath::product_quantizer::train(x, 2, po).has_value());
  po.M = 1;
  po.nbits = 0;
  CHECK_ERR(err_of(qmath::product_quantizer::train(x, 2, po)), errc::out_of_range, "nbits");
  po.nbits = 2;  // 4 centroids > 3 vectors
  CHECK_ERR(err_of(qmath::product_quantizer::train(x, 2, po)), errc::out_of_range, "x");
  po.nbits = 1;
  auto pq = qmath::product_quantizer::train(x, 2, po);
  REQUIRE(pq);
  std::vector<std::uint8_t> codes(3 * pq->code_size());
  CHECK_ERR(pq->encode(std::span(x).first(5), codes), errc::size_mismatch, "x");
  CHECK_ERR(pq->encode(x, std::span(codes).first(2)), errc::size_mismatch, "codes");
  CHECK_ERR(pq->encode(xn, codes), errc::non_finite, "x");
  std::vector<float> xb = x;
  auto xb_bytes = std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(xb.data()), codes.size());
  CHECK_ERR(pq->encode(xb, xb_bytes), errc::invalid_argument, "codes");
  REQUIRE(pq->encode(x, codes).ok());
  std::vector<float> dec(6);
  CHECK_ERR(pq->decode(codes, std::span(dec).first(4)), errc::size_mismatch, "x");
  CHECK_ERR(qmath::product_quantizer{}.decode(codes, dec), errc::invalid_argument, "this");
  std::vector<float> lut(pq->M() * pq->ksub());
  CHECK_ERR(pq->distance_table(std::vector<float>{nan_f, 0.f}, lut), errc::non_finite, "query");
  CHECK_ERR(pq->distance_table(std::vector<float>{0.f}, lut), errc::size_mismatch, "query");
  // Scalar codebooks.
  qmath::scalar_codebook_options so;
  so.levels = 1;
  std::vector<float> lv(1);
  CHECK_FALSE(qmath::fit_scalar_codebook(x, {}, so, lv).has_value());
  so.levels = 2;
  lv.resize(2);
  CHECK_ERR(err_of(qmath::fit_scalar_codebook(empty, {}, so, lv)), errc::empty_input, "x");
  CHECK_ERR(err_of(qmath::fit_scalar_codebook(xn, {}, so, lv)), errc::non_finite, "x");
  CHECK_FALSE(qmath::fit_scalar_codebook(x, std::vector<float>{1.f}, so, lv).has_value());
  CHECK_FALSE(qmath::fit_scalar_codebook(x, std::vector<float>{1, 1, 1, 1, 1, -1}, so, lv).has_value());
  std::vector<std::uint8_t> si(6);
  CHECK_FALSE(qmath::scalar_encode(x, 4, std::vector<float>{0.f, 1.f}, 2, si).ok());  // group does not divide
  CHECK_FALSE(qmath::scalar_decode(si, 0, std::vector<float>{0.f, 1.f}, 2, dec).ok());
}

// ------------------------------------------------------------------- gemm --

TEST_CASE("bad input: gemm, pack_weights, int4, linear_dynamic") {
  std::vector<std::uint8_t> a(12, 1);
  std::vector<std::int8_t> b(12, 1);
  auto pw = qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 4, 3});
  REQUIRE(pw);
  std::vector<std::int32_t> c(9);
  const qmath::matrix_view<std::uint8_t> av{a, 3, 4};
  qmath::matrix_span<std::int32_t> cs{c, 3, 3};
  REQUIRE(qmath::gemm(av, 0, *pw, cs, qmath::output_int32{}).ok());
  CHECK(c[0] == 4);
  // Empty; null data with non-zero extents; ld too small; data too short; K mismatch.
  CHECK_ERR(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 0, 4}, 0, *pw, cs, qmath::output_int32{}),
            errc::empty_input, "a");
  CHECK_ERR(qmath::gemm(qmath::matrix_view<std::uint8_t>{{}, 3, 4}, 0, *pw, cs, qmath::output_int32{}),
            errc::invalid_argument, "a");
  CHECK_ERR(qmath::gemm(av, 0, *pw, qmath::matrix_span<std::int32_t>{{}, 3, 3}, qmath::output_int32{}),
            errc::invalid_argument, "c");
  CHECK_ERR(qmath::pack_weights(qmath::matrix_view<std::int8_t>{{}, 4, 3}).error(), errc::invalid_argument, "b");
  CHECK_ERR(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 3, 4, 2}, 0, *pw, cs, qmath::output_int32{}),
            errc::invalid_argument, "a");
  CHECK_ERR(qmath::gemm(qmath::matrix_view<std::uint8_t>{std::span(a).first(11), 3, 4}, 0, *pw, cs,
                        qmath::output_int32{}),
            errc::size_mismatch, "a");
  CHECK_ERR(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 4, 3}, 0, *pw, cs, qmath::output_int32{}),
            errc::size_mismatch, "b");
  CHECK_ERR(qmath::gemm(av, 0, *pw, qmath::matrix_span<std::int32_t>{c, 3, 2}, qmath::output_int32{}),
            errc::size_mismatch, "c");
  CHECK_ERR(qmath::gemm(av, 0, qmath::packed_weights{}, cs, qmath::output_int32{}), errc::invalid_argument, "b");
  // Zero points out of range.
  CHECK_ERR(qmath::gemm(av, 256, *pw, cs, qmath::output_int32{}), errc::out_of_range, "a_zero_point");
  CHECK_ERR(qmath::gemm(av, -1, *pw, cs, qmath::output_int32{}), errc::out_of_range, "a_zero_point");
  CHECK_ERR(qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 4, 3}, std::vector<std::int32_t>{128}).error(),
            errc::out_of_range, "zero_point");
  CHECK_ERR(qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 4, 3}, std::vector<std::int32_t>{0, 0}).error(),
            errc::size_mismatch, "zero_point");
  // Stages: NaN / Inf / negative multipliers and scales, bad clamps, sizes.
  std::vector<std::int8_t> c8(9);
  qmath::matrix_span<std::int8_t> cs8{c8, 3, 3};
  for (float bad : {nan_f, inf_f, -1.0f}) {
    const std::vector<float> m{bad};
    CHECK_ERR(qmath::gemm(av, 0, *pw, cs8, qmath::output_requantize{m}), errc::invalid_argument, "multiplier");
    std::vector<float> cf(9);
    const std::vector<float> one{1.0f};
    if (bad < 0) continue;  // a negative scale is a legal (sign-flipping) scale product
    CHECK_ERR(qmath::gemm(av, 0, *pw, qmath::matrix_span<float>{cf, 3, 3}, qmath::output_dequantize{m, one}),
              errc::invalid_argument, "a_scale");
  }
  const std::vector<float> m1{0.1f};
  CHECK_ERR(qmath::gemm(av, 0, *pw, cs8, qmath::output_requantize{m1, {0, 10, -10}}), errc::out_of_range, "clamp_min");
  CHECK_ERR(qmath::gemm(av, 0, *pw, cs8, qmath::output_requantize{m1, {300, -128, 127}}), errc::out_of_range,
            "zero_point");
  CHECK_ERR(qmath::gemm(av, 0, *pw, cs, qmath::output_int32{std::vector<std::int32_t>(2)}), errc::size_mismatch,
            "bias");
  qmath::gemm_options many;
  many.threads = 5000;
  CHECK_ERR(qmath::gemm(av, 0, *pw, cs, qmath::output_int32{}, many), errc::out_of_range, "options");
  // Huge leading dimension: (M - 1) * ld + N wraps size_t. Must be a size
  // error (used to pass the size check and write far out of bounds).
  CHECK_ERR(qmath::gemm(av, 0, *pw, qmath::matrix_span<std::int32_t>{c, 3, 3, std::size_t{1} << 63},
                        qmath::output_int32{}),
            errc::size_mismatch, "c");
  CHECK_ERR(qmath::gemm_reference(av, 0, qmath::matrix_view<std::int8_t>{b, 4, 3}, {},
                                  qmath::matrix_span<std::int32_t>{c, 3, 3, std::size_t{1} << 63},
                                  qmath::output_int32{}),
            errc::size_mismatch, "c");
  CHECK_ERR(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 3, 4, std::size_t{1} << 63}, 0, *pw, cs,
                        qmath::output_int32{}),
            errc::size_mismatch, "a");
  // K above gemm_max_k (2^23 + 4 rows of one column: 8 MiB, no huge allocation).
  {
    std::vector<std::int8_t> tall(qmath::gemm_max_k + 4, 1);
    CHECK_ERR(qmath::pack_weights(qmath::matrix_view<std::int8_t>{tall, tall.size(), 1}).error(), errc::out_of_range,
              "b");
  }
  // Aliasing: C overlapping A.
  std::vector<std::int8_t> shared(16, 1);
  auto pw8 = qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 4, 3});
  REQUIRE(pw8);
  CHECK_ERR(qmath::gemm(qmath::matrix_view<std::int8_t>{std::span(shared).first(12), 3, 4}, 0, *pw8,
                        qmath::matrix_span<std::int8_t>{std::span(shared).subspan(4, 9), 3, 3},
                        qmath::output_requantize{m1}),
            errc::invalid_argument, "c");
  // int4 weights.
  std::vector<std::int8_t> b4(64 * 2, 3);
  std::vector<float> s4(2, 0.5f);
  qmath::packed_weights_int4 w4;
  CHECK_ERR(qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{b4, 64, 2}, qmath::int4_kind::signed_int4, 48,
                                     s4, {}, w4),
            errc::invalid_argument, "group_size");
  CHECK_ERR(qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{b4, 64, 2}, qmath::int4_kind::signed_int4, 64,
                                     std::vector<float>{nan_f, 1.f}, {}, w4),
            errc::invalid_argument, "scale");
  b4[5] = 8;  // outside [-8, 7]
  CHECK_ERR(qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{b4, 64, 2}, qmath::int4_kind::signed_int4, 64,
                                     s4, {}, w4),
            errc::out_of_range, "b");
  b4[5] = 3;
  REQUIRE(qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{b4, 64, 2}, qmath::int4_kind::signed_int4, 64, s4,
                                   {}, w4)
              .ok());
  std::vector<std::int8_t> a4(64, 1);
  std::vector<float> c4(2);
  const std::vector<float> one{1.0f};
  CHECK_ERR(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a4, 1, 64}, std::vector<float>{nan_f}, w4, {},
                             qmath::matrix_span<float>{c4, 1, 2}),
            errc::invalid_argument, "a_scale");
  CHECK_ERR(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a4, 1, 64}, one, w4, std::vector<float>{inf_f, 0.f},
                             qmath::matrix_span<float>{c4, 1, 2}),
            errc::invalid_argument, "bias");
  // linear_dynamic: NaN activations; y may alias x (x is quantized first).
  std::vector<float> xf(4 * 2, 1.0f);
  std::vector<std::int8_t> wk(4 * 2, 1);
  auto pwk = qmath::pack_weights(qmath::matrix_view<std::int8_t>{wk, 4, 2});
  REQUIRE(pwk);
  std::vector<float> yf(2 * 2);
  xf[3] = nan_f;
  CHECK_ERR(qmath::linear_dynamic(qmath::matrix_view<float>{xf, 2, 4}, *pwk, one, {}, qmath::matrix_span<float>{yf, 2, 2}),
            errc::non_finite, "x");
  xf[3] = 1.0f;
  REQUIRE(qmath::linear_dynamic(qmath::matrix_view<float>{xf, 2, 4}, *pwk, one, {}, qmath::matrix_span<float>{yf, 2, 2})
              .ok());
  std::vector<float> inplace = xf;
  REQUIRE(qmath::linear_dynamic(qmath::matrix_view<float>{inplace, 2, 4}, *pwk, one, {},
                                qmath::matrix_span<float>{std::span(inplace).first(4), 2, 2})
              .ok());
  CHECK(std::vector<float>(inplace.begin(), inplace.begin() + 4) == yf);
}

// -------------------------------------------------------------------- npy --

TEST_CASE("bad input: npy reader and writer") {
  using qmath::io::decode_npy;
  CHECK_FALSE(decode_npy(std::span<const std::byte>()).has_value());
  const float vals[3] = {1.f, 2.f, 3.f};
  const std::size_t shape[1] = {3};
  auto good = qmath::io::encode_npy(std::span<const float>(vals), shape);
  REQUIRE(good);
  // Truncated data: a size error before anything is allocated.
  auto cut = decode_npy(std::span<const std::byte>(*good).first(good->size() - 1));
  CHECK_ERR(err_of(cut), errc::size_mismatch, cut.error().argument().data());
  // Truncated header, wrong magic.
  CHECK_FALSE(decode_npy(std::span<const std::byte>(*good).first(12)).has_value());
  std::vector<std::byte> magic = *good;
  magic[1] = std::byte{'X'};
  CHECK_FALSE(decode_npy(magic).has_value());
  // A shape whose byte count overflows size_t: rejected from the header.
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::vector<std::byte> img(10 + h.size());
  const unsigned char pre[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::memcpy(img.data(), pre, 8);
  img[8] = static_cast<std::byte>(h.size() & 0xff);
  img[9] = static_cast<std::byte>(h.size() >> 8);
  std::memcpy(img.data() + 10, h.data(), h.size());
  auto over = decode_npy(img);
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code() == errc::out_of_range);
  // Writer: values vs shape mismatch; missing file.
  const std::size_t wrong[1] = {4};
  CHECK_ERR(err_of(qmath::io::encode_npy(std::span<const float>(vals), wrong)), errc::size_mismatch, "data");
  CHECK(qmath::io::read_npy("/nonexistent/qmath/file.npy").error().code() == errc::io_error);
}

// -------------------------------------------------------------------- isa --

TEST_CASE("bad input: set_max_isa") {
  const qmath::isa saved = qmath::max_isa();
  CHECK_ERR(qmath::set_max_isa("avx9000"), errc::invalid_argument, "name");
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  CHECK_ERR(qmath::set_max_isa(qmath::isa::neon), errc::invalid_argument, "cap");
#else
  CHECK_ERR(qmath::set_max_isa(qmath::isa::avx2), errc::invalid_argument, "cap");
#endif
  CHECK(qmath::max_isa() == saved);
}
