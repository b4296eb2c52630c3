// Integer GEMM: every dispatch level bit-exact against gemm_reference.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "qmath/gemm/gemm.hpp"
#include "qmath/simd/isa.hpp"
#include "test_support.hpp"

namespace {

using qmath::isa;

using gemm_test::cap_guard;
using gemm_test::runnable_levels;

template <class T>
struct matrix_data {
  std::vector<T> v;
  qmath::matrix_view<T> view;
};

/// A rows x cols matrix with random order and ld padding; `fill`: 0 random,
/// 1 all minimum, 2 all maximum.
template <class T>
matrix_data<T> make_matrix(std::mt19937& rng, std::size_t rows, std::size_t cols, int fill, bool col_major,
                           std::size_t pad) {
  matrix_data<T> m;
  const std::size_t inner = col_major ? rows : cols, outer = col_major ? cols : rows;
  const std::size_t ld = inner + pad;
  m.v.assign((outer - 1) * ld + inner, T{});
  std::uniform_int_distribution<int> d(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  for (auto& x : m.v) {
    x = static_cast<T>(fill == 0 ? d(rng) : (fill == 1 ? std::numeric_limits<T>::min() : std::numeric_limits<T>::max()));
  }
  m.view = {m.v, rows, cols, ld, col_major ? qmath::matrix_order::col_major : qmath::matrix_order::row_major};
  return m;
}

enum class stage_kind { i32, requant_f, requant_fixed, dequant };

struct case_params {
  std::size_t m, n, k;
  int fill_a = 0, fill_b = 0;
  bool b_zero_points = true;  // random zero points (per tensor or channel)
  bool per_channel = true;
};

/// Run one problem under every level and compare with the reference.
template <class TA, class TB, class Out>
void check_case(std::mt19937& rng, const case_params& p, stage_kind sk, unsigned threads = 1) {
  auto a = make_matrix<TA>(rng, p.m, p.k, p.fill_a, rng() % 3 == 0, rng() % 2 ? 0 : rng() % 5);
  auto b = make_matrix<TB>(rng, p.k, p.n, p.fill_b, rng() % 2 == 0, rng() % 2 ? 0 : rng() % 5);
  std::uniform_int_distribution<int> za_d(std::numeric_limits<TA>::min(), std::numeric_limits<TA>::max());
  std::uniform_int_distribution<int> zb_d(std::numeric_limits<TB>::min(), std::numeric_limits<TB>::max());
  const std::int32_t za = rng() % 4 == 0 ? (std::is_signed_v<TA> ? 0 : 128) : za_d(rng);
  std::vector<std::int32_t> zb;
  if (p.b_zero_points) {
    zb.resize(p.per_channel ? p.n : 1);
    for (auto& z : zb) z = zb_d(rng);
  }
  auto packed = qmath::pack_weights(b.view, zb);
  REQUIRE(packed.has_value());

  std::vector<std::int32_t> bias(p.n);
  for (auto& x : bias) x = static_cast<std::int32_t>(rng() % 20001) - 10000;
  std::vector<float> mult(p.per_channel ? p.n : 1), bsc(p.per_channel ? p.n : 1), asc(rng() % 2 ? p.m : 1),
      fbias(p.n);
  std::uniform_real_distribution<float> ud(1e-6f, 1e-3f);
  for (auto& x : mult) x = ud(rng);
  for (auto& x : bsc) x = ud(rng) * 10.0f;
  for (auto& x : asc) x = ud(rng) * 100.0f;
  for (auto& x : fbias) x = ud(rng) * 1000.0f - 0.5f;
  std::vector<qmath::fixed_multiplier> fm(mult.size());
  for (std::size_t j = 0; j < mult.size(); ++j) fm[j] = qmath::quantize_multiplier(mult[j]).value();
  const std::int32_t zc = static_cast<std::int32_t>(rng() % 50) - (std::is_signed_v<Out> ? 25 : 0);

  const std::size_t ldc = p.n + rng() % 3;
  auto run = [&](auto&& f) {
    std::vector<Out> c((p.m - 1) * ldc + p.n, Out{});
    qmath::matrix_span<Out> cs{c, p.m, p.n, ldc};
    qmath::status st = f(cs);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return c;
  };
  auto compute = [&](bool reference) {
    return run([&](qmath::matrix_span<Out> cs) -> qmath::status {
      auto go = [&](const auto& stage) {
        return reference ? qmath::gemm_reference(a.view, za, b.view, std::span<const std::int32_t>(zb), cs, stage)
                         : qmath::gemm(a.view, za, *packed, cs, stage, qmath::gemm_options{threads});
      };
      if constexpr (std::is_same_v<Out, std::int32_t>) {
        return go(qmath::output_int32{bias, -2000000000, 2000000000});
      } else if constexpr (std::is_same_v<Out, float>) {
        return go(qmath::output_dequantize{asc, bsc, fbias, -5e5f, 5e5f});
      } else {
        const qmath::requant_output o{zc, std::numeric_limits<Out>::min() + 3, std::numeric_limits<Out>::max() - 1};
        if (sk == stage_kind::requant_fixed) return go(qmath::output_requantize_fixed{fm, o, bias});
        return go(qmath::output_requantize{mult, o, bias});
      }
    });
  };
  const auto ref = compute(true);
  cap_guard guard;
  for (isa l : runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l).ok());
    CHECK(qmath::gemm_active_isa() == l);  // every level has a registered GEMM table
    const auto got = compute(false);
    bool same = true;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < p.m && same; ++i)
      for (std::size_t j = 0; j < p.n && same; ++j)
        if (std::memcmp(&got[i * ldc + j], &ref[i * ldc + j], sizeof(Out)) != 0) same = false, bad = i * ldc + j;
    INFO("level " << qmath::to_string(l) << " (active " << qmath::to_string(qmath::gemm_active_isa()) << ") M=" << p.m
                  << " N=" << p.n << " K=" << p.k << " first mismatch at " << bad);
    CHECK(same);
  }
}

}  // namespace

