// The project's baseline unit (part of qmath_project_dispatch, compiled with
// the build's own flags): it self-registers every kernel family at the levels
// those flags allow (scalar and the baseline: sse2 on x86-64, neon on
// AArch64), for the project's tests, examples and benchmarks.
//
// Those units are compiled with QMATH_NO_SELF_REGISTER (see CMakeLists.txt),
// so that each of them does not instantiate every kernel family again at the
// scalar and baseline levels (with -O3, about a minute per unit that includes
// the quantize kernels). Together with the dispatch units of
// qmath_project_dispatch they register exactly the tables a unit without
// QMATH_NO_SELF_REGISTER would: the suite's cap loops check every level.
#include "qmath/qmath.hpp"
#include "qmath/simd/probe.hpp"

#if defined(QMATH_NO_SELF_REGISTER) || defined(QMATH_DISPATCH_TU)
#error "qmath_baseline_unit.cpp must self-register"
#endif
