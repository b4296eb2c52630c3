#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qmath/core/compute_qparams.hpp"

using namespace qmath;

namespace {
qparams_options conv(qparams_convention c) {
  qparams_options o;
  o.convention = c;
  return o;
}
using quint8 = uint8_affine_per_tensor;
using qint8 = int8_affine_per_tensor;
using qint8_sym = int8_sym_per_tensor;
using quint8_sym = uint8_sym_per_tensor;
}  // namespace

TEST_CASE("qparams pytorch: MinMaxObserver known answers on [-1, 2]") {
  const qparams_options o{};
  auto a = choose_qparams<quint8>(-1.f, 2.f, o);
  REQUIRE(a);
  CHECK(a->scale == 0.0117647061124444f);
  CHECK(a->scale == 3.0f / 255.0f);
  CHECK(a->zero_point == 85);
  auto b = choose_qparams<qint8>(-1.f, 2.f, o);
  CHECK(b->scale == 0.0117647061124444f);
  CHECK(b->zero_point == -43);
  auto c = choose_qparams<qint8_sym>(-1.f, 2.f, o);
  CHECK(c->scale == 2.0f / 127.5f);
  CHECK(c->scale == 0.01568627543747425f);
  CHECK(c->zero_point == 0);
  auto d = choose_qparams<quint8_sym>(-1.f, 2.f, o);
  CHECK(d->scale == 2.0f / 127.5f);
  CHECK(d->zero_point == 128);
  // quant_min = -127, quant_max = 127 (symmetric restricted) -> 2/127.
  auto e = choose_qparams<int8_symr_per_tensor>(-1.f, 2.f, o);
  CHECK(e->scale == 2.0f / 127.0f);
  // reduce_range quint8 -> [0, 127]: scale 3/127, zp 42.
  qparams_options r;
  r.range = range_reduction::reduce_range;
  auto f = choose_qparams<quint8>(-1.f, 2.f, r);
  CHECK(f->scale == 3.0f / 127.0f);
  CHECK(f->scale == doctest::Approx(0.023622047));
  CHECK(f->zero_point == 42);
  // reduce_range qint8 -> [-64, 63].
  auto g = choose_qparams<qint8>(-1.f, 2.f, r);
  CHECK(g->scale == 3.0f / 127.0f);
  CHECK(g->zero_point == -64 + 42);
  CHECK(choose_qparams<quint8_sym>(-1.f, 2.f, r).error().code() == errc::unsupported);
}

TEST_CASE("qparams pytorch: range forced to include 0, degenerate data") {
  const qparams_options o{};
  auto a = choose_qparams<quint8>(0.5f, 2.f, o);
  CHECK(a->scale == 2.0f / 255.0f);
  CHECK(a->zero_point == 0);
  auto c = choose_qparams<quint8>(3.f, 3.f, o);
  CHECK(c->scale == 3.0f / 255.0f);
  CHECK(c->zero_point == 0);
  auto z = choose_qparams<quint8>(0.f, 0.f, o);
  CHECK(z->scale == 0x1p-23f);
  CHECK(z->scale == 1.1920929e-07f);
  CHECK(z->zero_point == 0);
  CHECK(choose_qparams<qint8_sym>(0.f, 0.f, o)->zero_point == 0);
  CHECK(choose_qparams<quint8_sym>(0.f, 0.f, o)->zero_point == 128);
  CHECK(choose_qparams<qint8>(0.f, 0.f, o)->zero_point == -128);
  // Custom eps (PyTorch weight_observer_range_neg_127_to_127 uses 2^-12).
  qparams_options e;
  e.eps = 0x1p-12f;
  CHECK(choose_qparams<int8_symr_per_tensor>(0.f, 0.f, e)->scale == 0x1p-12f);
  // Negative-only range: max -> 0.
  auto n = choose_qparams<quint8>(-2.f, -1.f, o);
  CHECK(n->scale == 2.0f / 255.0f);
  CHECK(n->zero_point == 255);
}

