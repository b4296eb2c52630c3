// GGUF blocks: known answers, exhaustive decode of every code, layouts,
// round-trip properties, argument checks.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "qmath/gguf/blocks.hpp"
#include "qmath/gguf/quantize.hpp"
#include "test_support.hpp"

namespace {

using namespace qmath::gguf;
using gguf_test::bits;
using gguf_test::f2h;
using gguf_test::h2f;
using gguf_test::same;

std::vector<float> ramp() {  // x_j = j - 16
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16);
  return x;
}

/// A few fp16 scales: ordinary, tiny, subnormal, largest, negative, zero.
std::vector<std::uint16_t> scale_codes() {
  return {0x3C00, 0x4000, 0x2E66, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0xBC00, 0x8001, 0x0000, 0x8000, 0xFBFF, 0x1234};
}

// Independent packers written from the documented layouts.
void pack_legacy_nibbles(const int* q, std::uint8_t* qs) {
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<std::uint8_t>((q[j] & 15) | ((q[j + 16] & 15) << 4));
}
void pack_qh(const int* q, std::uint8_t* qh) {
  std::uint32_t h = 0;
  for (int j = 0; j < 32; ++j) h |= static_cast<std::uint32_t>((q[j] >> 4) & 1) << j;
  for (int b = 0; b < 4; ++b) qh[b] = static_cast<std::uint8_t>(h >> (8 * b));
}
void pack_q6k(const int* q, block_q6_k& b) {
  std::memset(b.ql, 0, sizeof b.ql);
  std::memset(b.qh, 0, sizeof b.qh);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, r = e % 128, k = r / 32, l = r % 32;
    std::uint8_t& low = b.ql[64 * h + l + 32 * (k & 1)];
    low = static_cast<std::uint8_t>(low | ((q[e] & 15) << (k < 2 ? 0 : 4)));
    b.qh[32 * h + l] = static_cast<std::uint8_t>(b.qh[32 * h + l] | (((q[e] >> 4) & 3) << (2 * k)));
  }
}

}  // namespace

TEST_CASE("gguf: block sizes are ggml's") {
  CHECK(sizeof(block_q4_0) == 18);
  CHECK(sizeof(block_q4_1) == 20);
  CHECK(sizeof(block_q5_0) == 22);
  CHECK(sizeof(block_q5_1) == 24);
  CHECK(sizeof(block_q8_0) == 34);
  CHECK(sizeof(block_q8_1) == 36);
  CHECK(sizeof(block_q4_k) == 144);
  CHECK(sizeof(block_q6_k) == 210);
  CHECK(sizeof(block_q8_k) == 292);
  CHECK(offsetof(block_q6_k, d) == 208);
  CHECK(offsetof(block_q4_k, scales) == 4);
  CHECK(offsetof(block_q8_k, bsums) == 260);
}

TEST_CASE("gguf: Q4_0 known answer on x_j = j - 16 (every byte)") {
  const auto x = ramp();
  block_q4_0 b{};
  REQUIRE(quantize(x, std::span<block_q4_0>(&b, 1)).ok());
  CHECK(b.d == 0x4000);  // 2.0
  const std::uint8_t want[16] = {0x80, 0x91, 0x91, 0xa2, 0xa2, 0xb3, 0xb3, 0xc4,
                                 0xc4, 0xd5, 0xd5, 0xe6, 0xe6, 0xf7, 0xf7, 0xf8};
  for (int j = 0; j < 16; ++j) CHECK(b.qs[j] == want[j]);
  std::vector<float> y(32);
  REQUIRE(dequantize(std::span<const block_q4_0>(&b, 1), y).ok());
  CHECK(y[31] == 14.0f);  // +15 is not representable
  CHECK(y[0] == -16.0f);
}

