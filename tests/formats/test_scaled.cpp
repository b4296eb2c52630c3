// Scaled FP8 / FP6 / FP4 schemes (formats/scaled.hpp): scales from the
// integer schemes' calibrators, codes against the scalar codec per slot,
// metrics through the metrics module, degenerate and bad inputs.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qmath/calibrate/histogram_observer.hpp"
#include "qmath/calibrate/minmax.hpp"
#include "qmath/formats/scaled.hpp"
#include "qmath/metrics/error.hpp"
#include "support.hpp"

using namespace qmath::formats;
using qmath::partition;

namespace {

std::vector<float> gaussian(std::size_t n, std::uint64_t seed, float sigma = 1.0f) {
  ftest::rng r(seed);
  std::vector<float> v(n);
  for (auto& x : v) {
    const float u1 = (static_cast<float>(r.next() >> 8) + 1.0f) * 0x1p-24f, u2 = static_cast<float>(r.next() >> 8) * 0x1p-24f;
    x = sigma * std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
  }
  return v;
}

/// Slot of every element, from the partition itself.
std::vector<std::size_t> slots_of(const partition& p, std::size_t n) {
  std::vector<std::size_t> s(n);
  p.for_each_run(n, [&](std::size_t b, std::size_t len, std::size_t slot, std::size_t stride) {
    for (std::size_t j = 0; j < len; ++j) s[b + j] = slot + j * stride;
  });
  return s;
}

template <class F>
void check_layout(const std::vector<float>& x, const partition& p) {
  using C = typename F::code_type;
  auto sp = compute_scaled_params<F>(x, p);
  REQUIRE(sp.has_value());
  const auto slot = slots_of(p, x.size());
  // Scale = amax / max per slot.
  std::vector<float> amax(p.slots(), 0.0f);
  for (std::size_t i = 0; i < x.size(); ++i) amax[slot[i]] = std::max(amax[slot[i]], std::fabs(x[i]));
  for (std::size_t s = 0; s < p.slots(); ++s) REQUIRE(sp->scale[s] == amax[s] / max_value<F>);
  std::vector<C> q(x.size());
  REQUIRE(quantize_scaled<F>(x, *sp, q).ok());
  for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(q[i] == encode<F>(x[i] / sp->scale[slot[i]], overflow::saturate));
  std::vector<float> y(x.size());
  REQUIRE(dequantize_scaled<F>(q, *sp, y).ok());
  for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(y[i] == decode<F>(q[i]) * sp->scale[slot[i]]);
  // The element of largest magnitude of every slot maps to +-max (scale = amax / max).
  // Idempotent: quantizing the dequantized values gives the same codes.
  std::vector<C> q2(x.size());
  REQUIRE(quantize_scaled<F>(y, *sp, q2).ok());
  REQUIRE(q2 == q);
  std::vector<float> z(x.size());
  REQUIRE(fake_quant_scaled<F>(x, *sp, z).ok());
  REQUIRE(z == y);
  // |error| <= half an ulp of F at |x| / scale (saturation cannot happen: |x| <= amax).
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double t = std::fabs(static_cast<double>(x[i])) / sp->scale[slot[i]];
    const int e = std::max(t > 0 ? std::ilogb(t) : 0, 1 - F::bias);
    const double half_ulp = std::ldexp(1.0, e - F::mantissa_bits - 1) * (1 + 1e-6);
    REQUIRE(std::fabs(static_cast<double>(decode<F>(q[i])) - static_cast<double>(x[i]) / sp->scale[slot[i]]) <= half_ulp + 1e-30);
  }
}

}  // namespace

TEST_CASE_TEMPLATE("scaled: per-tensor, per-channel, per-group codes equal the scalar codec per slot", F, fp8_e4m3fn,
                   fp8_e5m2, fp6_e2m3, fp6_e3m2, fp4_e2m1) {
  const std::array<std::size_t, 2> shape{12, 100};
  std::vector<float> x = gaussian(1200, 7);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] *= static_cast<float>(1 + i / 100);  // rows of different ranges
  check_layout<F>(x, partition::per_tensor());
  check_layout<F>(x, *partition::per_channel(shape, 0));
  check_layout<F>(x, *partition::per_channel(shape, 1));
  check_layout<F>(x, *partition::per_group(shape, 1, 32));  // last group of 4
  check_layout<F>(x, *partition::per_group(shape, 0, 5));
}

