#pragma once
// A minimal kernel family used to test dispatch itself: each level computes
// sum_i a[i]*b[i] over 16 uint8 x int8 pairs with that level's characteristic
// instruction (pmaddwd, pmulld, vpmaddwd ymm / zmm, vpdpbusd ymm / zmm, sdot,
// usmmla: all simd ops), so a mis-dispatched level faults (SIGILL) instead of
// passing silently.

#include <cstdint>
#include <cstring>

#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/ops.hpp"
#include "qmath/simd/neon/probe.hpp"
#include "qmath/simd/x86/probe.hpp"

namespace qmath::detail {

struct probe_kernels {
  isa level;
  std::int32_t (*dot16)(const std::uint8_t* a, const std::int8_t* b) noexcept;
};

}  // namespace qmath::detail

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS {

namespace simd {
/// usmmla (i8mm only): acc (2x2 int32) += a (2x8 uint8) * b (2x8 int8)^T.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mmla_u8s8(const batch<std::int32_t, A>& acc,
                                                     const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b) noexcept {
  return impl::mmla_u8s8(acc, a, b, A{});
}
}  // namespace simd

template <class A>
std::int32_t probe_dot16(const std::uint8_t* a, const std::int8_t* b) noexcept {
  if constexpr (simd::is_scalar_arch<A>) {
    std::int32_t s = 0;
    for (int i = 0; i < 16; ++i) s += static_cast<std::int32_t>(a[i]) * b[i];
    return s;
  } else {
    using u8 = simd::batch<std::uint8_t, A>;
    using s8 = simd::batch<std::int8_t, A>;
    using s32 = simd::batch<std::int32_t, A>;
    constexpr std::size_t N = u8::size;  // 16, 32 or 64: the 16 pairs, zero-padded
    constexpr isa L = A::level;
    alignas(64) std::uint8_t pa[N] = {};
    alignas(64) std::int8_t pb[N] = {};
    const s32 zero(0);
    s32 acc;
    if constexpr (L == isa::i8mm) {
      // usmmla on (8 pairs, zero row) twice: lane 0 of each is a partial dot.
      std::memcpy(pa, a, 8);
      std::memcpy(pb, b, 8);
      acc = simd::mmla_u8s8(zero, simd::load<A>(pa), simd::load<A>(pb));
      std::memcpy(pa, a + 8, 8);
      std::memcpy(pb, b + 8, 8);
      acc = simd::mmla_u8s8(acc, simd::load<A>(pa), simd::load<A>(pb));
    } else {
      std::memcpy(pa, a, 16);
      std::memcpy(pb, b, 16);
      const u8 va = simd::load<A>(pa);
      const s8 vb = simd::load<A>(pb);
      if constexpr (L == isa::dotprod) {
        // a = (a - 128) + 128: sdot on the shifted value plus 128 * sum(b).
        const s8 sa = simd::bitcast<std::int8_t>(va ^ u8(std::uint8_t{0x80}));
        acc = simd::dot4_s8s8(zero, sa, vb) + simd::dot4_s8s8(zero, s8(std::int8_t{1}), vb) * s32(128);
      } else {
        // pmaddwd (sse2), vpmaddwd ymm / zmm (avx2, avx512), vpdpbusd ymm / zmm
        // (avxvnni, avx512vnni), widening multiplies (neon).
        acc = simd::dot4_u8s8(zero, va, vb);
      }
    }
    if constexpr (L == isa::sse41) acc = simd::mullo(acc, s32(1));  // pmulld: SSE4.1 only
    return simd::reduce_add(acc);
  }
}

template <isa L>
inline constexpr detail::probe_kernels probe_table{L, &probe_dot16<simd::arch_t<L>>};

QMATH_KERNEL_FAMILY(probe)

}  // namespace qmath::kernel::QMATH_TARGET_NS
QMATH_SIMD_DIAGNOSTICS_END

namespace qmath::detail {

/// Dispatched probe: which level ran, and its dot product.
inline isa probe_level() noexcept {
  const probe_kernels* k = select_kernels<probe_kernels>();
  return k ? k->level : isa::scalar;
}
inline std::int32_t probe_dot16(const std::uint8_t* a, const std::int8_t* b) noexcept {
  const probe_kernels* k = select_kernels<probe_kernels>();
  QMATH_ASSERT(k != nullptr);
  return k ? k->dot16(a, b) : 0;
}

}  // namespace qmath::detail