TEST_CASE("gguf: Q8_0 known answer on x_j = j - 16") {
  const auto x = ramp();
  block_q8_0 b{};
  REQUIRE(quantize(x, std::span<block_q8_0>(&b, 1)).ok());
  CHECK(h2f(b.d) == 0.1259765625f);
  CHECK(b.qs[0] == -127);
  CHECK(b.qs[1] == -119);
  CHECK(b.qs[2] == -111);
  CHECK(b.qs[30] == 111);
  CHECK(b.qs[31] == 119);
  CHECK(b.qs[16] == 0);
  // every code: round half away of (j - 16) * id, id = 1 / f32(16/127) = 7.9375
  const float id = 1.0f / (16.0f / 127.0f);
  CHECK(id == 7.9375f);
  for (int j = 0; j < 32; ++j) CHECK(b.qs[j] == static_cast<int>(std::round(static_cast<double>(j - 16) * 7.9375)));
  std::vector<float> y(32);
  REQUIRE(dequantize(std::span<const block_q8_0>(&b, 1), y).ok());
  CHECK(y[0] == -15.9990234375f);
}

TEST_CASE("gguf: Q4_1 known answer on x_j = j - 16 (every byte)") {
  const auto x = ramp();
  block_q4_1 b{};
  REQUIRE(quantize(x, std::span<block_q4_1>(&b, 1)).ok());
  CHECK(h2f(b.d) == 2.06640625f);
  CHECK(h2f(b.m) == -16.0f);
  for (int j = 0; j < 16; ++j) CHECK(b.qs[j] == ((j / 2) | (((j + 16) / 2) << 4)));
}

