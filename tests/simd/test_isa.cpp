#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "qmath/simd/dispatch.hpp"

using qmath::isa;

TEST_CASE("isa: names round-trip and parse aliases") {
  for (int i = 0; i < qmath::isa_count; ++i) {
    const auto l = static_cast<isa>(i);
    const auto p = qmath::parse_isa(qmath::to_string(l));
    REQUIRE(p.has_value());
    CHECK(*p == l);
  }
  CHECK(qmath::parse_isa("avx512bw") == isa::avx512);
  CHECK(qmath::parse_isa("sse4.1") == isa::sse41);
  CHECK_FALSE(qmath::parse_isa("avx1024").has_value());
}

TEST_CASE("isa: detection is consistent") {
  const auto& f = qmath::cpu();
  const isa best = qmath::detected_isa();
  CHECK(qmath::cpu_supports(isa::scalar));
  CHECK(qmath::cpu_supports(best));
  CHECK(qmath::isa_is_native_family(best));
#if defined(QMATH_ARCH_X86)
  CHECK(f.sse2);  // x86-64 baseline
  if (f.avx512f) CHECK(f.os_zmm);
  if (f.avx2) CHECK(f.os_ymm);
  if (qmath::cpu_supports(isa::avx512vnni)) CHECK(qmath::cpu_supports(isa::avx512));
#elif defined(QMATH_ARCH_AARCH64)
  CHECK(f.neon);
  if (qmath::cpu_supports(isa::i8mm)) CHECK(qmath::cpu_supports(isa::dotprod));
#endif
}

TEST_CASE("isa: set_max_isa validates its argument") {
  const isa before = qmath::max_isa();
#if defined(QMATH_ARCH_X86)
  const auto st = qmath::set_max_isa(isa::neon);
#else
  const auto st = qmath::set_max_isa(isa::avx2);
#endif
  CHECK(st.code() == qmath::errc::invalid_argument);
  CHECK(st.argument() == "cap");
  const auto st2 = qmath::set_max_isa(std::string_view("avx9000"));
  CHECK(st2.argument() == "name");
  CHECK(qmath::max_isa() == before);
}
