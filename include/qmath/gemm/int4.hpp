#pragma once
// int4 weights with per-group scales and zero points along K (group_size 32,
// 64 or 128), times int8 activations with a per-row scale, float output:
//
//   C[i][j] = ( sum_g float(acc_g[i][j]) * s[g][j] ) * a_scale[i] + bias[j]
//   acc_g[i][j] = sum_{k in group g} A[i][k] * (B[k][j] - z[g][j])       (exact int32)
//
// with the sum over groups taken in order g = 0, 1, ... starting from +0.0f and
// every float operation rounded separately (no FMA), so every ISA gives the
// same bits as gemm_int4_reference. Weights: signed int4 codes in [-8, 7] or
// unsigned in [0, 15], packed two per byte by pack_weights_int4; z in the
// code's range (symmetric signed: z = 0). Group g covers k in
// [g * group_size, (g + 1) * group_size); K must be a multiple of group_size.
//
//   std::vector<std::int8_t> codes(K * N);  // B, K x N, values in [-8, 7]
//   std::vector<float> scales(K / 128 * N); // s[g][j] at g * N + j
//   qmath::packed_weights_int4 w;
//   qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{codes, K, N}, qmath::int4_kind::signed_int4,
//                            128, scales, {}, w);
//   qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a, M, K}, a_scales, w, bias, qmath::matrix_span<float>{c, M, N});
//
// AVX-512 VNNI: nibbles are widened in registers and multiplied with vpdpbusd
// (codes as the unsigned operand, activations as the signed one); other levels
// run the scalar kernel. Memory traffic is half of int8 weights, which is what
// bounds GEMV-shaped (M <= 8) products.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

#include "qmath/gemm/gemm.hpp"
#include "qmath/gemm/kernels_int4.hpp"

namespace qmath {

/// Signedness of int4 weight codes.
enum class int4_kind : std::uint8_t { signed_int4, unsigned_int4 };

/// int4 weights packed for gemm_int4 (see gemm/kernels_int4.hpp for the layout).
class packed_weights_int4 {
 public:
  static constexpr std::uint32_t layout_tag = 0x51474d34u;  // "QGM4"
  packed_weights_int4() noexcept = default;
  [[nodiscard]] std::size_t k() const noexcept { return k_; }
  [[nodiscard]] std::size_t n() const noexcept { return n_; }
  [[nodiscard]] std::size_t group_size() const noexcept { return group_; }
  [[nodiscard]] std::size_t groups() const noexcept { return group_ ? k_ / group_ : 0; }
  [[nodiscard]] std::size_t panels() const noexcept { return (n_ + 15) / 16; }
  [[nodiscard]] std::size_t n_padded() const noexcept { return panels() * 16; }
  [[nodiscard]] std::size_t panel_stride() const noexcept { return k_ * 8; }  // 16 columns x K nibbles
  [[nodiscard]] bool valid() const noexcept {
    return tag_ == layout_tag && n_ != 0 && k_ != 0 && group_ != 0 && k_ % group_ == 0 &&
           data_.size() == panels() * panel_stride() && scale_.size() == groups() * n_padded() &&
           zero_.size() == groups() * n_padded();
  }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return data_.data(); }
  [[nodiscard]] const float* scales() const noexcept { return scale_.data(); }
  [[nodiscard]] const std::int32_t* zero_points() const noexcept { return zero_.data(); }

 private:
  friend status pack_weights_int4(matrix_view<std::int8_t> b, int4_kind kind, std::size_t group_size,
                                  std::span<const float> scale, std::span<const std::int32_t> zero_point,
                                  packed_weights_int4& out) noexcept;
  detail::aligned_buffer<std::uint8_t> data_;
  detail::aligned_buffer<float> scale_;
  detail::aligned_buffer<std::int32_t> zero_;
  std::size_t k_ = 0, n_ = 0, group_ = 0;
  std::uint32_t tag_ = 0;
};

