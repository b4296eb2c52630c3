#pragma once
// Quantize and dequantize tensors (dispatched SIMD kernels, every granularity).
//
//   q[i] = clamp(round(x[i] / scale_e) + zp_e, qmin, qmax)      (see quantize/element.hpp)
//   x[i] = float(q[i] - zp_e) * scale_e
// where e is the qparams entry of element i: the whole tensor (per_tensor),
// its index along the axis (per_channel), or its group (per_group; entry
// (o, c / group_size, i) of the [outer][channels/group_size][inner] matrix for
// element (o, c, i) of the tensor seen as [outer][channels][inner] around the axis).
//
// Options (quantize_options): rounding (half_even default), division
// (exact x/scale default; reciprocal = PyTorch CPU), non-finite policy (error
// default: errc::non_finite naming the first offending index of "x"; the
// output is then fully written as under `map`), stochastic seed, threads
// (1 default; 0 = all CPUs; results are identical for every thread count and
// ISA: stochastic bits depend on (seed, flat element index) only).
//
// Every SIMD level gives the same bits as the scalar reference
// (qmath::quantize_value), including tails and unaligned pointers.
//
// Errors name the argument: "scale"/"zero_point" (bad qparams, with index),
// "x" (empty, non-finite), "q"/"x" (size mismatch, or the output overlapping
// the input), "shape" (product differs from the data size, zero dims, element
// count overflowing size_t), "axis", "group_size". README "Documented
// behaviours" has the full table.
//
// Example:
//   std::vector<float> x{0, 2, 3, 1000, -254, -1000};
//   std::vector<std::uint8_t> q(6);
//   qmath::quantize(std::span<const float>(x), qmath::qparams<qmath::uint8_affine_per_tensor>{2.f, 128},
//                   std::span(q));   // q = {128, 129, 130, 255, 1, 0}

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "qmath/core/qparams.hpp"
#include "qmath/core/rounding.hpp"
#include "qmath/core/scheme.hpp"
#include "qmath/core/status.hpp"
#include "qmath/detail/checks.hpp"
#include "qmath/detail/parallel.hpp"
#include "qmath/quantize/element.hpp"
#include "qmath/quantize/kernels.hpp"

