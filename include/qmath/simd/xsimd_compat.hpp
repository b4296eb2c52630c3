#pragma once
// The one place that knows xsimd versions apart (8.1 ... 14.x).
//
//  - reduce_add: `hadd` in xsimd 8, `reduce_add` from 9 on.
//  - arch tags: always name xsimd tags explicitly (8.1 and 13+ pick different
//    default archs for the same flags); arch_of<L> maps a qmath level to one.
//  - no use of version(), available_architectures().best, batch_constant,
//    zip_lo/zip_hi lane order or widen(): they changed between versions.
// Only simd/ and the SIMD paths of other modules include this header.

#include <xsimd/xsimd.hpp>

#include "qmath/simd/isa.hpp"

#if !defined(XSIMD_VERSION_MAJOR)
#error "qmath: xsimd version macros not found"
#endif

namespace qmath::simd_compat {

inline constexpr int xsimd_major = XSIMD_VERSION_MAJOR;

template <class T, class A>
QMATH_ALWAYS_INLINE T reduce_add(const xsimd::batch<T, A>& b) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(b);
#else
  return xsimd::hadd(b);
#endif
}

/// The xsimd arch tag used by kernels of level L (void for scalar).
template <isa L>
struct arch_of {
  using type = void;
};
#if defined(QMATH_ARCH_X86)
template <> struct arch_of<isa::sse2> { using type = xsimd::sse2; };
template <> struct arch_of<isa::sse41> { using type = xsimd::sse4_1; };
template <> struct arch_of<isa::avx2> { using type = xsimd::avx2; };
template <> struct arch_of<isa::avxvnni> { using type = xsimd::avx2; };
template <> struct arch_of<isa::avx512> { using type = xsimd::avx512bw; };
template <> struct arch_of<isa::avx512vnni> { using type = xsimd::avx512bw; };
#elif defined(QMATH_ARCH_AARCH64)
template <> struct arch_of<isa::neon> { using type = xsimd::neon64; };
template <> struct arch_of<isa::dotprod> { using type = xsimd::neon64; };
template <> struct arch_of<isa::i8mm> { using type = xsimd::neon64; };
#endif
template <isa L>
using arch_of_t = typename arch_of<L>::type;

}  // namespace qmath::simd_compat
