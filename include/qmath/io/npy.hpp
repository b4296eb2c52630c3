#pragma once
// NumPy .npy reader and writer: an optional utility header (not part of the
// umbrella qmath.hpp, it pulls in <filesystem> and <fstream>).
//
// Format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//
//   offset 0   "\x93NUMPY"                      6-byte magic string
//   offset 6   major, minor                     1.0, 2.0 or 3.0 (minor must be 0)
//   offset 8   HEADER_LEN                       uint16 LE (1.0) or uint32 LE (2.0, 3.0)
//   offset 10 or 12: HEADER_LEN bytes of a Python dict literal, padded with
//              spaces and ending in '\n', e.g.
//              {'descr': '<f4', 'fortran_order': False, 'shape': (3, 3, 64, 64), }
//   then       the raw array data, prod(shape) * itemsize bytes.
//
// Supported element types (descr): '<f4' float32, '<f8' float64, '|i1' int8,
// '|u1' uint8, '<i4' int32; for the 1-byte types any byte-order character is
// accepted. Big-endian data ('>f4'...), other dtypes and structured dtypes are
// rejected with errc::unsupported. Both C (row-major) and Fortran
// (column-major) order are read; by default a Fortran-order array is
// transposed into C order on reading (npy_layout::c_order) so that `shape`
// always describes row-major data. A 0-d array (shape ()) holds 1 element; a
// shape with a 0 extent holds none.
//
// Robustness: every malformed input yields a status naming the problem, never
// undefined behaviour and never an allocation larger than the input:
//   bad magic / truncated prefix / truncated header  -> errc::parse_error
//   unknown format version, big-endian, bad dtype     -> errc::unsupported
//   bad dict (syntax, missing/unknown/duplicate key)  -> errc::parse_error
//   shape whose element or byte count overflows       -> errc::out_of_range
//   data shorter (or longer) than the shape says      -> errc::size_mismatch
//   file cannot be opened or read                     -> errc::io_error
// The strictness follows numpy: the dict must hold exactly the keys 'descr',
// 'fortran_order' and 'shape'; a one-element shape needs its trailing comma
// ("(3,)"); Python 2 long suffixes ("(3L,)") are accepted. Unlike np.load,
// bytes after the data are an error (a truncated or concatenated file is
// reported rather than silently read).
//
// Writing produces format 1.0 (byte-identical to numpy's np.save for these
// dtypes); the header is padded so that the data start at a multiple of 64.
//
// Example:
//   auto a = qmath::io::read_npy("data/esrgan_x4/F_0__kernel.npy");
//   if (!a) { std::puts(a.error().message().c_str()); return 1; }
//   std::span<const float> w = a->values<float>();          // 36864 values
//   // a->shape == {3, 3, 64, 64}
//   std::vector<float> y(w.begin(), w.end());
//   const std::size_t shape[] = {3, 3, 64, 64};
//   qmath::status st = qmath::io::write_npy("out.npy", std::span<const float>(y), shape);

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include "qmath/core/status.hpp"

