#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/calibrate/entropy.hpp"
#include "qmath/calibrate/qparams.hpp"

TEST_CASE("qparams from observers: PyTorch known answers (data in [-1, 2])") {
  const std::vector<float> x{-1.0f, 0.5f, 2.0f, 0.0f};
  qmath::minmax_observer o;
  REQUIRE(o.observe(x));
  auto u8 = qmath::calibrated_qparams<qmath::uint8_affine_per_tensor>(o);
  REQUIRE(u8);
  CHECK(u8->scale == 0.0117647061f);
  CHECK(u8->zero_point == 85);
  auto i8 = qmath::calibrated_qparams<qmath::int8_affine_per_tensor>(o);
  CHECK(i8->zero_point == -43);
  auto s8 = qmath::calibrated_qparams<qmath::int8_sym_per_tensor>(o);
  CHECK(s8->scale == 2.0f / 127.5f);
  CHECK(s8->zero_point == 0);
  qmath::qparams_options ort;
  ort.convention = qmath::qparams_convention::onnxruntime;
  CHECK(qmath::calibrated_qparams<qmath::int8_symr_per_tensor>(o, ort)->scale == 2.0f / 127.0f);
}

TEST_CASE("qparams from observers: constant and empty data") {
  qmath::minmax_observer z;
  std::vector<float> zeros(8, 0.0f), three(8, 3.0f);
  REQUIRE(z.observe(zeros));
  auto q = qmath::calibrated_qparams<qmath::uint8_affine_per_tensor>(z);
  CHECK(q->scale == 0x1p-23f);  // PyTorch eps
  CHECK(q->zero_point == 0);
  qmath::minmax_observer c;
  REQUIRE(c.observe(three));
  CHECK(qmath::calibrated_qparams<qmath::uint8_affine_per_tensor>(c)->scale == 3.0f / 255.0f);
  qmath::minmax_observer empty;
  CHECK(qmath::calibrated_qparams<qmath::int8_sym_per_tensor>(empty).error() == qmath::errc::empty_input);
}

TEST_CASE("qparams per channel / per group equal core's compute_qparams") {
  const std::array<std::size_t, 2> shape{8, 64};
  const auto w = qmath_test::gaussian(8 * 64, 5);
  auto pc = qmath::partition_for<qmath::int8_sym_per_channel>(shape);
  REQUIRE(pc);
  qmath::minmax_observer o(*pc);
  REQUIRE(o.observe(w));
  auto mine = qmath::calibrated_qparams<qmath::int8_sym_per_channel>(o);
  auto core = qmath::compute_qparams<qmath::int8_sym_per_channel>(w, shape, qmath::qparams_options{});
  REQUIRE(mine);
  REQUIRE(core);
  CHECK(*mine == *core);
  auto pg = qmath::partition_for<qmath::int4_sym_g32>(shape);
  qmath::minmax_observer og(*pg);
  REQUIRE(og.observe(w));
  auto g = qmath::calibrated_qparams<qmath::int4_sym_g32>(og);
  auto cg = qmath::compute_qparams<qmath::int4_sym_g32>(w, shape, qmath::qparams_options{});
  REQUIRE(g);
  REQUIRE(cg);
  CHECK(*g == *cg);
  // Dynamic axis / group size come from the partition.
  auto pd = qmath::partition_for<qmath::int4_sym_group_dyn>(shape, 1, 16);
  qmath::minmax_observer od(*pd);
  REQUIRE(od.observe(w));
  auto d = qmath::calibrated_qparams<qmath::int4_sym_group_dyn>(od);
  REQUIRE(d);
  CHECK(d->axis == 1);
  CHECK(d->group_size == 16);
  CHECK(d->scale.size() == 8 * 4);
  // Mismatched granularity.
  CHECK(qmath::calibrated_qparams<qmath::int8_sym_per_tensor>(o).error().argument() == "partition");
  CHECK(qmath::calibrated_qparams<qmath::int4_sym_g32>(o).error().argument() == "partition");
}

TEST_CASE("qparams from thresholds and moving averages") {
  auto t = qmath::qparams_from_threshold<qmath::int8_symr_per_tensor>(2.54, {});
  REQUIRE(t);
  CHECK(t->scale == doctest::Approx(2.54 / 127));  // pytorch symmetric: amax / ((qmax - qmin) / 2), [-127, 127]
  auto a = qmath::qparams_from_threshold<qmath::uint8_affine_per_tensor>(3.0, {}, qmath::value_range{0.0f, 6.0f});
  REQUIRE(a);
  CHECK(a->scale == 3.0f / 255.0f);  // [max(0,-3), min(6,3)] = [0, 3]
  CHECK(a->zero_point == 0);
  CHECK(qmath::qparams_from_threshold<qmath::int8_sym_per_tensor>(0.0).error().argument() == "threshold");
  // Entropy -> qparams end to end.
  const auto x = qmath_test::gaussian(50000, 9);
  qmath::histogram h;
  REQUIRE(h.add(x));
  auto e = qmath::entropy_threshold(h);
  REQUIRE(e);
  auto q = qmath::qparams_from_threshold<qmath::int8_sym_per_tensor>(e->threshold);
  REQUIRE(q);
  CHECK(q->scale == static_cast<float>(e->threshold) / 127.5f);
  qmath::moving_average_observer m;
  REQUIRE(m.observe(x));
  auto mq = qmath::calibrated_qparams<qmath::uint8_affine_per_tensor>(m, qmath::partition::per_tensor());
  REQUIRE(mq);
}
