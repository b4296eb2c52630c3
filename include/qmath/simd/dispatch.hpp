#pragma once
// Run-time dispatch: one binary, the best kernels for the CPU it runs on.
//
// A *kernel family* is a struct of function pointers (say `quantize_kernels`).
// Kernel code is written once as templates over the level (`template <isa L>`),
// inside namespace qmath::kernel::QMATH_TARGET_NS, and a table of the family is
// instantiated for every level the translation unit's flags allow.
//
// Registration. Tables reach a process-wide registry in two ways:
//  1. self-registration: every translation unit that includes a module
//     registers, before main (and again, idempotently, at the first dispatch),
//     the tables its own flags allow. A program built with -march=native thus
//     gets the best kernels with nothing else to do.
//  2. dispatch units: the CMake helper qmath_add_dispatch(target) adds one
//     small .cpp per level, built with that level's flags, to a target (as
//     object files). A dispatch unit runs no code of its own: it only defines
//     constant data, `qmath::kernel::tgt_<level>::dispatch_unit`, listing its
//     tables. Ordinary translation units refer to those symbols weakly and
//     register what is linked. So a program built for baseline x86-64 (or
//     armv8-a) runs AVX2 / AVX-512 / VNNI (or dotprod / i8mm) kernels where the
//     CPU has them, and never executes an instruction the CPU lacks before it
//     has checked. (Weak symbols: ELF platforms with GCC or Clang.)
// For each level the registry keeps the table that needs the least of the CPU
// (a sse2 table built in a -march=native unit loses to one built for sse2).
//
// Selection. On the first call (and after set_max_isa()), a family picks the
// highest level L that is registered, <= the cap, and supported by the CPU
// together with the flags its table was built with. The choice is cached: a
// call costs one atomic load and an indirect call.
//
// ODR. Code in qmath::kernel::tgt_<flags> carries the flags in its symbol. The
// registry is constant-initialised data. A dispatch unit defines no code
// symbol outside its tgt_<level> namespace and has no static initialiser;
// tests/simd/check_odr_symbols.cmake checks both with nm.

#include <cstdint>
#include <type_traits>
#include <utility>

#include "qmath/simd/isa.hpp"
#include "qmath/version.hpp"
#include "qmath/simd/target.hpp"

namespace qmath {
namespace detail {

struct registered_level {
  const void* table;        // the family's table, or null
  std::uint8_t requires_;   // level whose flags the table was built with
};

// One registry per family; constant-initialised (no code before main).
template <class Table>
struct kernel_registry {
  static inline constinit registered_level slots[isa_count]{};
  static inline constinit const Table* active = nullptr;
  static inline constinit std::uint32_t active_generation = 0;
  static inline constinit std::uint8_t active_level = 0;
};

// Levels for which any family has registered a table (for active_isa()).
inline constinit registered_level any_family_levels[isa_count]{};

QMATH_ALWAYS_INLINE void publish_level(registered_level* slots, isa level, isa built_for,
                                       const void* table) noexcept {
  registered_level& s = slots[static_cast<int>(level)];
  const void* cur = __atomic_load_n(&s.table, __ATOMIC_ACQUIRE);
  if (cur == nullptr || static_cast<std::uint8_t>(built_for) < s.requires_) {
    s.requires_ = static_cast<std::uint8_t>(built_for);
    __atomic_store_n(&s.table, table, __ATOMIC_RELEASE);
  }
}

/// Register `table` as family Table's kernels for `level`, built with the
/// flags of `built_for`. Called (inlined) from target-namespaced code only.
template <class Table>
QMATH_ALWAYS_INLINE void register_table(isa level, isa built_for, const Table* table) noexcept {
  publish_level(kernel_registry<Table>::slots, level, built_for, table);
  publish_level(any_family_levels, level, built_for, table);
  __atomic_fetch_add(&dispatch_generation, 1u, __ATOMIC_ACQ_REL);
}

inline bool level_usable(const registered_level& s, int level, isa cap) noexcept {
  return s.table != nullptr && level <= static_cast<int>(cap) && cpu_supports(static_cast<isa>(level)) &&
         cpu_supports(static_cast<isa>(s.requires_));
}

inline int best_usable(const registered_level* slots) noexcept {
  const isa cap = current_cap();
  for (int l = isa_count - 1; l >= 0; --l) {
    if (level_usable(slots[l], l, cap)) return l;
  }
  return -1;
}

/// One family's table in a dispatch unit: where to publish it, and what.
struct unit_entry {
  registered_level* slots;
  const void* table;
};

QMATH_ALWAYS_INLINE void publish_unit(const unit_entry* e, isa level) noexcept {
  for (; e != nullptr && e->slots != nullptr; ++e) {
    publish_level(e->slots, level, level, e->table);
    publish_level(any_family_levels, level, level, e->table);
  }
}

}  // namespace detail
}  // namespace qmath

