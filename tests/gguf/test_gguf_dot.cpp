// GGUF dot products: every dispatch level bit-exact against the scalar
// level, against an independent double reference, matvec and threads,
// argument checks.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <ios>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "qmath/gguf/dot.hpp"
#include "qmath/gguf/quantize.hpp"
#include "test_support.hpp"

namespace {

using namespace qmath::gguf;
using gguf_test::bits;
using gguf_test::cap_guard;
using gguf_test::h2f;
using gguf_test::runnable_levels;
using gguf_test::same;
using qmath::isa;

template <class X> struct vec_of;
template <> struct vec_of<block_q4_0> { using type = block_q8_0; };
template <> struct vec_of<block_q4_1> { using type = block_q8_1; };
template <> struct vec_of<block_q5_0> { using type = block_q8_0; };
template <> struct vec_of<block_q5_1> { using type = block_q8_1; };
template <> struct vec_of<block_q8_0> { using type = block_q8_0; };
template <> struct vec_of<block_q4_k> { using type = block_q8_k; };
template <> struct vec_of<block_q6_k> { using type = block_q8_k; };

/// Random block bytes (any content is legal input), with fp16 fields drawn
/// from `hd` (finite scales unless told otherwise).
template <class B>
void randomize(std::mt19937& rng, B& b, int mode) {
  auto* p = reinterpret_cast<unsigned char*>(&b);
  for (std::size_t i = 0; i < sizeof b; ++i) p[i] = static_cast<unsigned char>(rng());
  auto scale = [&]() -> std::uint16_t {
    switch (mode) {
      case 1: return 0x7BFF;  // largest
      case 2: return static_cast<std::uint16_t>(rng() % 0x400);  // subnormal
      case 3: return static_cast<std::uint16_t>(0xFBFF);
      default: return static_cast<std::uint16_t>((rng() % 0x3000 + 0x0800) | (rng() & 0x8000));
    }
  };
  if constexpr (requires { b.d = std::uint16_t{}; } && !std::is_same_v<B, block_q8_k>) b.d = scale();
  if constexpr (requires { b.m; }) b.m = scale();
  if constexpr (requires { b.s; }) b.s = scale();
  if constexpr (requires { b.dmin; }) b.dmin = scale();
  if constexpr (std::is_same_v<B, block_q8_k>) {
    b.d = mode == 1 ? 3.0e4f : std::ldexp(static_cast<float>(rng() % 1000 + 1), -static_cast<int>(rng() % 20));
    if (rng() % 2) b.d = -b.d;
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int i = 0; i < 16; ++i) s += b.qs[16 * j + i];
      b.bsums[j] = static_cast<std::int16_t>(s);
    }
  }
}

/// Every code at its maximum (hi) or minimum (!hi).
template <class B>
void extreme(B& b, bool hi) {
  if constexpr (requires { b.qs; } && !std::is_same_v<B, block_q8_k>) {
    using E = std::remove_reference_t<decltype(b.qs[0])>;
    for (auto& v : b.qs) v = static_cast<E>(std::is_signed_v<E> ? (hi ? 127 : -128) : (hi ? 0xFF : 0));
  }
  if constexpr (requires { b.qh; }) for (auto& v : b.qh) v = hi ? 0xFF : 0;
  if constexpr (requires { b.ql; }) for (auto& v : b.ql) v = hi ? 0xFF : 0;
  if constexpr (std::is_same_v<B, block_q4_k>) for (auto& v : b.scales) v = 0xFF;
  if constexpr (std::is_same_v<B, block_q6_k>) for (auto& v : b.scales) v = hi ? 127 : -128;
  if constexpr (std::is_same_v<B, block_q8_k>) {
    for (auto& v : b.qs) v = hi ? 127 : -128;
    for (auto& v : b.bsums) v = static_cast<std::int16_t>(hi ? 16 * 127 : -16 * 128);
  }
}