TEST_CASE("qparams onnxruntime: compute_scale_zp known answers") {
  const auto o = conv(qparams_convention::onnxruntime);
  auto s = choose_qparams(-1.f, 2.f, -127, 127, mapping::symmetric, o);
  CHECK(s->zero_point == 0);
  CHECK(s->scale == static_cast<float>(4.0 / 254.0));
  auto a = choose_qparams(-1.f, 2.f, -127, 127, mapping::affine, o);
  CHECK(a->zero_point == -42);
  CHECK(a->scale == static_cast<float>(3.0 / 254.0));
  auto u = choose_qparams(-1.f, 2.f, 0, 255, mapping::symmetric, o);
  CHECK(u->zero_point == 128);
  CHECK(u->scale == static_cast<float>(4.0 / 255.0));
  auto v = choose_qparams(-1.f, 2.f, 0, 255, mapping::affine, o);
  CHECK(v->zero_point == 85);
  CHECK(v->scale == static_cast<float>(3.0 / 255.0));
  auto z = choose_qparams(0.f, 0.f, 0, 255, mapping::affine, o);
  CHECK(z->scale == 1.0f);
  CHECK(z->zero_point == 0);
  // ORT symmetric int8 = our symmetric_restricted scheme.
  auto w = choose_qparams<int8_symr_per_channel>(-1.f, 2.f, o);
  CHECK(w->scale == static_cast<float>(4.0 / 254.0));
  // Symmetric int4 [-8, 7]: scale 2/15, zp 0.
  auto i4 = choose_qparams<int4_sym_per_tensor>(-1.f, 1.f, o);
  CHECK(i4->scale == static_cast<float>(2.0 / 15.0));
  CHECK(i4->zero_point == 0);
}

TEST_CASE("qparams tflite and power-of-two") {
  const auto o = conv(qparams_convention::tflite);
  auto w = choose_qparams<int8_symr_per_channel>(-0.5f, 1.27f, o);
  CHECK(w->scale == static_cast<float>(static_cast<double>(1.27f) / 127.0));
  CHECK(w->zero_point == 0);
  auto a = choose_qparams<int8_affine_per_tensor>(-1.f, 2.f, o);
  CHECK(a->scale == static_cast<float>(3.0 / 255.0));
  CHECK(a->zero_point == -43);  // -128 + 85 (from min end)
  auto u = choose_qparams<quint8>(-1.f, 2.f, o);
  CHECK(u->zero_point == 85);
  CHECK(choose_qparams<quint8>(0.f, 0.f, o)->scale == 1.0f);

  qparams_options p;
  p.constraint = scale_constraint::power_of_two;
  auto q = choose_qparams<quint8>(-1.f, 2.f, p);
  CHECK(q->scale == 0.015625f);  // 3/255 = 0.01176 -> 2^-6
  CHECK(q->zero_point == 64);    // 0 - round(-1 / 2^-6)
  auto s = choose_qparams<qint8_sym>(-1.f, 1.0f, p);
  CHECK(s->scale == 0.015625f);  // 1/127.5 = 0.00784 -> 2^-6 (rounded up)
  // Already a power of two: unchanged.
  auto t = choose_qparams<int8_symr_per_tensor>(-1.27f, 127.f, p);
  CHECK(t->scale == 1.0f);
  for (qparams_convention c : {qparams_convention::pytorch, qparams_convention::onnxruntime, qparams_convention::tflite}) {
    qparams_options pc = p;
    pc.convention = c;
    auto r = choose_qparams<quint8>(-0.3f, 7.1f, pc);
    REQUIRE(r);
    int e = 0;
    CHECK(std::frexp(r->scale, &e) == 0.5f);
  }
}

TEST_CASE("qparams: bad input names the argument") {
  const qparams_options o{};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(choose_qparams<quint8>(nan, 1.f, o).error().argument() == "min_val");
  CHECK(choose_qparams<quint8>(0.f, inf, o).error().argument() == "max_val");
  CHECK(choose_qparams<quint8>(0.f, inf, o).error().code() == errc::non_finite);
  CHECK(choose_qparams<quint8>(2.f, 1.f, o).error().argument() == "min_val");
  CHECK(choose_qparams(0.f, 1.f, 1, 255, mapping::affine, o).error().argument() == "qmin");
  CHECK(choose_qparams(0.f, 1.f, -5, -1, mapping::affine, o).error().argument() == "qmax");
}