namespace qmath {

/// How outputs are stored. `automatic` uses non-temporal (cache-bypassing)
/// stores when input + output exceed 32 MiB (they cannot stay in cache
/// anyway), regular stores otherwise. Results are identical either way.
enum class store_hint : std::uint8_t { automatic, temporal, non_temporal };

/// Bytes of input + output above which store_hint::automatic streams.
inline constexpr std::size_t streaming_threshold_bytes = std::size_t{32} << 20;

/// Options of quantize / fake_quant.
struct quantize_options {
  rounding round = rounding::half_even;
  division div = division::exact;
  nonfinite_policy nonfinite = nonfinite_policy::error;
  std::uint64_t seed = 0;   ///< stochastic rounding only
  std::size_t threads = 1;  ///< 0: one per CPU
  store_hint store = store_hint::automatic;
};

/// Options of dequantize.
struct dequantize_options {
  std::size_t threads = 1;  ///< 0: one per CPU
  store_hint store = store_hint::automatic;
};

namespace detail {

constexpr bool use_streaming(store_hint h, std::size_t bytes) noexcept {
  return h == store_hint::non_temporal || (h == store_hint::automatic && bytes >= streaming_threshold_bytes);
}

inline const quantize_kernels* qkernels() noexcept {
  const quantize_kernels* k = select_kernels<quantize_kernels>();
  QMATH_ASSERT(k != nullptr);
  return k;
}

template <class T>
bool call_q_run(const quantize_kernels* k, const float* x, T* q, std::size_t n, const quant_run& a) noexcept {
  if constexpr (std::is_same_v<T, std::int8_t>) return k->q_run_i8(x, q, n, a);
  else if constexpr (std::is_same_v<T, std::uint8_t>) return k->q_run_u8(x, q, n, a);
  else if constexpr (std::is_same_v<T, std::int16_t>) return k->q_run_i16(x, q, n, a);
  else return k->q_run_u16(x, q, n, a);
}
template <class T>
bool call_q_vec(const quantize_kernels* k, const float* x, T* q, std::size_t n, const quant_vec& a) noexcept {
  if constexpr (std::is_same_v<T, std::int8_t>) return k->q_vec_i8(x, q, n, a);
  else if constexpr (std::is_same_v<T, std::uint8_t>) return k->q_vec_u8(x, q, n, a);
  else if constexpr (std::is_same_v<T, std::int16_t>) return k->q_vec_i16(x, q, n, a);
  else return k->q_vec_u16(x, q, n, a);
}
template <class T>
bool call_q_grp(const quantize_kernels* k, const float* x, T* q, std::size_t n, std::size_t g, std::size_t off,
                const quant_vec& a) noexcept {
  if constexpr (std::is_same_v<T, std::int8_t>) return k->q_grp_i8(x, q, n, g, off, a);
  else if constexpr (std::is_same_v<T, std::uint8_t>) return k->q_grp_u8(x, q, n, g, off, a);
  else if constexpr (std::is_same_v<T, std::int16_t>) return k->q_grp_i16(x, q, n, g, off, a);
  else return k->q_grp_u16(x, q, n, g, off, a);
}
template <class T>
void call_dq_grp(const quantize_kernels* k, const T* q, float* x, std::size_t n, std::size_t g, std::size_t off,
                 const float* s, const std::int32_t* zp, bool nt) noexcept {
  if constexpr (std::is_same_v<T, std::int8_t>) k->dq_grp_i8(q, x, n, g, off, s, zp, nt);
  else if constexpr (std::is_same_v<T, std::uint8_t>) k->dq_grp_u8(q, x, n, g, off, s, zp, nt);
  else if constexpr (std::is_same_v<T, std::int16_t>) k->dq_grp_i16(q, x, n, g, off, s, zp, nt);
  else k->dq_grp_u16(q, x, n, g, off, s, zp, nt);
}
template <class T>
void call_dq_run(const quantize_kernels* k, const T* q, float* x, std::size_t n, float s, std::int32_t zp,
                 bool nt) noexcept {
  if constexpr (std::is_same_v<T, std::int8_t>) k->dq_run_i8(q, x, n, s, zp, nt);
  else if constexpr (std::is_same_v<T, std::uint8_t>) k->dq_run_u8(q, x, n, s, zp, nt);
  else if constexpr (std::is_same_v<T, std::int16_t>) k->dq_run_i16(q, x, n, s, zp, nt);
  else k->dq_run_u16(q, x, n, s, zp, nt);
}
template <class T>
void call_dq_vec(const quantize_kernels* k, const T* q, float* x, std::size_t n, const float* s,
                 const std::int32_t* zp, bool nt) noexcept {
  if constexpr (std::is_same_v<T, std::int8_t>) k->dq_vec_i8(q, x, n, s, zp, nt);
  else if constexpr (std::is_same_v<T, std::uint8_t>) k->dq_vec_u8(q, x, n, s, zp, nt);
  else if constexpr (std::is_same_v<T, std::int16_t>) k->dq_vec_i16(q, x, n, s, zp, nt);
  else k->dq_vec_u16(q, x, n, s, zp, nt);
}

/// Calls run(i, len, entry) for pieces of [b, e) whose elements share qparams
/// entry `entry`, vec(i, len, offset) for pieces where element i + j uses
/// entry offset + j, and grp(i, len, entry, offset) once for per-group
/// granularity along the last axis (element i + j uses entry
/// entry + (offset + j) / group_size: entries are consecutive there).
template <class Run, class Vec, class Grp>
void for_each_segment(const param_layout& pl, std::size_t b, std::size_t e, Run&& run, Vec&& vec, Grp&& grp) {
  if (b >= e) return;
  const std::size_t C = pl.layout.channels, inner = pl.layout.inner;
  const std::size_t G = pl.group_size, groups = pl.groups;
  const bool grouped = pl.kind == granularity_kind::per_group;
  std::size_t i = b;
  // Positions are tracked incrementally (no division per segment).
  if (inner == 1) {
    std::size_t o = b / C, c = b % C;
    if (!grouped) {
      while (i < e) {
        const std::size_t len = (C - c) < (e - i) ? (C - c) : (e - i);
        vec(i, len, c);
        i += len;
        c = 0;
      }
      return;
    }
    (void)o;
    grp(b, e - b, b / G, b % G);  // entry of element i is i / G when inner == 1
    return;
  }
  const std::size_t row = b / inner;
  std::size_t j = b % inner, c = row % C, o = row / C;
  if (!grouped) {
    while (i < e) {
      const std::size_t len = (inner - j) < (e - i) ? (inner - j) : (e - i);
      run(i, len, c);
      i += len;
      j = 0;
      if (++c == C) c = 0;
    }
    return;
  }
  std::size_t g = c / G, cg = c % G;
  while (i < e) {
    const std::size_t len = (inner - j) < (e - i) ? (inner - j) : (e - i);
    vec(i, len, (o * groups + g) * inner + j);
    i += len;
    j = 0;
    if (++cg == G) {
      cg = 0;
      if (++g == groups) {
        g = 0;
        ++o;
      }
    }
  }
}

/// Split [0, n) into tasks of a multiple of 64 elements for `threads` threads.
struct work_split {
  std::size_t tasks;
  std::size_t chunk;
};
inline work_split split_work(std::size_t n, std::size_t threads) noexcept {
  threads = resolve_threads(threads);
  if (threads > 256) threads = 256;
  constexpr std::size_t min_chunk = std::size_t{1} << 16;
  if (threads <= 1 || n < 2 * min_chunk) return {1, n};
  std::size_t chunk = (n + threads - 1) / threads;
  chunk = (chunk + 63) / 64 * 64;
  if (chunk < min_chunk) chunk = min_chunk;
  return {(n + chunk - 1) / chunk, chunk};
}

inline status first_nonfinite(std::span<const float> x) noexcept {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!is_finite(x[i])) {
      return status(errc::non_finite, "x", "NaN or Inf in data (nonfinite_policy::map saturates)", i);
    }
  }
  return ok_status;
}

