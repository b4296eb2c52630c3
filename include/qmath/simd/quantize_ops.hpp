#pragma once
// Operations of the quantize kernel family that the shared vocabulary
// (simd/ops.hpp) lacks: sub-byte code packing on 16 byte lanes. Kernels call
// them on batches of arch128<A> (simd/ops.hpp); the per-ISA overloads are in
// simd/x86/quantize.hpp and simd/neon/quantize.hpp. Code i of a packed
// stream occupies bits [i*b, i*b + b) (little-endian: first code in the low
// bits). Exact bit manipulation on every level.

#include <cstdint>

#include "qmath/simd/ops.hpp"
#include "qmath/simd/neon/quantize.hpp"
#include "qmath/simd/x86/quantize.hpp"

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd {

/// 32 codes (a: codes 0..15, b: 16..31) -> 16 bytes; byte j = (c[2j] & 15) | c[2j+1] << 4.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> pack_nibbles(const batch<std::uint8_t, A>& a,
                                                        const batch<std::uint8_t, A>& b) noexcept {
  return impl::pack_nibbles(a, b, A{});
}
/// 64 codes (a, b, c, d: 16 each, in order) -> 16 bytes; byte j = sum_k (c[4j+k] & 3) << 2k.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> pack_crumbs(const batch<std::uint8_t, A>& a, const batch<std::uint8_t, A>& b,
                                                       const batch<std::uint8_t, A>& c,
                                                       const batch<std::uint8_t, A>& d) noexcept {
  return impl::pack_crumbs(a, b, c, d, A{});
}
/// 16 codes -> 16 bits; bit j = c[j] & 1.
template <class A>
QMATH_ALWAYS_INLINE std::uint16_t pack_bits(const batch<std::uint8_t, A>& a) noexcept {
  return impl::pack_bits(a, A{});
}
/// 16 bytes -> 32 codes in [0, 15] (lo: codes 0..15, hi: 16..31).
template <class A>
QMATH_ALWAYS_INLINE void unpack_nibbles(const batch<std::uint8_t, A>& p, batch<std::uint8_t, A>& lo,
                                        batch<std::uint8_t, A>& hi) noexcept {
  impl::unpack_nibbles(p, lo, hi, A{});
}
/// 16 bytes -> 64 codes in [0, 3] (out[0..3]: codes 0..15, ..., 48..63).
template <class A>
QMATH_ALWAYS_INLINE void unpack_crumbs(const batch<std::uint8_t, A>& p, batch<std::uint8_t, A>* out) noexcept {
  impl::unpack_crumbs(p, out, A{});
}
/// 16 bits -> 16 codes in [0, 1].
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> unpack_bits(std::uint16_t w) noexcept {
  return impl::unpack_bits<A>(w, A{});
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd
QMATH_SIMD_DIAGNOSTICS_END