TEST_CASE("qparams from data: per tensor, per channel, per group; every convention") {
  const std::vector<float> x{0.f, 2.f, -1.f, 0.5f, 1.f, -0.25f};
  auto p = compute_qparams<quint8>(x, qparams_options{});
  REQUIRE(p);
  CHECK(p->scale == 3.0f / 255.0f);
  CHECK(p->zero_point == 85);
  // Per channel along axis 0 of [2, 3]: rows [0,2,-1] and [0.5,1,-0.25].
  const std::vector<std::size_t> shape{2, 3};
  auto c = compute_qparams<int8_sym_per_channel>(x, shape, qparams_options{});
  REQUIRE(c);
  REQUIRE(c->scale.size() == 2);
  CHECK(c->scale[0] == 2.0f / 127.5f);
  CHECK(c->scale[1] == 1.0f / 127.5f);
  // Dynamic axis 1: three channels.
  qparams<int8_sym_per_channel_dyn> d{{}, {}, 1};
  REQUIRE(compute_qparams(std::span<const float>(x), shape, d, qparams_options{}).ok());
  REQUIRE(d.scale.size() == 3);
  CHECK(d.scale[0] == 0.5f / 127.5f);
  CHECK(d.scale[2] == 1.0f / 127.5f);
  // Per group: [2, 4] grouped by 2 along axis 1 -> [2][2].
  const std::vector<float> y{1.f, -2.f, 4.f, 0.f, 0.f, 0.f, -8.f, 8.f};
  using g2 = scheme<4, signedness::signed_int, mapping::symmetric, per_group<2, 1>>;
  auto g = compute_qparams<g2>(y, std::vector<std::size_t>{2, 4}, qparams_options{});
  REQUIRE(g);
  REQUIRE(g->scale.size() == 4);
  CHECK(g->scale[0] == 2.0f / 7.5f);
  CHECK(g->scale[1] == 4.0f / 7.5f);
  CHECK(g->scale[2] == 0x1p-23f);
  CHECK(g->scale[3] == 8.0f / 7.5f);
  // Per group along axis 0 with inner > 1: [4, 2] grouped by 2 along axis 0 -> [2][2].
  using g0 = scheme<8, signedness::signed_int, mapping::symmetric, per_group<2, 0>>;
  auto h = compute_qparams<g0>(y, std::vector<std::size_t>{4, 2}, qparams_options{});
  REQUIRE(h);
  CHECK(h->scale[0] == 4.0f / 127.5f);  // rows 0,1 column 0: 1, 4
  CHECK(h->scale[1] == 2.0f / 127.5f);  // rows 0,1 column 1: -2, 0
  CHECK(h->scale[2] == 8.0f / 127.5f);  // rows 2,3 column 0: 0, -8
  CHECK(h->scale[3] == 8.0f / 127.5f);
}

TEST_CASE("qparams from data: non-finite values and bad shapes") {
  std::vector<float> x{0.f, 1.f, std::numeric_limits<float>::quiet_NaN(), 2.f, -std::numeric_limits<float>::infinity()};
  auto e = compute_qparams<quint8>(x, qparams_options{});
  CHECK(e.error().code() == errc::non_finite);
  CHECK(e.error().index() == 2);
  qparams_options m;
  m.nonfinite = nonfinite_policy::map;
  auto p = compute_qparams<quint8>(x, m);
  REQUIRE(p);
  CHECK(p->scale == 2.0f / 255.0f);
  CHECK(compute_qparams<quint8>(std::span<const float>{}, m).error().code() == errc::empty_input);
  const std::vector<float> y(6, 1.f);
  CHECK(compute_qparams<int8_sym_per_channel>(y, std::vector<std::size_t>{2, 2}, m).error().argument() == "data");
  CHECK(compute_qparams<int4_sym_g32>(y, std::vector<std::size_t>{2, 3}, m).error().argument() == "group_size");
  CHECK(compute_qparams<int4_sym_g32>(y, std::vector<std::size_t>{6}, m).error().argument() == "axis");
}
