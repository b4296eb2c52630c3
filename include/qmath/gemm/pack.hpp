#pragma once
// Weight pre-packing (pack once, multiply many times) and on-the-fly packing
// of activation strips. Layouts: gemm/kernels.hpp.
//
//   std::vector<std::int8_t> w(K * N);                     // B, K x N row-major
//   qmath::packed_weights pw;
//   qmath::status st = qmath::pack_weights(qmath::matrix_view<std::int8_t>{w, K, N}, {}, pw);
// A PyTorch Linear weight W[N][K] (row-major) is B viewed column-major:
//   matrix_view<std::int8_t>{w, K, N, K, matrix_order::col_major}.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "qmath/gemm/types.hpp"
#include "qmath/simd/gemm_ops.hpp"

QMATH_SIMD_DIAGNOSTICS_BEGIN
namespace qmath::kernel::QMATH_TARGET_NS::gemm_pack {

/// The vector path of the activation packer: 16-byte vectors (sse2) on x86,
/// none elsewhere.
#if defined(QMATH_ARCH_X86) && defined(__SSE2__)
using pack_arch = simd::arch<isa::sse2>;
#else
using pack_arch = simd::arch<isa::scalar>;
#endif

/// Complete groups [0, g4) (g4 a multiple of 4) of 4 rows of a row-major A
/// (row 0 at p0, stride ld) into d, d + step, ... (k-group g at d + g * step),
/// 4 rows x 16 k at a time: a 4 x 4 transpose of 4-byte groups. Values xor
/// x; s4[t] = sum of the bytes of row t xor to_u8, when rowsum.
template <class A>
QMATH_ALWAYS_INLINE void pack_rows4(const std::uint8_t* p0, std::size_t ld, std::size_t g4, std::uint8_t x,
                                    std::uint8_t to_u8, std::uint8_t* d, std::size_t step, bool rowsum,
                                    std::uint32_t* s4) noexcept {
  using u8 = xsimd::batch<std::uint8_t, A>;
  using u64 = xsimd::batch<std::uint64_t, A>;
  static_assert(u8::size == 16, "pack_rows4: 16-byte vectors");
  const u8 vx(x), vu(to_u8);
  u64 sum(std::uint64_t{0}), sum2(std::uint64_t{0});
  for (std::size_t g = 0; g < g4; g += 4) {
    u8 a0 = u8::load_unaligned(p0 + 4 * g);
    u8 a1 = u8::load_unaligned(p0 + ld + 4 * g);
    u8 a2 = u8::load_unaligned(p0 + 2 * ld + 4 * g);
    u8 a3 = u8::load_unaligned(p0 + 3 * ld + 4 * g);
    if (rowsum) {
      sum = simd::gemm_rowsum2_u8(sum, a0 ^ vu, a1 ^ vu);
      sum2 = simd::gemm_rowsum2_u8(sum2, a2 ^ vu, a3 ^ vu);
    }
    a0 = a0 ^ vx, a1 = a1 ^ vx, a2 = a2 ^ vx, a3 = a3 ^ vx;
    simd::gemm_transpose4_u32(a0, a1, a2, a3);
    std::uint8_t* dg = d + g * step;
    a0.store_unaligned(dg);
    a1.store_unaligned(dg + step);
    a2.store_unaligned(dg + 2 * step);
    a3.store_unaligned(dg + 3 * step);
  }
  if (rowsum) {
    alignas(16) std::uint64_t l[4];
    sum.store_aligned(l);
    sum2.store_aligned(l + 2);
    for (int t = 0; t < 4; ++t) s4[t] = static_cast<std::uint32_t>(l[t]);
  }
}

}  // namespace qmath::kernel::QMATH_TARGET_NS::gemm_pack
QMATH_SIMD_DIAGNOSTICS_END

