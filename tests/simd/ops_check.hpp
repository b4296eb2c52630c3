#pragma once
// Shared between test_ops.cpp and the per-level units (ops_level.cpp).
#include <cstddef>

struct ops_report {
  std::size_t checks = 0;
  std::size_t failures = 0;
  char first[256] = {};  // the first failure
};
