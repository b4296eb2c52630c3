#pragma once
// The one place that knows xsimd versions apart (8.1 ... 14.x).
//
//  - reduce_add: `hadd` in xsimd 8, `reduce_add` from 9 on.
//  - arch tags: qmath never uses xsimd's default arch (8.1 and 13+ pick
//    different ones for the same flags); its own tags (simd/arch.hpp) derive
//    from named xsimd tags. generic_arch: `generic` before 14, `common` from 14.
//  - bitcast: bitwise_cast's template parameter changed meaning (batch type in
//    8.x, element type later).
//  - no use of version(), available_architectures().best, batch_constant,
//    zip_lo/zip_hi lane order or widen(): they changed between versions.
// Only simd/ and the SIMD paths of other modules include this header.

#include <bit>
#include <type_traits>

#include <xsimd/config/xsimd_config.hpp>

#include "qmath/simd/isa.hpp"
#include "qmath/simd/target.hpp"

// xsimd 8 on AArch64: kernel::broadcast(T, requires_arch<neon64>) calls
// broadcast<neon64>, not broadcast<A>, so it cannot build a batch of a tag
// derived from neon64 (qmath's arch<neon> ...). A more specific overload for
// arch<neon> fixes it; xsimd's batch constructor names kernel::broadcast
// qualified, so the overload must be declared before xsimd's headers.
#if XSIMD_VERSION_MAJOR < 9 && defined(__aarch64__) && defined(__ARM_NEON)
#define QMATH_XSIMD8_NEON_BROADCAST_FIX 1
#if defined(XSIMD_HPP)
#error "qmath with xsimd 8 on AArch64: include qmath's headers before <xsimd/xsimd.hpp> (see qmath/simd/xsimd_compat.hpp)"
#endif
namespace qmath::kernel::QMATH_TARGET_NS::simd {
template <isa L>
struct arch;
}
namespace xsimd {
template <class T, class A>
class batch;
namespace kernel {
template <class A, class T>
inline batch<T, A> broadcast(T val, const ::qmath::kernel::QMATH_TARGET_NS::simd::arch<::qmath::isa::neon>&) noexcept;
}
}  // namespace xsimd
#endif

#include <xsimd/xsimd.hpp>

#if defined(QMATH_XSIMD8_NEON_BROADCAST_FIX)
namespace xsimd::kernel {
template <class A, class T>
inline batch<T, A> broadcast(T val, const ::qmath::kernel::QMATH_TARGET_NS::simd::arch<::qmath::isa::neon>&) noexcept {
  if constexpr (std::is_same_v<T, double>) return broadcast<A>(val, neon64{});  // vdupq_n_f64
  else return broadcast<A>(val, neon{});
}
}  // namespace xsimd::kernel
#endif

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

/// xsimd's root arch tag: `generic` up to 13, `common` from 14 on. Overloads
/// on requires_arch<generic_arch> are the portable fallbacks.
#if XSIMD_VERSION_MAJOR >= 14
using generic_arch = xsimd::common;
#else
using generic_arch = xsimd::generic;
#endif

/// Reinterpret the bits of a batch. xsimd's bitwise_cast changed its template
/// parameter (batch<To, A> in 8.1, To from 10 on), and 8.1's NEON version
/// takes the addresses of its vreinterpretq wrappers, which leaves weak,
/// untagged symbols in every NEON unit (test_odr_symbols rejects them). A
/// bit_cast of the register types is the same no-op move on every ISA.
template <class To, class From, class A>
QMATH_ALWAYS_INLINE xsimd::batch<To, A> bitcast(const xsimd::batch<From, A>& x) noexcept {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else {
    using to_reg = typename xsimd::batch<To, A>::register_type;
    using from_reg = typename xsimd::batch<From, A>::register_type;
    static_assert(sizeof(to_reg) == sizeof(from_reg), "bitcast: register sizes differ");
    return xsimd::batch<To, A>(std::bit_cast<to_reg>(static_cast<from_reg>(x)));
  }
}

}  // namespace qmath::simd_compat