namespace qmath::io {

/// Element types a .npy file may hold for this reader.
enum class npy_dtype : std::uint8_t { float32, float64, int8, uint8, int32 };

/// Storage order of the data in a file: C (row-major, last index fastest) or
/// Fortran (column-major, first index fastest).
enum class npy_order : std::uint8_t { c, fortran };

/// What reading does with Fortran-order data: transpose it into C order
/// (default; `order` of the result is then always npy_order::c), or keep the
/// bytes as stored (and report npy_order::fortran).
enum class npy_layout : std::uint8_t { c_order, as_stored };

/// Largest number of dimensions accepted (numpy 2 allows 64).
inline constexpr std::size_t npy_max_ndim = 64;

/// The C++ types that map to a supported dtype.
template <class T>
concept npy_scalar = std::same_as<T, float> || std::same_as<T, double> ||
                     std::same_as<T, std::int8_t> || std::same_as<T, std::uint8_t> ||
                     std::same_as<T, std::int32_t>;

template <npy_scalar T>
inline constexpr npy_dtype npy_dtype_of = std::same_as<T, float>          ? npy_dtype::float32
                                          : std::same_as<T, double>       ? npy_dtype::float64
                                          : std::same_as<T, std::int8_t>  ? npy_dtype::int8
                                          : std::same_as<T, std::uint8_t> ? npy_dtype::uint8
                                                                          : npy_dtype::int32;

/// Size in bytes of one element.
constexpr std::size_t itemsize(npy_dtype t) noexcept {
  switch (t) {
    case npy_dtype::float32: return 4;
    case npy_dtype::float64: return 8;
    case npy_dtype::int8: return 1;
    case npy_dtype::uint8: return 1;
    case npy_dtype::int32: return 4;
  }
  return 0;
}

/// numpy name of the type ("float32", ...).
constexpr std::string_view to_string(npy_dtype t) noexcept {
  switch (t) {
    case npy_dtype::float32: return "float32";
    case npy_dtype::float64: return "float64";
    case npy_dtype::int8: return "int8";
    case npy_dtype::uint8: return "uint8";
    case npy_dtype::int32: return "int32";
  }
  return "?";
}

/// The descr string written for the type ("<f4", ...).
constexpr std::string_view npy_descr(npy_dtype t) noexcept {
  switch (t) {
    case npy_dtype::float32: return "<f4";
    case npy_dtype::float64: return "<f8";
    case npy_dtype::int8: return "|i1";
    case npy_dtype::uint8: return "|u1";
    case npy_dtype::int32: return "<i4";
  }
  return "";
}

/// The parsed header of a .npy file.
struct npy_header {
  npy_dtype dtype = npy_dtype::float32;
  npy_order order = npy_order::c;
  std::vector<std::size_t> shape;  ///< () for a 0-d array
  std::uint8_t version = 1;        ///< format major version: 1, 2 or 3
  std::size_t data_offset = 0;     ///< bytes from the start of the file to the data
  std::size_t count = 1;           ///< prod(shape), checked against overflow
  std::size_t data_bytes = 0;      ///< count * itemsize(dtype), checked against overflow
};

/// An array read from (or to be written to) a .npy file. The values live in a
/// typed vector (no type punning); `values<T>()` views them when `T` matches
/// `dtype()`.
class npy_array {
 public:
  using storage = std::variant<std::vector<float>, std::vector<double>, std::vector<std::int8_t>,
                               std::vector<std::uint8_t>, std::vector<std::int32_t>>;

  npy_array() = default;
  /// Wraps values and a shape. The caller keeps prod(shape) == values.size()
  /// (encode_npy/write_npy check it).
  template <npy_scalar T>
  npy_array(std::vector<T> values, std::vector<std::size_t> extents,
            npy_order storage_order = npy_order::c)
      : shape(std::move(extents)), order(storage_order), data_(std::move(values)) {}

  std::vector<std::size_t> shape;
  npy_order order = npy_order::c;

  [[nodiscard]] npy_dtype dtype() const noexcept { return static_cast<npy_dtype>(data_.index()); }
  /// Number of elements held.
  [[nodiscard]] std::size_t size() const noexcept {
    return std::visit([](const auto& v) { return v.size(); }, data_);
  }
  [[nodiscard]] std::size_t ndim() const noexcept { return shape.size(); }
  template <npy_scalar T>
  [[nodiscard]] bool holds() const noexcept {
    return std::holds_alternative<std::vector<T>>(data_);
  }
  /// The values when T is the element type; an empty span otherwise.
  template <npy_scalar T>
  [[nodiscard]] std::span<const T> values() const noexcept {
    const auto* v = std::get_if<std::vector<T>>(&data_);
    return v ? std::span<const T>(*v) : std::span<const T>();
  }
  template <npy_scalar T>
  [[nodiscard]] std::span<T> values() noexcept {
    auto* v = std::get_if<std::vector<T>>(&data_);
    return v ? std::span<T>(*v) : std::span<T>();
  }
  [[nodiscard]] const storage& data() const noexcept { return data_; }
  [[nodiscard]] storage& data() noexcept { return data_; }