TEST_CASE("gguf: Q4_K and Q6_K golden super-blocks (bytes from ggml's quantize_row_*_ref)") {
  // x_e = ((37 e) mod 101 - 50) / 16 * (8 + e mod 7) / 8 (exact in float). The expected bytes
  // were produced by ggml's own quantize_row_q4_K_ref / quantize_row_q6_K_ref
  // (libggml-base.so of node-llama-cpp 3.22.1, x86-64).
  std::vector<float> x(256);
  for (int e = 0; e < 256; ++e) x[e] = static_cast<float>(((e * 37) % 101) - 50) * 0.0625f * static_cast<float>(8 + e % 7) / 8.0f;
  const unsigned char q4k[144] = {
      0xa5, 0x21, 0xa9, 0x2d, 0xf8, 0xf9, 0xff, 0xf1, 0xf2, 0xfb, 0xf4, 0xf0, 0x8e, 0x56, 0xfe, 0x5f,
      0xc2, 0x26, 0x8a, 0xc2, 0x57, 0x9d, 0xe2, 0x58, 0xbc, 0x05, 0x7a, 0xb0, 0x46, 0x8c, 0xe3, 0x47,
      0xac, 0xd3, 0x69, 0xbf, 0x24, 0x79, 0xd2, 0x26, 0x9b, 0xd2, 0x58, 0xae, 0xf5, 0x69, 0xcd, 0x45,
      0x26, 0x9a, 0xd3, 0x57, 0xad, 0x03, 0x68, 0xc2, 0x05, 0x8a, 0xc1, 0x46, 0x9c, 0xf4, 0x47, 0xbc,
      0x24, 0x79, 0xc0, 0x25, 0x89, 0xf3, 0x27, 0x9b, 0xe3, 0x58, 0xbe, 0x05, 0x79, 0xe2, 0x46, 0x8b,
      0xac, 0xd4, 0x69, 0xbf, 0x25, 0x79, 0xd3, 0x27, 0x8b, 0xd3, 0x58, 0xae, 0x05, 0x69, 0xc2, 0x46,
      0x8b, 0xc2, 0x47, 0x9b, 0xf4, 0x48, 0xad, 0x25, 0x7a, 0xc0, 0x27, 0x8a, 0xf3, 0x57, 0x9d, 0xe4,
      0x36, 0x6b, 0xa2, 0x37, 0x7b, 0xd5, 0x39, 0x8d, 0xc5, 0x5a, 0xa0, 0x17, 0x6b, 0xc4, 0x48, 0x7d,
      0xc4, 0x49, 0x9c, 0x06, 0x5a, 0x92, 0x37, 0x7c, 0xb2, 0x38, 0x8c, 0xe5, 0x59, 0x9f, 0x26, 0x6b,
  };
  const unsigned char q6k[210] = {
      0x3a, 0xea, 0x4d, 0xd8, 0x1e, 0x28, 0x99, 0x93, 0x76, 0x05, 0xba, 0x11, 0x49, 0xd5, 0xc0, 0x60,
      0xad, 0x6f, 0xca, 0x60, 0x6c, 0xf8, 0x05, 0xd4, 0xef, 0x95, 0x1e, 0x63, 0x7a, 0x4a, 0x36, 0xf8,
      0x8d, 0x37, 0x3d, 0x4c, 0x83, 0x13, 0x76, 0x24, 0x0a, 0xf1, 0x1c, 0xfb, 0x4e, 0xef, 0x14, 0xef,
      0xa9, 0xbc, 0x09, 0x86, 0x0b, 0xc5, 0xab, 0x5b, 0x9f, 0x6d, 0xde, 0x19, 0xb0, 0x9b, 0x0f, 0x22,
      0x8d, 0xbd, 0x79, 0xc1, 0xb9, 0x37, 0x22, 0x42, 0x4f, 0x82, 0x1c, 0xb3, 0xa8, 0xe9, 0xf7, 0x26,
      0x6f, 0xa8, 0xcf, 0xae, 0x64, 0xd4, 0x79, 0xc5, 0xdc, 0x01, 0xdd, 0xfd, 0xaf, 0x01, 0xc7, 0x00,
      0x59, 0x45, 0xe9, 0x6c, 0xe7, 0x1d, 0x47, 0xa8, 0x52, 0x84, 0x14, 0xd9, 0x30, 0x48, 0xf3, 0xdf,
      0xb1, 0xbd, 0x71, 0xeb, 0x70, 0x6f, 0x08, 0x07, 0xd5, 0x0f, 0xa8, 0x1f, 0x73, 0x8b, 0x6b, 0x46,
      0x28, 0x81, 0xf6, 0x58, 0x85, 0x3b, 0x5c, 0xf6, 0x2b, 0x51, 0xf6, 0x28, 0x81, 0xe7, 0x5d, 0x82,
      0x24, 0x52, 0xf9, 0x24, 0x9e, 0xe9, 0x23, 0x8e, 0xe4, 0x53, 0x89, 0x24, 0x52, 0xf9, 0x60, 0x8e,
      0xd8, 0xae, 0x05, 0xd8, 0x62, 0x15, 0xef, 0x72, 0x18, 0xaf, 0x45, 0xd8, 0xa2, 0x05, 0x9f, 0x72,
      0x3a, 0x90, 0x4d, 0xe6, 0x91, 0x7a, 0xe7, 0x8d, 0x3a, 0xe0, 0x4d, 0x26, 0x90, 0x4a, 0xe7, 0x91,
      0x98, 0x6d, 0x86, 0x68, 0x63, 0x7b, 0x9c, 0x9f, 0x77, 0x8c, 0x97, 0x68, 0x80, 0x65, 0x5f, 0x76,
      0xa1, 0x95,
  };
  block_q4_k a{};
  block_q6_k b{};
  REQUIRE(quantize(x, std::span<block_q4_k>(&a, 1)).ok());
  REQUIRE(quantize(x, std::span<block_q6_k>(&b, 1)).ok());
  const auto* pa = reinterpret_cast<const unsigned char*>(&a);
  const auto* pb = reinterpret_cast<const unsigned char*>(&b);
  for (std::size_t i = 0; i < sizeof a; ++i) CHECK_MESSAGE(pa[i] == q4k[i], "Q4_K byte " << i);
  for (std::size_t i = 0; i < sizeof b; ++i) CHECK_MESSAGE(pb[i] == q6k[i], "Q6_K byte " << i);
}

TEST_CASE("gguf: Q8_0 rounds half away from zero, Q4_0 truncates x/d + 8.5") {
  // amax 127 -> d = 1, id = 1: ties are exact.
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.5f;
  x[4] = -0.5f;
  block_q8_0 b{};
  REQUIRE(quantize(x, std::span<block_q8_0>(&b, 1)).ok());
  CHECK(b.qs[1] == 3);
  CHECK(b.qs[2] == -3);
  CHECK(b.qs[3] == 1);
  CHECK(b.qs[4] == -1);
  // Q4_0: m = -8 -> d = 1: code = trunc(x + 8.5): 0.5 -> 9, -0.5 -> 8 (half up)
  std::vector<float> z(32, 0.0f);
  z[0] = -8.0f;
  z[1] = 0.5f;
  z[2] = -0.5f;
  z[3] = 1.5f;
  block_q4_0 c{};
  REQUIRE(quantize(z, std::span<block_q4_0>(&c, 1)).ok());
  CHECK(c.d == 0x3C00);
  CHECK((c.qs[1] & 15) == 9);
  CHECK((c.qs[2] & 15) == 8);
  CHECK((c.qs[3] & 15) == 10);
}

