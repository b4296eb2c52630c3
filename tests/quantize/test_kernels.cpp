// Every SIMD level against the scalar reference (qmath::quantize_value and
// friends), bit for bit: every granularity, rounding mode, division, code
// type, tails 1..100 and unaligned pointers.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "qmath/quantize/fake_quant.hpp"
#include "qmath/quantize/quantize.hpp"
#include "test_support.hpp"

using namespace qmath;
using qtest::for_each_level;

namespace {

constexpr rounding all_modes[] = {rounding::half_even, rounding::half_away, rounding::toward_zero,
                                  rounding::stochastic};
constexpr division all_divs[] = {division::exact, division::reciprocal};

template <class S>
void check_per_tensor(float scale, std::int32_t zp) {
  using T = typename S::storage_type;
  const float range = static_cast<float>(S::qmax - S::qmin) / 2.0f + 2.0f;
  std::vector<float> base = qtest::tricky_data(104, scale, range, 7 + S::bits);
  base[5] = std::numeric_limits<float>::quiet_NaN();
  base[17] = std::numeric_limits<float>::infinity();
  base[40] = -std::numeric_limits<float>::infinity();
  base[63] = 3e38f;
  const qparams<S> p{scale, zp};
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    for (rounding m : all_modes) {
      for (division d : all_divs) {
        quantize_options o;
        o.round = m;
        o.div = d;
        o.nonfinite = nonfinite_policy::map;
        o.seed = 12345;
        for (std::size_t off = 0; off < 3; ++off) {
          for (std::size_t n = 1; n + off <= 100; n += (n < 40 ? 1 : 7)) {
            // Non-temporal stores (aligned head, streamed body, tail) must give the same codes.
            o.store = (n + off) % 2 ? store_hint::non_temporal : store_hint::temporal;
            std::vector<T> q(n + 1, T{0x5A});
            REQUIRE(quantize(std::span<const float>(base.data() + off, n), p, std::span<T>(q.data() + 1, n), o).ok());
            const std::uint32_t key = stochastic_key(o.seed);
            for (std::size_t i = 0; i < n; ++i) {
              const auto want = quantize_value(base[off + i], scale, zp, S::qmin, S::qmax, m, d, stochastic_bits(key, i));
              if (q[i + 1] != want) {
                CAPTURE(to_string(m));
                CAPTURE(to_string(d));
                CAPTURE(n);
                CAPTURE(off);
                CAPTURE(i);
                CAPTURE(base[off + i]);
                REQUIRE(static_cast<std::int32_t>(q[i + 1]) == want);
              }
            }
            REQUIRE(q[0] == T{0x5A});  // no write before the output
          }
        }
      }
    }
  });
}

}  // namespace

TEST_CASE("kernels: per-tensor quantize equals the scalar reference on every level") {
  check_per_tensor<int8_sym_per_tensor>(0.037f, 0);
  check_per_tensor<int8_affine_per_tensor>(0.21f, -17);
  check_per_tensor<uint8_affine_per_tensor>(2.0f, 128);
  check_per_tensor<int4_sym_per_tensor>(0.5f, 0);
  check_per_tensor<uint4_affine_per_tensor>(0.3f, 3);
  check_per_tensor<int16_sym>(0.001f, 0);
  check_per_tensor<uint16_affine_per_tensor>(2.0f, 32767);
  check_per_tensor<scheme<3, signedness::signed_int, mapping::symmetric_restricted, per_tensor>>(0.25f, 0);
}

