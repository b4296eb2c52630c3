#pragma once
// Input checks shared by the modules (private).

#include <cmath>
#include <cstddef>
#include <cstdint>
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

/// Do the bytes of a and b overlap? (Addresses compared as integers; empty
/// spans overlap nothing.)
template <class A, class B>
bool overlaps(std::span<A> a, std::span<B> b) noexcept {
  if (a.empty() || b.empty()) return false;
  const auto a0 = reinterpret_cast<std::uintptr_t>(a.data()), b0 = reinterpret_cast<std::uintptr_t>(b.data());
  return a0 < b0 + b.size_bytes() && b0 < a0 + a.size_bytes();
}

/// invalid_argument naming the output `arg` when it overlaps the input.
template <class A, class B>
status check_no_overlap(std::span<A> out, std::span<B> in, const char* arg) noexcept {
  if (overlaps(out, in)) return invalid_argument(arg, "output overlaps an input");
  return ok_status;
}

/// Same for an output of the input's type that may be the input itself
/// (in place, out.data() == in.data()) but must not overlap it otherwise.
template <class A, class B>
status check_in_place_or_disjoint(std::span<A> out, std::span<B> in, const char* arg) noexcept {
  if (overlaps(out, in) && static_cast<const void*>(out.data()) != static_cast<const void*>(in.data()))
    return invalid_argument(arg, "output partially overlaps an input (only exact in-place is allowed)");
  return ok_status;
}

}  // namespace qmath::detail