TEST_CASE("gguf: Q4_0 / Q4_1 decode every nibble at every position, every fp16 scale") {
  for (std::uint32_t h = 0; h < 65536; ++h) {
    for (int rot = 0; rot < 2; ++rot) {
      int q[32];
      for (int j = 0; j < 32; ++j) q[j] = (j + rot * 7) % 16;
      block_q4_0 a{};
      a.d = static_cast<std::uint16_t>(h);
      pack_legacy_nibbles(q, a.qs);
      block_q4_1 b{};
      b.d = static_cast<std::uint16_t>(h);
      b.m = static_cast<std::uint16_t>(h ^ 0x8123);
      pack_legacy_nibbles(q, b.qs);
      float ya[32], yb[32];
      REQUIRE(dequantize(std::span<const block_q4_0>(&a, 1), ya).ok());
      REQUIRE(dequantize(std::span<const block_q4_1>(&b, 1), yb).ok());
      const float d = h2f(a.d), m = h2f(b.m);
      for (int j = 0; j < 32; ++j) {
        const float wa = static_cast<float>(static_cast<double>(q[j] - 8) * d);
        const float wb = static_cast<float>(static_cast<double>(static_cast<float>(static_cast<double>(q[j]) * d)) + m);
        if (!same(ya[j], wa) || !same(yb[j], wb)) {
          FAIL_CHECK("h=" << h << " j=" << j << " got " << ya[j] << "/" << yb[j] << " want " << wa << "/" << wb);
          return;
        }
      }
    }
  }
}

TEST_CASE("gguf: Q5_0 / Q5_1 decode every 5-bit code at every position") {
  for (std::uint16_t h : scale_codes()) {
    for (int rot = 0; rot < 32; ++rot) {
      int q[32];
      for (int j = 0; j < 32; ++j) q[j] = (j + rot) % 32;
      block_q5_0 a{};
      a.d = h;
      pack_legacy_nibbles(q, a.qs);
      pack_qh(q, a.qh);
      block_q5_1 b{};
      b.d = h;
      b.m = 0xC0A0;  // -2.3125
      pack_legacy_nibbles(q, b.qs);
      pack_qh(q, b.qh);
      float ya[32], yb[32];
      REQUIRE(dequantize(std::span<const block_q5_0>(&a, 1), ya).ok());
      REQUIRE(dequantize(std::span<const block_q5_1>(&b, 1), yb).ok());
      const float d = h2f(h), m = h2f(b.m);
      for (int j = 0; j < 32; ++j) {
        CHECK(same(ya[j], static_cast<float>(static_cast<double>(q[j] - 16) * d)));
        CHECK(same(yb[j], static_cast<float>(static_cast<double>(static_cast<float>(static_cast<double>(q[j]) * d)) + m)));
      }
    }
  }
}

TEST_CASE("gguf: Q8_0 / Q8_1 / Q8_K decode every int8 code") {
  for (std::uint16_t h : scale_codes()) {
    for (int base = 0; base < 256; base += 32) {
      block_q8_0 a{};
      block_q8_1 b{};
      a.d = b.d = h;
      for (int j = 0; j < 32; ++j) a.qs[j] = b.qs[j] = static_cast<std::int8_t>(base + j - 128);
      float ya[32], yb[32];
      REQUIRE(dequantize(std::span<const block_q8_0>(&a, 1), ya).ok());
      REQUIRE(dequantize(std::span<const block_q8_1>(&b, 1), yb).ok());
      for (int j = 0; j < 32; ++j) {
        const float w = static_cast<float>(static_cast<double>(base + j - 128) * h2f(h));
        CHECK(same(ya[j], w));
        CHECK(same(yb[j], w));
      }
    }
  }
  block_q8_k k{};
  k.d = 0.375f;
  for (int j = 0; j < 256; ++j) k.qs[j] = static_cast<std::int8_t>(j - 128);
  std::vector<float> y(256);
  REQUIRE(dequantize(std::span<const block_q8_k>(&k, 1), y).ok());
  for (int j = 0; j < 256; ++j) CHECK(y[j] == static_cast<float>(j - 128) * 0.375f);
}