/// Exact (double) value of the definition's per-block parts, for the tolerance.
template <class X, class Y>
void reference(const std::vector<X>& x, const std::vector<Y>& y, double* value, double* magnitude) {
  const std::size_t n = block_elements<X> * x.size();
  std::vector<float> dx(n), dy(n);
  REQUIRE(dequantize(std::span<const X>(x), dx).ok());
  REQUIRE(dequantize(std::span<const Y>(y), dy).ok());
  double v = 0, mag = 0;
  for (std::size_t i = 0; i < n; ++i) {
    v += static_cast<double>(dx[i]) * dy[i];
    mag += std::fabs(static_cast<double>(dx[i]) * dy[i]);
  }
  // Components that cancel in dx (q*d - m) or are rounded in the format (Q8_1's s).
  for (std::size_t b = 0; b < x.size(); ++b) {
    if constexpr (std::is_same_v<Y, block_q8_1>) {
      double sa = 0;
      for (int j = 0; j < 32; ++j) sa += y[b].qs[j];
      const double m = h2f(x[b].m), dyb = h2f(y[b].d);
      mag += std::fabs(m * dyb * sa) + std::fabs(m * h2f(y[b].s)) * 2.0;
      v += m * (static_cast<double>(h2f(y[b].s)) - dyb * sa);  // the definition uses s_y
      for (int j = 0; j < 32; ++j) mag += std::fabs(static_cast<double>(h2f(x[b].d)) * 31 * y[b].qs[j] * dyb);
    }
    if constexpr (std::is_same_v<X, block_q4_k>) {
      for (int e = 0; e < 256; ++e) {
        std::uint8_t sc, m;
        get_scale_min_k4(e / 32, x[b].scales, &sc, &m);
        mag += (std::fabs(static_cast<double>(h2f(x[b].d)) * sc * 15) + std::fabs(static_cast<double>(h2f(x[b].dmin)) * m)) *
               std::fabs(static_cast<double>(y[b].d) * y[b].qs[e]);
      }
    }
  }
  *value = v;
  *magnitude = mag;
}

template <class X>
void check_pair(std::mt19937& rng, std::size_t nb, int mode, int ext) {
  using Y = typename vec_of<X>::type;
  std::vector<X> x(nb);
  std::vector<Y> y(nb);
  for (auto& b : x) randomize(rng, b, mode);
  for (auto& b : y) randomize(rng, b, mode == 1 ? 1 : 0);
  if (ext) {
    for (auto& b : x) extreme(b, ext == 1);
    for (auto& b : y) extreme(b, ext == 1 ? (rng() % 2) : false);
  }
  cap_guard g;
  (void)qmath::set_max_isa(isa::scalar);
  auto r0 = dot(std::span<const X>(x), std::span<const Y>(y));
  REQUIRE(r0.has_value());
  const float want = *r0;
  for (isa l : runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l).ok());
    CHECK(kernel_level() == l);
    const float got = *dot(std::span<const X>(x), std::span<const Y>(y));
    if (!same(got, want)) {
      FAIL_CHECK("level " << qmath::to_string(l) << " nb " << nb << " mode " << mode << " ext " << ext << ": got "
                          << got << " (0x" << std::hex << bits(got) << ") want " << want << " (0x" << bits(want) << ")");
    }
  }
  if (mode == 0 || mode == 2) {
    double v, mag;
    reference(x, y, &v, &mag);
    const double tol = std::ldexp(mag, -20) * (static_cast<double>(nb) / 8.0 + 8.0) + 1e-30;
    CHECK_MESSAGE(std::fabs(static_cast<double>(want) - v) <= tol, "nb " << nb << " got " << want << " ref " << v << " tol " << tol);
  }
}

template <class X>
void check_all(std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (std::size_t nb = 1; nb <= 40; ++nb) check_pair<X>(rng, nb, 0, 0);
  for (std::size_t nb : {64u, 128u, 131u, 512u, 517u, 1100u}) check_pair<X>(rng, nb, 0, 0);  // > 512: pieces
  for (int mode = 1; mode <= 3; ++mode)
    for (std::size_t nb : {1u, 7u, 8u, 9u, 17u}) check_pair<X>(rng, nb, mode, 0);
  for (int ext = 1; ext <= 2; ++ext)
    for (std::size_t nb : {1u, 8u, 13u}) check_pair<X>(rng, nb, rng() % 2 ? 1 : 0, ext);
}

}  // namespace

