#pragma once
// Instruction-set levels, run-time CPU detection and the user cap.
//
// A *level* names a family of kernels. Levels are ordered (for the cap) as
//   x86:     scalar < sse2 < sse41 < avx2 < avxvnni < avx512 < avx512vnni
//   AArch64: scalar < neon < dotprod < i8mm
// where
//   sse41      SSE4.1                       avx2     AVX2 + FMA
//   avxvnni    AVX2 + AVX-VNNI (ymm vpdpbusd)
//   avx512     AVX-512 F + CD + BW + VL + DQ   avx512vnni  avx512 + AVX512-VNNI
//   neon       AArch64 Advanced SIMD        dotprod  + sdot/udot
//   i8mm       + smmla/ummla/usmmla (and dotprod)
// A level is *supported* when the CPU reports every feature it needs and the
// OS saves the register state (XGETBV/XCR0 for YMM and ZMM). Note avxvnni and
// avx512 are not nested: a CPU can have either without the other.
//
// The cap: the environment variable QMATH_MAX_ISA (read once, at the first
// dispatch) or qmath::set_max_isa() limits dispatch to levels <= the cap.
// Accepted names: scalar sse2 sse41 avx2 avxvnni avx512 avx512vnni neon
// dotprod i8mm (and "native"/"" for no cap).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "qmath/core/status.hpp"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define QMATH_ARCH_X86 1
#include <cpuid.h>
#elif defined(__aarch64__)
#define QMATH_ARCH_AARCH64 1
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#endif

namespace qmath {

/// Kernel levels (see the file comment). Values are ordered for the cap.
enum class isa : std::uint8_t {
  scalar = 0,
  sse2,
  sse41,
  avx2,
  avxvnni,
  avx512,
  avx512vnni,
  neon,
  dotprod,
  i8mm,
};

inline constexpr int isa_count = 10;

constexpr std::string_view to_string(isa l) noexcept {
  switch (l) {
    case isa::scalar: return "scalar";
    case isa::sse2: return "sse2";
    case isa::sse41: return "sse41";
    case isa::avx2: return "avx2";
    case isa::avxvnni: return "avxvnni";
    case isa::avx512: return "avx512";
    case isa::avx512vnni: return "avx512vnni";
    case isa::neon: return "neon";
    case isa::dotprod: return "dotprod";
    case isa::i8mm: return "i8mm";
  }
  return "unknown";
}

/// Parse a level name as accepted by QMATH_MAX_ISA; nullopt when unknown.
constexpr std::optional<isa> parse_isa(std::string_view s) noexcept {
  for (int i = 0; i < isa_count; ++i) {
    if (to_string(static_cast<isa>(i)) == s) return static_cast<isa>(i);
  }
  if (s == "sse4.1" || s == "sse4_1") return isa::sse41;
  if (s == "avx512bw") return isa::avx512;
  if (s == "neon64") return isa::neon;
  return std::nullopt;
}

/// True when `l` belongs to the architecture this code is compiled for.
constexpr bool isa_is_native_family(isa l) noexcept {
  if (l == isa::scalar) return true;
#if defined(QMATH_ARCH_X86)
  return l >= isa::sse2 && l <= isa::avx512vnni;
#elif defined(QMATH_ARCH_AARCH64)
  return l >= isa::neon && l <= isa::i8mm;
#else
  return false;
#endif
}

/// Raw CPU feature bits (what the CPU and OS support, not what is compiled in).
struct cpu_features {
  bool sse2 = false, sse41 = false, avx2 = false, fma = false;
  bool avx512f = false, avx512cd = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avxvnni = false;
  bool os_ymm = false, os_zmm = false;
  bool neon = false, dotprod = false, i8mm = false, sve = false;
};

namespace detail {

#if defined(QMATH_ARCH_X86)
inline std::uint64_t read_xcr0() noexcept {
  std::uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<std::uint64_t>(edx) << 32) | eax;
}
#endif

inline cpu_features detect_cpu_features() noexcept {
  cpu_features f;
#if defined(QMATH_ARCH_X86)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
  const unsigned max_leaf = a;
  __cpuid(1, a, b, c, d);
  f.sse2 = (d >> 26) & 1u;
  f.sse41 = (c >> 19) & 1u;
  f.fma = (c >> 12) & 1u;
  const bool osxsave = (c >> 27) & 1u;
  const bool avx = (c >> 28) & 1u;
  if (osxsave && avx) {
    const std::uint64_t xcr0 = read_xcr0();
    f.os_ymm = (xcr0 & 0x6u) == 0x6u;       // XMM + YMM state
    f.os_zmm = (xcr0 & 0xE6u) == 0xE6u;     // + opmask, ZMM_Hi256, Hi16_ZMM
  }
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned max_sub = a;
    f.avx2 = f.os_ymm && ((b >> 5) & 1u);
    f.fma = f.fma && f.os_ymm;
    f.avx512f = f.os_zmm && ((b >> 16) & 1u);
    f.avx512dq = f.os_zmm && ((b >> 17) & 1u);
    f.avx512cd = f.os_zmm && ((b >> 28) & 1u);
    f.avx512bw = f.os_zmm && ((b >> 30) & 1u);
    f.avx512vl = f.os_zmm && ((b >> 31) & 1u);
    f.avx512vnni = f.os_zmm && ((c >> 11) & 1u);
    if (max_sub >= 1) {
      __cpuid_count(7, 1, a, b, c, d);
      f.avxvnni = f.os_ymm && ((a >> 4) & 1u);
    }
  }
#elif defined(QMATH_ARCH_AARCH64)
  f.neon = true;  // Advanced SIMD is mandatory on AArch64
#if defined(__linux__)
  const unsigned long hw = getauxval(AT_HWCAP);
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  f.dotprod = (hw >> 20) & 1ul;  // HWCAP_ASIMDDP
  f.sve = (hw >> 22) & 1ul;      // HWCAP_SVE
  f.i8mm = (hw2 >> 13) & 1ul;    // HWCAP2_I8MM
#endif
#endif
  return f;
}

}  // namespace detail