TEST_CASE("gguf: Q4_K 6-bit scale/min packing, every value in every sub-block") {
  for (int j = 0; j < 8; ++j) {
    for (int v = 0; v < 64; ++v) {
      std::uint8_t sc[8], mn[8];
      for (int i = 0; i < 8; ++i) {
        sc[i] = static_cast<std::uint8_t>((i * 23 + 5) % 64);
        mn[i] = static_cast<std::uint8_t>((i * 41 + 17) % 64);
      }
      sc[j] = static_cast<std::uint8_t>(v);
      mn[j] = static_cast<std::uint8_t>(63 - v);
      std::uint8_t s[12] = {};
      set_scale_min_k4(sc, mn, s);
      // The layout, bit by bit: j < 4: s[j] = sc | (sc[j+4] >> 4) << 6, s[j+4] = m | (m[j+4] >> 4) << 6;
      // s[8 + i] = (sc[4+i] & 15) | (m[4+i] & 15) << 4.
      for (int i = 0; i < 4; ++i) {
        CHECK(s[i] == (sc[i] | ((sc[i + 4] >> 4) << 6)));
        CHECK(s[i + 4] == (mn[i] | ((mn[i + 4] >> 4) << 6)));
        CHECK(s[8 + i] == ((sc[4 + i] & 15) | ((mn[4 + i] & 15) << 4)));
      }
      for (int i = 0; i < 8; ++i) {
        std::uint8_t a, b;
        get_scale_min_k4(i, s, &a, &b);
        CHECK(a == sc[i]);
        CHECK(b == mn[i]);
      }
    }
  }
}

TEST_CASE("gguf: Q4_K decode every nibble with every sub-block scale and min") {
  for (int v = 0; v < 64; ++v) {
    block_q4_k b{};
    b.d = 0x2E66;     // 0.1
    b.dmin = 0x3555;  // 0.33325
    std::uint8_t sc[8], mn[8];
    for (int i = 0; i < 8; ++i) sc[i] = static_cast<std::uint8_t>((v + 9 * i) % 64), mn[i] = static_cast<std::uint8_t>((63 - v + 5 * i) % 64);
    set_scale_min_k4(sc, mn, b.scales);
    int q[256];
    for (int e = 0; e < 256; ++e) q[e] = (e + v) % 16;
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) b.qs[32 * c + l] = static_cast<std::uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
    std::vector<float> y(256);
    REQUIRE(dequantize(std::span<const block_q4_k>(&b, 1), y).ok());
    const float d = h2f(b.d), dm = h2f(b.dmin);
    for (int e = 0; e < 256; ++e) {
      const int j = e / 32;
      const float d1 = static_cast<float>(static_cast<double>(d) * sc[j]), m1 = static_cast<float>(static_cast<double>(dm) * mn[j]);
      const float want = static_cast<float>(static_cast<double>(static_cast<float>(static_cast<double>(d1) * q[e])) - m1);
      CHECK(same(y[static_cast<std::size_t>(e)], want));
    }
  }
}

TEST_CASE("gguf: Q6_K decode every 6-bit code at every position, every int8 scale") {
  for (int rot = 0; rot < 64; ++rot) {
    block_q6_k b{};
    b.d = 0x2E66;
    for (int i = 0; i < 16; ++i) b.scales[i] = static_cast<std::int8_t>((rot * 4 + i * 16) % 256 - 128);
    int q[256];
    for (int e = 0; e < 256; ++e) q[e] = (e + rot) % 64;
    pack_q6k(q, b);
    for (int e = 0; e < 256; ++e) CHECK(detail::q6_k_code(b, e) == q[e]);
    std::vector<float> y(256);
    REQUIRE(dequantize(std::span<const block_q6_k>(&b, 1), y).ok());
    for (int e = 0; e < 256; ++e) {
      const float ds = static_cast<float>(static_cast<double>(h2f(b.d)) * b.scales[e / 16]);
      CHECK(same(y[static_cast<std::size_t>(e)], static_cast<float>(static_cast<double>(ds) * (q[e] - 32))));
    }
  }
}

