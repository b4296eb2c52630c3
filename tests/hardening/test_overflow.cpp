// Overflow limits: the K bound of exact int32 GEMM accumulation, tested at
// and one past the boundary with worst-case values on every ISA level, and
// 64-bit index arithmetic on layouts of more than 2^31 (and 2^32) elements,
// exercised through the index paths alone (no gigabyte allocations).
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "qmath/calibrate/partition.hpp"
#include "qmath/core/qparams.hpp"
#include "qmath/gemm/gemm.hpp"
#include "qmath/quantize/pack.hpp"
#include "qmath/quantize/quantize.hpp"
#include "qmath/simd/isa.hpp"

namespace {

std::vector<qmath::isa> levels() {
  std::vector<qmath::isa> v;
  for (int l = 0; l < qmath::isa_count; ++l) {
    const auto li = static_cast<qmath::isa>(l);
    if (qmath::isa_is_native_family(li) && qmath::cpu_supports(li)) v.push_back(li);
  }
  return v;
}

struct cap_guard {
  qmath::isa saved = qmath::max_isa();
  ~cap_guard() { (void)qmath::set_max_isa(saved); }
};

/// C = A x B for constant A (M x K, value av, zero point za) and constant B
/// (K x N, value bv, zero point zb): every element is K * (av - za) * (bv - zb).
/// Checks the int32 stage (saturated to int32 beyond the range) and the
/// float stage (exact accumulator, rounded once) on every level, M = 1
/// (GEMV path) and M = 9 (blocked path).
template <class TA, class TB>
void check_constant(std::size_t K, int av, int za, int bv, int zb) {
  const std::int64_t exact = static_cast<std::int64_t>(K) * (av - za) * (bv - zb);
  const std::int64_t lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
  const std::int32_t want32 = static_cast<std::int32_t>(exact < lo ? lo : exact > hi ? hi : exact);
  const float wantf = static_cast<float>(exact);
  const std::size_t N = 17;
  std::vector<TB> b(K * N, static_cast<TB>(bv));
  std::vector<std::int32_t> zbv{zb};
  auto pw = qmath::pack_weights(qmath::matrix_view<TB>{b, K, N}, zbv);
  REQUIRE(pw.has_value());
  cap_guard g;
  for (std::size_t M : {std::size_t{1}, std::size_t{9}}) {
    std::vector<TA> a(M * K, static_cast<TA>(av));
    for (qmath::isa l : levels()) {
      REQUIRE(qmath::set_max_isa(l).ok());
      std::vector<std::int32_t> c(M * N);
      REQUIRE(qmath::gemm(qmath::matrix_view<TA>{a, M, K}, za, *pw, qmath::matrix_span<std::int32_t>{c, M, N},
                          qmath::output_int32{})
                  .ok());
      std::vector<float> cf(M * N);
      const float one = 1.0f;
      REQUIRE(qmath::gemm(qmath::matrix_view<TA>{a, M, K}, za, *pw, qmath::matrix_span<float>{cf, M, N},
                          qmath::output_dequantize{{&one, 1}, {&one, 1}})
                  .ok());
      INFO("level " << qmath::to_string(l) << " M=" << M << " K=" << K << " exact=" << exact);
      bool ok32 = true, okf = true;
      for (std::size_t i = 0; i < M * N; ++i) {
        ok32 = ok32 && c[i] == want32;
        okf = okf && cf[i] == wantf;
      }
      CHECK(ok32);
      CHECK(okf);
    }
  }
}

}  // namespace

TEST_CASE("overflow: general K bound 33025 (uint8 weights / int8 weights with zero points)") {
  constexpr std::size_t K = qmath::gemm_max_exact_k_int32;
  static_assert(K * 65025 <= 2147483647u && (K + 1) * 65025 > 2147483647u);
  // |(A - za)(B - zb)| = 255 * 255 at every k: the largest product there is.
  check_constant<std::uint8_t, std::uint8_t>(K, 255, 0, 255, 0);      // +65025 * K: fits
  check_constant<std::uint8_t, std::uint8_t>(K + 1, 255, 0, 255, 0);  // one past: saturates in int32
  check_constant<std::uint8_t, std::uint8_t>(K, 0, 255, 255, 0);      // -65025 * K: fits
  check_constant<std::uint8_t, std::uint8_t>(K + 1, 0, 255, 255, 0);
  check_constant<std::int8_t, std::int8_t>(K, 127, -128, -128, 127);  // int8 weights with a zero point
  check_constant<std::int8_t, std::int8_t>(K + 1, 127, -128, -128, 127);
}

TEST_CASE("overflow: symmetric int8 weight K bound 65793") {
  constexpr std::size_t K = qmath::gemm_max_exact_k_int32_symmetric;
  static_assert(K * 32640 <= 2147483647u && (K + 1) * 32640 > 2147483647u);
  // |(A - za) * B| <= 255 * 128 with zb = 0.
  check_constant<std::uint8_t, std::int8_t>(K, 255, 0, -128, 0);  // -32640 * K: fits
  check_constant<std::uint8_t, std::int8_t>(K + 1, 255, 0, -128, 0);
  check_constant<std::uint8_t, std::int8_t>(K, 0, 255, -128, 0);  // +32640 * K: fits
  check_constant<std::uint8_t, std::int8_t>(K + 1, 0, 255, -128, 0);
  check_constant<std::int8_t, std::int8_t>(K + 1, -128, 127, -128, 0);
}

