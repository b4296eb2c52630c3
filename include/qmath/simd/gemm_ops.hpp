#pragma once
// The GEMM family's SIMD operations: what the integer GEMM kernels
// (gemm/kernels.hpp, gemm/kernels_int4.hpp) and the activation packer
// (gemm/pack.hpp) need beyond the shared vocabulary of simd/ops.hpp. Same
// shape as ops.hpp: public functions deduce the arch tag A from a batch
// argument (or take it explicitly) and call an overload set on
// `requires_arch<...>` in namespace impl, defined per ISA in
// simd/x86/gemm.hpp and simd/neon/gemm.hpp (the only GEMM files that include
// intrinsics headers). Each operation exists at the levels whose kernels use
// it; all of them are exact integer operations or plain data movement,
// except gemm_no_contract, an optimisation barrier.

#include <cstddef>
#include <cstdint>

#include "qmath/simd/ops.hpp"
#include "qmath/simd/neon/gemm.hpp"
#include "qmath/simd/x86/gemm.hpp"

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::simd {

namespace impl {
/// Without a dedicated instruction: the shared u8 x s8 quad dot product.
template <class A>
QMATH_ALWAYS_INLINE void gemm_dpbusd_acc(batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                         const batch<std::int8_t, A>& b, requires_arch<generic_arch>) noexcept {
  acc = ::qmath::kernel::QMATH_TARGET_NS::simd::dot4_u8s8(acc, a, b);
}
// Every other operation exists only at the levels listed with it below; the
// generic declarations name them on every target (a kernel that calls one at
// a level without it does not compile).
template <class A>
batch<float, A> gemm_no_contract(const batch<float, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int32_t, A> gemm_madd_i16(const batch<std::int16_t, A>&, const batch<std::int16_t, A>&,
                                     requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int16_t, A> gemm_bcast_quad_u16(std::int32_t, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int16_t, A> gemm_load_s8_i16(const std::int8_t*, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int32_t, A> gemm_padal_mull_lo(const batch<std::int32_t, A>&, const batch<std::int8_t, A>&,
                                          const batch<std::int8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int32_t, A> gemm_padal_mull_hi(const batch<std::int32_t, A>&, const batch<std::int8_t, A>&,
                                          const batch<std::int8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <int I, class A>
batch<std::int32_t, A> gemm_sdot_lane(const batch<std::int32_t, A>&, const batch<std::int8_t, A>&,
                                      const batch<std::int8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int32_t, A> gemm_smmla(const batch<std::int32_t, A>&, const batch<std::int8_t, A>&,
                                  const batch<std::int8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int32_t, A> gemm_zip_lo_i32(const batch<std::int32_t, A>&, const batch<std::int32_t, A>&,
                                       requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int32_t, A> gemm_zip_hi_i32(const batch<std::int32_t, A>&, const batch<std::int32_t, A>&,
                                       requires_arch<generic_arch>) noexcept = delete;
template <class A>
void gemm_store_halves(std::int32_t*, std::int32_t*, const batch<std::int32_t, A>&,
                       requires_arch<generic_arch>) noexcept = delete;
template <class A, class T>
batch<T, A> gemm_load_first(const T*, std::size_t, requires_arch<generic_arch>) noexcept = delete;
template <class T, class A>
void gemm_store_first(T*, const batch<T, A>&, std::size_t, requires_arch<generic_arch>) noexcept = delete;
template <class T, class A>
void gemm_store_first_narrow(T*, const batch<std::int32_t, A>&, std::size_t, requires_arch<generic_arch>) noexcept = delete;
template <class A>
void gemm_store_s8(std::int8_t*, const batch<std::int32_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::int32_t, A> gemm_clamp_i32(const batch<std::int32_t, A>&, const batch<std::int32_t, A>&,
                                      const batch<std::int32_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::uint8_t, A> gemm_load_nibbles(const std::uint8_t*, requires_arch<generic_arch>) noexcept = delete;
template <class A>
batch<std::uint64_t, A> gemm_rowsum2_u8(const batch<std::uint64_t, A>&, const batch<std::uint8_t, A>&,
                                        const batch<std::uint8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
template <class A>
void gemm_transpose4_u32(batch<std::uint8_t, A>&, batch<std::uint8_t, A>&, batch<std::uint8_t, A>&,
                         batch<std::uint8_t, A>&, requires_arch<generic_arch>) noexcept = delete;
}  // namespace impl

// ------------------------------------------------------------ reinterpretation
/// The bits of v as lanes of To (any element widths: simd::bitcast keeps the
/// lane count, the kernels also view bytes as int32 groups and back).
template <class To, class From, class A>
QMATH_ALWAYS_INLINE batch<To, A> gemm_reinterpret(const batch<From, A>& v) noexcept {
  return ::qmath::simd_compat::bitcast<To>(v);
}

// ------------------------------------------------------------ barriers
/// x itself; keeps the compiler from fusing the product that computed x with
/// a following add (FMA contraction), so every operation rounds separately.
template <class A>
QMATH_ALWAYS_INLINE batch<float, A> gemm_no_contract(const batch<float, A>& x) noexcept {
  return impl::gemm_no_contract(x, A{});
}
QMATH_ALWAYS_INLINE float gemm_no_contract(float x) noexcept {
#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
  __asm__("" : "+x"(x));
#elif defined(QMATH_ARCH_AARCH64)
  __asm__("" : "+w"(x));
#endif
  return x;
}

// ------------------------------------------------------ 8-bit dot products
/// acc[i] += sum_{t<4} a[4i+t] * b[4i+t], a unsigned, b signed, in place
/// (vpdpbusd tied to acc's register at AVX-512 VNNI, simd::dot4_u8s8 elsewhere).
template <class A>
QMATH_ALWAYS_INLINE void gemm_dpbusd_acc(batch<std::int32_t, A>& acc, const batch<std::uint8_t, A>& a,
                                         const batch<std::int8_t, A>& b) noexcept {
  impl::gemm_dpbusd_acc(acc, a, b, A{});
}
/// lane i = a[2i] * b[2i] + a[2i+1] * b[2i+1] (pmaddwd; exact for 8-bit
/// operands widened to int16). x86.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_madd_i16(const batch<std::int16_t, A>& a,
                                                         const batch<std::int16_t, A>& b) noexcept {
  return impl::gemm_madd_i16(a, b, A{});
}
/// The 4 bytes of q (memory order), zero-extended to int16, repeated over the
/// lanes: {q0, q1, q2, q3, q0, ...}. x86 from SSE4.1.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> gemm_bcast_quad_u16(std::int32_t q) noexcept {
  return impl::gemm_bcast_quad_u16<A>(q, A{});
}
/// lanes<int16_t, A> bytes from p, sign-extended to int16. x86 from SSE4.1.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int16_t, A> gemm_load_s8_i16(const std::int8_t* p) noexcept {
  return impl::gemm_load_s8_i16<A>(p, A{});
}
/// acc + pair sums of b * a over the low / high 8 int8 lanes (vmull_s8 +
/// vpadal, exact). NEON.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_padal_mull_lo(const batch<std::int32_t, A>& acc,
                                                              const batch<std::int8_t, A>& b,
                                                              const batch<std::int8_t, A>& a) noexcept {
  return impl::gemm_padal_mull_lo(acc, b, a, A{});
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_padal_mull_hi(const batch<std::int32_t, A>& acc,
                                                              const batch<std::int8_t, A>& b,
                                                              const batch<std::int8_t, A>& a) noexcept {
  return impl::gemm_padal_mull_hi(acc, b, a, A{});
}
/// acc[i] + sum_{t<4} b[4i+t] * a[4I+t] (sdot by lane). dotprod.
template <int I, class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_sdot_lane(const batch<std::int32_t, A>& acc,
                                                          const batch<std::int8_t, A>& b,
                                                          const batch<std::int8_t, A>& a) noexcept {
  static_assert(I >= 0 && I < 4, "gemm_sdot_lane: lane out of range");
  return impl::gemm_sdot_lane<I>(acc, b, a, A{});
}
/// acc (2 x 2 int32) + a (2 x 8 int8) * b (2 x 8 int8)^T (smmla). i8mm.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_smmla(const batch<std::int32_t, A>& acc, const batch<std::int8_t, A>& a,
                                                      const batch<std::int8_t, A>& b) noexcept {
  return impl::gemm_smmla(acc, a, b, A{});
}

// ------------------------------------------------------------ data movement
/// {a0, b0, a1, b1} / {a2, b2, a3, b3}. NEON.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_zip_lo_i32(const batch<std::int32_t, A>& a,
                                                           const batch<std::int32_t, A>& b) noexcept {
  return impl::gemm_zip_lo_i32(a, b, A{});
}
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_zip_hi_i32(const batch<std::int32_t, A>& a,
                                                           const batch<std::int32_t, A>& b) noexcept {
  return impl::gemm_zip_hi_i32(a, b, A{});
}
/// Lanes 0, 1 of v to lo[0..1], lanes 2, 3 to hi[0..1]. NEON.
template <class A>
QMATH_ALWAYS_INLINE void gemm_store_halves(std::int32_t* lo, std::int32_t* hi, const batch<std::int32_t, A>& v) noexcept {
  impl::gemm_store_halves(lo, hi, v, A{});
}
/// Lanes [0, min(left, lanes)) from p, zero elsewhere; touches no memory
/// beyond them. AVX-512.
template <class A, class T>
QMATH_ALWAYS_INLINE batch<T, A> gemm_load_first(const T* p, std::size_t left) noexcept {
  return impl::gemm_load_first<A>(p, left, A{});
}
/// Store lanes [0, min(left, lanes)) of v to p; touches no memory beyond them. AVX-512.
template <class T, class A>
QMATH_ALWAYS_INLINE void gemm_store_first(T* p, const batch<T, A>& v, std::size_t left) noexcept {
  impl::gemm_store_first(p, v, left, A{});
}
/// The same for int32 lanes, each within T's range, stored as T (int8, uint8). AVX-512.
template <class T, class A>
QMATH_ALWAYS_INLINE void gemm_store_first_narrow(T* p, const batch<std::int32_t, A>& v, std::size_t left) noexcept {
  impl::template gemm_store_first_narrow<T>(p, v, left, A{});
}
/// Store the lanes of v, each in [-128, 127], as int8 (lanes bytes). AVX2, AVX-512.
template <class A>
QMATH_ALWAYS_INLINE void gemm_store_s8(std::int8_t* p, const batch<std::int32_t, A>& v) noexcept {
  impl::gemm_store_s8(p, v, A{});
}
/// min(max(v, lo), hi) per int32 lane. AVX-512.
template <class A>
QMATH_ALWAYS_INLINE batch<std::int32_t, A> gemm_clamp_i32(const batch<std::int32_t, A>& v, const batch<std::int32_t, A>& lo,
                                                          const batch<std::int32_t, A>& hi) noexcept {
  return impl::gemm_clamp_i32(v, lo, hi, A{});
}
/// int4 weights: the 2 * lanes<uint8_t, A> / 2 nibbles of the lanes / 2
/// bytes at p as bytes: the low nibbles of all bytes, then the high nibbles. AVX-512.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint8_t, A> gemm_load_nibbles(const std::uint8_t* p) noexcept {
  return impl::gemm_load_nibbles<A>(p, A{});
}
/// Activation packer (16-byte vectors): sum + {sum of the bytes of a, of b} in 64-bit lanes.
template <class A>
QMATH_ALWAYS_INLINE batch<std::uint64_t, A> gemm_rowsum2_u8(const batch<std::uint64_t, A>& sum,
                                                            const batch<std::uint8_t, A>& a,
                                                            const batch<std::uint8_t, A>& b) noexcept {
  return impl::gemm_rowsum2_u8(sum, a, b, A{});
}
/// Activation packer (16-byte vectors): in-place transpose of the 4 x 4
/// matrix of 4-byte groups whose rows are a0..a3.
template <class A>
QMATH_ALWAYS_INLINE void gemm_transpose4_u32(batch<std::uint8_t, A>& a0, batch<std::uint8_t, A>& a1,
                                             batch<std::uint8_t, A>& a2, batch<std::uint8_t, A>& a3) noexcept {
  impl::gemm_transpose4_u32(a0, a1, a2, a3, A{});
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::simd
QMATH_SIMD_DIAGNOSTICS_END
