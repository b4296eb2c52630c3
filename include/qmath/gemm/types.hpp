#pragma once
// Matrix views, packed weights and output stages of the integer GEMM.
//
// Glossary (README): A is the M x K activation matrix (uint8 or int8, one
// zero_point), B is the K x N weight matrix (int8 or uint8, zero_point per
// tensor or per output column), C is M x N. The exact integer product is
//     acc[i][j] = sum_k (A[i][k] - za) * (B[k][j] - zb[j])
// and the output stage turns acc into int32, int8/uint8 or float.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <type_traits>

#include "qmath/core/status.hpp"
#include "qmath/quantize/requantize.hpp"

namespace qmath {

/// Storage order of a matrix view.
enum class matrix_order : std::uint8_t { row_major, col_major };

/// Read-only strided matrix: element (i, j) is data[i * ld + j] (row_major)
/// or data[i + j * ld] (col_major). ld == 0 means "packed" (cols or rows).
template <class T>
struct matrix_view {
  std::span<const T> data{};
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t ld = 0;
  matrix_order order = matrix_order::row_major;

  [[nodiscard]] QMATH_ALWAYS_INLINE constexpr std::size_t stride() const noexcept {
    return ld != 0 ? ld : (order == matrix_order::row_major ? cols : rows);
  }
  [[nodiscard]] constexpr T operator()(std::size_t i, std::size_t j) const noexcept {
    return order == matrix_order::row_major ? data[i * stride() + j] : data[i + j * stride()];
  }
};

/// Writable row-major matrix: element (i, j) is data[i * ld + j]; ld == 0 means cols.
template <class T>
struct matrix_span {
  std::span<T> data{};
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t ld = 0;
  [[nodiscard]] QMATH_ALWAYS_INLINE constexpr std::size_t stride() const noexcept { return ld != 0 ? ld : cols; }
};

namespace detail {

/// Status for a view: ld large enough and data holding every element.
template <class V>
constexpr status check_view(const V& v, const char* arg, bool col_major) noexcept {
  if (v.rows == 0 || v.cols == 0) return empty_input(arg);
  if (v.data.data() == nullptr) return invalid_argument(arg, "data is null");
  const std::size_t inner = col_major ? v.rows : v.cols;
  const std::size_t outer = col_major ? v.cols : v.rows;
  if (v.stride() < inner) return invalid_argument(arg, "leading dimension ld is smaller than the row (or column) length");
  if (outer - 1 > (std::numeric_limits<std::size_t>::max() - inner) / v.stride())
    return size_mismatch(arg, "size overflows size_t");
  if ((outer - 1) * v.stride() + inner > v.data.size())
    return size_mismatch(arg, "data is smaller than (outer - 1) * ld + inner");
  return ok_status;
}

/// A 64-byte aligned, copyable buffer that never throws (allocation failure
/// leaves it empty; callers report it).
template <class T>
class aligned_buffer {
 public:
  aligned_buffer() noexcept = default;
  explicit aligned_buffer(std::size_t n) noexcept { allocate(n); }
  aligned_buffer(const aligned_buffer& o) noexcept {
    if (allocate(o.n_) && o.n_) std::memcpy(p_, o.p_, o.n_ * sizeof(T));
  }
  aligned_buffer(aligned_buffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr, o.n_ = 0; }
  aligned_buffer& operator=(aligned_buffer o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  ~aligned_buffer() { release(); }

  bool allocate(std::size_t n) noexcept {
    release();
    if (n == 0) return true;
    p_ = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64}, std::nothrow));
    if (p_ == nullptr) return false;
    n_ = n;
    std::memset(static_cast<void*>(p_), 0, n * sizeof(T));
    return true;
  }
  /// Grow (contents not kept) to at least n elements.
  bool reserve(std::size_t n) noexcept { return n <= n_ || allocate(n); }
  [[nodiscard]] T* data() noexcept { return p_; }
  [[nodiscard]] const T* data() const noexcept { return p_; }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }

 private:
  void release() noexcept {
    if (p_) ::operator delete(p_, std::align_val_t{64});
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

}  // namespace detail

/// Weights B (K x N) packed once into the layout every GEMM kernel reads (see
/// gemm/kernels.hpp): panels of 16 columns, K padded to a multiple of 4, in
/// the int8 "s" domain (uint8 weights are stored as b - 128), plus the
/// per-column sums and zero points that the zero-point correction needs.
/// The layout is the same for every ISA, so one packing serves every level.
class packed_weights {
 public:
  /// Layout version tag (checked by gemm(): a default-constructed or
  /// foreign object is rejected).
  static constexpr std::uint32_t layout_tag = 0x51474d31u;  // "QGM1"

  packed_weights() noexcept = default;

