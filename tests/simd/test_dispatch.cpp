#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "qmath/simd/probe.hpp"

using qmath::isa;

namespace {

// The probe's inputs: full-range values, so a kernel that saturated or
// dropped a sign would be caught.
struct probe_data {
  std::uint8_t a[16];
  std::int8_t b[16];
  std::int32_t expected = 0;
  probe_data() {
    for (int i = 0; i < 16; ++i) {
      a[i] = static_cast<std::uint8_t>(255 - 13 * i);
      b[i] = static_cast<std::int8_t>(i % 2 ? -128 + 3 * i : 127 - 5 * i);
      expected += a[i] * b[i];
    }
  }
};

// Restores the cap a test changed.
struct cap_guard {
  isa saved = qmath::max_isa();
  ~cap_guard() { (void)qmath::set_max_isa(saved); }
};

}  // namespace

TEST_CASE("dispatch: the baseline level is always registered") {
#if defined(QMATH_ARCH_X86)
  CHECK(qmath::isa_registered(isa::sse2));
#elif defined(QMATH_ARCH_AARCH64)
  CHECK(qmath::isa_registered(isa::neon));
#endif
  CHECK(qmath::isa_registered(isa::scalar));
}

TEST_CASE("dispatch: active_isa follows every cap, and every level computes the same") {
  cap_guard g;
  const probe_data d;
  const isa best = qmath::detected_isa();
  for (int i = 0; i < qmath::isa_count; ++i) {
    const auto cap = static_cast<isa>(i);
    if (!qmath::isa_is_native_family(cap)) continue;
    CAPTURE(qmath::to_string(cap));
    REQUIRE(qmath::set_max_isa(cap).ok());
    CHECK(qmath::max_isa() == cap);
    const isa active = qmath::active_isa();
    // Never above the cap, never something the CPU lacks.
    CHECK(static_cast<int>(active) <= static_cast<int>(cap));
    CHECK(qmath::cpu_supports(active));
    // With every dispatch unit linked, a supported cap is honoured exactly.
    if (qmath::cpu_supports(cap)) CHECK(active == cap);
    CHECK(qmath::detail::probe_level() == active);
    CHECK(qmath::detail::probe_dot16(d.a, d.b) == d.expected);
  }
  REQUIRE(qmath::set_max_isa("native").ok());
  CHECK(qmath::active_isa() == best);
}

TEST_CASE("dispatch: QMATH_MAX_ISA from the environment") {
  // The suite is run once per cap by .ci/run; whatever the variable says must
  // be what dispatch obeys at start-up.
  const char* env = std::getenv("QMATH_MAX_ISA");
  if (env == nullptr || *env == '\0' || std::string(env) == "native") {
    CHECK(qmath::max_isa() == qmath::native_family_top());
  } else {
    const auto l = qmath::parse_isa(env);
    REQUIRE(l.has_value());
    CHECK(qmath::max_isa() == *l);
    const isa active = qmath::active_isa();
    CHECK(static_cast<int>(active) <= static_cast<int>(*l));
    if (qmath::cpu_supports(*l)) CHECK(active == *l);
  }
}

TEST_CASE("dispatch: emulated CPUs pick only what they have") {
  // Run under qemu-x86_64 -cpu Nehalem / Haswell by ctest (QMATH_EXPECT_CPU).
  const char* cpu = std::getenv("QMATH_EXPECT_CPU");
  const probe_data d;
  CHECK(qmath::detail::probe_dot16(d.a, d.b) == d.expected);
  if (cpu == nullptr) return;
  const std::string c(cpu);
  if (c == "Nehalem") {
    CHECK(qmath::detected_isa() == isa::sse41);
    CHECK(qmath::active_isa() == isa::sse41);
  } else if (c == "Haswell") {
    CHECK(qmath::detected_isa() == isa::avx2);
    CHECK(qmath::active_isa() == isa::avx2);
  }
}
