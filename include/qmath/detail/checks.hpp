#pragma once
// Input checks shared by the modules (private).

#include <cmath>
#include <cstddef>
#include <span>

#include "qmath/core/status.hpp"

namespace qmath::detail {

/// Index of the first NaN or Inf in x, or x.size() when all are finite.
inline std::size_t first_non_finite(std::span<const float> x) noexcept {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) return i;
  return x.size();
}

/// errc::non_finite naming `arg` and the first offending index, or ok.
inline status check_finite(std::span<const float> x, const char* arg,
                           const char* detail = "must hold finite values only") noexcept {
  const std::size_t i = first_non_finite(x);
  if (i != x.size()) return status(errc::non_finite, arg, detail, i);
  return ok_status;
}

}  // namespace qmath::detail
