// Bulk conversions (formats/convert.hpp) on every level against the scalar
// codec, bit for bit: tricky and random inputs, tails 0..100, unaligned
// pointers, streamed and regular stores, packed fp4 / fp6, bad arguments.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "qmath/formats/convert.hpp"
#include "support.hpp"

using namespace qmath::formats;
using ftest::bits;
using ftest::for_each_level;

namespace {

constexpr overflow both_modes[] = {overflow::saturate, overflow::non_saturating};

template <class F>
void check_encode_runs() {
  using C = typename F::code_type;
  const std::vector<float> xs = ftest::tricky_inputs<F>(3, 3000);
  std::vector<C> want[2];
  for (int m = 0; m < 2; ++m)
    for (float x : xs) want[m].push_back(encode<F>(x, both_modes[m]));
  for_each_level([&](qmath::isa l) {
    CAPTURE(qmath::to_string(l));
    for (int m = 0; m < 2; ++m) {
      // The whole input (long runs: streamed and regular).
      for (auto store : {qmath::store_hint::temporal, qmath::store_hint::non_temporal}) {
        for (std::size_t off = 0; off < 3; ++off) {
          const std::size_t n = xs.size() - off;
          std::vector<C> q(n + 64, C{0x5A});
          C* out = q.data() + 1 + off;  // misaligned outputs, too
          REQUIRE(encode<F>(std::span<const float>(xs.data() + off, n), std::span<C>(out, n), both_modes[m], {store}).ok());
          for (std::size_t i = 0; i < n; ++i) {
            if (out[i] != want[m][off + i]) {
              CAPTURE(i);
              CAPTURE(xs[off + i]);
              CAPTURE(bits(xs[off + i]));
              REQUIRE(static_cast<unsigned>(out[i]) == static_cast<unsigned>(want[m][off + i]));
            }
          }
          REQUIRE(q[off] == C{0x5A});
          REQUIRE(out[n] == C{0x5A});
        }
      }
      // Every short length and offset.
      for (std::size_t off = 0; off < 4; ++off) {
        for (std::size_t n = 0; n <= 100; ++n) {
          const std::size_t base = (n * 37 + off * 11) % (xs.size() - 128);
          std::vector<C> q(n + 2, C{0x5A});
          REQUIRE(encode<F>(std::span<const float>(xs.data() + base + off, n), std::span<C>(q.data() + 1, n), both_modes[m]).ok());
          for (std::size_t i = 0; i < n; ++i) REQUIRE(q[1 + i] == want[m][base + off + i]);
          REQUIRE(q[0] == C{0x5A});
          REQUIRE(q[n + 1] == C{0x5A});
        }
      }
    }
  });
}

template <class F>
void check_decode_runs() {
  using C = typename F::code_type;
  // Every code, then random codes (with garbage above the format's bits).
  std::vector<C> cs;
  for (std::uint32_t c = 0; c < (1u << F::bits); ++c) cs.push_back(static_cast<C>(c));
  ftest::rng r(11);
  for (int i = 0; i < 3000; ++i) cs.push_back(static_cast<C>(r.next()));
  std::vector<std::uint32_t> want;
  for (C c : cs) want.push_back(bits(decode<F>(c)));
  for_each_level([&](qmath::isa l) {
    CAPTURE(qmath::to_string(l));
    for (auto store : {qmath::store_hint::temporal, qmath::store_hint::non_temporal}) {
      for (std::size_t off = 0; off < 3; ++off) {
        const std::size_t n = cs.size() - off;
        std::vector<float> y(n + 20, 7.0f);
        float* out = y.data() + 1 + off;
        REQUIRE(decode<F>(std::span<const C>(cs.data() + off, n), std::span<float>(out, n), {store}).ok());
        for (std::size_t i = 0; i < n; ++i) {
          if (bits(out[i]) != want[off + i]) {
            CAPTURE(i);
            CAPTURE(static_cast<unsigned>(cs[off + i]));
            REQUIRE(bits(out[i]) == want[off + i]);
          }
        }
        REQUIRE(y[off] == 7.0f);
        REQUIRE(out[n] == 7.0f);
      }
    }
    for (std::size_t off = 0; off < 4; ++off) {
      for (std::size_t n = 0; n <= 100; ++n) {
        const std::size_t base = (n * 53 + off * 7) % (cs.size() - 128);
        std::vector<float> y(n + 2, 7.0f);
        REQUIRE(decode<F>(std::span<const C>(cs.data() + base + off, n), std::span<float>(y.data() + 1, n)).ok());
        for (std::size_t i = 0; i < n; ++i) REQUIRE(bits(y[1 + i]) == want[base + off + i]);
        REQUIRE(y[0] == 7.0f);
        REQUIRE(y[n + 1] == 7.0f);
      }
    }
  });
}

}  // namespace

#define QMATH_ALL_FORMATS fp16, bf16, fp8_e4m3fn, fp8_e5m2, fp6_e2m3, fp6_e3m2, fp4_e2m1

TEST_CASE_TEMPLATE("convert: encode equals the scalar codec on every level", F, QMATH_ALL_FORMATS) {
  check_encode_runs<F>();
}

TEST_CASE_TEMPLATE("convert: decode equals the scalar codec on every level", F, QMATH_ALL_FORMATS) {
  check_decode_runs<F>();
}

