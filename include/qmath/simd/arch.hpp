#pragma once
// qmath's architecture tags: one per kernel level, in the translation unit's
// target namespace, each deriving from the xsimd tag whose registers and
// operations it uses.
//
//   arch<isa::scalar>                    not an xsimd arch: kernels use T, not batch<T, A>
//   arch<isa::sse2>        : xsimd::sse2
//   arch<isa::sse41>       : xsimd::sse4_1
//   arch<isa::avx2>        : xsimd::fma3<xsimd::avx2>
//   arch<isa::avxvnni>     : arch<isa::avx2>          (+ VEX vpdpbusd)
//   arch<isa::avx512>      : xsimd::avx512bw          (F, CD, DQ, BW; VL used by qmath's ops)
//   arch<isa::avx512vnni>  : arch<isa::avx512>        (+ EVEX vpdpbusd)
//   arch<isa::neon>        : xsimd::neon64
//   arch<isa::dotprod>     : arch<isa::neon>          (+ sdot / udot)
//   arch<isa::i8mm>        : arch<isa::dotprod>       (+ smmla / usmmla)
//
// Why our own tags, not xsimd's:
//  - xsimd 8.1 has no VNNI, dotprod or i8mm tags, and its later versions name
//    them differently; chaining ours on the base tags gives every xsimd
//    version the same set.
//  - ODR: an xsimd kernel instantiated for arch<L> carries the target
//    namespace (tgt_avx2, ...) in its symbol, so units built with different
//    -m flags never share code (see simd/target.hpp). xsimd's own tags would
//    make `xsimd::batch<float, xsimd::sse2>::operator+` the same symbol in a
//    -msse2 unit and a -mavx2 unit, and the linker would keep either.
//  - Overload sets on `requires_arch<...>` (simd/ops.hpp) resolve to the most
//    derived tag, so arch<avx512vnni> finds the VNNI overload of a dot product
//    and the avx512bw overloads of everything else.
//
// The register types are xsimd's: `simd_register`, `has_simd_register` and
// `get_bool_simd_register` are specialised for each tag as aliases of its
// base, so `xsimd::batch<T, arch<L>>` is the base's register, and every
// xsimd operation available for the base works on it.

#include <cstddef>
#include <type_traits>
#include <utility>

#include "qmath/simd/target.hpp"
#include "qmath/simd/xsimd_compat.hpp"

