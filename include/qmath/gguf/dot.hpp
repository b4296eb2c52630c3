#pragma once
// Dot products of GGUF block-quantized rows with a quantized vector, as ggml's
// ggml_vec_dot_<x>_<y> define them, with one summation order on every ISA.
//
//   qmath::result<float> dot(std::span<const block_X> x, std::span<const block_Y> y);
//   qmath::status matvec(std::span<const block_X> w, std::size_t rows,
//                        std::span<const block_Y> v, std::span<float> out,
//                        std::size_t threads = 1);
//
// Pairs (X . Y): q4_0.q8_0, q4_1.q8_1, q5_0.q8_0, q5_1.q8_1, q8_0.q8_0,
// q4_k.q8_k, q6_k.q8_k. x and y hold the same number nb of blocks; w holds
// `rows` rows of v.size() blocks each (row-major), out[r] = dot(row r, v).
//
// Definition. For block b (fp16 fields read exactly, every product rounded
// to float32 on its own, no fused multiply-add):
//   integer part (exact in int32 for every possible block content):
//     Q4_0 . Q8_0   S = sum_j (q_j - 8) a_j        Q5_0 . Q8_0   S = sum_j (q_j - 16) a_j
//     Q4_1 . Q8_1   S = sum_j q_j a_j              Q5_1 . Q8_1   S = sum_j q_j a_j
//     Q8_0 . Q8_0   S = sum_j q_j a_j
//     Q4_K . Q8_K   S = sum_{sub i} sc_i sum_{j in i} q_j a_j,  M = sum_i m_i (bsums[2i] + bsums[2i+1])
//     Q6_K . Q8_K   S = sum_{sub i} sc_i sum_{j in i} (q_j - 32) a_j
//   float term:
//     Q4_0, Q5_0, Q8_0:  t_b = float(S) * (d_x * d_y)
//     Q4_1, Q5_1:        t_b = float(S) * (d_x * d_y) + m_x * s_y          (s_y = Q8_1's s)
//     Q4_K:              t_b = float(S) * (d_x * d_y) - float(M) * (dmin_x * d_y)
//     Q6_K:              t_b = float(S) * (d_x * d_y)
//   (a product of two fp16 values is exact in float32; d_y of Q8_K is float32.)
//   sum: f[0..7] = +0; f[b % 8] += t_b for b = 0, 1, ..., nb-1;
//        result = ((f0 + f4) + (f2 + f6)) + ((f1 + f5) + (f3 + f7)).
// Every ISA level (scalar, SSE4.1, AVX2, AVX-VNNI, AVX-512, AVX512-VNNI, NEON,
// dotprod, i8mm) returns the same bits. ggml itself sums per block in the same
// way in its generic C code (one float per block) but in ISA-dependent orders
// (and with FMA) in its SIMD code, so results agree with ggml's to float
// rounding, not bit for bit. Q4_K . Q8_K uses the Q8_K bsums for the min
// term (as ggml does): blocks from quantize() have consistent bsums.
// nb == 0 gives +0. Inf/NaN scales propagate (NaN bits unspecified).
//
// Threads: matvec splits rows over `threads` threads (0 = one per CPU); each
// output is computed by one thread in the order above, so results do not
// depend on the thread count.
//
//   std::vector<qmath::gguf::block_q4_0> w(rows * nb);  std::vector<qmath::gguf::block_q8_0> v(nb);
//   qmath::status st = qmath::gguf::matvec(w, rows, v, out);

#include <cstddef>
#include <cstdint>
#include <span>

#include "qmath/core/status.hpp"
#include "qmath/detail/parallel.hpp"
#include "qmath/gguf/blocks.hpp"
#include "qmath/gguf/kernels.hpp"
#include "qmath/simd/dispatch.hpp"