template <class S>
status check_sizes(std::size_t xn, std::size_t qn, const char* qname) noexcept {
  if (xn == 0) return empty_input("x");
  if (qn != xn) return size_mismatch(qname, "must have as many elements as x");
  return ok_status;
}

inline status check_options(const quantize_options& o) noexcept {
  if (static_cast<unsigned>(o.round) > static_cast<unsigned>(rounding::stochastic)) {
    return invalid_argument("round", "unknown rounding mode");
  }
  if (static_cast<unsigned>(o.div) > static_cast<unsigned>(division::reciprocal)) {
    return invalid_argument("div", "unknown division mode");
  }
  return ok_status;
}

/// Quantize elements [b, e) of a tensor with layout pl (or per tensor when
/// pl == nullptr); code i goes to q[i - q_base]. Returns true when non-finite
/// values were seen.
template <class S>
bool quantize_range(const quantize_kernels* k, const float* x, typename S::storage_type* q, std::size_t q_base,
                    std::size_t b, std::size_t e, const param_layout* pl, const float* scale,
                    const std::int32_t* zp, const quantize_options& o, bool stream) noexcept {
  const std::uint32_t key = stochastic_key(o.seed);
  bool nf = false;
  auto run = [&](std::size_t i, std::size_t len, std::size_t entry) {
    const quant_run a{scale[entry], zp[entry], S::qmin, S::qmax, o.round, o.div, key, i, stream};
    nf |= call_q_run(k, x + i, q + (i - q_base), len, a);
  };
  auto vec = [&](std::size_t i, std::size_t len, std::size_t off) {
    const quant_vec a{scale + off, zp + off, S::qmin, S::qmax, o.round, o.div, key, i, stream};
    nf |= call_q_vec(k, x + i, q + (i - q_base), len, a);
  };
  auto grp = [&](std::size_t i, std::size_t len, std::size_t entry, std::size_t off) {
    const quant_vec a{scale + entry, zp + entry, S::qmin, S::qmax, o.round, o.div, key, i, stream};
    nf |= call_q_grp(k, x + i, q + (i - q_base), len, pl->group_size, off, a);
  };
  if (pl == nullptr) run(b, e - b, 0);
  else for_each_segment(*pl, b, e, run, vec, grp);
  if (stream) k->fence();
  return nf;
}

