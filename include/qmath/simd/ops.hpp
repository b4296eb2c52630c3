#pragma once
// The shared SIMD vocabulary of every kernel family.
//
// Kernels are templates on a qmath arch tag A (simd/arch.hpp). Their values
// are `vec<T, A>`: `xsimd::batch<T, A>`, or plain T at the scalar level. They
// use xsimd's operators where those are exact and the same on every xsimd
// version (+, -, *, &, |, ^, ==, <, unaligned load/store, broadcast; not /,
// see div), and
// the operations below for everything else. Each operation here is a public
// function that deduces A from its vector argument (or takes A explicitly
// when it has none) and calls an overload set on `requires_arch<...>` in
// namespace `impl`; the per-ISA overloads live in simd/ops_x86.hpp and
// simd/ops_neon.hpp, the only files that include intrinsics headers (with
// the CPU probe, simd/isa.hpp). Overload resolution picks the most derived
// tag: arch<avx512vnni> gets the VNNI dot product and the avx512bw overload
// of everything else.
//
// Rules every operation keeps:
//  - exact and the same on every level: the scalar overload is the reference
//    and tests/simd/test_ops.cpp checks every level against it bit for bit;
//  - nothing reads MXCSR / FPCR: rounding is explicit (roundps imm, frintn,
//    or the 2^23 trick on SSE2), float->int conversion truncates;
//  - no xsimd min/max (their NaN rules changed between 8.1 and 14): qmath's
//    min_ordered / max_ordered are defined for non-NaN inputs only;
//  - int32 -> float conversion is exact for |v| <= 2^24 (the only use:
//    codes, counts, small integers).
//
// Adding a level: a tag in simd/arch.hpp and one overload per operation in the
// per-ISA file (or none, where the base tag's overload already applies).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qmath/simd/arch.hpp"

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd {

template <class A>
using requires_arch = xsimd::kernel::requires_arch<A>;
using generic_arch = ::qmath::simd_compat::generic_arch;

template <class T, class A>
using batch = xsimd::batch<T, A>;
template <class T, class A>
using batch_bool = xsimd::batch_bool<T, A>;

// ------------------------------------------------------------ load / store
/// Unaligned load of lanes<T, A> elements.
template <class A, class T>
QMATH_ALWAYS_INLINE vec<T, A> load(const T* p) noexcept {
  if constexpr (is_scalar_arch<A>) return *p;
  else return batch<T, A>::load_unaligned(p);
}
/// Unaligned store.
template <class T, class A>
QMATH_ALWAYS_INLINE void store(T* p, const batch<T, A>& v) noexcept {
  v.store_unaligned(p);
}
template <class T>
QMATH_ALWAYS_INLINE void store(T* p, T v) noexcept {
  *p = v;
}
/// All lanes = v.
template <class A, class T>
QMATH_ALWAYS_INLINE vec<T, A> broadcast(T v) noexcept {
  if constexpr (is_scalar_arch<A>) return v;
  else return batch<T, A>(v);
}
/// Reinterpret the bits (same lane count and width).
template <class To, class From, class A>
QMATH_ALWAYS_INLINE batch<To, A> bitcast(const batch<From, A>& v) noexcept {
  static_assert(sizeof(To) == sizeof(From), "qmath::simd::bitcast: element sizes differ");
  return ::qmath::simd_compat::bitcast<To>(v);
}
template <class To, class From>
  requires std::is_arithmetic_v<From>
QMATH_ALWAYS_INLINE To bitcast(From v) noexcept {
  static_assert(sizeof(To) == sizeof(From), "qmath::simd::bitcast: element sizes differ");
  To r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}
/// Any lane set?
template <class T, class A>
QMATH_ALWAYS_INLINE bool any(const batch_bool<T, A>& m) noexcept {
  return xsimd::any(m);
}
QMATH_ALWAYS_INLINE bool any(bool m) noexcept { return m; }
/// Sum of the lanes (wrapping for integers; for floats in an unspecified
/// but fixed order per level: callers that need bits use integer sums).
template <class T, class A>
QMATH_ALWAYS_INLINE T reduce_add(const batch<T, A>& v) noexcept {
  return ::qmath::simd_compat::reduce_add(v);
}
template <class T>
  requires std::is_arithmetic_v<T>
QMATH_ALWAYS_INLINE T reduce_add(T v) noexcept {
  return v;
}

/// The 128-bit tag of A's line, for operations that a family runs on 16 byte
/// lanes at every level (byte shuffles): A itself at scalar, sse2, sse41 and
/// neon; arch<sse41> for the AVX2 and AVX-512 levels (VEX-encoded there, as
/// the unit's flags ask); arch<neon> for dotprod and i8mm.
namespace detail {
constexpr isa level128(isa l) noexcept {
  switch (l) {
    case isa::avx2:
    case isa::avxvnni:
    case isa::avx512:
    case isa::avx512vnni: return isa::sse41;
    case isa::dotprod:
    case isa::i8mm: return isa::neon;
    default: return l;
  }
}
}  // namespace detail
template <class A>
using arch128 = arch<detail::level128(A::level)>;

// ------------------------------------------------------- scalar reference
// The scalar level's definitions of the per-ISA operations. SIMD overloads
// must agree with these bit for bit.
namespace ref {
QMATH_ALWAYS_INLINE float round_even(float t) noexcept {
  const float a = t < 0.0f ? -t : t;
  if (!(a < 8388608.0f)) return t;  // |t| >= 2^23 (integral), Inf, NaN
  // Truncate (exact, mode-independent), then round on the exact remainder:
  // no step depends on the FP rounding mode.
  const auto i = static_cast<std::int32_t>(t);
  const float f = t - static_cast<float>(i);  // exact, |f| < 1
  std::int32_t r = i;
  if (f > 0.5f || (f == 0.5f && (i & 1))) ++r;
  else if (f < -0.5f || (f == -0.5f && (i & 1))) --r;
  const float v = static_cast<float>(r);
  return v == 0.0f ? (std::signbit(t) ? -0.0f : 0.0f) : v;  // keep the sign of zero
}
QMATH_ALWAYS_INLINE float round_trunc(float t) noexcept {
  const float a = t < 0.0f ? -t : t;
  if (!(a < 8388608.0f)) return t;
  const float r = static_cast<float>(static_cast<std::int32_t>(t));
  return r == 0.0f ? (std::signbit(t) ? -0.0f : 0.0f) : r;
}
QMATH_ALWAYS_INLINE float round_floor(float t) noexcept {
  const float r = round_trunc(t);
  return r > t ? r - 1.0f : r;
}
}  // namespace ref

// ------------------------------------------------------------- impl: generic
// Fallbacks that are exact through xsimd on every version.
namespace impl {
template <class T, class A>
QMATH_ALWAYS_INLINE batch<T, A> select(const batch_bool<T, A>& m, const batch<T, A>& a, const batch<T, A>& b,
                                       requires_arch<generic_arch>) noexcept {
  return xsimd::select(m, a, b);
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> nan_to_zero(const batch<float, A>& x, requires_arch<generic_arch>) noexcept {
  return xsimd::select(x == x, x, batch<float, A>(0.0f));
}
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> div(const batch<float, A>& a, const batch<float, A>& b,
                                        requires_arch<generic_arch>) noexcept {
  return a / b;
}
template <class T, class A>
QMATH_ALWAYS_INLINE void store_where(T* p, const batch_bool<float, A>& m, const batch<T, A>& v,
                                     requires_arch<generic_arch>) noexcept {
  const batch<float, A> old = ::qmath::simd_compat::bitcast<float>(batch<T, A>::load_unaligned(p));
  const batch<float, A> mixed = xsimd::select(m, ::qmath::simd_compat::bitcast<float>(v), old);
  ::qmath::simd_compat::bitcast<T>(mixed).store_unaligned(p);
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mask01(const batch_bool<float, A>& m, requires_arch<generic_arch>) noexcept {
  // A bitwise select of the pattern 0x00000001 (no float arithmetic on it).
  return ::qmath::simd_compat::bitcast<std::int32_t>(
      xsimd::select(m, batch<float, A>(bitcast<float>(std::int32_t{1})), batch<float, A>(0.0f)));
}
}  // namespace impl

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd
QMATH_SIMD_DIAGNOSTICS_END

#include "qmath/simd/ops_neon.hpp"
#include "qmath/simd/ops_x86.hpp"

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd {

/// m ? a : b per lane.
template <class T, class A>
QMATH_ALWAYS_INLINE batch<T, A> select(const batch_bool<T, A>& m, const batch<T, A>& a, const batch<T, A>& b) noexcept {
  return impl::select(m, a, b, A{});
}
template <class T>
QMATH_ALWAYS_INLINE T select(bool m, T a, T b) noexcept {
  return m ? a : b;
}
/// Stores the lanes of v where m holds; the other elements of p keep their
/// values (a masked store where the level has one, else load, select and
/// store: p must be a whole vector of writable memory either way). T: a
/// 32-bit element type (float, int32, uint32).
template <class T, class A>
QMATH_ALWAYS_INLINE void store_where(T* p, const batch_bool<float, A>& m, const batch<T, A>& v) noexcept {
  static_assert(sizeof(T) == 4, "qmath::simd::store_where: 32-bit elements only");
  impl::store_where(p, m, v, A{});
}
template <class T>
QMATH_ALWAYS_INLINE void store_where(T* p, bool m, T v) noexcept {
  if (m) *p = v;
}

// ------------------------------------------------------------ float rounding
/// Round to nearest, ties to even (never the FP environment). Integral
/// values, +-Inf and NaN pass through; the sign of zero is kept.
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_even(const batch<float, A>& x) noexcept {
  return impl::round_even(x, A{});
}
QMATH_ALWAYS_INLINE float round_even(float x) noexcept { return ref::round_even(x); }
/// Round toward zero.
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_trunc(const batch<float, A>& x) noexcept {
  return impl::round_trunc(x, A{});
}
QMATH_ALWAYS_INLINE float round_trunc(float x) noexcept { return ref::round_trunc(x); }
/// Round toward -Inf.
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> round_floor(const batch<float, A>& x) noexcept {
  return impl::round_floor(x, A{});
}
QMATH_ALWAYS_INLINE float round_floor(float x) noexcept { return ref::round_floor(x); }

// ------------------------------------------------------------ float division
/// a / b, correctly rounded (IEEE division) on every level. Use it, not
/// operator/: xsimd 8.1 divides NEON float batches by a reciprocal estimate
/// and Newton steps (not exact).
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> div(const batch<float, A>& a, const batch<float, A>& b) noexcept {
  return impl::div(a, b, A{});
}
QMATH_ALWAYS_INLINE float div(float a, float b) noexcept { return a / b; }

// ------------------------------------------------------------ float min/max
/// max(a, b) for non-NaN inputs (a NaN gives an unspecified lane).
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> max_ordered(const batch<float, A>& a, const batch<float, A>& b) noexcept {
  return impl::max_ordered(a, b, A{});
}
QMATH_ALWAYS_INLINE float max_ordered(float a, float b) noexcept { return a < b ? b : a; }
/// min(a, b) for non-NaN inputs.
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> min_ordered(const batch<float, A>& a, const batch<float, A>& b) noexcept {
  return impl::min_ordered(a, b, A{});
}
QMATH_ALWAYS_INLINE float min_ordered(float a, float b) noexcept { return b < a ? b : a; }
/// NaN lanes -> +0.0f, others unchanged.
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> nan_to_zero(const batch<float, A>& x) noexcept {
  return impl::nan_to_zero(x, A{});
}
QMATH_ALWAYS_INLINE float nan_to_zero(float x) noexcept { return x == x ? x : 0.0f; }
/// Lanes holding +-Inf or NaN (an exponent of all ones; a bit test, no FP compare).
template <class A>
QMATH_ALWAYS_INLINE batch_bool<float, A> is_nonfinite(const batch<float, A>& x) noexcept {
  return impl::is_nonfinite(x, A{});
}
QMATH_ALWAYS_INLINE bool is_nonfinite(float x) noexcept {
  return (bitcast<std::uint32_t>(x) & 0x7f800000u) == 0x7f800000u;
}

/// 1 in the int32 lanes where m is set, 0 elsewhere.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mask01(const batch_bool<float, A>& m) noexcept {
  return impl::mask01(m, A{});
}
QMATH_ALWAYS_INLINE std::int32_t mask01(bool m) noexcept { return m ? 1 : 0; }

// ------------------------------------------------------------- conversions
/// float -> int32, truncating; defined for |x| < 2^31.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> trunc_to_i32(const batch<float, A>& x) noexcept {
  return impl::trunc_to_i32(x, A{});
}
QMATH_ALWAYS_INLINE std::int32_t trunc_to_i32(float x) noexcept { return static_cast<std::int32_t>(x); }
/// int32 -> float; exact for |v| <= 2^24.
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> to_f32(const batch<std::int32_t, A>& v) noexcept {
  return impl::to_f32(v, A{});
}
QMATH_ALWAYS_INLINE float to_f32(std::int32_t v) noexcept { return static_cast<float>(v); }

// ------------------------------------------------------------ int32 lanes
/// Low 32 bits of the product (wrapping).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> mullo(const batch<std::int32_t, A>& a,
                                                 const batch<std::int32_t, A>& b) noexcept {
  return impl::mullo(a, b, A{});
}
QMATH_ALWAYS_INLINE std::int32_t mullo(std::int32_t a, std::int32_t b) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) * static_cast<std::uint32_t>(b));
}
/// Logical right shift by a constant.
template <int N, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> shr_logical(const batch<std::int32_t, A>& a) noexcept {
  static_assert(N > 0 && N < 32, "qmath::simd::shr_logical: shift out of range");
  return impl::shr_logical<N>(a, A{});
}
template <int N>
QMATH_ALWAYS_INLINE std::int32_t shr_logical(std::int32_t a) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) >> N);
}
/// 0, 1, 2, ... lanes<int32_t, A> - 1.
template <class A>
QMATH_ALWAYS_INLINE vec<std::int32_t, A> iota() noexcept {
  if constexpr (is_scalar_arch<A>) return 0;
  else {
    alignas(64) std::int32_t v[lanes<std::int32_t, A>];
    for (std::size_t i = 0; i < lanes<std::int32_t, A>; ++i) v[i] = static_cast<std::int32_t>(i);
    return batch<std::int32_t, A>::load_aligned(v);
  }
}

