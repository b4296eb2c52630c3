#include <doctest/doctest.h>

#include <cstdint>
#include <type_traits>
#include <vector>

#include "qmath/core/qparams.hpp"
#include "qmath/core/scheme.hpp"

using namespace qmath;

namespace {
// "Does scheme<...> name a valid type?" (a constraint failure makes this false).
template <int B, signedness S, mapping M, class G>
concept scheme_instantiable = requires { typename scheme<B, S, M, G>; };
template <std::size_t G, std::size_t A>
concept group_instantiable = requires { typename per_group<G, A>; };
struct not_a_granularity {};
}  // namespace

TEST_CASE("scheme: code ranges and storage types") {
  static_assert(int8_sym_per_tensor::qmin == -128 && int8_sym_per_tensor::qmax == 127);
  static_assert(int8_symr_per_channel::qmin == -127 && int8_symr_per_channel::qmax == 127);
  static_assert(uint8_affine_per_tensor::qmin == 0 && uint8_affine_per_tensor::qmax == 255);
  static_assert(uint8_sym_per_tensor::symmetric_zero_point == 128);
  static_assert(int4_sym_g128::qmin == -8 && int4_sym_g128::qmax == 7);
  static_assert(uint4_affine_g128::qmin == 0 && uint4_affine_g128::qmax == 15);
  static_assert(int16_sym::qmin == -32768 && int16_sym::qmax == 32767);
  static_assert(int16_symr::qmin == -32767);
  static_assert(uint16_affine_per_tensor::qmax == 65535);
  static_assert(int2_sym_g64::qmin == -2 && int2_sym_g64::qmax == 1);
  static_assert(std::is_same_v<int4_sym_g32::storage_type, std::int8_t>);
  static_assert(std::is_same_v<uint4_affine_g128::storage_type, std::uint8_t>);
  static_assert(std::is_same_v<int16_sym::storage_type, std::int16_t>);
  static_assert(std::is_same_v<uint16_affine_per_tensor::storage_type, std::uint16_t>);
  static_assert(int4_sym_g128::kind == granularity_kind::per_group);
  static_assert(int8_sym_per_channel::kind == granularity_kind::per_channel);
  using s3 = scheme<3, signedness::signed_int, mapping::symmetric_restricted, per_tensor>;
  static_assert(s3::qmin == -3 && s3::qmax == 3);
  using u7 = scheme<7, signedness::unsigned_int, mapping::affine, per_channel<2>>;
  static_assert(u7::qmax == 127);
  CHECK(to_string(mapping::symmetric_restricted) == "symmetric_restricted");
  CHECK(to_string(signedness::unsigned_int) == "unsigned");
}

TEST_CASE("scheme: invalid combinations do not compile") {
  // Bits outside 2..8 and 16.
  static_assert(!valid_bits<0> && !valid_bits<1> && !valid_bits<9> && !valid_bits<15> && !valid_bits<17>);
  static_assert(valid_bits<2> && valid_bits<8> && valid_bits<16>);
  static_assert(!scheme_instantiable<9, signedness::signed_int, mapping::affine, per_tensor>);
  static_assert(!scheme_instantiable<0, signedness::signed_int, mapping::affine, per_tensor>);
  static_assert(!scheme_instantiable<12, signedness::unsigned_int, mapping::symmetric, per_tensor>);
  static_assert(!scheme_instantiable<32, signedness::signed_int, mapping::symmetric, per_tensor>);
  // Restricted range on unsigned codes.
  static_assert(!valid_mapping<signedness::unsigned_int, mapping::symmetric_restricted>);
  static_assert(!scheme_instantiable<8, signedness::unsigned_int, mapping::symmetric_restricted, per_tensor>);
  // Not a granularity.
  static_assert(!granularity<not_a_granularity> && !granularity<int>);
  static_assert(!scheme_instantiable<8, signedness::signed_int, mapping::affine, not_a_granularity>);
  // Group size zero.
  static_assert(!group_instantiable<0, 1>);
  static_assert(group_instantiable<32, 1> && group_instantiable<dynamic, dynamic>);
  // Valid ones.
  static_assert(scheme_instantiable<8, signedness::unsigned_int, mapping::symmetric, per_tensor>);
  static_assert(scheme_instantiable<16, signedness::signed_int, mapping::symmetric_restricted, per_channel<dynamic>>);
  // Concepts on schemes.
  static_assert(quant_scheme<int8_sym_per_tensor> && !quant_scheme<int>);
  static_assert(per_tensor_scheme<int16_sym> && !per_tensor_scheme<int4_sym_g32>);
  static_assert(byte_scheme<int4_sym_g32> && !byte_scheme<int16_sym>);
  CHECK(true);
}