 private:
  storage data_;
};

static_assert(static_cast<std::size_t>(npy_dtype::float32) == 0 &&
              static_cast<std::size_t>(npy_dtype::int32) == 4,
              "npy_array::storage alternatives follow npy_dtype");

namespace detail {

inline constexpr unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

inline bool npy_mul_overflows(std::size_t a, std::size_t b, std::size_t& out) noexcept {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) return true;
  out = a * b;
  return false;
}

/// Recursive-descent parser of the header dict (a Python literal).
class npy_dict_parser {
 public:
  explicit npy_dict_parser(std::string_view s) noexcept : s_(s) {}

  status parse(npy_header& h) noexcept {
    bool seen_descr = false, seen_order = false, seen_shape = false, structured = false;
    std::string_view descr_text;
    skip_ws();
    if (!eat('{')) return parse_error("header", "header is not a dict (no '{')");
    for (;;) {
      skip_ws();
      if (eat('}')) break;
      std::string_view key;
      if (!string_literal(key)) return parse_error("header", "dict key is not a quoted string");
      skip_ws();
      if (!eat(':')) return parse_error("header", "missing ':' after a dict key");
      skip_ws();
      if (key == "descr") {
        if (seen_descr) return parse_error("descr", "duplicate key in header dict");
        seen_descr = true;
        // Syntax first; the dtype is validated once the whole dict parsed.
        if (peek() == '[') {
          structured = true;
          QMATH_TRY(skip_list());
        } else if (!string_literal(descr_text)) {
          return parse_error("descr", "value must be a quoted string");
        }
      } else if (key == "fortran_order") {
        if (seen_order) return parse_error("fortran_order", "duplicate key in header dict");
        seen_order = true;
        if (word("True")) {
          h.order = npy_order::fortran;
        } else if (word("False")) {
          h.order = npy_order::c;
        } else {
          return parse_error("fortran_order", "value must be True or False");
        }
      } else if (key == "shape") {
        if (seen_shape) return parse_error("shape", "duplicate key in header dict");
        seen_shape = true;
        QMATH_TRY(shape(h));
      } else {
        return parse_error("header", "unexpected key in header dict");
      }
      skip_ws();
      if (eat(',')) continue;
      skip_ws();
      if (eat('}')) break;
      return parse_error("header", "expected ',' or '}' in header dict");
    }
    skip_ws();
    if (pos_ != s_.size()) return parse_error("header", "trailing characters after the header dict");
    if (!seen_descr) return parse_error("descr", "missing key in header dict");
    if (!seen_order) return parse_error("fortran_order", "missing key in header dict");
    if (!seen_shape) return parse_error("shape", "missing key in header dict");
    if (structured) return {errc::unsupported, "descr", "structured dtypes are not supported"};
    return descr(descr_text, h);
  }