TEST_CASE("gguf dot: Q4_0 . Q8_0 bit-exact on every level") { check_all<block_q4_0>(1); }
TEST_CASE("gguf dot: Q4_1 . Q8_1 bit-exact on every level") { check_all<block_q4_1>(2); }
TEST_CASE("gguf dot: Q5_0 . Q8_0 bit-exact on every level") { check_all<block_q5_0>(3); }
TEST_CASE("gguf dot: Q5_1 . Q8_1 bit-exact on every level") { check_all<block_q5_1>(4); }
TEST_CASE("gguf dot: Q8_0 . Q8_0 bit-exact on every level") { check_all<block_q8_0>(5); }
TEST_CASE("gguf dot: Q4_K . Q8_K bit-exact on every level") { check_all<block_q4_k>(6); }
TEST_CASE("gguf dot: Q6_K . Q8_K bit-exact on every level") { check_all<block_q6_k>(7); }

TEST_CASE("gguf dot: the definition's summation order, by hand") {
  // 9 blocks of Q8_0 . Q8_0 with one non-zero product each: t_b known exactly.
  std::vector<block_q8_0> x(9), y(9);
  const float vals[9] = {1.0e8f, 1.0f, -1.0e8f, 3.0f, 0.5f, 7.0f, -2.0f, 1.0f, 1.0e-3f};
  for (int b = 0; b < 9; ++b) {
    std::memset(&x[b], 0, sizeof x[b]);
    std::memset(&y[b], 0, sizeof y[b]);
    x[b].qs[0] = 1;
    y[b].qs[0] = 1;
    y[b].d = 0x3C00;
  }
  // t_b = d_x exactly for representable fp16 d_x; use fp16 values instead of vals
  float t[9];
  for (int b = 0; b < 9; ++b) {
    x[b].d = qmath::formats::fp16_from_float(vals[b] > 6.0e4f ? 6.0e4f : (vals[b] < -6.0e4f ? -6.0e4f : vals[b]));
    t[b] = h2f(x[b].d);
  }
  float f[8] = {};
  for (int b = 0; b < 9; ++b) f[b % 8] += t[b];
  const float want = ((f[0] + f[4]) + (f[2] + f[6])) + ((f[1] + f[5]) + (f[3] + f[7]));
  cap_guard g;
  for (isa l : runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l).ok());
    CHECK(bits(*dot(std::span<const block_q8_0>(x), std::span<const block_q8_0>(y))) == bits(want));
  }
}

TEST_CASE("gguf dot: quantized activations, matvec = rows of dot, threads change nothing") {
  std::mt19937 rng(9);
  const std::size_t rows = 37, n = 512;
  const auto w = gguf_test::gauss(rng, rows * n, 0.05f);
  const auto a = gguf_test::gauss(rng, n, 1.0f);
  std::vector<block_q4_k> wq(rows * n / 256);
  std::vector<block_q8_k> aq(n / 256);
  std::vector<block_q4_0> w0(rows * n / 32);
  std::vector<block_q8_0> a0(n / 32);
  REQUIRE(quantize(w, std::span<block_q4_k>(wq)).ok());
  REQUIRE(quantize(a, std::span<block_q8_k>(aq)).ok());
  REQUIRE(quantize(w, std::span<block_q4_0>(w0)).ok());
  REQUIRE(quantize(a, std::span<block_q8_0>(a0)).ok());
  cap_guard g;
  for (isa l : runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l).ok());
    std::vector<float> o1(rows), o3(rows), o0(rows);
    REQUIRE(matvec(std::span<const block_q4_k>(wq), rows, std::span<const block_q8_k>(aq), o1, 1).ok());
    REQUIRE(matvec(std::span<const block_q4_k>(wq), rows, std::span<const block_q8_k>(aq), o3, 3).ok());
    REQUIRE(matvec(std::span<const block_q4_0>(w0), rows, std::span<const block_q8_0>(a0), o0, 0).ok());
    for (std::size_t r = 0; r < rows; ++r) {
      const float d = *dot(std::span<const block_q4_k>(wq.data() + r * 2, 2), std::span<const block_q8_k>(aq));
      CHECK(bits(o1[r]) == bits(d));
      CHECK(bits(o3[r]) == bits(d));
      const float d0 = *dot(std::span<const block_q4_0>(w0.data() + r * 16, 16), std::span<const block_q8_0>(a0));
      CHECK(bits(o0[r]) == bits(d0));
      // and close to the float product
      double exact = 0, mag = 0;
      for (std::size_t i = 0; i < n; ++i) exact += static_cast<double>(w[r * n + i]) * a[i], mag += std::fabs(static_cast<double>(w[r * n + i]) * a[i]);
      CHECK(std::fabs(o1[r] - exact) <= 0.1 * mag);
    }
  }
}

