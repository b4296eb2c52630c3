// Links a baseline unit with units built for higher levels (see CMakeLists),
// all of which instantiate the same kernel templates and call the dispatcher.
// The linker must keep each level's code apart: every cap still runs code the
// CPU has and agrees, and the higher units are only entered when the CPU has
// their level (under qemu on older CPUs they are skipped, and nothing they
// contain may have run before main).
#include <doctest/doctest.h>

#include <string>

#include "qmath/simd/probe.hpp"

const char* odr_unit_a_level();
const char* odr_unit_b_level();
int odr_unit_a_dot(const unsigned char* a, const signed char* b);
int odr_unit_b_dot(const unsigned char* a, const signed char* b);

#define QMATH_STR2(x) #x
#define QMATH_STR(x) QMATH_STR2(x)

TEST_CASE("odr: units built with different flags link and dispatch correctly") {
  CHECK(std::string(odr_unit_a_level()) == "tgt_" QMATH_STR(QMATH_ODR_LEVEL_A));
  CHECK(std::string(odr_unit_b_level()) == "tgt_" QMATH_STR(QMATH_ODR_LEVEL_B));
  CHECK(std::string(QMATH_STR(QMATH_TARGET_NS)) != odr_unit_a_level());

  unsigned char a[16];
  signed char b[16];
  int expected = 0;
  for (int i = 0; i < 16; ++i) {
    a[i] = static_cast<unsigned char>(250 - 7 * i);
    b[i] = static_cast<signed char>(-128 + 17 * i);
    expected += a[i] * b[i];
  }
  const qmath::isa saved = qmath::max_isa();
  for (int i = 0; i < qmath::isa_count; ++i) {
    const auto cap = static_cast<qmath::isa>(i);
    if (!qmath::isa_is_native_family(cap)) continue;
    REQUIRE(qmath::set_max_isa(cap).ok());
    CAPTURE(qmath::to_string(cap));
    const qmath::isa active = qmath::active_isa();
    CHECK(qmath::cpu_supports(active));
    CHECK(static_cast<int>(active) <= i);
    CHECK(qmath::detail::probe_dot16(a, reinterpret_cast<const std::int8_t*>(b)) == expected);
    if (qmath::cpu_supports(qmath::isa::QMATH_ODR_LEVEL_A)) CHECK(odr_unit_a_dot(a, b) == expected);
    if (qmath::cpu_supports(qmath::isa::QMATH_ODR_LEVEL_B)) CHECK(odr_unit_b_dot(a, b) == expected);
  }
  (void)qmath::set_max_isa(saved);
}