 private:
  static constexpr status parse_error(const char* arg, const char* detail) noexcept {
    return {errc::parse_error, arg, detail};
  }
  [[nodiscard]] bool at_end() const noexcept { return pos_ >= s_.size(); }
  [[nodiscard]] char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }
  void skip_ws() noexcept {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool eat(char c) noexcept {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }
  bool word(std::string_view w) noexcept {
    if (s_.substr(pos_, w.size()) != w) return false;
    const std::size_t end = pos_ + w.size();
    if (end < s_.size()) {
      const char c = s_[end];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
        return false;
    }
    pos_ = end;
    return true;
  }
  // 'text' or "text", no escapes (numpy never writes any in these fields).
  bool string_literal(std::string_view& out) noexcept {
    const char q = peek();
    if (q != '\'' && q != '"') return false;
    const std::size_t begin = pos_ + 1;
    for (std::size_t i = begin; i < s_.size(); ++i) {
      if (s_[i] == '\\' || s_[i] == '\n') return false;
      if (s_[i] == q) {
        out = s_.substr(begin, i - begin);
        pos_ = i + 1;
        return true;
      }
    }
    return false;
  }
  // A bracketed list (structured dtype), skipped with its nesting and strings.
  status skip_list() noexcept {
    int depth = 0;
    while (!at_end()) {
      const char c = peek();
      if (c == '\'' || c == '"') {
        std::string_view ignored;
        if (!string_literal(ignored)) return parse_error("descr", "unterminated string");
        continue;
      }
      ++pos_;
      if (c == '[' || c == '(') ++depth;
      if (c == ']' || c == ')') {
        if (--depth == 0) return ok_status;
        if (depth < 0) return parse_error("descr", "unbalanced brackets");
      }
    }
    return parse_error("descr", "unterminated list");
  }
  static status descr(std::string_view d, npy_header& h) noexcept {
    if (d.size() != 3) {
      return {errc::unsupported, "descr",
              "unsupported dtype (supported: little-endian float32, float64, int8, uint8, int32)"};
    }
    const char bo = d[0];
    const std::string_view t = d.substr(1);
    if (bo != '<' && bo != '>' && bo != '|' && bo != '=') {
      return parse_error("descr", "invalid byte-order character");
    }
    if (t == "i1" || t == "u1") {  // byte order is irrelevant for 1-byte types
      h.dtype = t == "i1" ? npy_dtype::int8 : npy_dtype::uint8;
      return ok_status;
    }
    npy_dtype dt{};
    if (t == "f4") {
      dt = npy_dtype::float32;
    } else if (t == "f8") {
      dt = npy_dtype::float64;
    } else if (t == "i4") {
      dt = npy_dtype::int32;
    } else {
      return {errc::unsupported, "descr",
              "unsupported dtype (supported: little-endian float32, float64, int8, uint8, int32)"};
    }
    if (bo == '>') return {errc::unsupported, "descr", "big-endian data is not supported"};
    if (bo != '<') {
      return {errc::unsupported, "descr",
              "byte order must be '<' (little-endian) for multi-byte types"};
    }
    h.dtype = dt;
    return ok_status;
  }
  status shape(npy_header& h) noexcept {
    if (!eat('(')) return parse_error("shape", "value must be a tuple");
    h.shape.clear();
    bool trailing_comma = false;
    for (;;) {
      skip_ws();
      if (eat(')')) break;
      const char c = peek();
      if (c < '0' || c > '9') return parse_error("shape", "extents must be non-negative integers");
      std::size_t v = 0;
      const std::size_t first = pos_;
      while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        const auto digit = static_cast<std::size_t>(s_[pos_] - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
          return {errc::out_of_range, "shape", "an extent overflows size_t"};
        }
        v = v * 10 + digit;
        ++pos_;
      }
      if (pos_ - first > 1 && s_[first] == '0') return parse_error("shape", "extent with a leading zero");
      if (peek() == 'L' || peek() == 'l') ++pos_;  // Python 2 long
      if (h.shape.size() == npy_max_ndim) return {errc::out_of_range, "shape", "more than 64 dimensions"};
      h.shape.push_back(v);
      skip_ws();
      trailing_comma = eat(',');
      if (trailing_comma) continue;
      skip_ws();
      if (eat(')')) break;
      return parse_error("shape", "expected ',' or ')' in the shape tuple");
    }
    if (h.shape.size() == 1 && !trailing_comma) {
      return parse_error("shape", "not a tuple: a one-element shape needs a trailing comma");
    }
    return ok_status;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

/// Bytes of the fixed prefix (magic + version + header length field).
inline std::size_t npy_prefix_bytes(std::uint8_t version) noexcept { return version == 1 ? 10 : 12; }

/// Parses magic, version and header length from the first bytes. On success
/// `header_len` holds HEADER_LEN and h.version the major version.
inline status npy_parse_prefix(std::span<const std::byte> buf, npy_header& h,
                               std::size_t& header_len) noexcept {
  if (buf.size() < 8) return {errc::parse_error, "magic", "truncated file: shorter than the .npy prefix"};
  if (std::memcmp(buf.data(), npy_magic, 6) != 0) {
    return {errc::parse_error, "magic", "not a .npy file (bad magic string)"};
  }
  const auto ver_major = static_cast<std::uint8_t>(buf[6]);
  const auto ver_minor = static_cast<std::uint8_t>(buf[7]);
  if (ver_major < 1 || ver_major > 3 || ver_minor != 0) {
    return {errc::unsupported, "version", "unsupported .npy format version (supported: 1.0, 2.0, 3.0)"};
  }
  h.version = ver_major;
  const std::size_t prefix = npy_prefix_bytes(ver_major);
  if (buf.size() < prefix) return {errc::parse_error, "header", "truncated file: header length missing"};
  const auto b = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<std::uint8_t>(buf[i])); };
  header_len = ver_major == 1 ? (b(8) | (b(9) << 8)) : (b(8) | (b(9) << 8) | (b(10) << 16) | (b(11) << 24));
  return ok_status;
}