namespace qmath {

template <class T>
concept gemm_int8_operand = std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>;

/// Pack B (K x N, int8 or uint8) with zero points `zero_point` (empty = 0,
/// one value, or N values; in [-128, 127] for int8, [0, 255] for uint8).
/// Errors: 'b' (empty, null, bad ld, short data, K > gemm_max_k),
/// 'zero_point' (size, range), and out of memory ('b').
template <class T>
status pack_weights(matrix_view<T> b, std::span<const std::int32_t> zero_point, packed_weights& out) noexcept {
  static_assert(gemm_int8_operand<T>, "pack_weights: B must be int8 or uint8");
  QMATH_TRY(detail::check_view(b, "b", b.order == matrix_order::col_major));
  if (b.rows > gemm_max_k) return out_of_range("b", "K (rows of B) exceeds gemm_max_k");
  const std::size_t K = b.rows, N = b.cols;
  if (!(zero_point.empty() || zero_point.size() == 1 || zero_point.size() == N))
    return size_mismatch("zero_point", "must hold 0, 1 or N (columns of B) values");
  constexpr std::int32_t zlo = std::is_signed_v<T> ? -128 : 0, zhi = std::is_signed_v<T> ? 127 : 255;
  for (std::size_t j = 0; j < zero_point.size(); ++j) {
    if (zero_point[j] < zlo || zero_point[j] > zhi)
      return out_of_range("zero_point", "outside the range of the weight type").at(j);
  }
  packed_weights p;
  p.k_ = K;
  p.n_ = N;
  const std::size_t kp = p.k_padded(), np = p.panels();
  if (!p.data_.allocate(np * kp * 16) || !p.colsum_.allocate(N) || !p.zb_.allocate(N))
    return {errc::invalid_argument, "b", "out of memory while packing"};
  std::int8_t* dst = p.data_.data();
  const std::size_t ld = b.stride();
  const bool col = b.order == matrix_order::col_major;
  for (std::size_t j = 0; j < N; ++j) {
    std::int8_t* pj = dst + (j / 16) * kp * 16 + (j % 16) * 4;
    std::int32_t sum = 0;
    const T* src = b.data.data();
    for (std::size_t k = 0; k < K; ++k) {
      const T v = col ? src[j * ld + k] : src[k * ld + j];
      std::int8_t s;
      if constexpr (std::is_signed_v<T>) s = v;
      else s = static_cast<std::int8_t>(static_cast<int>(v) - 128);
      pj[(k / 4) * 64 + (k % 4)] = s;
      sum += s;
    }
    p.colsum_.data()[j] = sum;
    const std::int32_t z = zero_point.empty() ? 0 : zero_point[zero_point.size() == 1 ? 0 : j];
    p.zb_.data()[j] = std::is_signed_v<T> ? z : z - 128;
    p.any_zb_ = p.any_zb_ || p.zb_.data()[j] != 0;
  }
  p.tag_ = packed_weights::layout_tag;
  out = static_cast<packed_weights&&>(p);
  return ok_status;
}

/// Owning convenience overload.
template <class T>
result<packed_weights> pack_weights(matrix_view<T> b, std::span<const std::int32_t> zero_point = {}) noexcept {
  packed_weights p;
  QMATH_TRY(pack_weights(b, zero_point, p));
  return p;
}

// The activation packer depends on the compile flags (pack_rows4): it lives
// in the target namespace and is reached through the GEMM kernel table, so
// units built with different -m flags never share it.
namespace kernel::QMATH_TARGET_NS::gemm_pack {

/// Row i of a row-major A, groups [g0, kg) (complete up to kfull, then the
/// K tail and zero padding), into d + g * step; rowsum += sum (u8 domain).
template <class T>
void pack_a_row_tail(const matrix_view<T>& a, std::size_t i, std::size_t k0, std::size_t g0, std::size_t kfull,
                     std::size_t kg, std::uint8_t x, std::uint8_t to_u8, std::uint8_t* d, std::size_t step,
                     std::int32_t* rowsum, std::uint32_t sum) noexcept {
  const auto* row = reinterpret_cast<const std::uint8_t*>(a.data.data()) + i * a.stride() + k0;
  const std::size_t K = a.cols;
  for (std::size_t g = g0; g < kg; ++g) {
    for (std::size_t t = 0; t < 4; ++t) {
      const std::size_t kk = 4 * g + t;
      std::uint8_t v = 0;
      if (g < kfull || k0 + kk < K) {
        sum += static_cast<std::uint8_t>(row[kk] ^ to_u8);
        v = static_cast<std::uint8_t>(row[kk] ^ x);
      }
      d[g * step + t] = v;
    }
  }
  if (rowsum) *rowsum += static_cast<std::int32_t>(sum);
}

/// Pack rows [i0, i0 + mc) x k in [k0, k0 + 4 * kg) of A into strips of `mr`
/// rows (a_full: every strip has mr rows, zero-padded), k-groups of 4, values
/// xor `x` (0x80 converts between the u8 and s8 domains); zero for k >= K.
/// rowsum[r] += sum of the u8-domain values (A as uint8, or int8 + 128), when non-null.
template <class T>
void pack_a(const matrix_view<T>& a, std::size_t i0, std::size_t mc, std::size_t k0, std::size_t kg, int mr,
            bool a_full, std::uint8_t x, std::uint8_t* dst, std::int32_t* rowsum) noexcept {
  const std::size_t K = a.cols, ld = a.stride();
  const bool col = a.order == matrix_order::col_major;
  const std::size_t kend = std::min(K, k0 + 4 * kg);
  const std::size_t kfull = kend >= k0 ? (kend - k0) / 4 : 0;  // complete groups
  const std::uint8_t to_u8 = std::is_signed_v<T> ? 0x80 : 0x00;
  const std::uint32_t x4 = 0x01010101u * x;
  const auto* src = reinterpret_cast<const std::uint8_t*>(a.data.data());
  for (std::size_t s0 = 0; s0 < mc; s0 += static_cast<std::size_t>(mr)) {
    const int rows = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(mr), mc - s0));
    const int R = a_full ? mr : rows;
    std::uint8_t* sd = dst + s0 * 4 * kg;
    int r_fast = 0;
    using pack_arch = ::qmath::kernel::QMATH_TARGET_NS::gemm_pack::pack_arch;
    if constexpr (!::qmath::kernel::QMATH_TARGET_NS::simd::is_scalar_arch<pack_arch>) {
      // Row-major: 4 rows x 16 k at a time (gemm_pack::pack_rows4).
      if (!col && kfull >= 4) {
        const std::size_t step = 4 * static_cast<std::size_t>(R);
        const std::size_t g4 = kfull & ~std::size_t{3};
        for (; r_fast + 4 <= rows; r_fast += 4) {
          const std::uint8_t* p0 = src + (i0 + s0 + static_cast<std::size_t>(r_fast)) * ld + k0;
          std::uint32_t s4[4] = {};
          ::qmath::kernel::QMATH_TARGET_NS::gemm_pack::pack_rows4<pack_arch>(
              p0, ld, g4, x, to_u8, sd + 4 * static_cast<std::size_t>(r_fast), step, rowsum != nullptr, s4);
          // groups g4..kg of these rows: the scalar loop below (started at g4).
          for (int t = 0; t < 4; ++t) {
            pack_a_row_tail(a, i0 + s0 + static_cast<std::size_t>(r_fast + t), k0, g4, kfull, kg, x, to_u8,
                            sd + 4 * static_cast<std::size_t>(r_fast + t), step,
                            rowsum ? rowsum + s0 + static_cast<std::size_t>(r_fast + t) : nullptr, s4[t]);
          }
        }
      }
    }
    for (int r = r_fast; r < R; ++r) {
      std::uint8_t* d = sd + 4 * r;
      const std::size_t step = 4 * static_cast<std::size_t>(R);
      if (r >= rows) {
        for (std::size_t g = 0; g < kg; ++g) std::memset(d + g * step, 0, 4);
        continue;
      }
      const std::size_t i = i0 + s0 + static_cast<std::size_t>(r);
      std::uint32_t sum = 0;
      if (!col) {
        const std::uint8_t* row = src + i * ld + k0;
        for (std::size_t g = 0; g < kfull; ++g) {
          std::uint32_t w;
          std::memcpy(&w, row + 4 * g, 4);
          if (rowsum) {
            const std::uint32_t u = w ^ (0x01010101u * to_u8);
            sum += (u & 0xFF) + ((u >> 8) & 0xFF) + ((u >> 16) & 0xFF) + (u >> 24);
          }
          w ^= x4;
          std::memcpy(d + g * step, &w, 4);
        }
      } else {
        for (std::size_t g = 0; g < kfull; ++g) {
          for (int t = 0; t < 4; ++t) {
            const std::uint8_t v = src[i + (k0 + 4 * g + static_cast<std::size_t>(t)) * ld];
            sum += static_cast<std::uint8_t>(v ^ to_u8);
            d[g * step + static_cast<std::size_t>(t)] = static_cast<std::uint8_t>(v ^ x);
          }
        }
      }
      for (std::size_t g = kfull; g < kg; ++g) {  // tail group(s): partial or beyond K
        for (int t = 0; t < 4; ++t) {
          const std::size_t k = k0 + 4 * g + static_cast<std::size_t>(t);
          std::uint8_t v = 0;
          if (k < K) {
            const std::uint8_t raw = col ? src[i + k * ld] : src[i * ld + k];
            sum += static_cast<std::uint8_t>(raw ^ to_u8);
            v = static_cast<std::uint8_t>(raw ^ x);
          }
          d[g * step + static_cast<std::size_t>(t)] = v;
        }
      }
      if (rowsum) rowsum[s0 + static_cast<std::size_t>(r)] += static_cast<std::int32_t>(sum);
    }
  }
}

/// pack_a behind a type-erased view (the GEMM table's pack_a_u8 / pack_a_s8).
template <class T>
void pack_a_erased(const void* view, std::size_t i0, std::size_t mc, std::size_t k0, std::size_t kg, int mr,
                   bool full, std::uint8_t x, std::uint8_t* dst, std::int32_t* rowsum) noexcept {
  pack_a(*static_cast<const matrix_view<T>*>(view), i0, mc, k0, kg, mr, full, x, dst, rowsum);
}

}  // namespace kernel::QMATH_TARGET_NS::gemm_pack
}  // namespace qmath