TEST_CASE("gguf dot: empty, Inf and NaN scales") {
  CHECK(bits(*dot(std::span<const block_q4_0>(), std::span<const block_q8_0>())) == 0u);
  std::vector<block_q8_0> x(3), y(3);
  std::memset(x.data(), 0, sizeof(block_q8_0) * 3);
  std::memset(y.data(), 0, sizeof(block_q8_0) * 3);
  for (auto& b : x) b.qs[5] = 3, b.d = 0x3C00;
  for (auto& b : y) b.qs[5] = -2, b.d = 0x3C00;
  x[1].d = 0x7C00;  // +Inf
  cap_guard g;
  for (isa l : runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l).ok());
    CHECK(*dot(std::span<const block_q8_0>(x), std::span<const block_q8_0>(y)) == -std::numeric_limits<float>::infinity());
    x[2].d = 0x7E01;  // NaN
    CHECK(std::isnan(*dot(std::span<const block_q8_0>(x), std::span<const block_q8_0>(y))));
    x[2].d = 0x3C00;
  }
}

TEST_CASE("gguf dot: fp16 decoding in the kernels matches float_from_fp16 on all 65536 codes") {
  // Q8_0 . Q8_0 with one product 1 * 1 and d_y = 1: the result is d_x.
  cap_guard g;
  std::vector<block_q8_0> x(1), y(1);
  std::memset(x.data(), 0, sizeof(block_q8_0));
  std::memset(y.data(), 0, sizeof(block_q8_0));
  x[0].qs[0] = 1;
  y[0].qs[0] = 1;
  y[0].d = 0x3C00;
  for (isa l : runnable_levels()) {
    REQUIRE(qmath::set_max_isa(l).ok());
    std::vector<block_q8_0> xs(8, x[0]), ys(8, y[0]);
    for (std::uint32_t h = 0; h < 65536; h += 8) {
      for (int k = 0; k < 8; ++k) {
        // one block at a time through each lane of the 8-block path: the others are zero
        for (int i = 0; i < 8; ++i) xs[i].d = i == k ? static_cast<std::uint16_t>(h + k) : 0;
        const float got = *dot(std::span<const block_q8_0>(xs), std::span<const block_q8_0>(ys));
        const float want = h2f(static_cast<std::uint16_t>(h + k)) + 0.0f;
        if (!same(got, want)) {
          FAIL_CHECK("level " << qmath::to_string(l) << " h=0x" << std::hex << (h + k));
          return;
        }
      }
    }
  }
}

TEST_CASE("gguf dot: bad arguments name the argument") {
  std::vector<block_q4_0> w(6);
  std::vector<block_q8_0> v(3);
  std::vector<float> out(2);
  auto r = dot(std::span<const block_q4_0>(w.data(), 2), std::span<const block_q8_0>(v));
  REQUIRE(!r.has_value());
  CHECK(r.error().code() == qmath::errc::size_mismatch);
  CHECK(r.error().argument() == "y");
  auto st = matvec(std::span<const block_q4_0>(w.data(), 5), 2, std::span<const block_q8_0>(v), out);
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "w");
  st = matvec(std::span<const block_q4_0>(w), 2, std::span<const block_q8_0>(v), std::span<float>(out.data(), 1));
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "out");
  st = matvec(std::span<const block_q4_0>(w), 2, std::span<const block_q8_0>(static_cast<const block_q8_0*>(nullptr), 3), out);
  CHECK(st.code() == qmath::errc::invalid_argument);
  CHECK(st.argument() == "v");
  st = matvec(std::span<const block_q4_0>(w), std::numeric_limits<std::size_t>::max() / 2, std::span<const block_q8_0>(v), out);
  CHECK(st.code() == qmath::errc::size_mismatch);
  CHECK(st.argument() == "w");
}