TEST_CASE("scaled: issue 11 known answers with scale 2") {
  const std::vector<float> x = {0.0f, 1.0f, 2.0f, 100000.0f, 200.0f};
  const scaled_params<fp8_e4m3fn> p4{partition::per_tensor(), {2.0f}};
  const scaled_params<fp8_e5m2> p5{partition::per_tensor(), {2.0f}};
  std::vector<std::uint8_t> q(5);
  REQUIRE(quantize_scaled<fp8_e4m3fn>(x, p4, q).ok());
  std::vector<float> v(5);
  for (int i = 0; i < 5; ++i) v[static_cast<std::size_t>(i)] = decode<fp8_e4m3fn>(q[static_cast<std::size_t>(i)]);
  CHECK(v == std::vector<float>{0.0f, 0.5f, 1.0f, 448.0f, 96.0f});
  REQUIRE(quantize_scaled<fp8_e5m2>(x, p5, q).ok());
  for (int i = 0; i < 5; ++i) v[static_cast<std::size_t>(i)] = decode<fp8_e5m2>(q[static_cast<std::size_t>(i)]);
  CHECK(v == std::vector<float>{0.0f, 0.5f, 1.0f, 49152.0f, 96.0f});
  std::vector<float> y(5);
  REQUIRE(dequantize_scaled<fp8_e5m2>(q, p5, y).ok());
  CHECK(y == std::vector<float>{0.0f, 1.0f, 2.0f, 98304.0f, 192.0f});
}

TEST_CASE("scaled: the integer schemes' calibrators give the scales") {
  const std::vector<float> a = gaussian(4096, 1), b = gaussian(4096, 2, 2.0f);
  // Min/max over two batches == min/max of both.
  qmath::minmax_observer obs;
  REQUIRE(obs.observe(a).ok());
  REQUIRE(obs.observe(b).ok());
  auto p = scaled_params_from_ranges<fp8_e4m3fn>(obs.ranges(), partition::per_tensor());
  REQUIRE(p.has_value());
  float amax = 0;
  for (float v : a) amax = std::max(amax, std::fabs(v));
  for (float v : b) amax = std::max(amax, std::fabs(v));
  CHECK(p->scale[0] == amax / 448.0f);
  // Percentile (histogram observer): a smaller clip, so a smaller scale; FP4 benefits in SQNR.
  qmath::histogram_observer h;
  REQUIRE(h.observe(b).ok());
  auto pr = qmath::percentile_ranges(h, 99.0);
  REQUIRE(pr.has_value());
  auto pp = scaled_params_from_ranges<fp4_e2m1>(*pr, partition::per_tensor());
  auto pm = compute_scaled_params<fp4_e2m1>(b, partition::per_tensor());
  REQUIRE(pp.has_value());
  REQUIRE(pm.has_value());
  CHECK(pp->scale[0] < pm->scale[0]);
  auto sqnr = [&](const auto& params) {
    std::vector<float> y(b.size());
    REQUIRE(fake_quant_scaled(b, params, std::span<float>(y)).ok());
    auto e = qmath::compare(b, y);
    REQUIRE(e.has_value());
    return e->sqnr_db();
  };
  CHECK(sqnr(*pp) > sqnr(*pm));
}