// --------------------------------------------------------- widen / narrow
/// Load lanes<int32_t, A> codes of T (int8, uint8, int16, uint16) widened to int32.
template <class A, class T>
QMATH_ALWAYS_INLINE vec<std::int32_t, A> load_widen(const T* p) noexcept {
  static_assert(std::is_integral_v<T> && sizeof(T) <= 2, "qmath::simd::load_widen: 8- or 16-bit codes");
  if constexpr (is_scalar_arch<A>) return static_cast<std::int32_t>(*p);
  else return impl::load_widen<A>(p, A{});
}
/// Store 4 * lanes<int32_t, A> int32 values (a, b, c, d in order), each within
/// T's range, as T (int8, uint8, int16, uint16). NT: non-temporal store (p
/// aligned to the vector size; a regular store where the level has none).
template <class T, bool NT = false, class A>
QMATH_ALWAYS_INLINE void store_narrow4(T* p, const batch<std::int32_t, A>& a, const batch<std::int32_t, A>& b,
                                       const batch<std::int32_t, A>& c, const batch<std::int32_t, A>& d) noexcept {
  static_assert(std::is_integral_v<T> && sizeof(T) <= 2, "qmath::simd::store_narrow4: 8- or 16-bit codes");
  impl::template store_narrow4<T, NT>(p, a, b, c, d, A{});
}
template <class T, bool NT = false>
QMATH_ALWAYS_INLINE void store_narrow4(T* p, std::int32_t a, std::int32_t b, std::int32_t c, std::int32_t d) noexcept {
  p[0] = static_cast<T>(a);
  p[1] = static_cast<T>(b);
  p[2] = static_cast<T>(c);
  p[3] = static_cast<T>(d);
}