/// Validates the shape and fills count and data_bytes.
inline status npy_finish_header(npy_header& h) noexcept {
  std::size_t n = 1;
  for (std::size_t d : h.shape) {
    if (npy_mul_overflows(n, d, n)) return {errc::out_of_range, "shape", "element count overflows size_t"};
  }
  std::size_t bytes = 0;
  if (npy_mul_overflows(n, itemsize(h.dtype), bytes)) {
    return {errc::out_of_range, "shape", "data size in bytes overflows size_t"};
  }
  h.count = n;
  h.data_bytes = bytes;
  return ok_status;
}

/// Parses a complete header from a buffer holding at least the whole header.
inline status npy_parse_header(std::span<const std::byte> buf, npy_header& h) noexcept {
  std::size_t header_len = 0;
  QMATH_TRY(npy_parse_prefix(buf, h, header_len));
  const std::size_t prefix = npy_prefix_bytes(h.version);
  if (header_len > buf.size() - prefix) {
    return {errc::parse_error, "header", "truncated file: header shorter than HEADER_LEN says"};
  }
  const std::string_view text(reinterpret_cast<const char*>(buf.data()) + prefix, header_len);
  npy_dict_parser p(text);
  QMATH_TRY(p.parse(h));
  h.data_offset = prefix + header_len;
  return npy_finish_header(h);
}

template <class T>
void npy_decode_values(const std::byte* src, std::size_t n, T* dst) noexcept {
  if (n == 0) return;
  std::memcpy(dst, src, n * sizeof(T));
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
    for (std::size_t i = 0; i < n; ++i) {
      unsigned char b[sizeof(T)];
      std::memcpy(b, dst + i, sizeof(T));
      std::reverse(b, b + sizeof(T));
      std::memcpy(dst + i, b, sizeof(T));
    }
  }
}

template <class T>
void npy_encode_values(const T* src, std::size_t n, std::byte* dst) noexcept {
  if (n == 0) return;
  std::memcpy(dst, src, n * sizeof(T));
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
    for (std::size_t i = 0; i < n; ++i) std::reverse(dst + i * sizeof(T), dst + (i + 1) * sizeof(T));
  }
}

/// Reorders column-major `src` with extents `shape` into row-major `dst`.
template <class T>
void npy_fortran_to_c(std::span<const T> src, std::span<T> dst, std::span<const std::size_t> shape) {
  const std::size_t nd = shape.size();
  if (src.empty()) return;
  if (nd <= 1) {
    std::copy(src.begin(), src.end(), dst.begin());
    return;
  }
  // Fortran stride of dimension k = prod(shape[0..k)).
  std::vector<std::size_t> fstride(nd), idx(nd, 0);
  std::size_t s = 1;
  for (std::size_t k = 0; k < nd; ++k) {
    fstride[k] = s;
    s *= shape[k];
  }
  std::size_t off = 0;  // Fortran offset of the multi-index idx
  for (std::size_t i = 0; i < dst.size(); ++i) {
    dst[i] = src[off];
    // Advance the row-major odometer (last index fastest).
    for (std::size_t k = nd; k-- > 0;) {
      if (++idx[k] < shape[k]) {
        off += fstride[k];
        break;
      }
      off -= (shape[k] - 1) * fstride[k];
      idx[k] = 0;
    }
  }
}

template <class T>
std::vector<T> npy_make_c_order(std::vector<T>&& v, std::span<const std::size_t> shape) {
  std::vector<T> out(v.size());
  npy_fortran_to_c<T>(v, out, shape);
  return out;
}

