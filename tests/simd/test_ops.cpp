// The shared SIMD vocabulary, bit for bit against the scalar reference, at
// every level this CPU runs (one unit per level, ops_level.cpp), and the
// xsimd-shaped dispatch.
#include <doctest/doctest.h>

#include <string>

#include "ops_check.hpp"
#include "ops_levels.hpp"
#include "qmath/simd/ops.hpp"


// Declared here, defined by the per-level units that CMake built.
#define QMATH_DECLARE_OPS_CHECK(level) extern "C" void qmath_ops_check_##level(ops_report*);
QMATH_OPS_LEVEL_LIST(QMATH_DECLARE_OPS_CHECK)
#undef QMATH_DECLARE_OPS_CHECK

TEST_CASE("simd ops: every level matches the scalar reference bit for bit") {
  int ran = 0;
#define QMATH_RUN_OPS_CHECK(level)                                              \
  {                                                                             \
    const qmath::isa l = *qmath::parse_isa(#level);                             \
    if (qmath::cpu_supports(l)) {                                               \
      ops_report rep;                                                           \
      qmath_ops_check_##level(&rep);                                            \
      INFO("unit " #level ": " << rep.checks << " checks; " << rep.first);      \
      CHECK(rep.checks > 1000);                                                 \
      CHECK(rep.failures == 0);                                                 \
      ++ran;                                                                    \
    } else {                                                                    \
      MESSAGE("unit " #level ": CPU lacks the level, skipped");                 \
    }                                                                           \
  }
  QMATH_OPS_LEVEL_LIST(QMATH_RUN_OPS_CHECK)
#undef QMATH_RUN_OPS_CHECK
  CHECK(ran >= 1);
}

namespace {
struct lanes_of {
  template <class A>
  std::pair<qmath::isa, std::size_t> operator()(A, int bias) const {
    return {A::level, qmath::kernel::QMATH_TARGET_NS::simd::lanes<float, A> + static_cast<std::size_t>(bias)};
  }
};
}  // namespace

TEST_CASE("simd::dispatch: xsimd's call shape, qmath's detection and cap") {
  namespace S = qmath::kernel::QMATH_TARGET_NS::simd;
  const qmath::isa saved = qmath::max_isa();
  for (int i = 0; i < qmath::isa_count; ++i) {
    const auto cap = static_cast<qmath::isa>(i);
    if (!qmath::isa_is_native_family(cap) && cap != qmath::isa::scalar) continue;
    REQUIRE(qmath::set_max_isa(cap).ok());
    // Not a structured binding: clang 14 cannot capture one in a lambda
    // (doctest's CAPTURE makes one).
    const auto result = qmath::simd::dispatch(lanes_of{})(1);
    const qmath::isa level = result.first;
    const std::size_t n = result.second;
    CAPTURE(qmath::to_string(cap));
    CAPTURE(qmath::to_string(level));
    // The highest level <= cap that this unit compiles and the CPU has.
    qmath::isa want = qmath::isa::scalar;
    for (int j = 0; j <= i; ++j) {
      const auto l = static_cast<qmath::isa>(j);
      if (qmath::kernel::QMATH_TARGET_NS::target_implies(l) && qmath::cpu_supports(l)) want = l;
    }
    CHECK(level == want);
    CHECK(n >= 2);
  }
  REQUIRE(qmath::set_max_isa(saved).ok());
  (void)sizeof(S::arch<qmath::isa::scalar>);
}
