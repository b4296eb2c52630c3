#pragma once
// User-overridable knobs. Define any of these before including a qmath header
// (or on the command line) to change the behaviour.
//
//   QMATH_ASSERT(cond)      internal invariant check. Default: a no-op in release
//                           builds (NDEBUG), a message to stderr + std::abort()
//                           otherwise. Never used for bad user input: that is
//                           reported through qmath::status.
//   QMATH_NO_SELF_REGISTER  this translation unit does not register its own
//                           kernels before main. Define it in units built with
//                           flags that some target CPUs lack (their start-up
//                           code would use those instructions); see
//                           simd/dispatch.hpp.

#include <cstdio>
#include <cstdlib>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define QMATH_HAS_EXCEPTIONS 1
#else
#define QMATH_HAS_EXCEPTIONS 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define QMATH_ALWAYS_INLINE inline __attribute__((always_inline))
#define QMATH_NOINLINE __attribute__((noinline))
#define QMATH_RESTRICT __restrict__
#define QMATH_LIKELY(x) __builtin_expect(!!(x), 1)
#define QMATH_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define QMATH_ALWAYS_INLINE inline
#define QMATH_NOINLINE
#define QMATH_RESTRICT
#define QMATH_LIKELY(x) (x)
#define QMATH_UNLIKELY(x) (x)
#endif

#ifndef QMATH_ASSERT
#ifdef NDEBUG
#define QMATH_ASSERT(cond) static_cast<void>(0)
#else
#define QMATH_ASSERT(cond)                                                                   \
  ((cond) ? static_cast<void>(0)                                                             \
          : (std::fprintf(stderr, "qmath: internal assertion failed: %s (%s:%d)\n", #cond, \
                          __FILE__, __LINE__),                                               \
             std::abort()))
#endif
#endif

// GCC 12 reports -Wuninitialized/-Wmaybe-uninitialized inside its own AVX-512
// intrinsics (they use _mm*_undefined_*(); GCC PR105593, fixed in GCC 13).
// Kernel headers wrap their code in these to stay warning-clean.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define QMATH_SIMD_DIAGNOSTICS_BEGIN \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"") \
      _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define QMATH_SIMD_DIAGNOSTICS_END _Pragma("GCC diagnostic pop")
#else
#define QMATH_SIMD_DIAGNOSTICS_BEGIN
#define QMATH_SIMD_DIAGNOSTICS_END
#endif