/// The CPU's features, detected once.
inline const cpu_features& cpu() noexcept {
  static const cpu_features f = detail::detect_cpu_features();
  return f;
}

/// Does this CPU (and OS) support every feature level `l` needs?
inline bool cpu_supports(isa l) noexcept {
  const cpu_features& f = cpu();
  switch (l) {
    case isa::scalar: return true;
    case isa::sse2: return f.sse2;
    case isa::sse41: return f.sse2 && f.sse41;
    case isa::avx2: return f.sse41 && f.avx2 && f.fma;
    case isa::avxvnni: return f.sse41 && f.avx2 && f.fma && f.avxvnni;
    case isa::avx512: return f.avx2 && f.fma && f.avx512f && f.avx512cd && f.avx512bw && f.avx512vl && f.avx512dq;
    case isa::avx512vnni:
      return f.avx2 && f.fma && f.avx512f && f.avx512cd && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni;
    case isa::neon: return f.neon;
    case isa::dotprod: return f.neon && f.dotprod;
    case isa::i8mm: return f.neon && f.dotprod && f.i8mm;
  }
  return false;
}

/// The best level this CPU supports (ignoring the cap and what is compiled in).
inline isa detected_isa() noexcept {
  for (int i = isa_count - 1; i > 0; --i) {
    const auto l = static_cast<isa>(i);
    if (isa_is_native_family(l) && cpu_supports(l)) return l;
  }
  return isa::scalar;
}

namespace detail {

// Cap state. 0xFF = not yet initialised from the environment. Constant-
// initialised: no code runs before main.
inline constinit std::uint8_t isa_cap_state = 0xFF;
// Bumped whenever the cap or the set of registered kernels changes; cached
// dispatch decisions compare against it.
inline constinit std::uint32_t dispatch_generation = 1;

inline isa current_cap() noexcept {
  std::uint8_t v = __atomic_load_n(&isa_cap_state, __ATOMIC_ACQUIRE);
  if (QMATH_UNLIKELY(v == 0xFF)) {
    std::uint8_t init = static_cast<std::uint8_t>(isa_count - 1);
    if (const char* env = std::getenv("QMATH_MAX_ISA")) {
      const std::string_view s(env);
      if (const auto l = parse_isa(s)) {
        init = static_cast<std::uint8_t>(*l);
      } else if (!s.empty() && s != "native") {
        std::fprintf(stderr, "qmath: ignoring unknown QMATH_MAX_ISA='%s'\n", env);
      }
    }
    std::uint8_t expected = 0xFF;
    __atomic_compare_exchange_n(&isa_cap_state, &expected, init, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    v = __atomic_load_n(&isa_cap_state, __ATOMIC_ACQUIRE);
  }
  return static_cast<isa>(v);
}

}  // namespace detail

/// The highest level of the architecture this code is compiled for.
constexpr isa native_family_top() noexcept {
#if defined(QMATH_ARCH_X86)
  return isa::avx512vnni;
#elif defined(QMATH_ARCH_AARCH64)
  return isa::i8mm;
#else
  return isa::scalar;
#endif
}

/// The current cap (QMATH_MAX_ISA, or the last set_max_isa()); without a cap,
/// the highest level of this architecture.
inline isa max_isa() noexcept {
  const isa c = detail::current_cap();
  return static_cast<int>(c) > static_cast<int>(native_family_top()) ? native_family_top() : c;
}

/// Cap dispatch at `cap`: kernels of higher levels are no longer chosen.
/// Takes effect for every later call, in every thread. A cap from the other
/// architecture family (e.g. neon on x86) is an error.
inline status set_max_isa(isa cap) noexcept {
  if (!isa_is_native_family(cap)) return invalid_argument("cap", "level belongs to another architecture");
  __atomic_store_n(&detail::isa_cap_state, static_cast<std::uint8_t>(cap), __ATOMIC_RELEASE);
  __atomic_fetch_add(&detail::dispatch_generation, 1u, __ATOMIC_ACQ_REL);
  return ok_status;
}

/// Same, by name ("avx2", "native" = no cap).
inline status set_max_isa(std::string_view name) noexcept {
  if (name == "native" || name.empty()) {
    __atomic_store_n(&detail::isa_cap_state, static_cast<std::uint8_t>(isa_count - 1), __ATOMIC_RELEASE);
    __atomic_fetch_add(&detail::dispatch_generation, 1u, __ATOMIC_ACQ_REL);
    return ok_status;
  }
  const auto l = parse_isa(name);
  if (!l) return invalid_argument("name", "unknown ISA level name");
  return set_max_isa(*l);
}

}  // namespace qmath