TEST_CASE_TEMPLATE("convert: a sweep over float32 bit patterns on every level", F, QMATH_ALL_FORMATS) {
  // Every 997th bit pattern (4.3 M values, all exponents, NaN payloads, subnormals).
  using C = typename F::code_type;
  std::vector<float> xs;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 997) xs.push_back(ftest::from_bits(static_cast<std::uint32_t>(b)));
  for (overflow m : both_modes) {
    std::vector<C> want(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) want[i] = encode<F>(xs[i], m);
    for_each_level([&](qmath::isa l) {
      CAPTURE(qmath::to_string(l));
      std::vector<C> q(xs.size());
      REQUIRE(encode<F>(xs, q, m).ok());
      REQUIRE(std::memcmp(q.data(), want.data(), q.size() * sizeof(C)) == 0);
    });
  }
}

TEST_CASE("convert: issue 11 known answers through the bulk API") {
  const std::vector<float> x = {0.0f / 2, 1.0f / 2, 2.0f / 2, 100000.0f / 2, 200.0f / 2};
  for_each_level([&](qmath::isa) {
    std::vector<std::uint8_t> q(5);
    std::vector<float> y(5);
    REQUIRE(encode<fp8_e4m3fn>(x, q, overflow::saturate).ok());
    REQUIRE(decode<fp8_e4m3fn>(q, y).ok());
    CHECK(y == std::vector<float>{0.0f, 0.5f, 1.0f, 448.0f, 96.0f});
    REQUIRE(encode<fp8_e4m3fn>(x, q, overflow::non_saturating).ok());
    CHECK(q[3] == 0x7F);  // NaN
    REQUIRE(encode<fp8_e5m2>(x, q, overflow::saturate).ok());
    REQUIRE(decode<fp8_e5m2>(q, y).ok());
    CHECK(y == std::vector<float>{0.0f, 0.5f, 1.0f, 49152.0f, 96.0f});
    const std::vector<float> t = {0.75f, 1.75f, 3.5f, -0.75f, 7.0f, -100.0f};
    std::vector<std::uint8_t> p(3);
    std::vector<float> z(6);
    REQUIRE(encode_packed<fp4_e2m1>(t, p, overflow::saturate).ok());
    REQUIRE(decode_packed<fp4_e2m1>(p, z).ok());
    CHECK(z == std::vector<float>{1.0f, 2.0f, 4.0f, -1.0f, 6.0f, -6.0f});
    CHECK(p[0] == 0x42);  // 1.0 = 0x2 (low nibble), 2.0 = 0x4 (high nibble)
  });
}

TEST_CASE_TEMPLATE("convert: packed fp4 / fp6 round trips and layout", F, fp4_e2m1, fp6_e2m3, fp6_e3m2) {
  ftest::rng r(23);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5},
                        std::size_t{1023}, std::size_t{1024}, std::size_t{1025}, std::size_t{3001}}) {
    CAPTURE(n);
    std::vector<float> x(n);
    for (auto& v : x) v = ftest::from_bits(r.next());
    std::vector<std::uint8_t> codes(n), p(packed_size<F>(n), 0xAA);
    REQUIRE(encode<F>(x, codes, overflow::saturate).ok());
    REQUIRE(encode_packed<F>(x, p, overflow::saturate).ok());
    // Layout: element i in bits [b*i, b*i+b) of the little-endian stream, unused bits zero.
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t v = 0;
      for (int k = 0; k < F::bits; ++k) {
        const std::size_t bit = i * F::bits + static_cast<std::size_t>(k);
        v |= static_cast<std::uint32_t>((p[bit / 8] >> (bit % 8)) & 1u) << k;
      }
      REQUIRE(v == codes[i]);
    }
    for (std::size_t bit = n * F::bits; bit < p.size() * 8; ++bit) REQUIRE(((p[bit / 8] >> (bit % 8)) & 1u) == 0u);
    std::vector<float> y(n), z(n);
    REQUIRE(decode_packed<F>(p, y).ok());
    REQUIRE(decode<F>(codes, z).ok());
    for (std::size_t i = 0; i < n; ++i) REQUIRE(bits(y[i]) == bits(z[i]));
  }
  CHECK(packed_size<fp4_e2m1>(7) == 4);
  CHECK(packed_size<fp6_e2m3>(5) == 4);
  CHECK(packed_size<fp6_e2m3>(4) == 3);
}

TEST_CASE("convert: bad arguments name the argument and write nothing") {
  std::vector<float> x(8, 1.0f), y(7);
  std::vector<std::uint16_t> h(7, 0x1234);
  qmath::status st = encode<fp16>(x, h, overflow::saturate);
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "codes");
  CHECK(h[0] == 0x1234);
  st = decode<fp16>(std::span<const std::uint16_t>(h), std::span<float>(x));
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "y");
  st = encode<fp8_e5m2>(std::span<const float>(static_cast<const float*>(nullptr), 4), std::span<std::uint8_t>(), overflow::saturate);
  CHECK(st.code() == qmath::errc::invalid_argument);
  CHECK(st.argument() == "x");
  std::vector<std::uint8_t> p(4);
  st = encode_packed<fp4_e2m1>(x, std::span<std::uint8_t>(p.data(), 3), overflow::saturate);
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "packed");
  st = decode_packed<fp6_e3m2>(p, y);
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "packed");
  CHECK(encode<fp8_e4m3fn>(std::span<const float>(), std::span<std::uint8_t>(), overflow::saturate).ok());
}
