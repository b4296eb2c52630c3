#pragma once
// Shared pieces of the fuzz targets (tests/fuzz/fuzz_*.cpp).
//
// A target is written once with QMATH_FUZZ_TARGET(name) { ... } and built two
// ways:
//  - with QMATH_FUZZ_LIBFUZZER (clang, -fsanitize=fuzzer): the body becomes
//    LLVMFuzzerTestOneInput of a libFuzzer binary fuzz_<name>;
//  - otherwise it registers itself with the corpus driver (corpus_main.cpp),
//    which runs every seed of tests/fuzz/corpus/<name>/ through it as a
//    regular test on every compiler and CI leg.
// A violated property prints what failed and aborts (a finding for libFuzzer,
// a failed test for the driver).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "qmath/simd/dispatch.hpp"
#include "qmath/simd/isa.hpp"

namespace qmath_fuzz {

using target_fn = int (*)(const std::uint8_t*, std::size_t);

struct target_entry {
  const char* name;
  target_fn fn;
};

inline std::vector<target_entry>& registry() {
  static std::vector<target_entry> r;
  return r;
}

inline bool register_target(const char* name, target_fn fn) {
  registry().push_back({name, fn});
  return true;
}

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what);
  std::fflush(stderr);
  std::abort();
}

/// Reads the fuzzer's bytes as parameters; past the end it yields zeros, so
/// every input decodes to something.
class reader {
 public:
  reader(const std::uint8_t* d, std::size_t n) noexcept : d_(d), n_(n) {}

  std::uint8_t byte() noexcept { return pos_ < n_ ? d_[pos_++] : 0; }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(u16()) | (static_cast<std::uint32_t>(u16()) << 16); }
  std::uint64_t u64() noexcept { return static_cast<std::uint64_t>(u32()) | (static_cast<std::uint64_t>(u32()) << 32); }
  /// A value in [lo, hi] (one or two bytes).
  std::size_t range(std::size_t lo, std::size_t hi) noexcept {
    const std::size_t span = hi - lo + 1;
    const std::size_t v = span <= 256 ? byte() : u16();
    return lo + v % span;
  }
  bool flag() noexcept { return (byte() & 1) != 0; }
  /// Any float bit pattern: NaN, Inf, denormals, -0 included.
  float any_float() noexcept {
    const std::uint32_t b = u32();
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
  }
  /// Mostly "ordinary" values (small integers / 8, powers of two, a few
  /// specials), sometimes any bit pattern: keeps the properties interesting.
  float value() noexcept {
    const std::uint8_t k = byte();
    switch (k % 8) {
      case 0: return any_float();
      case 1: return static_cast<float>(static_cast<std::int8_t>(byte())) * 0.125f;
      case 2: return static_cast<float>(static_cast<std::int16_t>(u16())) / 256.0f;
      case 3: return std::ldexp((k & 8) ? -1.0f : 1.0f, static_cast<int>(byte() % 81) - 40);
      default: return static_cast<float>(static_cast<std::int8_t>(byte())) / 16.0f;
    }
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return n_ - pos_; }
  std::span<const std::uint8_t> rest() noexcept {
    std::span<const std::uint8_t> r(d_ + pos_, n_ - pos_);
    pos_ = n_;
    return r;
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t pos_ = 0;
};

/// Caps dispatch at a level chosen by the input (among the levels of this
/// architecture; dispatch then runs the best registered level <= the cap that
/// the CPU supports). Returns the cap.
inline qmath::isa pick_cap(reader& r) {
  std::vector<qmath::isa> levels;
  for (int l = 0; l < qmath::isa_count; ++l) {
    const auto li = static_cast<qmath::isa>(l);
    if (qmath::isa_is_native_family(li) && qmath::cpu_supports(li)) levels.push_back(li);
  }
  const qmath::isa cap = levels[r.byte() % levels.size()];
  if (!qmath::set_max_isa(cap).ok()) fail(__FILE__, __LINE__, "set_max_isa refused a native level");
  return cap;
}

}  // namespace qmath_fuzz

#define QMATH_FUZZ_CHECK(cond)                                        \
  do {                                                                \
    if (!(cond)) ::qmath_fuzz::fail(__FILE__, __LINE__, #cond);       \
  } while (0)

#if defined(QMATH_FUZZ_LIBFUZZER)
#define QMATH_FUZZ_TARGET(name)                                                           \
  static int qmath_fuzz_body_##name(const std::uint8_t* data, std::size_t size);          \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {     \
    return qmath_fuzz_body_##name(data, size);                                            \
  }                                                                                       \
  static int qmath_fuzz_body_##name(const std::uint8_t* data, std::size_t size)
#else
#define QMATH_FUZZ_TARGET(name)                                                           \
  static int qmath_fuzz_body_##name(const std::uint8_t* data, std::size_t size);          \
  [[maybe_unused]] static const bool qmath_fuzz_registered_##name =                       \
      ::qmath_fuzz::register_target(#name, &qmath_fuzz_body_##name);                      \
  static int qmath_fuzz_body_##name(const std::uint8_t* data, std::size_t size)
#endif