TEST_CASE("gguf: legacy decode(quantize(x)) error <= d/2 (+ fp16 rounding of d), re-quantize is a fixed point") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const float sigma = std::ldexp(1.0f, static_cast<int>(rng() % 24) - 15);  // d stays below 65504
    auto x = gguf_test::gauss(rng, 64, sigma);
    if (trial % 7 == 0) x[rng() % 64] *= 20.0f;  // an outlier
    std::vector<float> y(64), y2(64);
    auto check_legacy = [&](auto tag, double code_span) {
      using B = decltype(tag);
      std::vector<B> q(2), q2(2);
      REQUIRE(quantize(x, std::span<B>(q)).ok());
      REQUIRE(dequantize(std::span<const B>(q), y).ok());
      for (int b = 0; b < 2; ++b) {
        const double d = std::fabs(static_cast<double>(h2f(q[b].d)));
        for (int j = 0; j < 32; ++j) {
          const double e = std::fabs(static_cast<double>(x[32 * b + j]) - y[32 * b + j]);
          // codes come from the float32 d: the fp16 rounding of d moves a
          // decoded value by up to code_span * 2^-11 d.
          // (fp16 subnormals: an absolute rounding error of up to 2^-25).
          const double dround = std::fmax(d * std::ldexp(1.0, -11), std::ldexp(1.0, -25));
          const double bound = 0.5 * d + code_span * dround + 1e-6 * d;
          if constexpr (std::is_same_v<B, block_q4_0> || std::is_same_v<B, block_q5_0>) {
            // +8d (+16d) is not representable: up to one step more at the positive end.
            const double top = (std::is_same_v<B, block_q4_0> ? 7.5 : 15.5) * d;
            const double xs = static_cast<double>(x[32 * b + j]) * (h2f(q[b].d) < 0 ? -1.0 : 1.0);
            if (xs > top) {
              CHECK(e <= d + code_span * dround + 1e-6 * d);
              continue;
            }
          }
          CHECK(e <= bound);
        }
      }
      REQUIRE(quantize(y, std::span<B>(q2)).ok());
      CHECK(std::memcmp(q.data(), q2.data(), sizeof(B) * 2) == 0);
    };
    check_legacy(block_q4_0{}, 8);
    check_legacy(block_q4_1{}, 15);
    check_legacy(block_q5_0{}, 16);
    check_legacy(block_q5_1{}, 31);
    check_legacy(block_q8_0{}, 127);
  }
}

TEST_CASE("gguf: K-quants round-trip accuracy and Q8_K bsums") {
  std::mt19937 rng(5);
  double e4 = 0, e6 = 0, ek = 0, sx = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const auto x = gguf_test::gauss(rng, 512, 0.02f);
    std::vector<block_q4_k> a(2);
    std::vector<block_q6_k> b(2);
    std::vector<block_q8_k> c(2);
    REQUIRE(quantize(x, std::span<block_q4_k>(a)).ok());
    REQUIRE(quantize(x, std::span<block_q6_k>(b)).ok());
    REQUIRE(quantize(x, std::span<block_q8_k>(c)).ok());
    std::vector<float> ya(512), yb(512), yc(512);
    REQUIRE(dequantize(std::span<const block_q4_k>(a), ya).ok());
    REQUIRE(dequantize(std::span<const block_q6_k>(b), yb).ok());
    REQUIRE(dequantize(std::span<const block_q8_k>(c), yc).ok());
    for (int i = 0; i < 512; ++i) {
      sx += static_cast<double>(x[i]) * x[i];
      e4 += (x[i] - ya[i]) * static_cast<double>(x[i] - ya[i]);
      e6 += (x[i] - yb[i]) * static_cast<double>(x[i] - yb[i]);
      ek += (x[i] - yc[i]) * static_cast<double>(x[i] - yc[i]);
    }
    for (const auto& blk : c) {
      for (int j = 0; j < 16; ++j) {
        int s = 0;
        for (int i = 0; i < 16; ++i) s += blk.qs[16 * j + i];
        CHECK(blk.bsums[j] == s);
      }
      // Q8_K: the value of largest magnitude maps to -127 exactly.
      int mn = 0;
      for (int i = 0; i < 256; ++i) mn = blk.qs[i] < mn ? blk.qs[i] : mn;
      CHECK(mn == -127);
    }
  }
  const double sqnr4 = 10 * std::log10(sx / e4), sqnr6 = 10 * std::log10(sx / e6), sqnrk = 10 * std::log10(sx / ek);
  MESSAGE("SQNR Q4_K " << sqnr4 << " dB, Q6_K " << sqnr6 << " dB, Q8_K " << sqnrk << " dB");
  CHECK(sqnr4 > 19.0);
  CHECK(sqnr6 > 30.0);
  CHECK(sqnrk > 40.0);
  CHECK(sqnr6 > sqnr4 + 9.0);
}