template <class S>
status quantize_impl(std::span<const float> x, std::span<typename S::storage_type> q, const param_layout* pl,
                     const float* scale, const std::int32_t* zp, const quantize_options& o) noexcept {
  const quantize_kernels* k = qkernels();
  const work_split w = split_work(x.size(), o.threads);
  const bool nt = use_streaming(o.store, x.size() * (sizeof(float) + sizeof(typename S::storage_type)));
  bool nf = false;
  if (w.tasks == 1) {
    nf = quantize_range<S>(k, x.data(), q.data(), 0, 0, x.size(), pl, scale, zp, o, nt);
  } else {
    bool flags[256] = {};
    const std::size_t tasks = w.tasks, chunk = w.chunk;
    parallel_for(tasks, tasks, [&](std::size_t t) {
      const std::size_t b = t * chunk < x.size() ? t * chunk : x.size();
      const std::size_t e = b + chunk < x.size() ? b + chunk : x.size();
      if (b < e) flags[t] = quantize_range<S>(k, x.data(), q.data(), 0, b, e, pl, scale, zp, o, nt);
    });
    for (std::size_t t = 0; t < tasks; ++t) nf |= flags[t];
  }
  if (nf && o.nonfinite == nonfinite_policy::error) return first_nonfinite(x);
  return ok_status;
}

/// Dequantize elements [b, e); code i is read from q[i - q_base].
template <class T>
void dequantize_range(const quantize_kernels* k, const T* q, std::size_t q_base, float* x, std::size_t b,
                      std::size_t e, const param_layout* pl, const float* scale, const std::int32_t* zp,
                      bool nt) noexcept {
  auto run = [&](std::size_t i, std::size_t len, std::size_t entry) {
    call_dq_run(k, q + (i - q_base), x + i, len, scale[entry], zp[entry], nt);
  };
  auto vec = [&](std::size_t i, std::size_t len, std::size_t off) {
    call_dq_vec(k, q + (i - q_base), x + i, len, scale + off, zp + off, nt);
  };
  auto grp = [&](std::size_t i, std::size_t len, std::size_t entry, std::size_t off) {
    call_dq_grp(k, q + (i - q_base), x + i, len, pl->group_size, off, scale + entry, zp + entry, nt);
  };
  if (pl == nullptr) run(b, e - b, 0);
  else for_each_segment(*pl, b, e, run, vec, grp);
  if (nt) k->fence();
}

template <class T>
void dequantize_impl(std::span<const T> q, std::span<float> x, const param_layout* pl, const float* scale,
                     const std::int32_t* zp, const dequantize_options& o) noexcept {
  const quantize_kernels* k = qkernels();
  const work_split w = split_work(q.size(), o.threads);
  const bool nt = use_streaming(o.store, q.size() * (sizeof(float) + sizeof(T)));
  if (w.tasks == 1) {
    dequantize_range(k, q.data(), 0, x.data(), 0, q.size(), pl, scale, zp, nt);
    return;
  }
  const std::size_t tasks = w.tasks, chunk = w.chunk;
  parallel_for(tasks, tasks, [&](std::size_t t) {
    const std::size_t b = t * chunk < q.size() ? t * chunk : q.size();
    const std::size_t e = b + chunk < q.size() ? b + chunk : q.size();
    if (b < e) dequantize_range(k, q.data(), 0, x.data(), b, e, pl, scale, zp, nt);
  });
}

/// Validates qparams + shape for a non-per-tensor scheme.
template <class S>
result<param_layout> check_layout(const qparams<S>& p, std::span<const std::size_t> shape, std::size_t n) noexcept {
  QMATH_TRY(check_qparams(p));
  auto pl = resolve_layout(p, shape);
  if (!pl) return pl;
  if (pl->layout.size() != n) return size_mismatch("shape", "product must equal the number of elements");
  return pl;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Quantize
// ---------------------------------------------------------------------------

/// Per-tensor quantize of x into q (same size).
template <per_tensor_scheme S>
status quantize(std::span<const float> x, const qparams<S>& p, std::span<typename S::storage_type> q,
                const quantize_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_options(opt));
  QMATH_TRY(detail::check_sizes<S>(x.size(), q.size(), "q"));
  QMATH_TRY(detail::check_no_overlap(q, x, "q"));
  QMATH_TRY(check_qparams(p));
  return detail::quantize_impl<S>(x, q, nullptr, &p.scale, &p.zero_point, opt);
}