TEST_CASE("kernels: dequantize and fake quant equal the scalar reference on every level") {
  using S = int8_affine_per_tensor;
  const qparams<S> p{0.0731f, -9};
  std::vector<std::int8_t> codes(100);
  for (int i = 0; i < 100; ++i) codes[i] = static_cast<std::int8_t>(i * 37 - 128);
  std::vector<float> x = qtest::tricky_data(100, p.scale, 140.f, 3);
  x[9] = std::numeric_limits<float>::quiet_NaN();
  x[10] = -std::numeric_limits<float>::infinity();
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    for (std::size_t n = 1; n < 100; ++n) {
      std::vector<float> out(n);
      dequantize_options dopt;
      dopt.store = n % 2 ? store_hint::non_temporal : store_hint::temporal;
      REQUIRE(dequantize(std::span<const std::int8_t>(codes.data() + 1, n), p, std::span<float>(out), dopt).ok());
      for (std::size_t i = 0; i < n; ++i) REQUIRE(qtest::same_bits(out[i], dequantize_value(codes[i + 1], p.scale, p.zero_point)));
      for (rounding m : all_modes) {
        for (division d : all_divs) {
          quantize_options o;
          o.round = m;
          o.div = d;
          o.nonfinite = nonfinite_policy::map;
          std::vector<float> y(n);
          std::vector<std::uint8_t> mask(n);
          REQUIRE(fake_quant(std::span<const float>(x.data() + 1, n), p, std::span<float>(y), std::span(mask), o).ok());
          const std::uint32_t key = stochastic_key(o.seed);
          for (std::size_t i = 0; i < n; ++i) {
            const auto f = fake_quant_value(x[i + 1], p.scale, p.zero_point, S::qmin, S::qmax, m, d,
                                            stochastic_bits(key, i));
            REQUIRE(qtest::same_bits(y[i], f.y));
            REQUIRE(mask[i] == (f.in_range ? 1 : 0));
          }
        }
      }
    }
  });
  // 16-bit and unsigned dequantize.
  const qparams<uint16_affine_per_tensor> pu{0.5f, 40000};
  std::vector<std::uint16_t> cu(77);
  for (int i = 0; i < 77; ++i) cu[i] = static_cast<std::uint16_t>(i * 851);
  for_each_level([&](isa) {
    std::vector<float> out(77);
    REQUIRE(dequantize(std::span<const std::uint16_t>(cu), pu, std::span<float>(out)).ok());
    for (int i = 0; i < 77; ++i) REQUIRE(qtest::same_bits(out[i], dequantize_value(cu[i], 0.5f, 40000)));
  });
}

namespace {

// Reference entry of element `flat` for a param layout (from the multi-index).
std::size_t ref_entry(const std::vector<std::size_t>& shape, std::size_t axis, std::size_t gs, bool grouped,
                      std::size_t flat) {
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  if (!grouped) return idx[axis];
  std::size_t e = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const std::size_t dim = d == axis ? shape[d] / gs : shape[d];
    const std::size_t id = d == axis ? idx[d] / gs : idx[d];
    e = e * dim + id;
  }
  return e;
}

template <class S>
void check_layout_kernels(const std::vector<std::size_t>& shape, std::size_t axis, std::size_t gs) {
  using T = typename S::storage_type;
  constexpr bool grouped = S::kind == granularity_kind::per_group;
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  qparams<S> p{};
  if constexpr (S::granularity_type::static_axis == dynamic) p.axis = axis;
  if constexpr (grouped) {
    if constexpr (S::granularity_type::static_group_size == dynamic) p.group_size = gs;
  }
  auto pl = make_param_layout(shape, axis, gs, S::kind);
  REQUIRE(pl);
  qtest::rng r(n);
  for (std::size_t e = 0; e < pl->param_count(); ++e) {
    p.scale.push_back(r.uniform(0.01f, 0.2f));
    p.zero_point.push_back(S::map == mapping::affine ? static_cast<std::int32_t>(r.next() % 7) - 3 + (S::qmin + S::qmax) / 2
                                                      : (S::qmin < 0 ? 0 : (S::qmax + 1) / 2));
  }
  const std::vector<float> x = qtest::tricky_data(n, 0.1f, static_cast<float>(S::qmax - S::qmin), n);
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    for (rounding m : all_modes) {
      for (division d : all_divs) {
        quantize_options o;
        o.round = m;
        o.div = d;
        o.seed = 99;
        o.store = d == division::exact ? store_hint::non_temporal : store_hint::temporal;
        std::vector<T> q(n);
        REQUIRE(quantize(std::span<const float>(x), shape, p, std::span<T>(q), o).ok());
        std::vector<float> y(n), fy(n);
        std::vector<std::uint8_t> mask(n);
        dequantize_options dopt;
        dopt.store = o.store;
        REQUIRE(dequantize(std::span<const T>(q), shape, p, std::span<float>(y), dopt).ok());
        REQUIRE(fake_quant(std::span<const float>(x), shape, p, std::span<float>(fy), std::span(mask), o).ok());
        const std::uint32_t key = stochastic_key(o.seed);
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t e = ref_entry(shape, axis, gs, grouped, i);
          const auto want = quantize_value(x[i], p.scale[e], p.zero_point[e], S::qmin, S::qmax, m, d,
                                           stochastic_bits(key, i));
          CAPTURE(i);
          REQUIRE(static_cast<std::int32_t>(q[i]) == want);
          REQUIRE(qtest::same_bits(y[i], dequantize_value(want, p.scale[e], p.zero_point[e])));
          const auto f = fake_quant_value(x[i], p.scale[e], p.zero_point[e], S::qmin, S::qmax, m, d,
                                          stochastic_bits(key, i));
          REQUIRE(qtest::same_bits(fy[i], f.y));
          REQUIRE(mask[i] == (f.in_range ? 1 : 0));
        }
      }
    }
  });
}

}  // namespace

