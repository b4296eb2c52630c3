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
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

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
    ++levels_checked;
  }
  check(levels_checked >= 2, "at least scalar and the baseline level were checked");
  check(qmath::set_max_isa("native").ok(), "set_max_isa(\"native\")");

  // The error model: bad input returns a status naming the argument.
  const qmath::status st = qmath::set_max_isa("avx9000");
  check(st == qmath::errc::invalid_argument, "set_max_isa(\"avx9000\") fails with invalid_argument");
  check(st.message().find("'name'") != std::string::npos, "its message names the argument: " + st.message());

  std::printf("%d levels checked, %s\n", levels_checked, failures == 0 ? "all checks passed" : "FAILURES");
  return failures == 0 ? 0 : 1;
}
