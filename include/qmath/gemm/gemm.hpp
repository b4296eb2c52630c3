#pragma once
// Integer GEMM: C = stage(A x B) with pre-packed weights, dispatched to the
// best kernel of the CPU (AVX-512 VNNI, AVX-512BW, AVX-VNNI, AVX2, SSE4.1,
// NEON, NEON dot product, i8mm; scalar otherwise). Every level is bit-exact with
// gemm_reference (gemm/reference.hpp).
//
//   acc[i][j] = sum_k (A[i][k] - za) * (B[k][j] - zb[j])
//             = sum_k A'B' - za'*colsum_j(B') - zb'_j*rowsum_i(A') + K*za'*zb'_j
// computed as the kernel sum S = sum_k A'[i][k]*Bs[k][j] (A' = A in the u8
// domain, Bs = B in the s8 domain) plus a per-column int32 offset built per
// call from the column sums stored at packing time (O(N)), minus
// zb'_j * rowsum_i when the weights have zero points (row sums are taken while
// A is packed). All int32 arithmetic wraps, so the result is exact whenever it
// fits in int32, which no data can break for K <= gemm_max_exact_k_int32
// (33025; 65793 for symmetric int8 weights). For longer K the product is
// computed in blocks of 32768 whose exact int32 values are added in int64.
//
// Example (uint8 activations, int8 per-channel weights, int8 output):
//   auto pw = qmath::pack_weights(qmath::matrix_view<std::int8_t>{w, K, N}).value();
//   qmath::output_requantize st{multipliers /*N*/, {zc, -128, 127}, bias /*N*/};
//   qmath::status s = qmath::gemm(qmath::matrix_view<std::uint8_t>{a, M, K}, za, pw,
//                                 qmath::matrix_span<std::int8_t>{c, M, N}, st);
//
// Blocking: micro tiles of mr x (16*np) (8 x 48 on AVX-512 VNNI), k blocks of
// 2048 (the B sliver stays in L2), row blocks of ~64 (packed A in L2); for
// M <= mr (GEMV-shaped) K is not blocked and B is streamed once.
// Threads: rows (or, for small M, columns) are split between tasks; every
// element is computed by the same instruction sequence whatever the split,
// so results are bit-identical for every thread count.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <thread>
#include <type_traits>
#include <vector>

#include "qmath/gemm/kernels.hpp"
#include "qmath/gemm/pack.hpp"
#include "qmath/gemm/reference.hpp"
#include "qmath/gemm/types.hpp"
#include "qmath/simd/dispatch.hpp"

