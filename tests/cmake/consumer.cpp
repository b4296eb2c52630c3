// The program every consumer project under tests/cmake/ builds: it includes
// qmath the way a user does, calls into it and checks the results.
//
//   consumer [all | <level>...]
//
// The arguments say which dispatch units the build linked: "all" (the CMake
// helper qmath_add_dispatch() with its default levels) or the levels of units
// compiled by hand. Levels this translation unit's own flags allow are
// registered by self-registration in any case. For every cap the CPU
// supports, the program then checks that dispatch picks exactly the best
// linked level under the cap, and that the dispatched kernel computes the
// reference result. Exit code 0 = every check held.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "qmath/qmath.hpp"
#include "qmath/simd/probe.hpp"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

std::string name(qmath::isa l) { return std::string(qmath::to_string(l)); }

}  // namespace

int main(int argc, char** argv) {
  using qmath::isa;
  namespace self = qmath::kernel::QMATH_TARGET_NS;

  // Which levels are linked: this unit's own levels, plus the dispatch units.
  bool linked[qmath::isa_count] = {};
  for (int i = 0; i < qmath::isa_count; ++i) linked[i] = self::target_implies(static_cast<isa>(i));
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "all") == 0) {
      for (int i = 0; i < qmath::isa_count; ++i) linked[i] = linked[i] || qmath::isa_is_native_family(static_cast<isa>(i));
    } else if (const auto l = qmath::parse_isa(argv[a])) {
      linked[static_cast<int>(*l)] = true;
    } else {
      std::printf("usage: consumer [all | level...]: unknown level '%s'\n", argv[a]);
      return 2;
    }
  }

  std::printf("qmath %d.%d.%d; this unit: %s; CPU: %s; active: %s\n", QMATH_VERSION_MAJOR, QMATH_VERSION_MINOR,
              QMATH_VERSION_PATCH, name(self::target_level).c_str(), name(qmath::detected_isa()).c_str(),
              name(qmath::active_isa()).c_str());
  check(qmath::version == QMATH_VERSION, "qmath::version matches QMATH_VERSION");

  // Inputs over the full uint8 x int8 range; the reference is plain C++ here.
  std::uint8_t a[16];
  std::int8_t b[16];
  std::int32_t expected_dot = 0;
  for (int i = 0; i < 16; ++i) {
    a[i] = static_cast<std::uint8_t>(251 - 17 * i);
    b[i] = static_cast<std::int8_t>(i % 3 == 0 ? -128 + 7 * i : 127 - 9 * i);
    expected_dot += a[i] * b[i];
  }

  // Tensor quantize (dispatched kernels) against the per-element reference:
  // 1003 values (SIMD bodies and a tail) over [-3, 3] with exact .5 ties,
  // int8 symmetric, scale 1/64 (saturates beyond +-2).
  std::vector<float> x(1003);
  std::uint32_t lcg = 12345;
  for (std::size_t i = 0; i < x.size(); ++i) {
    lcg = lcg * 1664525u + 1013904223u;
    x[i] = i % 7 == 0 ? (static_cast<float>(static_cast<int>(i % 257) - 128) + 0.5f) / 64.0f
                      : (static_cast<float>(lcg >> 8) / 16777216.0f - 0.5f) * 6.0f;
  }
  const qmath::qparams<qmath::int8_sym_per_tensor> sym{1.0f / 64.0f, 0};
  std::vector<std::int8_t> q(x.size());
  std::vector<float> back(x.size());

  int levels_checked = 0;
  for (int c = 0; c < qmath::isa_count; ++c) {
    const auto cap = static_cast<isa>(c);
    if (!qmath::isa_is_native_family(cap) || !qmath::cpu_supports(cap)) continue;
    check(qmath::set_max_isa(cap).ok(), "set_max_isa(" + name(cap) + ")");
    // Expected: the highest linked level <= cap that the CPU supports.
    isa want = isa::scalar;
    for (int l = 0; l <= c; ++l) {
      if (linked[l] && qmath::cpu_supports(static_cast<isa>(l))) want = static_cast<isa>(l);
    }
    const isa got = qmath::active_isa();
    check(got == want, "cap " + name(cap) + ": active_isa() = " + name(got) + ", expected " + name(want));
    check(qmath::detail::probe_level() == want, "cap " + name(cap) + ": probe kernel level");
    const std::int32_t dot = qmath::detail::probe_dot16(a, b);
    check(dot == expected_dot,
          "cap " + name(cap) + ": probe_dot16 = " + std::to_string(dot) + ", expected " + std::to_string(expected_dot));
    check(qmath::quantize_active_level() == want, "cap " + name(cap) + ": quantize kernel level " +
                                                       name(qmath::quantize_active_level()));
    std::fill(q.begin(), q.end(), std::int8_t{0});
    const qmath::status qs = qmath::quantize(std::span<const float>(x), sym, std::span<std::int8_t>(q));
    check(qs.ok(), "cap " + name(cap) + ": quantize: " + qs.message());
    const qmath::status ds = qmath::dequantize(std::span<const std::int8_t>(q), sym, std::span<float>(back));
    check(ds.ok(), "cap " + name(cap) + ": dequantize: " + ds.message());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::int32_t want_q = qmath::quantize_value(x[i], sym.scale, 0, -128, 127);
      bad += q[i] != want_q || back[i] != qmath::dequantize_value(want_q, sym.scale, 0);
    }
    check(bad == 0, "cap " + name(cap) + ": quantize/dequantize differ from the reference at " +
                        std::to_string(bad) + " elements");
    ++levels_checked;
  }
  check(levels_checked >= 2, "at least scalar and the baseline level were checked");
  check(qmath::set_max_isa("native").ok(), "set_max_isa(\"native\")");

  // Quantization math, with answers worked out by hand.
  // Data spanning [-1, 2] -> uint8 affine: scale = 3/255, zero_point = 0 - round(-1 / scale) = 85.
  const std::array<float, 5> data{0.5f, -1.0f, 2.0f, 0.0f, 1.25f};
  const auto p = qmath::compute_qparams<qmath::uint8_affine_per_tensor>(std::span<const float>(data), {});
  check(p.has_value(), "compute_qparams<uint8_affine_per_tensor>: " + p.error().message());
  if (p) {
    check(p->scale == 3.0f / 255.0f && p->zero_point == 85,
          "qparams of [-1, 2]: scale " + std::to_string(p->scale) + ", zero_point " + std::to_string(p->zero_point));
    // q = clamp(round_half_even(x / scale) + zero_point, 0, 255): -1 -> 0, 0 -> 85, 2 -> 255.
    check(qmath::quantize_value(-1.0f, p->scale, p->zero_point, 0, 255) == 0, "quantize(-1) == 0");
    check(qmath::quantize_value(0.0f, p->scale, p->zero_point, 0, 255) == 85, "quantize(0) == zero_point");
    check(qmath::quantize_value(2.0f, p->scale, p->zero_point, 0, 255) == 255, "quantize(2) == 255");
    check(qmath::dequantize_value(85, p->scale, p->zero_point) == 0.0f, "dequantize(zero_point) == 0 exactly");
  }
  check(qmath::quantize_value(3.0f, 2.0f, 128, 0, 255) == 130, "quantize(3, scale 2, zp 128): 1.5 ties to even -> 130");
  // Requantize int32 accumulators to int8: round_half_even(acc * 0.25) + 3, saturated to [-128, 127].
  const std::array<std::int32_t, 4> acc{400, -6, 10, 1000};
  std::array<std::int8_t, 4> out{};
  const std::array<float, 1> m{0.25f};
  const qmath::status rq = qmath::requantize_float<std::int8_t>(acc, 4, {}, m, {3, -128, 127}, out);
  check(rq.ok(), "requantize_float: " + rq.message());
  check(out == std::array<std::int8_t, 4>{103, 1, 5, 127},
        "requantize_float result " + std::to_string(out[0]) + " " + std::to_string(out[1]) + " " +
            std::to_string(out[2]) + " " + std::to_string(out[3]));

  // The error model: bad input returns a status naming the argument.
  const qmath::status st = qmath::set_max_isa("avx9000");
  check(st == qmath::errc::invalid_argument, "set_max_isa(\"avx9000\") fails with invalid_argument");
  check(st.message().find("'name'") != std::string::npos, "its message names the argument: " + st.message());
  const qmath::status mismatch = qmath::quantize(std::span<const float>(x), sym, std::span<std::int8_t>(q.data(), 3));
  check(mismatch == qmath::errc::size_mismatch && mismatch.message().find("'q'") != std::string::npos,
        "quantize into a short output: " + mismatch.message());
  const auto empty = qmath::compute_qparams<qmath::int8_sym_per_tensor>(std::span<const float>(), {});
  check(!empty && empty.error() == qmath::errc::empty_input && empty.error().message().find("'data'") != std::string::npos,
        "compute_qparams on no data: " + empty.error().message());

  std::printf("%d levels checked, %s\n", levels_checked, failures == 0 ? "all checks passed" : "FAILURES");
  return failures == 0 ? 0 : 1;
}
