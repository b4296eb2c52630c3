// The one doctest main of the suite. Prints the dispatch state first so a log
// shows which kernels ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "qmath/simd/dispatch.hpp"

int main(int argc, char** argv) {
  std::printf("qmath: cpu best level %s, cap %s, active %s\n",
              std::string(qmath::to_string(qmath::detected_isa())).c_str(),
              std::string(qmath::to_string(qmath::max_isa())).c_str(),
              std::string(qmath::to_string(qmath::active_isa())).c_str());
  doctest::Context ctx;
  ctx.applyCommandLine(argc, argv);
  return ctx.run();
}