// Each level's dispatch unit (if linked) defines this symbol; the weak
// declarations resolve to null otherwise.
#define QMATH_DECLARE_DISPATCH_UNIT(level)                                                        \
  namespace qmath::kernel::tgt_##level {                                                         \
  extern const ::qmath::detail::unit_entry* const dispatch_unit __attribute__((weak));           \
  }
QMATH_DECLARE_DISPATCH_UNIT(sse2)
QMATH_DECLARE_DISPATCH_UNIT(sse41)
QMATH_DECLARE_DISPATCH_UNIT(avx2)
QMATH_DECLARE_DISPATCH_UNIT(avxvnni)
QMATH_DECLARE_DISPATCH_UNIT(avx512)
QMATH_DECLARE_DISPATCH_UNIT(avx512vnni)
QMATH_DECLARE_DISPATCH_UNIT(neon)
QMATH_DECLARE_DISPATCH_UNIT(dotprod)
QMATH_DECLARE_DISPATCH_UNIT(i8mm)
#undef QMATH_DECLARE_DISPATCH_UNIT

namespace qmath {
namespace detail {

inline constinit bool dispatch_units_registered = false;

/// Publish every linked dispatch unit's tables (idempotent).
inline void register_dispatch_units() noexcept {
  if (__atomic_load_n(&dispatch_units_registered, __ATOMIC_ACQUIRE)) return;
#define QMATH_PUBLISH_UNIT(level)                                        \
  if (&::qmath::kernel::tgt_##level::dispatch_unit != nullptr) {         \
    publish_unit(::qmath::kernel::tgt_##level::dispatch_unit, isa::level); \
  }
  QMATH_PUBLISH_UNIT(sse2)
  QMATH_PUBLISH_UNIT(sse41)
  QMATH_PUBLISH_UNIT(avx2)
  QMATH_PUBLISH_UNIT(avxvnni)
  QMATH_PUBLISH_UNIT(avx512)
  QMATH_PUBLISH_UNIT(avx512vnni)
  QMATH_PUBLISH_UNIT(neon)
  QMATH_PUBLISH_UNIT(dotprod)
  QMATH_PUBLISH_UNIT(i8mm)
#undef QMATH_PUBLISH_UNIT
  __atomic_store_n(&dispatch_units_registered, true, __ATOMIC_RELEASE);
  __atomic_fetch_add(&dispatch_generation, 1u, __ATOMIC_ACQ_REL);
}

/// The selected table of family Table, or null when nothing usable is
/// registered (only possible before static initialisation has finished).
template <class Table>
inline const Table* select_kernels() noexcept {
  using reg = kernel_registry<Table>;
  register_dispatch_units();
  const std::uint32_t gen = __atomic_load_n(&dispatch_generation, __ATOMIC_ACQUIRE);
  if (QMATH_LIKELY(__atomic_load_n(&reg::active_generation, __ATOMIC_ACQUIRE) == gen)) {
    return __atomic_load_n(&reg::active, __ATOMIC_ACQUIRE);
  }
  const int l = best_usable(reg::slots);
  const Table* t = l < 0 ? nullptr : static_cast<const Table*>(reg::slots[l].table);
  __atomic_store_n(&reg::active_level, static_cast<std::uint8_t>(l < 0 ? 0 : l), __ATOMIC_RELEASE);
  __atomic_store_n(&reg::active, t, __ATOMIC_RELEASE);
  __atomic_store_n(&reg::active_generation, gen, __ATOMIC_RELEASE);
  return t;
}

/// The level family Table dispatches to now.
template <class Table>
inline isa selected_level() noexcept {
  (void)select_kernels<Table>();
  return static_cast<isa>(__atomic_load_n(&kernel_registry<Table>::active_level, __ATOMIC_ACQUIRE));
}

}  // namespace detail

/// The level that dispatch runs now: the best level that is registered (by any
/// kernel family), allowed by the cap, and supported by this CPU.
inline isa active_isa() noexcept {
  detail::register_dispatch_units();
  const int l = detail::best_usable(detail::any_family_levels);
  return l < 0 ? isa::scalar : static_cast<isa>(l);
}

/// Is a table for level `l` registered by any kernel family?
inline bool isa_registered(isa l) noexcept {
  detail::register_dispatch_units();
  return __atomic_load_n(&detail::any_family_levels[static_cast<int>(l)].table, __ATOMIC_ACQUIRE) != nullptr;
}

}  // namespace qmath

namespace qmath::kernel::QMATH_TARGET_NS {

/// Calls `f(std::integral_constant<isa, L>{})` for every level L this
/// translation unit can compile.
template <class F>
QMATH_ALWAYS_INLINE void for_each_implied_level(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (([&] {
       constexpr isa l = static_cast<isa>(I);
       if constexpr (target_implies(l)) f(std::integral_constant<isa, l>{});
     }()),
     ...);
  }(std::make_integer_sequence<int, isa_count>{});
}

/// Register family Table's tables for every level this unit's flags allow.
/// `Tables` is a variable template `template <isa L> constexpr Table x{...}`
/// wrapped in a struct with `template <isa L> static const Table* get()`.
template <class Table, class Provider>
QMATH_ALWAYS_INLINE bool register_implied_levels() noexcept {
  for_each_implied_level([](auto lc) {
    constexpr isa l = decltype(lc)::value;
    detail::register_table<Table>(l, target_level, Provider::template get<l>());
  });
  return true;
}

/// A dispatch unit's entry for family Table (its own level only).
template <class Table, class Provider>
constexpr detail::unit_entry unit_entry_for() noexcept {
  return {detail::kernel_registry<Table>::slots, Provider::template get<target_level>()};
}

}  // namespace qmath::kernel::QMATH_TARGET_NS

