// Built with the flags of QMATH_ODR_LEVEL_B (avx512vnni / i8mm): calls the dispatched probe from higher-ISA code.
// Built for a level the CPU may lack: it must run no code before main.
#define QMATH_NO_SELF_REGISTER 1
#include "qmath/simd/probe.hpp"

#define QMATH_STR2(x) #x
#define QMATH_STR(x) QMATH_STR2(x)

const char* odr_unit_b_level() { return QMATH_STR(QMATH_TARGET_NS); }
int odr_unit_b_dot(const unsigned char* a, const signed char* b) {
  return qmath::detail::probe_dot16(a, reinterpret_cast<const std::int8_t*>(b));
}
