// Sub-byte packing: exact round trip for every width and length, the
// documented bit order (checked against an independent bit-by-bit reference),
// every level, unaligned pointers, bad codes.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "qmath/quantize/pack.hpp"
#include "test_support.hpp"

using namespace qmath;
using qtest::for_each_level;

namespace {

// Independent reference: stream bit k = bit (k % 8) of byte k / 8.
std::vector<std::uint8_t> ref_pack(const std::vector<std::uint8_t>& codes, int bits) {
  std::vector<std::uint8_t> out(packed_size(codes.size(), bits), 0);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    for (int b = 0; b < bits; ++b) {
      const std::size_t k = i * static_cast<std::size_t>(bits) + static_cast<std::size_t>(b);
      if ((codes[i] >> b) & 1u) out[k / 8] = static_cast<std::uint8_t>(out[k / 8] | (1u << (k % 8)));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("pack: bit order of 1/2/4-bit codes (first element in the low bits)") {
  std::vector<std::uint8_t> p(2);
  REQUIRE(pack(std::span<const std::uint8_t>(std::vector<std::uint8_t>{1, 2, 3, 5}), 4, std::span(p)).ok());
  CHECK(p == std::vector<std::uint8_t>{0x21, 0x53});
  std::vector<std::uint8_t> p2(1);
  REQUIRE(pack(std::span<const std::uint8_t>(std::vector<std::uint8_t>{1, 2, 3, 0}), 2, std::span(p2)).ok());
  CHECK(p2[0] == (1 | 2 << 2 | 3 << 4));
  REQUIRE(pack(std::span<const std::int8_t>(std::vector<std::int8_t>{-2, 1, -1}), 2, std::span(p2)).ok());
  CHECK(p2[0] == (2 | 1 << 2 | 3 << 4));
  std::vector<std::uint8_t> p1(2);
  REQUIRE(pack(std::span<const std::uint8_t>(std::vector<std::uint8_t>{1, 0, 0, 1, 1, 0, 0, 0, 1}), 1, std::span(p1)).ok());
  CHECK(p1 == std::vector<std::uint8_t>{0x19, 0x01});
  // 3-bit stream: codes 7, 1, 2 -> bits 111 100 010 -> byte0 = 0b10_001_111, byte1 = 0b0
  std::vector<std::uint8_t> p3(2);
  REQUIRE(pack(std::span<const std::uint8_t>(std::vector<std::uint8_t>{7, 1, 2}), 3, std::span(p3)).ok());
  CHECK(p3[0] == 0x8F);
  CHECK(p3[1] == 0x00);
  CHECK(packed_size(3, 3) == 2);
  CHECK(packed_size(8, 3) == 3);
  CHECK(packed_size(0, 4) == 0);
  CHECK(packed_size(7, 4) == 4);
}

TEST_CASE("pack: round trip and reference layout for every width, length 1..150, every level") {
  qtest::rng r(17);
  std::vector<std::uint8_t> ucodes(160);
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    for (int bits = 1; bits <= 8; ++bits) {
      CAPTURE(bits);
      for (std::size_t n = 1; n <= 150; n += (n < 70 ? 1 : 9)) {
        CAPTURE(n);
        const std::size_t off = n % 3;  // unaligned pointers
        std::vector<std::uint8_t> uc(n + off);
        std::vector<std::int8_t> sc(n + off);
        for (std::size_t i = 0; i < n + off; ++i) {
          const std::uint32_t v = r.next();
          uc[i] = static_cast<std::uint8_t>(v & ((1u << bits) - 1u));
          sc[i] = static_cast<std::int8_t>(static_cast<std::int32_t>(uc[i]) - (1 << (bits - 1)));
        }
        const std::size_t ps = packed_size(n, bits);
        std::vector<std::uint8_t> pu(ps + off + 1, 0xEE), ps_(ps + off + 1, 0xEE);
        REQUIRE(pack(std::span<const std::uint8_t>(uc.data() + off, n), bits, std::span(pu.data() + off, ps)).ok());
        REQUIRE(pack(std::span<const std::int8_t>(sc.data() + off, n), bits, std::span(ps_.data() + off, ps)).ok());
        const std::vector<std::uint8_t> want(uc.begin() + static_cast<std::ptrdiff_t>(off), uc.end());
        const auto ref = ref_pack(want, bits);
        REQUIRE(std::vector<std::uint8_t>(pu.begin() + static_cast<std::ptrdiff_t>(off),
                                          pu.begin() + static_cast<std::ptrdiff_t>(off + ps)) == ref);
        REQUIRE(pu[off + ps] == 0xEE);  // nothing written past the end
        // Signed codes pack to their two's-complement low bits.
        std::vector<std::uint8_t> low(n);
        for (std::size_t i = 0; i < n; ++i) low[i] = static_cast<std::uint8_t>(sc[off + i]) & ((1u << bits) - 1u);
        REQUIRE(std::vector<std::uint8_t>(ps_.begin() + static_cast<std::ptrdiff_t>(off),
                                          ps_.begin() + static_cast<std::ptrdiff_t>(off + ps)) == ref_pack(low, bits));
        std::vector<std::uint8_t> uu(n + 1, 0xEE);
        std::vector<std::int8_t> su(n + 1, 0x55);
        REQUIRE(unpack(std::span<const std::uint8_t>(pu.data() + off, ps), bits, std::span(uu.data() + 1, n)).ok());
        REQUIRE(unpack(std::span<const std::uint8_t>(ps_.data() + off, ps), bits, std::span(su.data() + 1, n)).ok());
        for (std::size_t i = 0; i < n; ++i) {
          REQUIRE(uu[i + 1] == uc[off + i]);
          REQUIRE(su[i + 1] == sc[off + i]);
        }
        REQUIRE(uu[0] == 0xEE);
      }
    }
  });
}

TEST_CASE("pack: codes that do not fit, bad arguments") {
  std::vector<std::uint8_t> out(64);
  std::vector<std::uint8_t> uc(100, 3);
  uc[77] = 16;
  for_each_level([&](isa) {
    const status st = pack(std::span<const std::uint8_t>(uc), 4, std::span(out));
    CHECK(st.code() == errc::out_of_range);
    CHECK(st.argument() == "codes");
    CHECK(st.index() == 77);
    std::vector<std::int8_t> sc(40, -8);
    sc[33] = 8;
    CHECK(pack(std::span<const std::int8_t>(sc), 4, std::span(out)).index() == 33);
    sc[33] = -9;
    CHECK(pack(std::span<const std::int8_t>(sc), 4, std::span(out)).index() == 33);
    sc[33] = 7;
    CHECK(pack(std::span<const std::int8_t>(sc), 4, std::span(out)).ok());
  });
  CHECK(pack(std::span<const std::uint8_t>(uc), 0, std::span(out)).argument() == "bits");
  CHECK(pack(std::span<const std::uint8_t>(uc), 9, std::span(out)).argument() == "bits");
  CHECK(pack(std::span<const std::uint8_t>(uc), 4, std::span(out).first(49)).argument() == "packed");
  CHECK(unpack(std::span<const std::uint8_t>(out).first(10), 4, std::span(uc)).argument() == "packed");
  CHECK(pack(std::span<const std::uint8_t>(), 4, std::span(out)).code() == errc::empty_input);
}

TEST_CASE("pack: fused quantize_packed equals quantize + pack for 2..7 bits, every granularity") {
  qtest::rng r(4);
  std::vector<float> x(3 * 4160 + 7);
  for (auto& v : x) v = r.gauss();
  for_each_level([&](isa l) {
    CAPTURE(to_string(l));
    auto check = [&](auto tag, std::size_t n) {
      using S = decltype(tag);
      using T = typename S::storage_type;
      const qparams<S> p{0.37f, S::map == mapping::affine ? 1 : S::symmetric_zero_point};
      std::vector<T> q(n);
      REQUIRE(quantize(std::span<const float>(x).first(n), p, std::span(q)).ok());
      std::vector<std::uint8_t> a(packed_size(n, S::bits)), b(a.size());
      REQUIRE(pack(std::span<const T>(q), S::bits, std::span(a)).ok());
      REQUIRE(quantize_packed(std::span<const float>(x).first(n), p, std::span(b)).ok());
      REQUIRE(a == b);
      std::vector<float> y1(n), y2(n);
      REQUIRE(dequantize(std::span<const T>(q), p, std::span(y1)).ok());
      REQUIRE(dequantize_packed(std::span<const std::uint8_t>(b), p, std::span(y2)).ok());
      REQUIRE(y1 == y2);
    };
    for (std::size_t n : {1u, 63u, 2048u, 2049u, 4100u}) {
      check(scheme<2, signedness::signed_int, mapping::symmetric, per_tensor>{}, n);
      check(scheme<3, signedness::unsigned_int, mapping::affine, per_tensor>{}, n);
      check(int4_sym_per_tensor{}, n);
      check(uint4_affine_per_tensor{}, n);
      check(scheme<5, signedness::signed_int, mapping::affine, per_tensor>{}, n);
      check(scheme<6, signedness::signed_int, mapping::symmetric_restricted, per_tensor>{}, n);
      check(scheme<7, signedness::unsigned_int, mapping::affine, per_tensor>{}, n);
    }
    // Per-group int4, shape [3, 4160] (65 groups of 64 per row) — with threads too.
    using G = scheme<4, signedness::signed_int, mapping::symmetric, per_group<64, 1>>;
    const std::vector<std::size_t> shape{3, 4160};
    qparams<G> g{std::vector<float>(3 * 65), std::vector<std::int32_t>(3 * 65, 0)};
    for (std::size_t i = 0; i < g.scale.size(); ++i) g.scale[i] = 0.1f + 0.01f * static_cast<float>(i % 7);
    const std::size_t n = 3 * 4160;
    std::vector<std::int8_t> q(n);
    REQUIRE(quantize(std::span<const float>(x).first(n), shape, g, std::span(q)).ok());
    std::vector<std::uint8_t> a(n / 2), b(n / 2);
    REQUIRE(pack(std::span<const std::int8_t>(q), 4, std::span(a)).ok());
    REQUIRE(quantize_packed(std::span<const float>(x).first(n), shape, g, std::span(b)).ok());
    REQUIRE(a == b);
    std::vector<float> y1(n), y2(n);
    REQUIRE(dequantize(std::span<const std::int8_t>(q), shape, g, std::span(y1)).ok());
    REQUIRE(dequantize_packed(std::span<const std::uint8_t>(b), shape, g, std::span(y2)).ok());
    REQUIRE(y1 == y2);
  });
}