  [[nodiscard]] std::size_t k() const noexcept { return k_; }
  [[nodiscard]] std::size_t n() const noexcept { return n_; }
  [[nodiscard]] bool empty() const noexcept { return n_ == 0; }
  /// k rounded up to a multiple of 4.
  [[nodiscard]] std::size_t k_padded() const noexcept { return (k_ + 3) & ~std::size_t{3}; }
  /// Bytes between two 16-column panels.
  [[nodiscard]] std::size_t panel_stride() const noexcept { return k_padded() * 16; }
  [[nodiscard]] std::size_t panels() const noexcept { return (n_ + 15) / 16; }
  /// True when any column has a non-zero zero point (in the int8 domain).
  [[nodiscard]] bool has_zero_point() const noexcept { return any_zb_; }
  [[nodiscard]] bool valid() const noexcept {
    return tag_ == layout_tag && n_ != 0 && k_ != 0 && data_.size() == panels() * panel_stride() &&
           colsum_.size() == n_ && zb_.size() == n_;
  }

  /// The packed panels, column sums sum_k Bs[k][j] and int8-domain zero points.
  [[nodiscard]] const std::int8_t* data() const noexcept { return data_.data(); }
  [[nodiscard]] std::span<const std::int32_t> column_sums() const noexcept { return {colsum_.data(), colsum_.size()}; }
  [[nodiscard]] std::span<const std::int32_t> zero_points() const noexcept { return {zb_.data(), zb_.size()}; }

 private:
  template <class T>
  friend status pack_weights(matrix_view<T> b, std::span<const std::int32_t> zero_point, packed_weights& out) noexcept;

  detail::aligned_buffer<std::int8_t> data_;
  detail::aligned_buffer<std::int32_t> colsum_;
  detail::aligned_buffer<std::int32_t> zb_;
  std::size_t k_ = 0, n_ = 0;
  bool any_zb_ = false;
  std::uint32_t tag_ = 0;
};

/// Largest K for which no int32 accumulator can overflow, whatever the data:
/// |(A - za)(B - zb)| <= 255 * 255 = 65025 in general (uint8 weights, or int8
/// weights with a zero point), so K <= floor((2^31 - 1) / 65025) = 33025;
/// with symmetric int8 weights (zb = 0) |(A - za) * B| <= 255 * 128 = 32640,
/// so K <= 65793. Longer K is split into blocks whose exact int32 sums are
/// added in int64 (see gemm.hpp), so results stay exact.
inline constexpr std::size_t gemm_max_exact_k_int32 = 33025;
inline constexpr std::size_t gemm_max_exact_k_int32_symmetric = 65793;
/// Largest K accepted at all (row and column sums stay int32).
inline constexpr std::size_t gemm_max_k = std::size_t{1} << 23;

// ---------------------------------------------------------------- output stages
//
// acc is the exact integer product (see file comment); acc32 = acc saturated
// to int32 (equal to acc whenever K <= gemm_max_exact_k_int32, or
// ..._symmetric for symmetric int8 weights). Integer biases are added to
// acc32 in two's complement int32 arithmetic (as TFLite/XNNPACK kernels do).

/// C (int32) = clamp(acc32 + bias[j], lo, hi). bias: empty or N values.
struct output_int32 {
  std::span<const std::int32_t> bias{};
  std::int32_t lo = std::numeric_limits<std::int32_t>::min();
  std::int32_t hi = std::numeric_limits<std::int32_t>::max();
};

/// C (int8 / uint8) = requantize_value_float(acc32, bias[j], multiplier[j], out)
///   = clamp(round_half_even(float(acc32 + bias[j]) * multiplier[j]) + zero_point, clamp_min, clamp_max)
/// (quantize/requantize.hpp), multiplier: 1 value (per tensor) or N (per
/// channel), finite and >= 0; bias: empty or N. clamp_min/max must lie in the
/// output type (ReLU: clamp_min = zero_point). Example: multiplier = sa*sb/sc.
struct output_requantize {
  std::span<const float> multiplier{};
  requant_output out{0, -128, 127};
  std::span<const std::int32_t> bias{};
};

/// Same with the TFLite/gemmlowp fixed-point multiplier:
/// C = requantize_value_fixed(acc32, bias[j], multiplier[j], out).
struct output_requantize_fixed {
  std::span<const fixed_multiplier> multiplier{};
  requant_output out{0, -128, 127};
  std::span<const std::int32_t> bias{};
};

/// C (float) = min(max(float(acc) * (a_scale[i] * b_scale[j]) + bias[j], lo), hi)
/// with float(acc) rounded once from the exact accumulator, the scale product
/// and every operation rounded separately (no FMA). a_scale: 1 or M values
/// (per-row activation scale, e.g. dynamic quantization), b_scale: 1 or N,
/// bias: empty or N. ReLU: lo = 0; ReLU6: lo = 0, hi = 6.
struct output_dequantize {
  std::span<const float> a_scale{};
  std::span<const float> b_scale{};
  std::span<const float> bias{};
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
};

/// Caller-supplied parallel loop: run task(ctx, i) for i in [0, n), in any
/// order and on any threads, and return when all are done.
using parallel_for_fn = void (*)(void* user, std::size_t n, void (*task)(void* ctx, std::size_t i), void* ctx);

/// Options of one GEMM call. Results are bit-identical for every thread count.
struct gemm_options {
  unsigned threads = 1;                  ///< threads to use (std::thread) when parallel_for is null
  parallel_for_fn parallel_for = nullptr;  ///< or the caller's pool (then `threads` = number of tasks)
  void* parallel_user = nullptr;         ///< passed to parallel_for
};

}  // namespace qmath