TEST_CASE("gguf: all-zero blocks") {
  std::vector<float> x(256, 0.0f);
  block_q4_0 a{};
  REQUIRE(quantize(std::span<const float>(x.data(), 32), std::span<block_q4_0>(&a, 1)).ok());
  CHECK(a.d == 0x8000);  // d = 0 / -8 = -0, as in ggml
  for (auto v : a.qs) CHECK(v == 0x88);
  block_q8_0 b{};
  REQUIRE(quantize(std::span<const float>(x.data(), 32), std::span<block_q8_0>(&b, 1)).ok());
  CHECK(b.d == 0);
  block_q6_k c;
  std::memset(&c, 0xAB, sizeof c);
  REQUIRE(quantize(x, std::span<block_q6_k>(&c, 1)).ok());
  const auto* p = reinterpret_cast<const unsigned char*>(&c);
  for (std::size_t i = 0; i < sizeof c; ++i) CHECK(p[i] == 0);
  block_q4_k k{};
  REQUIRE(quantize(x, std::span<block_q4_k>(&k, 1)).ok());
  CHECK(k.d == 0);
  CHECK(k.dmin == 0);
  block_q8_k q;
  std::memset(&q, 0xAB, sizeof q);
  REQUIRE(quantize(x, std::span<block_q8_k>(&q, 1)).ok());
  CHECK(q.d == 0.0f);
  for (auto s : q.bsums) CHECK(s == 0);
}

TEST_CASE("gguf: fp16 overflow of d gives Inf like ggml") {
  std::vector<float> x(32, 1.0f);
  x[3] = -1.0e6f;  // d = 125000 > 65504
  block_q4_0 a{};
  REQUIRE(quantize(x, std::span<block_q4_0>(&a, 1)).ok());
  CHECK(a.d == 0x7C00);
  CHECK((a.qs[3] & 15) == 0);
}

TEST_CASE("gguf: bad arguments name the argument") {
  std::vector<float> x(64, 1.0f), y(64);
  std::vector<block_q4_0> q(2);
  auto st = quantize(std::span<const float>(x.data(), 33), std::span<block_q4_0>(q.data(), 1));
  CHECK(st.code() == qmath::errc::invalid_argument);
  CHECK(st.argument() == "x");
  st = quantize(x, std::span<block_q4_0>(q.data(), 1));
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "out");
  x[40] = std::numeric_limits<float>::quiet_NaN();
  q[1].d = 0x1234;
  st = quantize(x, std::span<block_q4_0>(q));
  CHECK(st.code() == qmath::errc::non_finite);
  CHECK(st.argument() == "x");
  CHECK(st.index() == 40);
  CHECK(q[1].d == 0x1234);  // nothing written
  x[40] = std::numeric_limits<float>::infinity();
  std::vector<block_q4_k> k(1);
  std::vector<float> xk(256, 0.5f);
  xk[255] = -std::numeric_limits<float>::infinity();
  st = quantize(xk, std::span<block_q4_k>(k));
  CHECK(st.code() == qmath::errc::non_finite);
  CHECK(st.index() == 255);
  st = quantize(std::span<const float>(static_cast<const float*>(nullptr), 32), std::span<block_q4_0>(q.data(), 1));
  CHECK(st.code() == qmath::errc::invalid_argument);
  CHECK(st.argument() == "x");
  st = dequantize(std::span<const block_q4_0>(q), std::span<float>(y.data(), 63));
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "out");
  st = dequantize(std::span<const block_q6_k>(static_cast<const block_q6_k*>(nullptr), 1), std::span<float>(y.data(), 0));
  CHECK(st.code() == qmath::errc::invalid_argument);
  CHECK(st.argument() == "in");
  CHECK(quantize(std::span<const float>(), std::span<block_q8_k>()).ok());
}