TEST_CASE("kernels: per-channel and per-group equal the scalar reference on every level") {
  using pc0 = scheme<8, signedness::signed_int, mapping::symmetric, per_channel<0>>;
  using pc1 = scheme<8, signedness::unsigned_int, mapping::affine, per_channel<1>>;
  using pcd = scheme<16, signedness::signed_int, mapping::affine, per_channel<dynamic>>;
  using g1 = scheme<4, signedness::signed_int, mapping::symmetric, per_group<8, 1>>;
  using g0 = scheme<8, signedness::unsigned_int, mapping::affine, per_group<4, 0>>;
  using gd = scheme<4, signedness::unsigned_int, mapping::affine, per_group<dynamic, dynamic>>;
  check_layout_kernels<pc0>({5, 37}, 0, 1);          // runs of 37 (inner > 1)
  check_layout_kernels<pc1>({3, 67}, 1, 1);          // axis last: per-element params
  check_layout_kernels<pc1>({2, 3, 1}, 1, 1);        // tiny
  check_layout_kernels<pcd>({3, 5, 7}, 1, 1);        // middle axis
  check_layout_kernels<pcd>({3, 5, 7}, 2, 1);
  check_layout_kernels<g1>({3, 72}, 1, 8);           // groups along the last axis
  check_layout_kernels<g0>({8, 19}, 0, 4);           // groups along axis 0 (inner 19)
  check_layout_kernels<gd>({2, 12, 5}, 1, 3);        // groups along a middle axis
  check_layout_kernels<gd>({4, 96}, 1, 32);
}

TEST_CASE("kernels: fake quant of values that round to zero gives +0.0 on every level and mode") {
  // PyTorch computes (clamp(nearbyint(x / s) + zp) - zp) * s through integers: a negative
  // value that rounds to code zp gives +0.0, never -0.0 (SIMD round instructions keep the sign).
  const qparams<int8_sym_per_tensor> p{0.1f, 0};
  const qparams<int8_affine_per_tensor> pa{0.1f, -3};
  std::vector<float> x(37, -0.0121476296f);
  x[1] = -0.0f;
  x[2] = -0.04f;
  x[3] = 0.0f;
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    for (rounding m : all_modes) {
      for (division d : all_divs) {
        CAPTURE(to_string(m));
        quantize_options o;
        o.round = m;
        o.div = d;
        std::vector<float> y(x.size(), 1.0f), ya(x.size(), 1.0f);
        REQUIRE(fake_quant(std::span<const float>(x), p, std::span<float>(y), {}, o).ok());
        REQUIRE(fake_quant(std::span<const float>(x), pa, std::span<float>(ya), {}, o).ok());
        const std::uint32_t key = stochastic_key(o.seed);
        for (std::size_t i = 0; i < x.size(); ++i) {
          CAPTURE(i);
          const float want = fake_quant_value(x[i], 0.1f, 0, -128, 127, m, d, stochastic_bits(key, i)).y;
          const float want_a = fake_quant_value(x[i], 0.1f, -3, -128, 127, m, d, stochastic_bits(key, i)).y;
          REQUIRE(qtest::same_bits(y[i], want));
          REQUIRE(qtest::same_bits(ya[i], want_a));
          if (want == 0.0f) REQUIRE(!std::signbit(want));
        }
        if (m != rounding::stochastic) REQUIRE(qtest::same_bits(y[0], 0.0f));
      }
    }
  });
}