TEST_CASE("gemm: every M, N, K in 1..70 (sampled), all levels, all operand types") {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> d(1, 70);
  for (std::size_t v = 1; v <= 70; ++v) {
    const int which = static_cast<int>(v % 6);
    case_params p{v, d(rng), d(rng)};
    case_params q{d(rng), v, d(rng)};
    case_params r{d(rng), d(rng), v};
    p.per_channel = q.per_channel = r.per_channel = (v % 2) == 0;
    p.b_zero_points = q.b_zero_points = r.b_zero_points = (v % 3) != 0;
    switch (which) {
      case 0: check_case<std::uint8_t, std::int8_t, std::int32_t>(rng, p, stage_kind::i32); break;
      case 1: check_case<std::int8_t, std::int8_t, std::int8_t>(rng, p, stage_kind::requant_f); break;
      case 2: check_case<std::uint8_t, std::uint8_t, std::uint8_t>(rng, p, stage_kind::requant_fixed); break;
      case 3: check_case<std::int8_t, std::uint8_t, float>(rng, p, stage_kind::dequant); break;
      case 4: check_case<std::uint8_t, std::int8_t, std::uint8_t>(rng, p, stage_kind::requant_f); break;
      default: check_case<std::int8_t, std::int8_t, std::int32_t>(rng, p, stage_kind::i32); break;
    }
    check_case<std::uint8_t, std::int8_t, std::int32_t>(rng, q, stage_kind::i32);
    check_case<std::int8_t, std::uint8_t, std::int32_t>(rng, r, stage_kind::i32);
  }
}

TEST_CASE("gemm: primes and larger shapes, every stage") {
  std::mt19937 rng(7);
  const std::size_t shapes[][3] = {{97, 101, 103}, {8, 211, 257}, {1, 389, 1031}, {200, 53, 600}, {13, 160, 2053}};
  for (const auto& s : shapes) {
    case_params p{s[0], s[1], s[2]};
    check_case<std::uint8_t, std::int8_t, std::int32_t>(rng, p, stage_kind::i32);
    check_case<std::int8_t, std::int8_t, std::int8_t>(rng, p, stage_kind::requant_f);
    check_case<std::uint8_t, std::int8_t, std::uint8_t>(rng, p, stage_kind::requant_fixed);
    check_case<std::uint8_t, std::uint8_t, float>(rng, p, stage_kind::dequant);
  }
}