TEST_CASE("scaled: SQNR through the metrics module grows with bits; per-group beats per-tensor") {
  const std::array<std::size_t, 2> shape{64, 256};
  std::vector<float> x = gaussian(64 * 256, 5);
  for (std::size_t i = 0; i < x.size(); i += 97) x[i] *= 20.0f;  // outliers
  auto run = [&](auto tag, const partition& part) {
    using F = decltype(tag);
    auto p = compute_scaled_params<F>(x, part);
    REQUIRE(p.has_value());
    std::vector<float> y(x.size());
    REQUIRE(fake_quant_scaled<F>(x, *p, y).ok());
    auto e = qmath::compare(x, y);
    REQUIRE(e.has_value());
    return e->sqnr_db();
  };
  const partition pt = partition::per_tensor(), pg = *partition::per_group(shape, 1, 32);
  CHECK(run(fp8_e4m3fn{}, pt) > run(fp6_e3m2{}, pt));
  CHECK(run(fp6_e3m2{}, pt) > run(fp4_e2m1{}, pt));
  CHECK(run(fp4_e2m1{}, pg) > run(fp4_e2m1{}, pt));
  CHECK(run(fp6_e2m3{}, pg) > run(fp6_e2m3{}, pt));
  // Per slot, through compare_per_slot.
  auto p = compute_scaled_params<fp8_e4m3fn>(x, pg);
  std::vector<float> y(x.size());
  REQUIRE(fake_quant_scaled<fp8_e4m3fn>(x, *p, y).ok());
  auto per = qmath::compare_per_slot(x, y, pg);
  REQUIRE(per.has_value());
  CHECK(per->size() == pg.slots());
  for (const auto& e : *per) CHECK(e.sqnr_db() > 20.0);
}

TEST_CASE("scaled: degenerate data and bad arguments") {
  // All-zero tensor: scale 1, codes 0, exact.
  const std::vector<float> z(40, 0.0f);
  auto p = compute_scaled_params<fp8_e4m3fn>(z, partition::per_tensor());
  REQUIRE(p.has_value());
  CHECK(p->scale[0] == 1.0f);
  CHECK(*scale_from_amax<fp4_e2m1>(0.0f) == 1.0f);
  CHECK(*scale_from_amax<fp4_e2m1>(std::numeric_limits<float>::denorm_min()) == std::numeric_limits<float>::min());
  CHECK(scale_from_amax<fp4_e2m1>(std::numeric_limits<float>::infinity()).error().argument() == "amax");
  CHECK(scale_from_amax<fp4_e2m1>(-1.0f).error().argument() == "amax");
  std::vector<qmath::value_range> bad = {{-1.0f, std::numeric_limits<float>::infinity()}};
  CHECK(scaled_params_from_ranges<fp8_e5m2>(bad, partition::per_tensor()).error().code() == qmath::errc::non_finite);
  // NaN in data: the calibrator rejects it, naming x.
  std::vector<float> x(40, 1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK(compute_scaled_params<fp8_e4m3fn>(x, partition::per_tensor()).error().argument() == "x");
  x[3] = 1.0f;
  std::vector<std::uint8_t> q(40);
  for (float s : {0.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    const scaled_params<fp8_e4m3fn> bp{*partition::per_channel(std::array<std::size_t, 2>{2, 20}, 0), {1.0f, s}};
    const qmath::status st = quantize_scaled<fp8_e4m3fn>(x, bp, q);
    CHECK(st.code() == qmath::errc::invalid_argument);
    CHECK(st.argument() == "scale");
    CHECK(st.index() == 1);
  }
  const scaled_params<fp8_e4m3fn> one{*partition::per_channel(std::array<std::size_t, 2>{2, 20}, 0), {1.0f}};
  CHECK(quantize_scaled<fp8_e4m3fn>(x, one, q).argument() == "scale");
  const scaled_params<fp8_e4m3fn> ok{*partition::per_channel(std::array<std::size_t, 2>{2, 20}, 0), {1.0f, 2.0f}};
  CHECK(quantize_scaled<fp8_e4m3fn>(std::span<const float>(x.data(), 39), ok, std::span<std::uint8_t>(q.data(), 39)).argument() == "x");
  CHECK(quantize_scaled<fp8_e4m3fn>(x, ok, std::span<std::uint8_t>(q.data(), 39)).argument() == "codes");
  std::vector<float> y(39);
  CHECK(dequantize_scaled<fp8_e4m3fn>(q, ok, y).argument() == "y");
  CHECK(quantize_scaled<fp8_e4m3fn>(x, ok, q).ok());
  // Saturation: values beyond amax (a stale scale) clamp to +-max; NaN -> NaN code.
  x[0] = 1e6f;
  x[1] = -std::numeric_limits<float>::infinity();
  x[2] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE(quantize_scaled<fp8_e4m3fn>(x, ok, q).ok());
  CHECK(q[0] == 0x7E);
  CHECK(q[1] == 0xFE);
  CHECK(q[2] == 0x7F);
  static_assert(!scalable_format<fp16>);
  static_assert(scalable_format<fp4_e2m1>);
}