namespace qmath::kernel::QMATH_TARGET_NS::simd {

template <isa L>
struct arch;

/// The scalar level: one lane, plain C++ types.
template <>
struct arch<isa::scalar> {
  static constexpr isa level = isa::scalar;
  static constexpr bool available() noexcept { return true; }
  static constexpr bool requires_alignment() noexcept { return false; }
  static constexpr std::size_t alignment() noexcept { return 0; }
  static constexpr char const* name() noexcept { return "qmath_scalar"; }
};

#define QMATH_SIMD_ARCH(L, BASE, NAME)                                       \
  template <>                                                                \
  struct arch<isa::L> : BASE {                                               \
    static constexpr isa level = isa::L;                                     \
    static constexpr char const* name() noexcept { return NAME; }            \
  };

#if defined(QMATH_ARCH_X86)
#if defined(__SSE2__)
QMATH_SIMD_ARCH(sse2, xsimd::sse2, "qmath_sse2")
#endif
#if defined(__SSE4_1__)
QMATH_SIMD_ARCH(sse41, xsimd::sse4_1, "qmath_sse41")
#endif
#if defined(__AVX2__) && defined(__FMA__)
QMATH_SIMD_ARCH(avx2, xsimd::fma3<xsimd::avx2>, "qmath_avx2")
#if defined(__AVXVNNI__)
QMATH_SIMD_ARCH(avxvnni, arch<isa::avx2>, "qmath_avxvnni")
#endif
#endif
#if QMATH_TARGET_HAS_AVX512
QMATH_SIMD_ARCH(avx512, xsimd::avx512bw, "qmath_avx512")
#if defined(__AVX512VNNI__)
QMATH_SIMD_ARCH(avx512vnni, arch<isa::avx512>, "qmath_avx512vnni")
#endif
#endif
#elif defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
QMATH_SIMD_ARCH(neon, xsimd::neon64, "qmath_neon")
#if defined(__ARM_FEATURE_DOTPROD)
QMATH_SIMD_ARCH(dotprod, arch<isa::neon>, "qmath_dotprod")
#if defined(__ARM_FEATURE_MATMUL_INT8)
QMATH_SIMD_ARCH(i8mm, arch<isa::dotprod>, "qmath_i8mm")
#endif
#endif
#endif
#undef QMATH_SIMD_ARCH

/// Is arch<L> defined (compilable) in this translation unit?
template <isa L>
inline constexpr bool has_arch = target_implies(L);

/// The tag of level L. (Kernel templates take `class A`; tables name arch_t<L>.)
template <isa L>
using arch_t = arch<L>;

/// The level whose tag arch<L> derives from within qmath's chains
/// (avxvnni -> avx2, avx512vnni -> avx512, i8mm -> dotprod -> neon); L itself
/// where arch<L> derives from an xsimd tag directly.
constexpr isa chain_parent(isa l) noexcept {
  switch (l) {
    case isa::avxvnni: return isa::avx2;
    case isa::avx512vnni: return isa::avx512;
    case isa::i8mm: return isa::dotprod;
    case isa::dotprod: return isa::neon;
    default: return l;
  }
}

/// The one fallback rule of every kernel family. A family lists the levels at
/// which its code differs (`Own...`, always including scalar); level L runs
/// the kernels instantiated for the nearest listed level on L's chain. So a
/// family without VNNI-specific code serves avx512vnni with its avx512
/// kernels, compiled once, and a family that lists every level gets arch<L>
/// for each. (Ops inside still resolve by tag: the instantiation for
/// arch<avx512> calls avx512bw overloads.)
template <isa L, isa... Own>
constexpr isa fallback_level() noexcept {
  constexpr bool listed = ((L == Own) || ...);
  if constexpr (listed) return L;
  else if constexpr (chain_parent(L) != L) return fallback_level<chain_parent(L), Own...>();
  else {
    static_assert(listed, "qmath: a kernel family must list every level that starts a chain (scalar, sse2, sse41, "
                          "avx2, avx512, neon)");
    return L;
  }
}
template <isa L, isa... Own>
using fallback_arch = arch<fallback_level<L, Own...>()>;

template <class A>
inline constexpr bool is_scalar_arch = std::is_same_v<A, arch<isa::scalar>>;

namespace detail {
template <class T, class A, bool Scalar = is_scalar_arch<A>>
struct vec_of {
  using type = xsimd::batch<T, A>;
  using mask = xsimd::batch_bool<T, A>;
  static constexpr std::size_t size = xsimd::batch<T, A>::size;
};
template <class T, class A>
struct vec_of<T, A, true> {
  using type = T;
  using mask = bool;
  static constexpr std::size_t size = 1;
};
}  // namespace detail

/// The vector of T for arch A: `xsimd::batch<T, A>`, or T itself at scalar.
template <class T, class A>
using vec = typename detail::vec_of<T, A>::type;
/// The comparison result for vec<T, A>: `xsimd::batch_bool<T, A>`, or bool.
template <class T, class A>
using vmask = typename detail::vec_of<T, A>::mask;
/// Lanes of vec<T, A>.
template <class T, class A>
inline constexpr std::size_t lanes = detail::vec_of<T, A>::size;

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd

// ------------------------------------------------------------------ registers
// The chained tags alias their base's registers. (Outside any target
// namespace: these are specialisations of xsimd's templates, keyed by our
// target-namespaced tags.)
#define QMATH_SIMD_REGISTER_ALIAS(L)                                                              \
  namespace xsimd::types {                                                                        \
  template <class T>                                                                              \
  struct simd_register<T, ::qmath::kernel::QMATH_TARGET_NS::simd::arch<::qmath::isa::L>>          \
      : simd_register<T, typename ::qmath::kernel::QMATH_TARGET_NS::simd::detail::base_of<        \
                             ::qmath::isa::L>::type> {                                            \
    using base_register = simd_register<                                                          \
        T, typename ::qmath::kernel::QMATH_TARGET_NS::simd::detail::base_of<::qmath::isa::L>::type>; \
    using register_type = typename base_register::register_type;                                  \
    simd_register(register_type reg) noexcept : base_register{reg} {}                             \
    simd_register() = default;                                                                    \
  };                                                                                              \
  template <class T>                                                                              \
  struct has_simd_register<T, ::qmath::kernel::QMATH_TARGET_NS::simd::arch<::qmath::isa::L>>      \
      : has_simd_register<T, typename ::qmath::kernel::QMATH_TARGET_NS::simd::detail::base_of<    \
                                 ::qmath::isa::L>::type> {};                                      \
  template <class T>                                                                              \
  struct get_bool_simd_register<T, ::qmath::kernel::QMATH_TARGET_NS::simd::arch<::qmath::isa::L>> \
      : get_bool_simd_register<T, typename ::qmath::kernel::QMATH_TARGET_NS::simd::detail::base_of< \
                                      ::qmath::isa::L>::type> {};                                 \
  }

namespace qmath::kernel::QMATH_TARGET_NS::simd::detail {
/// The tag whose registers arch<L> uses.
template <isa L>
struct base_of;
#if defined(QMATH_ARCH_X86)
#if defined(__SSE2__)
template <> struct base_of<isa::sse2> { using type = xsimd::sse2; };
#endif
#if defined(__SSE4_1__)
template <> struct base_of<isa::sse41> { using type = xsimd::sse4_1; };
#endif
#if defined(__AVX2__) && defined(__FMA__)
template <> struct base_of<isa::avx2> { using type = xsimd::fma3<xsimd::avx2>; };
#if defined(__AVXVNNI__)
template <> struct base_of<isa::avxvnni> { using type = arch<isa::avx2>; };
#endif
#endif
#if QMATH_TARGET_HAS_AVX512
template <> struct base_of<isa::avx512> { using type = xsimd::avx512bw; };
#if defined(__AVX512VNNI__)
template <> struct base_of<isa::avx512vnni> { using type = arch<isa::avx512>; };
#endif
#endif
#elif defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
template <> struct base_of<isa::neon> { using type = xsimd::neon64; };
#if defined(__ARM_FEATURE_DOTPROD)
template <> struct base_of<isa::dotprod> { using type = arch<isa::neon>; };
#if defined(__ARM_FEATURE_MATMUL_INT8)
template <> struct base_of<isa::i8mm> { using type = arch<isa::dotprod>; };
#endif
#endif
#endif
}  // namespace qmath::kernel::QMATH_TARGET_NS::simd::detail

#if defined(QMATH_ARCH_X86)
#if defined(__SSE2__)
QMATH_SIMD_REGISTER_ALIAS(sse2)
#endif
#if defined(__SSE4_1__)
QMATH_SIMD_REGISTER_ALIAS(sse41)
#endif
#if defined(__AVX2__) && defined(__FMA__)
QMATH_SIMD_REGISTER_ALIAS(avx2)
#if defined(__AVXVNNI__)
QMATH_SIMD_REGISTER_ALIAS(avxvnni)
#endif
#endif
#if QMATH_TARGET_HAS_AVX512
QMATH_SIMD_REGISTER_ALIAS(avx512)
#if defined(__AVX512VNNI__)
QMATH_SIMD_REGISTER_ALIAS(avx512vnni)
#endif
#endif
#elif defined(QMATH_ARCH_AARCH64) && defined(__ARM_NEON)
QMATH_SIMD_REGISTER_ALIAS(neon)
#if defined(__ARM_FEATURE_DOTPROD)
QMATH_SIMD_REGISTER_ALIAS(dotprod)
#if defined(__ARM_FEATURE_MATMUL_INT8)
QMATH_SIMD_REGISTER_ALIAS(i8mm)
#endif
#endif
#endif
#undef QMATH_SIMD_REGISTER_ALIAS

// ------------------------------------------------------------------ dispatch
namespace qmath::kernel::QMATH_TARGET_NS::simd {

/// xsimd's call shape over qmath's detection: `dispatch(f)(args...)` calls
/// `f(arch<L>{}, args...)` for the highest level L that this translation unit
/// can compile, the CPU (and OS) supports, and the cap (QMATH_MAX_ISA,
/// set_max_isa) allows; arch<isa::scalar> when none does. Unlike
/// xsimd::dispatch it checks XGETBV, AVX-VNNI, dotprod and i8mm, and honours
/// the cap. Levels above the unit's flags are reached through the kernel
/// registry (simd/dispatch.hpp), not through this.
template <class F>
class dispatcher {
 public:
  explicit constexpr dispatcher(F f) noexcept(std::is_nothrow_move_constructible_v<F>) : f_(std::move(f)) {}
  template <class... Args>
  decltype(auto) operator()(Args&&... args) {
    return call<isa_count - 1>(::qmath::detail::current_cap(), static_cast<Args&&>(args)...);
  }

 private:
  template <int I, class... Args>
  decltype(auto) call(isa cap, Args&&... args) {
    constexpr isa l = static_cast<isa>(I);
    if constexpr (I == 0) {
      (void)cap;
      return f_(arch<isa::scalar>{}, static_cast<Args&&>(args)...);
    } else if constexpr (has_arch<l>) {
      if (l <= cap && cpu_supports(l)) return f_(arch<l>{}, static_cast<Args&&>(args)...);
      return call<I - 1>(cap, static_cast<Args&&>(args)...);
    } else {
      return call<I - 1>(cap, static_cast<Args&&>(args)...);
    }
  }
  F f_;
};

template <class F>
constexpr dispatcher<std::decay_t<F>> dispatch(F&& f) {
  return dispatcher<std::decay_t<F>>(static_cast<F&&>(f));
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd

namespace qmath::simd {
// This translation unit's tags and dispatch (carrying its target namespace).
using ::qmath::kernel::QMATH_TARGET_NS::simd::arch;
using ::qmath::kernel::QMATH_TARGET_NS::simd::dispatch;
}  // namespace qmath::simd