TEST_CASE("overflow: beyond one 32768-block the int64 sum stays exact") {
  // 3 blocks of 32768 plus a tail; |acc| ~ 6.4e9 needs 33 bits.
  check_constant<std::uint8_t, std::uint8_t>(3 * 32768 + 5, 255, 0, 255, 0);
}

TEST_CASE("overflow: layouts of more than 2^32 elements use 64-bit index arithmetic") {
  // A [3, 2^31 + 5, 2] tensor (2^33 + 30 elements) grouped along axis 1.
  const std::size_t big = (std::size_t{1} << 31) + 5;
  const std::size_t shape[3] = {3, big, 2};
  auto pl = qmath::make_param_layout(shape, 1, 1, qmath::granularity_kind::per_channel);
  REQUIRE(pl.has_value());
  CHECK(pl->layout.size() == 3 * big * 2);
  CHECK(pl->param_count() == big);
  // Segments of a range far above 2^32: every element gets the entry
  // (i / inner) % channels, computed without touching any memory.
  const std::size_t b = 2 * big * 2 + 7, e = b + 9;  // in the last outer slice
  std::vector<std::pair<std::size_t, std::size_t>> seen;
  auto check_entry = [&](std::size_t i, std::size_t len, std::size_t entry) {
    for (std::size_t j = 0; j < len; ++j) seen.emplace_back(i + j, entry);
  };
  qmath::detail::for_each_segment(
      *pl, b, e, check_entry,
      [&](std::size_t i, std::size_t len, std::size_t off) {
        for (std::size_t j = 0; j < len; ++j) seen.emplace_back(i + j, off + j);
      },
      [&](std::size_t, std::size_t, std::size_t, std::size_t) { FAIL("no group path for per-channel"); });
  REQUIRE(seen.size() == 9);
  for (const auto& [i, entry] : seen) CHECK(entry == (i / 2) % big);
  // Per group along the last axis of [2^32 + 3, 64] with groups of 32:
  // entries are i / 32, beyond 2^32.
  const std::size_t rows = (std::size_t{1} << 32) + 3;
  const std::size_t gshape[2] = {rows, 64};
  auto gl = qmath::make_param_layout(gshape, 1, 32, qmath::granularity_kind::per_group);
  REQUIRE(gl.has_value());
  CHECK(gl->param_count() == rows * 2);
  const std::size_t gb = (rows - 1) * 64 + 30;
  bool called = false;
  qmath::detail::for_each_segment(
      *gl, gb, gb + 10, [&](std::size_t, std::size_t, std::size_t) { FAIL("unexpected run"); },
      [&](std::size_t, std::size_t, std::size_t) { FAIL("unexpected vec"); },
      [&](std::size_t i, std::size_t len, std::size_t entry, std::size_t off) {
        called = true;
        CHECK(i == gb);
        CHECK(len == 10);
        CHECK(entry == gb / 32);
        CHECK(off == gb % 32);
        CHECK(entry == (rows - 1) * 2);
      });
  CHECK(called);
  // Per group along axis 0 of [2^31 + 2, 3] (inner = 3): entry (c / G) * 3 + t.
  const std::size_t g0shape[2] = {(std::size_t{1} << 31) + 2, 3};
  auto g0 = qmath::make_param_layout(g0shape, 0, 2, qmath::granularity_kind::per_group);
  REQUIRE(g0.has_value());
  const std::size_t g0b = ((std::size_t{1} << 31) + 1) * 3;  // row 2^31 + 1, t = 0
  std::vector<std::pair<std::size_t, std::size_t>> gseen;
  qmath::detail::for_each_segment(
      *g0, g0b, g0b + 3, [&](std::size_t, std::size_t, std::size_t) { FAIL("unexpected run"); },
      [&](std::size_t i, std::size_t len, std::size_t off) {
        for (std::size_t j = 0; j < len; ++j) gseen.emplace_back(i + j, off + j);
      },
      [&](std::size_t, std::size_t, std::size_t, std::size_t) { FAIL("unexpected grp"); });
  REQUIRE(gseen.size() == 3);
  for (const auto& [i, entry] : gseen) CHECK(entry == ((i / 3) / 2) * 3 + i % 3);
  // Calibration partitions of such shapes: slot arithmetic in size_t.
  auto part = qmath::partition::per_group(gshape, 1, 32);
  REQUIRE(part.has_value());
  CHECK(part->slots() == rows * 2);
  CHECK(part->numel() == rows * 64);
  // Packed byte counts for > 2^32 codes, and the sub-byte stream position of
  // the fused kernels (i / 8 * bits) for a chunk start beyond 2^32.
  CHECK(qmath::packed_size(rows * 64, 4) == rows * 32);
  CHECK(qmath::packed_size((std::size_t{1} << 33) + 1, 3) == (std::size_t{3} << 30) + 1);
  // A shape whose element count does not fit in size_t is rejected.
  const std::size_t over[3] = {std::size_t{1} << 40, std::size_t{1} << 20, 1 << 5};
  CHECK(qmath::make_axis_layout(over, 0).error().code() == qmath::errc::out_of_range);
}