namespace qmath::gguf {
namespace detail {

template <class X, class Y>
struct dot_pair;
#define QMATH_GGUF_PAIR(X, Y, member) \
  template <>                         \
  struct dot_pair<X, Y> {             \
    static constexpr auto fn = &qmath::detail::gguf_kernels::member; \
  };
QMATH_GGUF_PAIR(block_q4_0, block_q8_0, q4_0_q8_0)
QMATH_GGUF_PAIR(block_q4_1, block_q8_1, q4_1_q8_1)
QMATH_GGUF_PAIR(block_q5_0, block_q8_0, q5_0_q8_0)
QMATH_GGUF_PAIR(block_q5_1, block_q8_1, q5_1_q8_1)
QMATH_GGUF_PAIR(block_q8_0, block_q8_0, q8_0_q8_0)
QMATH_GGUF_PAIR(block_q4_k, block_q8_k, q4_k_q8_k)
QMATH_GGUF_PAIR(block_q6_k, block_q8_k, q6_k_q8_k)
#undef QMATH_GGUF_PAIR

inline const qmath::detail::gguf_kernels* kernels() noexcept {
  const auto* k = qmath::detail::select_kernels<qmath::detail::gguf_kernels>();
  QMATH_ASSERT(k != nullptr);
  return k;
}

template <class X, class Y>
status run(std::span<const X> w, std::size_t rows, std::span<const Y> v, float* out, std::size_t threads) noexcept {
  const auto fn = kernels()->*dot_pair<X, Y>::fn;
  const std::size_t nb = v.size();
  if (rows == 0) return ok_status;
  const std::size_t per_task = 16;
  const std::size_t tasks = (rows + per_task - 1) / per_task;
  threads = qmath::detail::resolve_threads(threads);
  if (threads <= 1 || tasks <= 1) {
    fn(w.data(), nb * sizeof(X), rows, v.data(), nb, out);
    return ok_status;
  }
  qmath::detail::parallel_for(tasks, threads, [&](std::size_t t) {
    const std::size_t r0 = t * per_task, r1 = r0 + per_task < rows ? r0 + per_task : rows;
    fn(w.data() + r0 * nb, nb * sizeof(X), r1 - r0, v.data(), nb, out + r0);
  });
  return ok_status;
}

template <class X, class Y>
result<float> dot_impl(std::span<const X> x, std::span<const Y> y) noexcept {
  if (x.data() == nullptr && !x.empty()) return invalid_argument("x", "null data with a non-zero size");
  if (y.data() == nullptr && !y.empty()) return invalid_argument("y", "null data with a non-zero size");
  if (x.size() != y.size()) return size_mismatch("y", "must hold as many blocks as x");
  float r = 0.0f;
  QMATH_TRY(run(x, 1, y, &r, 1));
  return r;
}

template <class X, class Y>
status matvec_impl(std::span<const X> w, std::size_t rows, std::span<const Y> v, std::span<float> out,
                   std::size_t threads) noexcept {
  if (w.data() == nullptr && !w.empty()) return invalid_argument("w", "null data with a non-zero size");
  if (v.data() == nullptr && !v.empty()) return invalid_argument("v", "null data with a non-zero size");
  if (out.data() == nullptr && !out.empty()) return invalid_argument("out", "null data with a non-zero size");
  if (v.size() != 0 && rows > w.size() / v.size()) return size_mismatch("w", "must hold rows * v.size() blocks");
  if (w.size() != rows * v.size()) return size_mismatch("w", "must hold rows * v.size() blocks");
  if (out.size() != rows) return size_mismatch("out", "must hold rows values");
  return run(w, rows, v, out.data(), threads);
}

}  // namespace detail

// dot(x, y): the dot product of x and y (same number of blocks), defined above.
// matvec(w, rows, v, out, threads): out[r] = dot(row r of w, v), w is rows x v.size() blocks.
#define QMATH_GGUF_DOT(X, Y)                                                                                     \
  inline result<float> dot(std::span<const X> x, std::span<const Y> y) noexcept {                               \
    return detail::dot_impl<X, Y>(x, y);                                                                         \
  }                                                                                                              \
  inline status matvec(std::span<const X> w, std::size_t rows, std::span<const Y> v, std::span<float> out,       \
                       std::size_t threads = 1) noexcept {                                                       \
    return detail::matvec_impl<X, Y>(w, rows, v, out, threads);                                                  \
  }
QMATH_GGUF_DOT(block_q4_0, block_q8_0)
QMATH_GGUF_DOT(block_q4_1, block_q8_1)
QMATH_GGUF_DOT(block_q5_0, block_q8_0)
QMATH_GGUF_DOT(block_q5_1, block_q8_1)
QMATH_GGUF_DOT(block_q8_0, block_q8_0)
QMATH_GGUF_DOT(block_q4_k, block_q8_k)
QMATH_GGUF_DOT(block_q6_k, block_q8_k)
#undef QMATH_GGUF_DOT

/// The ISA level the GGUF kernels dispatch to now.
inline isa kernel_level() noexcept { return qmath::detail::selected_level<qmath::detail::gguf_kernels>(); }

}  // namespace qmath::gguf