TEST_CASE("qparams: shaped by granularity, static or dynamic extents") {
  qparams<uint8_affine_per_tensor> p{0.5f, 3};
  auto q = p;
  CHECK(q == p);
  static_assert(std::is_aggregate_v<qparams<uint8_affine_per_tensor>>);
  static_assert(std::is_aggregate_v<qparams<int8_sym_per_channel>>);
  static_assert(qparams<int8_sym_per_channel>::axis == 0);
  static_assert(qparams<int4_sym_g128>::group_size == 128 && qparams<int4_sym_g128>::axis == 1);
  qparams<int8_sym_per_channel_dyn> d{{1.f, 2.f}, {0, 0}, 3};
  CHECK(d.axis == 3);
  qparams<int4_sym_group_dyn> g{{1.f}, {0}, 1, 64};
  CHECK(g.group_size == 64);
  auto g2 = g;
  g2.scale[0] = 2.f;
  CHECK(g2 != g);
  CHECK(check_qparams(g).ok());
}

TEST_CASE("qparams: validation names the argument") {
  using S = uint8_affine_per_tensor;
  CHECK(check_qparams(qparams<S>{0.f, 0}).argument() == "scale");
  CHECK(check_qparams(qparams<S>{-1.f, 0}).argument() == "scale");
  CHECK(check_qparams(qparams<S>{std::numeric_limits<float>::quiet_NaN(), 0}).argument() == "scale");
  CHECK(check_qparams(qparams<S>{std::numeric_limits<float>::infinity(), 0}).argument() == "scale");
  CHECK(check_qparams(qparams<S>{1.f, 256}).code() == errc::out_of_range);
  CHECK(check_qparams(qparams<S>{1.f, -1}).argument() == "zero_point");
  CHECK(check_qparams(qparams<S>{1.f, 255}).ok());
  CHECK(check_qparams(qparams<int8_sym_per_tensor>{1.f, 1}).argument() == "zero_point");
  CHECK(check_qparams(qparams<uint8_sym_per_tensor>{1.f, 128}).ok());
  CHECK(check_qparams(qparams<uint8_sym_per_tensor>{1.f, 0}).argument() == "zero_point");
  const status st = check_qparams(qparams<int8_sym_per_channel>{{1.f, 0.f}, {0, 0}});
  CHECK(st.argument() == "scale");
  CHECK(st.index() == 1);
  CHECK(check_qparams(qparams<int8_sym_per_channel>{{1.f}, {0, 0}}).code() == errc::size_mismatch);
  CHECK(check_qparams(qparams<int8_sym_per_channel>{{}, {}}).code() == errc::empty_input);
}

TEST_CASE("layout: axis, group size and entry count") {
  const std::vector<std::size_t> shape{2, 6, 3};
  auto l = make_axis_layout(shape, 1);
  REQUIRE(l);
  CHECK(l->outer == 2);
  CHECK(l->channels == 6);
  CHECK(l->inner == 3);
  CHECK(make_axis_layout(shape, 3).error().argument() == "axis");
  CHECK(make_axis_layout(std::vector<std::size_t>{}, 0).error().argument() == "shape");
  CHECK(make_axis_layout(std::vector<std::size_t>{2, 0}, 0).error().argument() == "shape");
  auto g = make_param_layout(shape, 1, 4, granularity_kind::per_group);
  CHECK(g.error().argument() == "group_size");
  g = make_param_layout(shape, 1, 3, granularity_kind::per_group);
  REQUIRE(g);
  CHECK(g->groups == 2);
  CHECK(g->param_count() == 2 * 2 * 3);
  auto c = make_param_layout(shape, 2, 1, granularity_kind::per_channel);
  REQUIRE(c);
  CHECK(c->param_count() == 3);
  qparams<int4_sym_g32> p{std::vector<float>(4, 1.f), std::vector<std::int32_t>(4, 0)};
  CHECK(resolve_layout(p, std::vector<std::size_t>{2, 64}).has_value());
  CHECK(resolve_layout(p, std::vector<std::size_t>{2, 96}).error().argument() == "scale");
  CHECK(resolve_layout(p, std::vector<std::size_t>{2, 48}).error().argument() == "group_size");
  CHECK(resolve_layout(p, std::vector<std::size_t>{128}).error().argument() == "axis");
}