// ------------------------------------------------------ streaming stores
/// Non-temporal store of a whole vector to p (aligned to the vector size); a
/// regular store where the level has none. Follow a run with stream_fence<A>().
template <class A>
QMATH_ALWAYS_INLINE void stream(float* p, const batch<float, A>& v) noexcept {
  impl::stream(p, v, A{});
}
QMATH_ALWAYS_INLINE void stream(float* p, float v) noexcept { *p = v; }
template <class A>
QMATH_ALWAYS_INLINE void stream_fence() noexcept {
  if constexpr (!is_scalar_arch<A>) impl::stream_fence(A{});
}

// ------------------------------------------------------------- prefetch
/// Hint: fetch the cache line holding p for reading (into every cache level).
/// Never faults, whatever p is; no effect on results.
QMATH_ALWAYS_INLINE void prefetch(const void* p) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 0, 3);
#else
  (void)p;
#endif
}

// ------------------------------------------------------ 8-bit dot products
/// acc[i] + sum_{j<4} a[4i+j] * b[4i+j], a unsigned 8-bit, b signed 8-bit,
/// exact (no saturation: 4 * 255 * 128 fits int32 easily) on every level:
/// vpdpbusd with VNNI, vpmaddwd on widened halves elsewhere.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_u8s8(const batch<std::int32_t, A>& acc,
                                                     const batch<std::uint8_t, A>& a,
                                                     const batch<std::int8_t, A>& b) noexcept {
  return impl::dot4_u8s8(acc, a, b, A{});
}
/// acc[i] + sum_{j<4} a[4i+j] * b[4i+j], both signed 8-bit, exact: sdot with
/// dotprod, vmull_s8 + vpadal elsewhere (NEON only; x86 has no s8 x s8 op).
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> dot4_s8s8(const batch<std::int32_t, A>& acc,
                                                     const batch<std::int8_t, A>& a,
                                                     const batch<std::int8_t, A>& b) noexcept {
  return impl::dot4_s8s8(acc, a, b, A{});
}
/// Scalar references of the dot products (4 lanes of a, b per int32 lane).
QMATH_ALWAYS_INLINE std::int32_t dot4_u8s8(std::int32_t acc, const std::uint8_t* a, const std::int8_t* b) noexcept {
  for (int j = 0; j < 4; ++j) acc += static_cast<std::int32_t>(a[j]) * static_cast<std::int32_t>(b[j]);
  return acc;
}
QMATH_ALWAYS_INLINE std::int32_t dot4_s8s8(std::int32_t acc, const std::int8_t* a, const std::int8_t* b) noexcept {
  for (int j = 0; j < 4; ++j) acc += static_cast<std::int32_t>(a[j]) * static_cast<std::int32_t>(b[j]);
  return acc;
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd
QMATH_SIMD_DIAGNOSTICS_END