TEST_CASE("kernels: stochastic indices crossing 2^32 match the scalar reference") {
  const std::uint32_t key = stochastic_key(777);
  std::vector<float> x = qtest::tricky_data(200, 0.1f, 100.f, 5);
  std::vector<float> s(200, 0.1f);
  std::vector<std::int32_t> z(200, 3);
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    const auto* k = detail::select_kernels<detail::quantize_kernels>();
    REQUIRE(k != nullptr);
    for (std::uint64_t start : {(std::uint64_t{1} << 32) - 37, (std::uint64_t{1} << 32) - 1, std::uint64_t{5} << 32}) {
      std::vector<std::int8_t> q(200), qv(200);
      std::vector<float> y(200);
      const bool nt = (start & 1) != 0;  // exercise both store paths
      const detail::quant_run a{0.1f, 3, -128, 127, rounding::stochastic, division::exact, key, start, nt};
      const detail::quant_vec v{s.data(), z.data(), -128, 127, rounding::stochastic, division::exact, key, start, nt};
      (void)k->q_run_i8(x.data(), q.data(), 200, a);
      (void)k->q_vec_i8(x.data(), qv.data(), 200, v);
      (void)k->fq_run(x.data(), y.data(), nullptr, 200, a);
      for (std::size_t i = 0; i < 200; ++i) {
        const auto bits = stochastic_bits(key, start + i);
        const auto want = quantize_value(x[i], 0.1f, 3, -128, 127, rounding::stochastic, division::exact, bits);
        REQUIRE(q[i] == want);
        REQUIRE(qv[i] == want);
        REQUIRE(qtest::same_bits(y[i], fake_quant_value(x[i], 0.1f, 3, -128, 127, rounding::stochastic, division::exact, bits).y));
      }
    }
  });
}

TEST_CASE("kernels: threads give the same bits as one thread (stochastic included)") {
  const std::size_t n = 300000 + 13;
  std::vector<float> x = qtest::tricky_data(n, 0.05f, 200.f, 11);
  const qparams<int8_affine_per_tensor> p{0.05f, 4};
  for (rounding m : {rounding::half_even, rounding::stochastic}) {
    quantize_options o1, o4;
    o1.round = o4.round = m;
    o1.seed = o4.seed = 5;
    o4.threads = 4;
    std::vector<std::int8_t> a(n), b(n);
    REQUIRE(quantize(std::span<const float>(x), p, std::span(a), o1).ok());
    REQUIRE(quantize(std::span<const float>(x), p, std::span(b), o4).ok());
    CHECK(a == b);
    std::vector<float> fa(n), fb(n);
    REQUIRE(fake_quant(std::span<const float>(x), p, std::span(fa), {}, o1).ok());
    REQUIRE(fake_quant(std::span<const float>(x), p, std::span(fb), {}, o4).ok());
    CHECK(qtest::same_bits(fa, fb));
  }
  // Per-group with threads.
  const std::vector<std::size_t> shape{300, 1024};
  std::vector<float> w = qtest::tricky_data(300 * 1024, 0.05f, 8.f, 12);
  qparams<int4_sym_g128> g{std::vector<float>(300 * 8, 0.05f), std::vector<std::int32_t>(300 * 8, 0)};
  quantize_options o4;
  o4.threads = 3;
  std::vector<std::int8_t> a(w.size()), b(w.size());
  REQUIRE(quantize(std::span<const float>(w), shape, g, std::span(a)).ok());
  REQUIRE(quantize(std::span<const float>(w), shape, g, std::span(b), o4).ok());
  CHECK(a == b);
  std::vector<float> da(w.size()), db(w.size());
  REQUIRE(dequantize(std::span<const std::int8_t>(a), shape, g, std::span(da)).ok());
  REQUIRE(dequantize(std::span<const std::int8_t>(a), shape, g, std::span(db), dequantize_options{0}).ok());
  CHECK(qtest::same_bits(da, db));
}