/// Fills `a` from the validated header and exactly h.data_bytes of data.
inline void npy_fill_array(const npy_header& h, const std::byte* data, npy_layout layout, npy_array& a) {
  a.shape = h.shape;
  a.order = h.order;
  const bool transpose = layout == npy_layout::c_order && h.order == npy_order::fortran;
  auto fill = [&]<class T>(std::vector<T> v) {
    npy_decode_values(data, h.count, v.data());
    if (transpose) {
      v = npy_make_c_order(std::move(v), h.shape);
      a.order = npy_order::c;
    }
    a.data() = std::move(v);
  };
  switch (h.dtype) {
    case npy_dtype::float32: fill(std::vector<float>(h.count)); break;
    case npy_dtype::float64: fill(std::vector<double>(h.count)); break;
    case npy_dtype::int8: fill(std::vector<std::int8_t>(h.count)); break;
    case npy_dtype::uint8: fill(std::vector<std::uint8_t>(h.count)); break;
    case npy_dtype::int32: fill(std::vector<std::int32_t>(h.count)); break;
  }
}

inline status npy_data_size_check(std::size_t have, std::size_t need) noexcept {
  if (have < need) return {errc::size_mismatch, "data", "data is shorter than the shape says (truncated file)"};
  if (have > need) return {errc::size_mismatch, "data", "data is longer than the shape says (trailing bytes)"};
  return ok_status;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Reading

/// Parses the header at the start of `buffer` (which must hold at least the
/// whole header; the data need not be present). Use it to inspect a file or to
/// map its data yourself: the data are `count` little-endian elements starting
/// at `data_offset`.
inline result<npy_header> parse_npy_header(std::span<const std::byte> buffer) {
  npy_header h;
  QMATH_TRY(detail::npy_parse_header(buffer, h));
  return h;
}

/// Decodes a complete .npy image held in memory.
inline result<npy_array> decode_npy(std::span<const std::byte> buffer,
                                    npy_layout layout = npy_layout::c_order) {
  npy_header h;
  QMATH_TRY(detail::npy_parse_header(buffer, h));
  QMATH_TRY(detail::npy_data_size_check(buffer.size() - h.data_offset, h.data_bytes));
  npy_array a;
  detail::npy_fill_array(h, buffer.data() + h.data_offset, layout, a);
  return a;
}

/// Reads a .npy file. The data size is checked against the file size before
/// anything is allocated, so a malformed shape never triggers a huge
/// allocation.
inline result<npy_array> read_npy(const std::filesystem::path& path,
                                  npy_layout layout = npy_layout::c_order) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) return status(errc::io_error, "path", "file not found");
  if (ec) return status(errc::io_error, "path", "cannot access the file");
  if (std::filesystem::is_directory(st)) return status(errc::io_error, "path", "is a directory, not a file");
  const std::uintmax_t fsize = std::filesystem::file_size(path, ec);
  if (ec) return status(errc::io_error, "path", "cannot determine the file size");
  std::ifstream in(path, std::ios::binary);
  if (!in) return status(errc::io_error, "path", "cannot open the file for reading");

  auto read_exact = [&](std::byte* dst, std::size_t n) -> bool {
    if (n == 0) return true;
    in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
    return in.good() && static_cast<std::size_t>(in.gcount()) == n;
  };
  // Prefix: 12 bytes at most (fewer for a tiny or truncated file).
  std::byte prefix[12];
  const std::size_t pre_n = static_cast<std::size_t>(std::min<std::uintmax_t>(fsize, 12));
  if (!read_exact(prefix, pre_n)) return status(errc::io_error, "path", "read error");
  npy_header h;
  std::size_t header_len = 0;
  QMATH_TRY(detail::npy_parse_prefix(std::span<const std::byte>(prefix, pre_n), h, header_len));
  const std::size_t pbytes = detail::npy_prefix_bytes(h.version);
  if (header_len > fsize - pbytes) {
    return status(errc::parse_error, "header", "truncated file: header shorter than HEADER_LEN says");
  }
  // Whole header (prefix + dict) in one buffer; bounded by the file size.
  std::vector<std::byte> head(pbytes + header_len);
  std::memcpy(head.data(), prefix, pbytes);
  if (pre_n > pbytes) {  // version 1: two dict bytes were already read
    const std::size_t extra = std::min(pre_n - pbytes, header_len);
    std::memcpy(head.data() + pbytes, prefix + pbytes, extra);
    if (!read_exact(head.data() + pbytes + extra, header_len - extra)) {
      return status(errc::io_error, "path", "read error");
    }
    if (extra < pre_n - pbytes) in.seekg(static_cast<std::streamoff>(pbytes + header_len));
  } else if (!read_exact(head.data() + pbytes, header_len)) {
    return status(errc::io_error, "path", "read error");
  }
  QMATH_TRY(detail::npy_parse_header(head, h));
  QMATH_TRY(detail::npy_data_size_check(static_cast<std::size_t>(fsize - h.data_offset), h.data_bytes));
  std::vector<std::byte> raw(h.data_bytes);
  if (!read_exact(raw.data(), raw.size())) return status(errc::io_error, "path", "read error");
  npy_array a;
  detail::npy_fill_array(h, raw.data(), layout, a);
  return a;
}