/// Pack int4 codes B (K x N, one code per int8 element, any order / ld) with
/// scales s[g][j] at scale[g * N + j] (G = K / group_size groups) and zero
/// points (empty = 0, or G * N values in the code range).
/// Errors: 'b' (empty, layout, code out of range), 'group_size' (not 32, 64 or
/// 128, or not dividing K), 'scale' (size, not finite), 'zero_point'.
inline status pack_weights_int4(matrix_view<std::int8_t> b, int4_kind kind, std::size_t group_size,
                                std::span<const float> scale, std::span<const std::int32_t> zero_point,
                                packed_weights_int4& out) noexcept {
  QMATH_TRY(detail::check_view(b, "b", b.order == matrix_order::col_major));
  if (group_size != 32 && group_size != 64 && group_size != 128)
    return invalid_argument("group_size", "must be 32, 64 or 128");
  const std::size_t K = b.rows, N = b.cols;
  if (K % group_size != 0) return invalid_argument("group_size", "must divide K (rows of B)");
  if (K > gemm_max_k) return out_of_range("b", "K exceeds gemm_max_k");
  const std::size_t G = K / group_size;
  if (scale.size() != G * N) return size_mismatch("scale", "must hold K / group_size * N values");
  if (!zero_point.empty() && zero_point.size() != G * N)
    return size_mismatch("zero_point", "must be empty or hold K / group_size * N values");
  const int lo = kind == int4_kind::signed_int4 ? -8 : 0, hi = kind == int4_kind::signed_int4 ? 7 : 15;
  const int off = kind == int4_kind::signed_int4 ? 8 : 0;
  for (std::size_t i = 0; i < scale.size(); ++i)
    if (!is_finite(scale[i])) return invalid_argument("scale", "must be finite").at(i);
  for (std::size_t i = 0; i < zero_point.size(); ++i)
    if (zero_point[i] < lo || zero_point[i] > hi) return out_of_range("zero_point", "outside the int4 range").at(i);
  packed_weights_int4 p;
  p.k_ = K, p.n_ = N, p.group_ = group_size;
  const std::size_t np = p.n_padded();
  if (!p.data_.allocate(p.panels() * p.panel_stride()) || !p.scale_.allocate(G * np) || !p.zero_.allocate(G * np))
    return {errc::invalid_argument, "b", "out of memory while packing"};
  for (std::size_t j = 0; j < N; ++j) {
    std::uint8_t* pj = p.data_.data() + (j / 16) * p.panel_stride();
    for (std::size_t k = 0; k < K; ++k) {
      const int v = b(k, j);
      if (v < lo || v > hi) return out_of_range("b", "int4 code outside its range").at(k * N + j);
      const std::size_t e = (j % 16) * 4 + k % 4;
      std::uint8_t& byte = pj[(k / 4) * 32 + e % 32];
      const auto u = static_cast<std::uint8_t>(v + off);
      byte = static_cast<std::uint8_t>(e < 32 ? ((byte & 0xF0) | u) : ((byte & 0x0F) | (u << 4)));
    }
    for (std::size_t g = 0; g < G; ++g) {
      p.scale_.data()[g * np + j] = scale[g * N + j];
      p.zero_.data()[g * np + j] = (zero_point.empty() ? 0 : zero_point[g * N + j]) + off;
    }
  }
  p.tag_ = packed_weights_int4::layout_tag;
  out = static_cast<packed_weights_int4&&>(p);
  return ok_status;
}

namespace detail {

inline status check_int4_call(const matrix_view<std::int8_t>& a, std::span<const float> a_scale,
                              const packed_weights_int4& b, std::span<const float> bias,
                              const matrix_span<float>& c) noexcept {
  QMATH_TRY(check_view(a, "a", a.order == matrix_order::col_major));
  if (a.order != matrix_order::row_major) return invalid_argument("a", "must be row-major for int4 weights");
  if (!b.valid()) return invalid_argument("b", "not a packed_weights_int4 produced by pack_weights_int4");
  if (a.cols != b.k()) return size_mismatch("b", "K of the packed weights differs from the columns of A");
  if (!(a_scale.size() == 1 || a_scale.size() == a.rows)) return size_mismatch("a_scale", "must hold 1 or M values");
  for (std::size_t i = 0; i < a_scale.size(); ++i)
    if (!is_finite(a_scale[i])) return invalid_argument("a_scale", "must be finite").at(i);
  if (!bias.empty() && bias.size() != b.n()) return size_mismatch("bias", "must be empty or hold N values");
  for (std::size_t j = 0; j < bias.size(); ++j)
    if (!is_finite(bias[j])) return invalid_argument("bias", "must be finite").at(j);
  QMATH_TRY(check_output(c, a.rows, b.n()));
  return check_no_overlap(c.data, a.data, "c");
}

}  // namespace detail

/// Reference for gemm_int4 from unpacked codes (see the file comment).
inline status gemm_int4_reference(matrix_view<std::int8_t> a, std::span<const float> a_scale,
                                  matrix_view<std::int8_t> b, int4_kind kind, std::size_t group_size,
                                  std::span<const float> scale, std::span<const std::int32_t> zero_point,
                                  std::span<const float> bias, matrix_span<float> c) noexcept {
  packed_weights_int4 check;  // validates b / scale / zero_point the same way
  QMATH_TRY(pack_weights_int4(b, kind, group_size, scale, zero_point, check));
  QMATH_TRY(detail::check_int4_call(a, a_scale, check, bias, c));
  const std::size_t M = a.rows, N = b.cols, K = b.rows, G = K / group_size;
  for (std::size_t i = 0; i < M; ++i) {
    for (std::size_t j = 0; j < N; ++j) {
      float f = 0.0f;
      for (std::size_t g = 0; g < G; ++g) {
        const std::int32_t z = zero_point.empty() ? 0 : zero_point[g * N + j];
        std::int32_t acc = 0;
        for (std::size_t k = g * group_size; k < (g + 1) * group_size; ++k) acc += a(i, k) * (b(k, j) - z);
        f = f + detail::no_contract(static_cast<float>(acc) * scale[g * N + j]);
      }
      float y = detail::no_contract(f * a_scale[a_scale.size() == 1 ? 0 : i]);
      if (!bias.empty()) y = y + bias[j];
      c.data[i * c.stride() + j] = y;
    }
  }
  return ok_status;
}

