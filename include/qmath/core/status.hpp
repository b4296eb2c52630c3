#pragma once
// Error model.
//
// qmath throws nothing of its own and builds with -fno-exceptions. Misuse of
// types is a compile error (concepts, see core/scheme.hpp). Bad run-time input
// is reported by value: a function that can fail returns `qmath::status` or
// `qmath::result<T>`, and the status names the offending argument:
//
//   qmath::status st = qmath::quantize(x, q, params);
//   if (!st) std::puts(st.message().c_str());
//   // -> "qmath: invalid argument 'scale': must be finite and > 0 (index 3)"
//
// `status` is trivially copyable and allocation-free; `message()` formats on
// demand. Internal invariants use QMATH_ASSERT (config.hpp), never status.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <new>
#include <type_traits>
#include <utility>

#include "qmath/config.hpp"

namespace qmath {

/// What went wrong. Stable numeric values (they may be logged or compared).
enum class errc : std::uint8_t {
  ok = 0,
  invalid_argument,  ///< a value outside its documented domain (zero scale, bad axis...)
  size_mismatch,     ///< two sizes that must agree do not
  empty_input,       ///< an input that must hold data is empty
  non_finite,        ///< NaN or Inf in data under the `error` policy
  out_of_range,      ///< an integer parameter outside its range (zero_point, bits...)
  unsupported,       ///< a legal request this build or CPU cannot serve
  io_error,          ///< a file could not be read or written
  parse_error,       ///< malformed file content
};

/// Short name of an error code ("invalid_argument", ...).
constexpr std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid argument";
    case errc::size_mismatch: return "size mismatch";
    case errc::empty_input: return "empty input";
    case errc::non_finite: return "non-finite value";
    case errc::out_of_range: return "out of range";
    case errc::unsupported: return "unsupported";
    case errc::io_error: return "I/O error";
    case errc::parse_error: return "parse error";
  }
  return "unknown error";
}

/// The outcome of an operation: ok, or an error code with the argument it is
/// about, a static explanation and (optionally) the first offending index.
/// `argument` and `detail` must point to storage with static duration
/// (string literals); status never owns memory.
class [[nodiscard]] status {
 public:
  static constexpr std::size_t no_index = static_cast<std::size_t>(-1);

  constexpr status() noexcept = default;
  constexpr status(errc code, const char* argument, const char* detail,
                   std::size_t index = no_index) noexcept
      : code_(code), argument_(argument), detail_(detail), index_(index) {}

  [[nodiscard]] constexpr bool ok() const noexcept { return code_ == errc::ok; }
  constexpr explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] constexpr errc code() const noexcept { return code_; }
  /// Name of the offending argument ("" when ok).
  [[nodiscard]] constexpr std::string_view argument() const noexcept {
    return argument_ ? std::string_view(argument_) : std::string_view();
  }
  [[nodiscard]] constexpr std::string_view detail() const noexcept {
    return detail_ ? std::string_view(detail_) : std::string_view();
  }
  /// First offending element, or `no_index`.
  [[nodiscard]] constexpr std::size_t index() const noexcept { return index_; }

  /// "qmath: <code> '<argument>': <detail> (index N)"; "ok" when ok.
  [[nodiscard]] std::string message() const {
    if (ok()) return "ok";
    std::string m = "qmath: ";
    m += to_string(code_);
    if (argument_ && *argument_) {
      m += " '";
      m += argument_;
      m += '\'';
    }
    if (detail_ && *detail_) {
      m += ": ";
      m += detail_;
    }
    if (index_ != no_index) {
      m += " (index ";
      m += std::to_string(index_);
      m += ')';
    }
    return m;
  }

  /// Same error, with an index attached (for errors found inside a loop).
  [[nodiscard]] constexpr status at(std::size_t index) const noexcept {
    return status(code_, argument_, detail_, index);
  }

  friend constexpr bool operator==(const status& a, errc e) noexcept { return a.code_ == e; }

 private:
  errc code_ = errc::ok;
  const char* argument_ = nullptr;
  const char* detail_ = nullptr;
  std::size_t index_ = no_index;
};

/// The success value.
inline constexpr status ok_status{};

/// Shorthands used by the library to build errors.
constexpr status invalid_argument(const char* arg, const char* detail) noexcept {
  return {errc::invalid_argument, arg, detail};
}
constexpr status size_mismatch(const char* arg, const char* detail) noexcept {
  return {errc::size_mismatch, arg, detail};
}
constexpr status empty_input(const char* arg) noexcept {
  return {errc::empty_input, arg, "must not be empty"};
}
constexpr status out_of_range(const char* arg, const char* detail) noexcept {
  return {errc::out_of_range, arg, detail};
}

/// A value or the status that explains its absence (a small std::expected).
/// `value()` on an error is a programming error: it trips QMATH_ASSERT.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T>, "result<T&> is not supported");

 public:
  using value_type = T;

  result(const T& v) : st_(), has_(true) { ::new (static_cast<void*>(&storage_)) T(v); }
  result(T&& v) : st_(), has_(true) { ::new (static_cast<void*>(&storage_)) T(std::move(v)); }
  result(status s) noexcept : st_(s), has_(false) {
    QMATH_ASSERT(!s.ok() && "a result built from a status must carry an error");
  }
  result(const result& o) : st_(o.st_), has_(o.has_) {
    if (has_) ::new (static_cast<void*>(&storage_)) T(*o.ptr());
  }
  result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : st_(o.st_), has_(o.has_) {
    if (has_) ::new (static_cast<void*>(&storage_)) T(std::move(*o.ptr()));
  }
  result& operator=(const result& o) {
    if (this != &o) {
      reset();
      st_ = o.st_;
      has_ = o.has_;
      if (has_) ::new (static_cast<void*>(&storage_)) T(*o.ptr());
    }
    return *this;
  }
  result& operator=(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &o) {
      reset();
      st_ = o.st_;
      has_ = o.has_;
      if (has_) ::new (static_cast<void*>(&storage_)) T(std::move(*o.ptr()));
    }
    return *this;
  }
  ~result() { reset(); }

  [[nodiscard]] bool has_value() const noexcept { return has_; }
  explicit operator bool() const noexcept { return has_; }
  /// ok_status when a value is held.
  [[nodiscard]] const status& error() const noexcept { return st_; }

  [[nodiscard]] T& value() & {
    QMATH_ASSERT(has_);
    return *ptr();
  }
  [[nodiscard]] const T& value() const& {
    QMATH_ASSERT(has_);
    return *ptr();
  }
  [[nodiscard]] T&& value() && {
    QMATH_ASSERT(has_);
    return std::move(*ptr());
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_ ? *ptr() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  T* ptr() noexcept { return std::launder(reinterpret_cast<T*>(&storage_)); }
  const T* ptr() const noexcept { return std::launder(reinterpret_cast<const T*>(&storage_)); }
  void reset() noexcept {
    if (has_) ptr()->~T();
    has_ = false;
  }

  status st_;
  bool has_;
  alignas(T) unsigned char storage_[sizeof(T)];
};

}  // namespace qmath

/// Propagate a failing status: `QMATH_TRY(check_scale(s));`
#define QMATH_TRY(expr)                       \
  do {                                        \
    ::qmath::status qmath_try_st_ = (expr);   \
    if (!qmath_try_st_) return qmath_try_st_; \
  } while (0)