TEST_CASE("gemm: extreme values (all -128, 127, 0, 255) are exact") {
  std::mt19937 rng(99);
  for (int fa = 1; fa <= 2; ++fa) {
    for (int fb = 1; fb <= 2; ++fb) {
      case_params p{9, 33, 4001, fa, fb, false, false};
      check_case<std::uint8_t, std::int8_t, std::int32_t>(rng, p, stage_kind::i32);
      check_case<std::int8_t, std::int8_t, std::int32_t>(rng, p, stage_kind::i32);
      check_case<std::int8_t, std::uint8_t, float>(rng, p, stage_kind::dequant);
    }
  }
}

TEST_CASE("gemm: K at and beyond the int32 limit stays exact (int64 blocks)") {
  std::mt19937 rng(5);
  // 255 * 127 * 65793 = 2,130,727,305 fits; zero points push the true sum beyond int32.
  case_params a{2, 17, qmath::gemm_max_exact_k_int32_symmetric, 2, 2, false, false};
  check_case<std::uint8_t, std::int8_t, std::int32_t>(rng, a, stage_kind::i32);
  case_params b{3, 5, 70001, 2, 1, true, true};
  check_case<std::uint8_t, std::uint8_t, float>(rng, b, stage_kind::dequant);
  check_case<std::uint8_t, std::uint8_t, std::int32_t>(rng, b, stage_kind::i32);
  case_params c{2, 3, 70001, 0, 0, true, true};
  check_case<std::int8_t, std::int8_t, std::int8_t>(rng, c, stage_kind::requant_f);
}

TEST_CASE("gemm: the int64 block path gives the exact dequantized value beyond int32") {
  const std::size_t K = 100000;
  std::vector<std::uint8_t> a(K, 255);
  std::vector<std::uint8_t> b(K, 255);
  auto pw = qmath::pack_weights(qmath::matrix_view<std::uint8_t>{b, K, 1}, std::vector<std::int32_t>{0});
  REQUIRE(pw.has_value());
  float c = 0;
  const float one = 1.0f;
  REQUIRE(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 1, K}, 0, *pw, qmath::matrix_span<float>{{&c, 1}, 1, 1},
                      qmath::output_dequantize{{&one, 1}, {&one, 1}})
              .ok());
  CHECK(c == static_cast<float>(std::int64_t{255} * 255 * static_cast<std::int64_t>(K)));
  std::int32_t ci = 0;
  REQUIRE(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 1, K}, 0, *pw,
                      qmath::matrix_span<std::int32_t>{{&ci, 1}, 1, 1}, qmath::output_int32{})
              .ok());
  CHECK(ci == std::numeric_limits<std::int32_t>::max());  // saturated, documented
}

namespace {
void serial_for(void*, std::size_t n, void (*task)(void*, std::size_t), void* ctx) {
  for (std::size_t i = n; i-- > 0;) task(ctx, i);
}
}  // namespace

TEST_CASE("gemm: same bits for every thread count and a caller-supplied parallel_for") {
  std::mt19937 rng(3);
  for (auto s : {std::array<std::size_t, 3>{150, 70, 300}, std::array<std::size_t, 3>{3, 300, 200}}) {
    auto a = make_matrix<std::uint8_t>(rng, s[0], s[2], 0, false, 0);
    auto b = make_matrix<std::int8_t>(rng, s[2], s[1], 0, false, 0);
    auto pw = qmath::pack_weights(b.view, std::vector<std::int32_t>{3});
    REQUIRE(pw.has_value());
    std::vector<float> asc(s[0], 0.01f), bsc(s[1], 0.02f);
    auto run = [&](qmath::gemm_options o) {
      std::vector<float> c(s[0] * s[1]);
      REQUIRE(qmath::gemm(a.view, 7, *pw, qmath::matrix_span<float>{c, s[0], s[1]},
                          qmath::output_dequantize{asc, bsc}, o)
                  .ok());
      return c;
    };
    const auto one = run({});
    CHECK(run({2}) == one);
    CHECK(run({3}) == one);
    CHECK(run({4, &serial_for, nullptr}) == one);
  }
}

