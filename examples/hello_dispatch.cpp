// Which kernels does this machine run? Prints the CPU's best level, the cap
// (QMATH_MAX_ISA) and the level dispatch uses.
#include <cstdio>
#include <string>

#include "qmath/simd/dispatch.hpp"

int main() {
  const auto name = [](qmath::isa l) { return std::string(qmath::to_string(l)); };
  std::printf("qmath %d.%d.%d\n", QMATH_VERSION_MAJOR, QMATH_VERSION_MINOR, QMATH_VERSION_PATCH);
  std::printf("CPU supports up to: %s\n", name(qmath::detected_isa()).c_str());
  std::printf("cap (QMATH_MAX_ISA): %s\n", name(qmath::max_isa()).c_str());
  std::printf("active kernels:     %s\n", name(qmath::active_isa()).c_str());
  return 0;
}