namespace qmath {
namespace detail {

struct gemm_workspace {
  aligned_buffer<std::uint8_t> apack;
  aligned_buffer<std::int32_t> rowsum;
  aligned_buffer<std::int32_t> ws;
};

inline gemm_workspace& gemm_tls_workspace() noexcept {
  thread_local gemm_workspace w;
  return w;
}

/// One (sub)problem: everything the blocked loop needs, type-erased.
struct gemm_call {
  const gemm_kernels* kt;
  const void* a_view;
  void (*pack)(const void* view, std::size_t i0, std::size_t mc, std::size_t k0, std::size_t kg, int mr, bool full,
               std::uint8_t x, std::uint8_t* dst, std::int32_t* rowsum) noexcept;
  std::uint8_t a_xor;
  const packed_weights* b;
  std::size_t kg0, kg1;       // k-group range
  const std::int32_t* col_off;  // N
  const std::int32_t* zb;       // N or null
  gemm_epilogue proto;        // kind, clamps, scales, out, ldo (acc/rows/cols/col_off/... per tile)
  std::size_t out_elem;
  bool direct;                // accumulate in the int32 output itself
};


inline status gemm_oom() noexcept { return {errc::invalid_argument, "c", "out of memory for the GEMM workspace"}; }

inline status gemm_run_range(const gemm_call& g, std::size_t m0, std::size_t m1, std::size_t n0,
                             std::size_t n1) noexcept {
  const gemm_kernels& kt = *g.kt;
  const std::size_t MR = static_cast<std::size_t>(kt.mr), NT = 16 * static_cast<std::size_t>(kt.np);
  const std::size_t M = m1 - m0, NC = n1 - n0;
  const std::size_t kgt = g.kg1 - g.kg0;
  // k blocks of 2048 and row blocks of ~64 (tuned on Zen 5: 48 KiB L1d, 1 MiB L2).
  const std::size_t KCG = M <= MR ? kgt : std::min<std::size_t>(kgt, 512);
  const std::size_t MC = std::min(((M + MR - 1) / MR) * MR, MR * std::max<std::size_t>(1, 64 / MR));
  gemm_workspace& w = gemm_tls_workspace();
  if (!w.apack.reserve(MC * 4 * KCG) || !w.rowsum.reserve(MC) || (!g.direct && !w.ws.reserve(MC * NC)))
    return gemm_oom();
  const std::size_t ps = g.b->panel_stride();
  const std::size_t ldo = g.proto.ldo;
  std::int32_t* rowsum = g.zb ? w.rowsum.data() : nullptr;
  // int32 output without row sums or clamps: the kernel adds the column
  // offsets in its last store and no epilogue pass is needed.
  const bool fused = g.direct && g.zb == nullptr && g.proto.kind == gemm_out_kind::i32 &&
                     g.proto.lo == std::numeric_limits<std::int32_t>::min() &&
                     g.proto.hi == std::numeric_limits<std::int32_t>::max();
  for (std::size_t ic = m0; ic < m1; ic += MC) {
    const std::size_t mc = std::min(MC, m1 - ic);
    if (rowsum) std::fill(rowsum, rowsum + mc, 0);
    for (std::size_t g0 = g.kg0; g0 < g.kg1; g0 += KCG) {
      const std::size_t kg = std::min(KCG, g.kg1 - g0);
      const bool last = g0 + kg == g.kg1;
      g.pack(g.a_view, ic, mc, 4 * g0, kg, kt.mr, kt.a_full, g.a_xor, w.apack.data(), rowsum);
      for (std::size_t jr = n0; jr < n1; jr += NT) {
        const int nr = static_cast<int>(std::min(NT, n1 - jr));
        const std::int8_t* bp = g.b->data() + (jr / 16) * ps + g0 * 64;
        for (std::size_t r0 = 0; r0 < mc; r0 += MR) {
          const int mr = static_cast<int>(std::min(MR, mc - r0));
          std::int32_t* acc;
          std::size_t ldacc;
          if (g.direct) {
            acc = static_cast<std::int32_t*>(g.proto.out) + (ic + r0) * ldo + jr;
            ldacc = ldo;
          } else {
            acc = w.ws.data() + r0 * NC + (jr - n0);
            ldacc = NC;
          }
          kt.tile(w.apack.data() + r0 * 4 * kg, bp, ps, kg, acc, ldacc, mr, nr, g0 != g.kg0,
                  last && fused ? g.col_off + jr : nullptr);
          if (last && !fused) {
            gemm_epilogue e = g.proto;
            e.acc = acc;
            e.ld_acc = ldacc;
            e.rows = static_cast<std::size_t>(mr);
            e.cols = static_cast<std::size_t>(nr);
            e.col_off = g.col_off + jr;
            e.zb = g.zb ? g.zb + jr : nullptr;
            e.rowsum = rowsum ? rowsum + r0 : nullptr;
            e.mult = e.mult ? e.mult + jr * e.mult_stride : nullptr;
            e.a_scale = e.a_scale ? e.a_scale + (ic + r0) * e.a_scale_stride : nullptr;
            e.b_scale = e.b_scale ? e.b_scale + jr * e.b_scale_stride : nullptr;
            e.bias = e.bias ? e.bias + jr : nullptr;
            e.out = static_cast<char*>(g.proto.out) + ((ic + r0) * ldo + jr) * g.out_elem;
            kt.epilogue(e);
          }
        }
      }
    }
  }
  return ok_status;
}

struct gemm_task_set {
  const gemm_call* call;
  std::size_t M, N;
  std::size_t tasks;
  bool split_rows;
  std::size_t step;
  std::vector<status>* results;
};

inline void gemm_task(void* ctx, std::size_t t) {
  const auto& s = *static_cast<const gemm_task_set*>(ctx);
  const std::size_t extent = s.split_rows ? s.M : s.N;
  const std::size_t lo = std::min(extent, t * s.step), hi = std::min(extent, (t + 1) * s.step);
  if (lo >= hi) return;
  (*s.results)[t] = s.split_rows ? gemm_run_range(*s.call, lo, hi, 0, s.N) : gemm_run_range(*s.call, 0, s.M, lo, hi);
}

/// Run the call over [0, M) x [0, N), split between tasks.
inline status gemm_run(const gemm_call& g, std::size_t M, std::size_t N, const gemm_options& opt) noexcept {
  const std::size_t T = std::max<unsigned>(1, opt.threads);
  const std::size_t MR = static_cast<std::size_t>(g.kt->mr), NT = 16 * static_cast<std::size_t>(g.kt->np);
  if (T == 1) return gemm_run_range(g, 0, M, 0, N);
  std::vector<status> results(T);
  gemm_task_set s{&g, M, N, T, false, 0, &results};
  if (M >= T * MR * 4) {
    s.split_rows = true;
    s.step = ((M + T - 1) / T + MR - 1) / MR * MR;
  } else {
    s.step = ((N + T - 1) / T + NT - 1) / NT * NT;
  }
  if (opt.parallel_for) {
    opt.parallel_for(opt.parallel_user, T, &gemm_task, &s);
  } else {
    std::vector<std::thread> th;
    th.reserve(T - 1);
    for (std::size_t t = 1; t < T; ++t) th.emplace_back(gemm_task, &s, t);
    gemm_task(&s, 0);
    for (auto& x : th) x.join();
  }
  for (const status& r : results)
    if (!r) return r;
  return ok_status;
}

/// Column offsets for k-groups [kg0, kg1): (128*a_signed - za') * colsum_j + klen * za' * zb'_j + bias_j.
inline void gemm_col_offsets(const packed_weights& b, std::size_t kg0, std::size_t kg1, std::int32_t zau,
                             bool a_signed, std::span<const std::int32_t> bias, std::int32_t* col_off) noexcept {
  const std::size_t N = b.n(), K = b.k();
  const bool whole = kg0 == 0 && 4 * kg1 >= K;
  const std::size_t klen = std::min(K, 4 * kg1) - 4 * kg0;
  const std::uint32_t ca = static_cast<std::uint32_t>((a_signed ? 128 : 0) - zau);
  for (std::size_t j = 0; j < N; ++j) {
    std::uint32_t cs;
    if (whole) {
      cs = static_cast<std::uint32_t>(b.column_sums()[j]);
    } else {
      const std::int8_t* pj = b.data() + (j / 16) * b.panel_stride() + (j % 16) * 4;
      std::int32_t s = 0;
      for (std::size_t g = kg0; g < kg1; ++g)
        for (int t = 0; t < 4; ++t) s += pj[g * 64 + static_cast<std::size_t>(t)];
      cs = static_cast<std::uint32_t>(s);
    }
    std::uint32_t v = ca * cs + static_cast<std::uint32_t>(klen) * static_cast<std::uint32_t>(zau) *
                                    static_cast<std::uint32_t>(b.zero_points()[j]);
    if (!bias.empty()) v += static_cast<std::uint32_t>(bias[j]);
    col_off[j] = static_cast<std::int32_t>(v);
  }
}

}  // namespace detail

/// The level the GEMM kernels dispatch to now (for reports and tests).
inline isa gemm_active_isa() noexcept { return detail::selected_level<detail::gemm_kernels>(); }

/// C = stage(A x B). A: M x K uint8 or int8 (any order, ld), a_zero_point in
/// the range of its type; B: packed weights (K x N); C: M x N row-major with
/// ld; the stage is one of output_int32 (C int32), output_requantize /
/// output_requantize_fixed (C int8 or uint8), output_dequantize (C float).
/// Errors name the argument: 'a', 'b' (not packed, K mismatch), 'c' (size,
/// (M - 1) * ld + N overflowing size_t, or overlapping A), 'a_zero_point',
/// 'bias', 'multiplier', 'zero_point', 'clamp_min', 'clamp_max', 'a_scale',
/// 'b_scale', 'lo', 'options'.
template <class TA, class Out, class Stage>
status gemm(matrix_view<TA> a, std::int32_t a_zero_point, const packed_weights& b, matrix_span<Out> c,
            const Stage& stage, const gemm_options& opt = {}) noexcept {
  static_assert(gemm_int8_operand<TA>, "gemm: A must be int8 or uint8");
  QMATH_TRY(detail::check_view(a, "a", a.order == matrix_order::col_major));
  if (!b.valid()) return invalid_argument("b", "not a packed_weights produced by pack_weights");
  if (a.cols != b.k()) return size_mismatch("b", "K of the packed weights differs from the columns of A");
  QMATH_TRY(detail::check_zero_point_of<TA>(a_zero_point, "a_zero_point"));
  const std::size_t M = a.rows, N = b.n(), K = a.cols;
  QMATH_TRY(detail::check_output(c, M, N));
  QMATH_TRY(detail::check_no_overlap(c.data, a.data, "c"));
  QMATH_TRY(detail::check_stage<Out>(stage, M, N));
  if (opt.threads > 1024) return out_of_range("options", "threads must be <= 1024");
  const detail::gemm_kernels* kt = detail::select_kernels<detail::gemm_kernels>();
  if (kt == nullptr) return {errc::unsupported, "a", "no GEMM kernel registered"};

  const std::int32_t zau = std::is_signed_v<TA> ? a_zero_point + 128 : a_zero_point;
  const std::uint8_t a_xor = static_cast<std::uint8_t>((std::is_signed_v<TA> != kt->a_signed) ? 0x80 : 0x00);
  const std::size_t kg_total = b.k_padded() / 4;
  const std::size_t k_exact = b.has_zero_point() ? gemm_max_exact_k_int32 : gemm_max_exact_k_int32_symmetric;
  const std::size_t ldc = c.stride();

  detail::gemm_call g{};
  g.kt = kt;
  g.a_view = &a;
  g.pack = std::is_signed_v<TA> ? kt->pack_a_s8 : kt->pack_a_u8;
  g.a_xor = a_xor;
  g.b = &b;
  g.zb = b.has_zero_point() ? b.zero_points().data() : nullptr;
  g.proto = {};
  g.proto.ldo = ldc;
  g.proto.lo = std::numeric_limits<std::int32_t>::min();
  g.proto.hi = std::numeric_limits<std::int32_t>::max();

  constexpr bool fast_int32 = std::is_same_v<Stage, output_int32>;
  constexpr bool fast_requant = std::is_same_v<Stage, output_requantize>;
  constexpr bool fast_dequant = std::is_same_v<Stage, output_dequantize>;
  const bool fast = K <= k_exact && (fast_int32 || fast_requant || fast_dequant);

  detail::aligned_buffer<std::int32_t> col_off;
  if (!col_off.allocate(N)) return detail::gemm_oom();

  if (fast) {
    std::span<const std::int32_t> bias{};
    if constexpr (fast_int32) {
      bias = stage.bias;
      g.proto.kind = detail::gemm_out_kind::i32;
      g.proto.lo = stage.lo;
      g.proto.hi = stage.hi;
      g.direct = true;
    } else if constexpr (fast_requant) {
      bias = stage.bias;
      g.proto.kind = std::is_signed_v<Out> ? detail::gemm_out_kind::requant_s8 : detail::gemm_out_kind::requant_u8;
      g.proto.lo = stage.out.clamp_min;
      g.proto.hi = stage.out.clamp_max;
      g.proto.zp = stage.out.zero_point;
      g.proto.mult = stage.multiplier.data();
      g.proto.mult_stride = stage.multiplier.size() == 1 ? 0 : 1;
    } else if constexpr (fast_dequant) {
      g.proto.kind = detail::gemm_out_kind::dequant_f32;
      g.proto.a_scale = stage.a_scale.data();
      g.proto.a_scale_stride = stage.a_scale.size() == 1 ? 0 : 1;
      g.proto.b_scale = stage.b_scale.data();
      g.proto.b_scale_stride = stage.b_scale.size() == 1 ? 0 : 1;
      g.proto.bias = stage.bias.empty() ? nullptr : stage.bias.data();
      g.proto.flo = stage.lo;
      g.proto.fhi = stage.hi;
    }
    detail::gemm_col_offsets(b, 0, kg_total, zau, kt->a_signed, bias, col_off.data());
    g.col_off = col_off.data();
    g.kg0 = 0;
    g.kg1 = kg_total;
    g.proto.out = c.data.data();
    g.out_elem = sizeof(Out);
    return detail::gemm_run(g, M, N, opt);
  }

  // General path: the exact accumulator (int32 when K <= k_exact, else int64
  // over blocks of 32768), then the stage element by element.
  detail::aligned_buffer<std::int32_t> acc32;
  if (!acc32.allocate(M * N)) return detail::gemm_oom();
  g.proto.kind = detail::gemm_out_kind::i32;
  g.direct = true;
  g.proto.out = acc32.data();
  g.proto.ldo = N;
  g.out_elem = sizeof(std::int32_t);
  g.col_off = col_off.data();
  if (K <= k_exact) {
    detail::gemm_col_offsets(b, 0, kg_total, zau, kt->a_signed, {}, col_off.data());
    g.kg0 = 0;
    g.kg1 = kg_total;
    QMATH_TRY(detail::gemm_run(g, M, N, opt));
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j)
        c.data[i * ldc + j] = static_cast<Out>(detail::stage_value(acc32.data()[i * N + j], i, j, stage));
    return ok_status;
  }
  detail::aligned_buffer<std::int64_t> acc64_buf;
  if (!acc64_buf.allocate(M * N)) return detail::gemm_oom();  // zero-filled
  std::int64_t* acc64 = acc64_buf.data();
  constexpr std::size_t chunk_groups = 8192;  // 32768 k: |block value| <= 65025 * 32768 < 2^31
  for (std::size_t kg0 = 0; kg0 < kg_total; kg0 += chunk_groups) {
    g.kg0 = kg0;
    g.kg1 = std::min(kg_total, kg0 + chunk_groups);
    detail::gemm_col_offsets(b, g.kg0, g.kg1, zau, kt->a_signed, {}, col_off.data());
    QMATH_TRY(detail::gemm_run(g, M, N, opt));
    for (std::size_t i = 0; i < M * N; ++i) acc64[i] += acc32.data()[i];
  }
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j)
      c.data[i * ldc + j] = static_cast<Out>(detail::stage_value(acc64[i * N + j], i, j, stage));
  return ok_status;
}

}  // namespace qmath