/// Define the self-registration of a kernel family in a module header, inside
/// namespace qmath::kernel::QMATH_TARGET_NS:
///   QMATH_SELF_REGISTER(quantize, detail::quantize_kernels, quantize_provider)
/// Dispatch units (QMATH_DISPATCH_TU) run no code: they list their tables in
/// qmath/simd/dispatch_units.hpp instead.
/// Declare kernel family `name` inside namespace qmath::kernel::QMATH_TARGET_NS,
/// given `detail::name_kernels` (the table type) and the variable template
/// `name_table<L>`: defines `name_provider` (used by dispatch_units.hpp) and
/// the self-registration.
#define QMATH_KERNEL_FAMILY(name)                                        \
  struct name##_provider {                                               \
    template <isa L>                                                     \
    static constexpr const detail::name##_kernels* get() noexcept {      \
      return &name##_table<L>;                                           \
    }                                                                    \
  };                                                                     \
  QMATH_SELF_REGISTER(name, detail::name##_kernels, name##_provider)

/// A unit built with flags that some target CPUs lack should define
/// QMATH_NO_SELF_REGISTER: self-registration runs code before main.
#if defined(QMATH_DISPATCH_TU) || defined(QMATH_NO_SELF_REGISTER)
#define QMATH_SELF_REGISTER(name, Table, Provider)
#else
#define QMATH_SELF_REGISTER(name, Table, Provider) \
  inline const bool name##_self_registered = register_implied_levels<Table, Provider>();
#endif

#if !defined(QMATH_DISPATCH_TU)
namespace qmath::detail {
// Publish the linked dispatch units before main, too.
inline const bool dispatch_units_published = (register_dispatch_units(), true);
}  // namespace qmath::detail
#endif