/// One array of a directory.
struct npy_entry {
  std::string name;             ///< file name without the .npy extension
  std::filesystem::path path;   ///< full path of the file
  npy_array array;
};

/// The regular files named *.npy in `dir` (not recursive), sorted by file
/// name (byte order). An empty list is not an error here.
inline result<std::vector<std::filesystem::path>> list_npy_files(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return status(errc::io_error, "path", "not a directory");
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return status(errc::io_error, "path", "cannot list the directory");
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return status(errc::io_error, "path", "cannot list the directory");
    const auto& p = it->path();
    if (p.extension() == ".npy" && it->is_regular_file(ec) && !ec) files.push_back(p);
  }
  if (ec) return status(errc::io_error, "path", "cannot list the directory");
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.filename().native() < b.filename().native(); });
  return files;
}

/// Reads every *.npy file of `dir` (see list_npy_files for the order). A
/// directory without .npy files is errc::empty_input. When a file fails, the
/// status is that file's error with `index()` = its position in
/// list_npy_files(dir).
inline result<std::vector<npy_entry>> read_npy_dir(const std::filesystem::path& dir,
                                                   npy_layout layout = npy_layout::c_order) {
  auto files = list_npy_files(dir);
  if (!files) return files.error();
  if (files->empty()) return status(errc::empty_input, "path", "directory holds no .npy files");
  std::vector<npy_entry> out;
  out.reserve(files->size());
  for (std::size_t i = 0; i < files->size(); ++i) {
    const auto& p = (*files)[i];
    auto a = read_npy(p, layout);
    if (!a) return a.error().at(i);
    out.push_back({p.stem().string(), p, std::move(*a)});
  }
  return out;
}

/// The values of a float array as float32: float32 is copied, float64 rounded
/// to nearest (a finite value beyond the float32 range is errc::out_of_range,
/// index = element). Integer arrays are errc::unsupported.
inline result<std::vector<float>> to_float32(const npy_array& a) {
  if (a.holds<float>()) {
    const auto v = a.values<float>();
    return std::vector<float>(v.begin(), v.end());
  }
  if (a.holds<double>()) {
    const auto v = a.values<double>();
    std::vector<float> out(v.size());
    constexpr double lim = static_cast<double>(std::numeric_limits<float>::max());
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double x = v[i];
      if (std::isfinite(x) && std::fabs(x) > lim) {
        return status(errc::out_of_range, "array", "float64 value beyond the float32 range").at(i);
      }
      out[i] = static_cast<float>(x);  // NaN and +-Inf carry over
    }
    return out;
  }
  return status(errc::unsupported, "array", "not a float array (dtype is an integer type)");
}

// ---------------------------------------------------------------------------
// Writing