/// Per-channel / per-group quantize of a row-major tensor of the given shape.
template <quant_scheme S>
  requires(S::kind != granularity_kind::per_tensor)
status quantize(std::span<const float> x, std::span<const std::size_t> shape, const qparams<S>& p,
                std::span<typename S::storage_type> q, const quantize_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_options(opt));
  QMATH_TRY(detail::check_sizes<S>(x.size(), q.size(), "q"));
  QMATH_TRY(detail::check_no_overlap(q, x, "q"));
  auto pl = detail::check_layout(p, shape, x.size());
  if (!pl) return pl.error();
  return detail::quantize_impl<S>(x, q, &*pl, p.scale.data(), p.zero_point.data(), opt);
}

/// Owning convenience: per-tensor quantize returning the codes.
template <per_tensor_scheme S>
result<std::vector<typename S::storage_type>> quantize_to_vector(std::span<const float> x, const qparams<S>& p,
                                                                 const quantize_options& opt = {}) {
  std::vector<typename S::storage_type> q(x.size());
  QMATH_TRY(quantize(x, p, std::span<typename S::storage_type>(q), opt));
  return q;
}

/// Owning convenience: per-channel / per-group quantize returning the codes.
template <quant_scheme S>
  requires(S::kind != granularity_kind::per_tensor)
result<std::vector<typename S::storage_type>> quantize_to_vector(std::span<const float> x,
                                                                 std::span<const std::size_t> shape,
                                                                 const qparams<S>& p,
                                                                 const quantize_options& opt = {}) {
  std::vector<typename S::storage_type> q(x.size());
  QMATH_TRY(quantize(x, shape, p, std::span<typename S::storage_type>(q), opt));
  return q;
}

// ---------------------------------------------------------------------------
// Dequantize
// ---------------------------------------------------------------------------

/// Per-tensor dequantize: x = float(q - zero_point) * scale. Codes are not
/// range-checked (any stored value dequantizes by the formula).
template <per_tensor_scheme S>
status dequantize(std::span<const typename S::storage_type> q, const qparams<S>& p, std::span<float> x,
                  const dequantize_options& opt = {}) noexcept {
  if (q.empty()) return empty_input("q");
  if (x.size() != q.size()) return size_mismatch("x", "must have as many elements as q");
  QMATH_TRY(detail::check_no_overlap(x, q, "x"));
  QMATH_TRY(check_qparams(p));
  detail::dequantize_impl<typename S::storage_type>(q, x, nullptr, &p.scale, &p.zero_point, opt);
  return ok_status;
}

/// Per-channel / per-group dequantize.
template <quant_scheme S>
  requires(S::kind != granularity_kind::per_tensor)
status dequantize(std::span<const typename S::storage_type> q, std::span<const std::size_t> shape,
                  const qparams<S>& p, std::span<float> x, const dequantize_options& opt = {}) noexcept {
  if (q.empty()) return empty_input("q");
  if (x.size() != q.size()) return size_mismatch("x", "must have as many elements as q");
  QMATH_TRY(detail::check_no_overlap(x, q, "x"));
  auto pl = detail::check_layout(p, shape, q.size());
  if (!pl) return pl.error();
  detail::dequantize_impl<typename S::storage_type>(q, x, &*pl, p.scale.data(), p.zero_point.data(), opt);
  return ok_status;
}

/// Owning convenience versions.
template <per_tensor_scheme S>
result<std::vector<float>> dequantize_to_vector(std::span<const typename S::storage_type> q, const qparams<S>& p) {
  std::vector<float> x(q.size());
  QMATH_TRY(dequantize(q, p, std::span<float>(x)));
  return x;
}
template <quant_scheme S>
  requires(S::kind != granularity_kind::per_tensor)
result<std::vector<float>> dequantize_to_vector(std::span<const typename S::storage_type> q,
                                                std::span<const std::size_t> shape, const qparams<S>& p) {
  std::vector<float> x(q.size());
  QMATH_TRY(dequantize(q, shape, p, std::span<float>(x)));
  return x;
}

/// The level the quantize kernels dispatch to now (for reports and tests).
inline isa quantize_active_level() noexcept { return detail::selected_level<detail::quantize_kernels>(); }

}  // namespace qmath
