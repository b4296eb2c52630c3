#pragma once
// x86 side of the probe family's operations (simd/probe.hpp). Every x86
// level's identifying instruction is a shared op (simd/ops_x86.hpp: pmaddwd,
// pmulld, vpmaddwd ymm / zmm, vpdpbusd ymm / zmm); mmla_u8s8 (an AArch64 i8mm
// instruction) has no x86 overload. Included by simd/probe.hpp only.

#include "qmath/simd/ops.hpp"

#if defined(QMATH_ARCH_X86) && defined(__SSE2__)

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd::impl {

template <class A>
batch<std::int32_t, A> mmla_u8s8(const batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                 const batch<std::int8_t, A>& b, requires_arch<generic_arch>) noexcept = delete;

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::impl
QMATH_SIMD_DIAGNOSTICS_END
#endif  // x86