TEST_CASE("kernels: long runs (streamed, read ahead) equal the scalar reference on every level") {
  // Thousands of elements: whole blocks, the 64-byte-aligned streaming head,
  // prefetches past the end of the input, per-element params along the last axis.
  using S = int8_affine_per_tensor;
  using pc1 = scheme<8, signedness::signed_int, mapping::affine, per_channel<1>>;
  const std::vector<std::size_t> shape{7, 1031};
  const std::size_t n = 7 * 1031;
  std::vector<float> x = qtest::tricky_data(n + 3, 0.05f, 140.f, 21);
  for (std::size_t i = 100; i < n; i += 997) x[i] = std::numeric_limits<float>::quiet_NaN();
  x[2000] = std::numeric_limits<float>::infinity();
  const qparams<S> p{0.05f, -7};
  qparams<pc1> pc{};
  qtest::rng r(3);
  for (std::size_t c = 0; c < 1031; ++c) {
    pc.scale.push_back(r.uniform(0.02f, 0.1f));
    pc.zero_point.push_back(static_cast<std::int32_t>(r.next() % 21) - 10);
  }
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    for (rounding m : all_modes) {
      for (division d : all_divs) {
        for (std::size_t off : {std::size_t{0}, std::size_t{3}}) {
          CAPTURE(to_string(m));
          CAPTURE(to_string(d));
          CAPTURE(off);
          quantize_options o;
          o.round = m;
          o.div = d;
          o.seed = 31;
          o.nonfinite = nonfinite_policy::map;
          o.store = off ? store_hint::non_temporal : store_hint::automatic;
          const std::span<const float> xs(x.data() + off, n);
          std::vector<std::int8_t> q(n), qc(n);
          std::vector<float> y(n), yc(n), dq(n);
          REQUIRE(quantize(xs, p, std::span(q), o).ok());
          REQUIRE(quantize(xs, shape, pc, std::span(qc), o).ok());
          REQUIRE(fake_quant(xs, p, std::span(y), {}, o).ok());
          REQUIRE(fake_quant(xs, shape, pc, std::span(yc), {}, o).ok());
          dequantize_options dopt;
          dopt.store = o.store;
          REQUIRE(dequantize(std::span<const std::int8_t>(qc), shape, pc, std::span(dq), dopt).ok());
          const std::uint32_t key = stochastic_key(o.seed);
          for (std::size_t i = 0; i < n; ++i) {
            const std::size_t c = i % 1031;
            const auto bits = stochastic_bits(key, i);
            const float xi = x[off + i];
            REQUIRE(q[i] == quantize_value(xi, p.scale, p.zero_point, S::qmin, S::qmax, m, d, bits));
            const auto want = quantize_value(xi, pc.scale[c], pc.zero_point[c], pc1::qmin, pc1::qmax, m, d, bits);
            REQUIRE(qc[i] == want);
            REQUIRE(qtest::same_bits(y[i], fake_quant_value(xi, p.scale, p.zero_point, S::qmin, S::qmax, m, d, bits).y));
            REQUIRE(qtest::same_bits(
                yc[i], fake_quant_value(xi, pc.scale[c], pc.zero_point[c], pc1::qmin, pc1::qmax, m, d, bits).y));
            REQUIRE(qtest::same_bits(dq[i], dequantize_value(want, pc.scale[c], pc.zero_point[c])));
          }
        }
      }
    }
  });
}