TEST_CASE("gemm: bad input names the argument") {
  std::vector<std::uint8_t> a(12, 1);
  std::vector<std::int8_t> b(12, 1);
  std::vector<std::int32_t> c(9, 0);
  auto pw = qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 4, 3}).value();
  const qmath::matrix_view<std::uint8_t> av{a, 3, 4};
  const qmath::matrix_span<std::int32_t> cv{c, 3, 3};
  CHECK(qmath::gemm(av, 0, pw, cv, qmath::output_int32{}).ok());
  CHECK(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 3, 5}, 0, pw, cv, qmath::output_int32{}).argument() == "a");
  CHECK(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 2, 6}, 0, pw, qmath::matrix_span<std::int32_t>{c, 2, 3},
                    qmath::output_int32{})
            .argument() == "b");
  CHECK(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 3, 4, 3}, 0, pw, cv, qmath::output_int32{}).argument() == "a");
  CHECK(qmath::gemm(qmath::matrix_view<std::uint8_t>{{}, 3, 4}, 0, pw, cv, qmath::output_int32{}).argument() == "a");
  CHECK(qmath::gemm(av, 256, pw, cv, qmath::output_int32{}).argument() == "a_zero_point");
  CHECK(qmath::gemm(av, 0, qmath::packed_weights{}, cv, qmath::output_int32{}).argument() == "b");
  CHECK(qmath::gemm(av, 0, pw, qmath::matrix_span<std::int32_t>{c, 3, 3, 2}, qmath::output_int32{}).argument() == "c");
  CHECK(qmath::gemm(av, 0, pw, qmath::matrix_span<std::int32_t>{{c.data(), 8}, 3, 3}, qmath::output_int32{})
            .argument() == "c");
  CHECK(qmath::gemm(av, 0, pw, qmath::matrix_span<std::int32_t>{{}, 3, 3}, qmath::output_int32{}).argument() == "c");
  std::vector<std::int32_t> bias2(2);
  CHECK(qmath::gemm(av, 0, pw, cv, qmath::output_int32{bias2}).argument() == "bias");
  std::vector<std::int8_t> c8(9);
  const qmath::matrix_span<std::int8_t> c8v{c8, 3, 3};
  const float m1 = 0.5f, nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(qmath::gemm(av, 0, pw, c8v, qmath::output_requantize{{&m1, 1}}).ok());
  CHECK(qmath::gemm(av, 0, pw, c8v, qmath::output_requantize{{&nan, 1}}).argument() == "multiplier");
  CHECK(qmath::gemm(av, 0, pw, c8v, qmath::output_requantize{{}}).argument() == "multiplier");
  CHECK(qmath::gemm(av, 0, pw, c8v, qmath::output_requantize{{&m1, 1}, {300, -128, 127}}).argument() == "zero_point");
  CHECK(qmath::gemm(av, 0, pw, c8v, qmath::output_requantize{{&m1, 1}, {0, 5, 4}}).argument() == "clamp_min");
  CHECK(qmath::gemm(av, 0, pw, cv, qmath::output_requantize{{&m1, 1}}).argument() == "c");
  std::vector<float> cf(9);
  CHECK(qmath::gemm(av, 0, pw, qmath::matrix_span<float>{cf, 3, 3}, qmath::output_dequantize{{&m1, 1}, {}})
            .argument() == "b_scale");
  CHECK(qmath::gemm(av, 0, pw, qmath::matrix_span<float>{cf, 3, 3}, qmath::output_dequantize{{&nan, 1}, {&m1, 1}})
            .argument() == "a_scale");
  // packing
  CHECK(qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 4, 3}, std::vector<std::int32_t>{1, 2}).error().argument() ==
        "zero_point");
  CHECK(qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 4, 3}, std::vector<std::int32_t>{128}).error().argument() ==
        "zero_point");
  CHECK(qmath::pack_weights(qmath::matrix_view<std::uint8_t>{{}, 4, 3}).error().argument() == "b");
  CHECK(qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 5, 3}).error().argument() == "b");
}

TEST_CASE("gemm: a concrete example") {
  // A = [[1, 2], [3, 4]] (za = 1), B = [[1, -1], [2, 0]] (zb = 0): (A - 1) B = [[2, 0], [8, -2]].
  std::vector<std::uint8_t> a{1, 2, 3, 4};
  std::vector<std::int8_t> b{1, -1, 2, 0};
  auto pw = qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, 2, 2}).value();
  std::vector<std::int32_t> c(4);
  REQUIRE(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, 2, 2}, 1, pw, qmath::matrix_span<std::int32_t>{c, 2, 2},
                      qmath::output_int32{})
              .ok());
  CHECK(c == std::vector<std::int32_t>{2, 0, 8, -2});
}