/// The level the int4 kernels dispatch to now.
inline isa gemm_int4_active_isa() noexcept { return detail::selected_level<detail::gemm_int4_kernels>(); }

/// C = gemm_int4(A, B) (file comment). A: M x K int8, row-major (ld allowed);
/// a_scale: 1 or M values; bias: empty or N. Threads split the columns.
inline status gemm_int4(matrix_view<std::int8_t> a, std::span<const float> a_scale, const packed_weights_int4& b,
                        std::span<const float> bias, matrix_span<float> c, const gemm_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_int4_call(a, a_scale, b, bias, c));
  if (opt.threads > 1024) return out_of_range("options", "threads must be <= 1024");
  const detail::gemm_int4_kernels* kt = detail::select_kernels<detail::gemm_int4_kernels>();
  if (kt == nullptr) return {errc::unsupported, "a", "no int4 GEMM kernel registered"};
  const std::size_t M = a.rows, N = b.n(), K = b.k(), G = b.groups(), gs = b.group_size();
  const std::size_t lda = a.stride();
  detail::aligned_buffer<std::int32_t> rowsum;
  if (!rowsum.allocate(M * G)) return detail::gemm_oom();
  for (std::size_t i = 0; i < M; ++i) {
    const std::int8_t* r = a.data.data() + i * lda;
    for (std::size_t g = 0; g < G; ++g) {
      std::int32_t s = 0;
      for (std::size_t k = g * gs; k < (g + 1) * gs; ++k) s += r[k];
      rowsum.data()[i * G + g] = s;
    }
  }
  struct ctx_t {
    const detail::gemm_int4_kernels* kt;
    const matrix_view<std::int8_t>* a;
    std::span<const float> a_scale;
    const packed_weights_int4* b;
    std::span<const float> bias;
    matrix_span<float>* c;
    const std::int32_t* rowsum;
    std::size_t step;
  } ctx{kt, &a, a_scale, &b, bias, &c, rowsum.data(), 0};
  auto run = [](void* vp, std::size_t t) {
    const ctx_t& x = *static_cast<const ctx_t*>(vp);
    const std::size_t N = x.b->n(), M = x.a->rows, G = x.b->groups();
    const std::size_t n0 = std::min(N, t * x.step), n1 = std::min(N, (t + 1) * x.step);
    for (std::size_t i0 = 0; i0 < M; i0 += 8) {
      for (std::size_t jr = n0; jr < n1; jr += 48) {
        detail::gemm_int4_args p{};
        p.mr = static_cast<int>(std::min<std::size_t>(8, M - i0));
        p.nr = static_cast<int>(std::min<std::size_t>(48, n1 - jr));
        p.a = x.a->data.data() + i0 * x.a->stride();
        p.lda = x.a->stride();
        p.bp = x.b->data() + (jr / 16) * x.b->panel_stride();
        p.panel_stride = x.b->panel_stride();
        p.groups = G;
        p.group_kg = x.b->group_size() / 4;
        p.scale = x.b->scales() + jr;
        p.zero = x.b->zero_points() + jr;
        p.ldg = x.b->n_padded();
        p.rowsum = x.rowsum + i0 * G;
        p.a_scale_stride = x.a_scale.size() == 1 ? 0 : 1;
        p.a_scale = x.a_scale.data() + i0 * p.a_scale_stride;
        p.bias = x.bias.empty() ? nullptr : x.bias.data() + jr;
        p.c = x.c->data.data() + i0 * x.c->stride() + jr;
        p.ldc = x.c->stride();
        x.kt->tile(p);
      }
    }
  };
  (void)K;
  const std::size_t T = std::max<unsigned>(1, opt.threads);
  ctx.step = ((N + T - 1) / T + 47) / 48 * 48;
  if (T == 1) {
    run(&ctx, 0);
  } else if (opt.parallel_for) {
    opt.parallel_for(opt.parallel_user, T, +run, &ctx);
  } else {
    std::vector<std::thread> th;
    for (std::size_t t = 1; t < T; ++t) th.emplace_back(+run, &ctx, t);
    run(&ctx, 0);
    for (auto& x : th) x.join();
  }
  return ok_status;
}

}  // namespace qmath