namespace detail {

inline result<std::string> npy_header_text(npy_dtype dt, npy_order order,
                                           std::span<const std::size_t> shape) {
  if (shape.size() > npy_max_ndim) return status(errc::out_of_range, "shape", "more than 64 dimensions");
  std::string d = "{'descr': '";
  d += npy_descr(dt);
  d += "', 'fortran_order': ";
  d += order == npy_order::fortran ? "True" : "False";
  d += ", 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) d += ", ";
    d += std::to_string(shape[i]);
  }
  if (shape.size() == 1) d += ',';
  d += "), }";
  return d;
}

inline result<std::vector<std::byte>> npy_encode(npy_dtype dt, npy_order order,
                                                 std::span<const std::size_t> shape,
                                                 const void* values, std::size_t count) {
  npy_header h;
  h.dtype = dt;
  h.shape.assign(shape.begin(), shape.end());
  QMATH_TRY(npy_finish_header(h));
  if (h.count != count) return status(errc::size_mismatch, "data", "number of values != prod(shape)");
  auto text = npy_header_text(dt, order, shape);
  if (!text) return text.error();
  std::string& d = *text;
  // Format 1.0: a dict of at most 64 extents is far below the 65535-byte
  // limit. prefix + dict + padding + '\n' is a multiple of 64.
  constexpr std::size_t prefix = 10;
  const std::size_t total = prefix + d.size() + 1;
  d.append((total + 63) / 64 * 64 - total, ' ');
  d += '\n';
  const std::size_t hlen = d.size();
  QMATH_ASSERT(hlen <= 65535);
  std::vector<std::byte> out(prefix + hlen + h.data_bytes);
  std::memcpy(out.data(), npy_magic, 6);
  out[6] = std::byte{1};
  out[7] = std::byte{0};
  out[8] = static_cast<std::byte>(hlen & 0xff);
  out[9] = static_cast<std::byte>(hlen >> 8);
  std::memcpy(out.data() + prefix, d.data(), hlen);
  std::byte* dst = out.data() + prefix + hlen;
  switch (dt) {
    case npy_dtype::float32: npy_encode_values(static_cast<const float*>(values), count, dst); break;
    case npy_dtype::float64: npy_encode_values(static_cast<const double*>(values), count, dst); break;
    case npy_dtype::int8: npy_encode_values(static_cast<const std::int8_t*>(values), count, dst); break;
    case npy_dtype::uint8: npy_encode_values(static_cast<const std::uint8_t*>(values), count, dst); break;
    case npy_dtype::int32: npy_encode_values(static_cast<const std::int32_t*>(values), count, dst); break;
  }
  return out;
}

inline status npy_write_file(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return {errc::io_error, "path", "cannot open the file for writing"};
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.flush();
  if (!out) return {errc::io_error, "path", "write error"};
  return ok_status;
}

}  // namespace detail

/// Encodes `values` (prod(shape) elements, stored in `order`) as a .npy image.
template <npy_scalar T>
result<std::vector<std::byte>> encode_npy(std::span<const T> values, std::span<const std::size_t> shape,
                                          npy_order order = npy_order::c) {
  return detail::npy_encode(npy_dtype_of<T>, order, shape, values.data(), values.size());
}

/// Encodes an npy_array (its dtype, order and shape) as a .npy image.
inline result<std::vector<std::byte>> encode_npy(const npy_array& a) {
  return std::visit(
      [&](const auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        return detail::npy_encode(npy_dtype_of<T>, a.order, a.shape, v.data(), v.size());
      },
      a.data());
}

/// Writes `values` (prod(shape) elements, stored in `order`) to a .npy file.
template <npy_scalar T>
status write_npy(const std::filesystem::path& path, std::span<const T> values,
                 std::span<const std::size_t> shape, npy_order order = npy_order::c) {
  auto bytes = encode_npy(values, shape, order);
  if (!bytes) return bytes.error();
  return detail::npy_write_file(path, *bytes);
}

/// Writes an npy_array to a .npy file.
inline status write_npy(const std::filesystem::path& path, const npy_array& a) {
  auto bytes = encode_npy(a);
  if (!bytes) return bytes.error();
  return detail::npy_write_file(path, *bytes);
}

}  // namespace qmath::io
