#pragma once
// The compile target of the current translation unit: the best kernel level
// its -m/-march flags allow. Every symbol whose code depends on those flags
// lives in namespace qmath::kernel::QMATH_TARGET_NS (tgt_sse2, tgt_avx2, ...),
// so translation units built with different flags never share (and the linker
// never merges) ISA-dependent code. See simd/dispatch.hpp.

#include "qmath/simd/isa.hpp"

// AVX-512 levels need F, CD, BW, DQ, VL (xsimd 14's avx512bw tag derives from
// avx512cd and needs its kernels), with AVX2 + FMA for the 256-bit halves.
#if defined(__AVX512F__) && defined(__AVX512CD__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512DQ__) && defined(__AVX2__) && defined(__FMA__)
#define QMATH_TARGET_HAS_AVX512 1
#else
#define QMATH_TARGET_HAS_AVX512 0
#endif

#if QMATH_TARGET_HAS_AVX512 && defined(__AVX512VNNI__)
#define QMATH_TARGET_NS tgt_avx512vnni
#define QMATH_TARGET_LEVEL ::qmath::isa::avx512vnni
#elif QMATH_TARGET_HAS_AVX512
#define QMATH_TARGET_NS tgt_avx512
#define QMATH_TARGET_LEVEL ::qmath::isa::avx512
#elif defined(__AVXVNNI__) && defined(__AVX2__) && defined(__FMA__)
#define QMATH_TARGET_NS tgt_avxvnni
#define QMATH_TARGET_LEVEL ::qmath::isa::avxvnni
#elif defined(__AVX2__) && defined(__FMA__)
#define QMATH_TARGET_NS tgt_avx2
#define QMATH_TARGET_LEVEL ::qmath::isa::avx2
#elif defined(__SSE4_1__)
#define QMATH_TARGET_NS tgt_sse41
#define QMATH_TARGET_LEVEL ::qmath::isa::sse41
#elif defined(__SSE2__) || defined(__x86_64__)
#define QMATH_TARGET_NS tgt_sse2
#define QMATH_TARGET_LEVEL ::qmath::isa::sse2
#elif defined(__aarch64__) && defined(__ARM_FEATURE_MATMUL_INT8) && defined(__ARM_FEATURE_DOTPROD)
#define QMATH_TARGET_NS tgt_i8mm
#define QMATH_TARGET_LEVEL ::qmath::isa::i8mm
#elif defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#define QMATH_TARGET_NS tgt_dotprod
#define QMATH_TARGET_LEVEL ::qmath::isa::dotprod
#elif defined(__aarch64__) && defined(__ARM_NEON)
#define QMATH_TARGET_NS tgt_neon
#define QMATH_TARGET_LEVEL ::qmath::isa::neon
#else
#define QMATH_TARGET_NS tgt_scalar
#define QMATH_TARGET_LEVEL ::qmath::isa::scalar
#endif

namespace qmath::kernel::QMATH_TARGET_NS {

/// The level of this translation unit's flags.
inline constexpr isa target_level = QMATH_TARGET_LEVEL;

/// Can kernels of level `l` be compiled in this translation unit?
constexpr bool target_implies(isa l) noexcept {
  switch (l) {
    case isa::scalar: return true;
#if defined(QMATH_ARCH_X86)
    case isa::sse2: return target_level >= isa::sse2;
    case isa::sse41: return target_level >= isa::sse41;
    case isa::avx2: return target_level >= isa::avx2;
#if defined(__AVXVNNI__)
    case isa::avxvnni: return true;
#endif
    case isa::avx512: return target_level >= isa::avx512;
    case isa::avx512vnni: return target_level >= isa::avx512vnni;
#elif defined(QMATH_ARCH_AARCH64)
    case isa::neon: return target_level >= isa::neon;
    case isa::dotprod: return target_level >= isa::dotprod;
    case isa::i8mm: return target_level >= isa::i8mm;
#endif
    default: return false;
  }
}

}  // namespace qmath::kernel::QMATH_TARGET_NS
