#pragma once
// llama.cpp / GGUF block formats: reference quantize and dequantize,
// byte-compatible with ggml's quantize_row_*_ref / dequantize_row_*.
//
//   qmath::status quantize(std::span<const float> x, std::span<block_T> out);
//   qmath::status dequantize(std::span<const block_T> in, std::span<float> out);
//
// for block_T in q4_0 q4_1 q5_0 q5_1 q8_0 q8_1 q4_k q6_k q8_k (blocks.hpp).
// x.size() must be out.size() * block_elements (32 or 256).
//
// Arithmetic: float32, every operation rounded on its own, in ggml's order
// (no fused multiply-add, whatever the compiler flags: the products are
// fenced). ggml's C code matches this bit for bit when it is compiled
// without FP contraction (e.g. x86-64 without -mfma, or -ffp-contract=off);
// a ggml build that fuses multiply-adds can differ in the last bit of a
// product and so, rarely, in a code. fp16 stores round to nearest even
// (magnitudes above 65504 become +-Inf, like ggml's GGML_FP32_TO_FP16).
//
// Per format (d, m stored as fp16; codes from the float32 d and id = 1/d
// before d is rounded to fp16, as ggml does; id = 0 when d == 0):
//   Q4_0  mx = the value of largest |x| (first one on ties), d = mx / -8,
//         q = min(15, trunc(x*id + 8.5))             decode (q - 8) * d
//   Q4_1  d = (max - min) / 15, m = min,
//         q = min(15, trunc((x - min)*id + 0.5))     decode q*d + m
//   Q5_0  d = mx / -16, q = min(31, trunc(x*id + 16.5))   decode (q - 16) * d
//   Q5_1  d = (max - min) / 31, q = trunc((x - min)*id + 0.5)   decode q*d + m
//   Q8_0  d = amax / 127, q = roundf(x*id) (half away from zero)   decode q*d
//   Q8_1  as Q8_0, and s = fp16(float(sum q) * d)
//   Q8_K  mx as Q4_0; d = 1 / (-127 / mx) (float32), q = min(127, nearest(x * (-127/mx)))
//         bsums[j] = sum of q[16j .. 16j+15]; an all-zero block gives d = 0,
//         q = 0 and bsums = 0 (ggml leaves bsums unset there).
//   Q4_K  per sub-block of 32: weights av + |x| (av = sqrt(mean x^2)), ggml's
//         make_qkx2_quants(nmax 15, rmin -1, rdelta 0.1, 20 steps, squared
//         error) search for scale and min; 6-bit scales/mins = nearest(63 *
//         v / max v); d = fp16(max scale / 63), dmin = fp16(max min / 63);
//         then q = clamp(nearest((x + dmin*m)/(d*sc)), 0, 15) from the STORED
//         fp16 d, dmin and 6-bit sc, m (sub-blocks with d*sc == 0 keep the
//         search's codes).   decode (d*sc)*q - dmin*m
//   Q6_K  per sub-block of 16: ggml's make_qx_quants(nmax 32, weights x^2)
//         search (iscale -(32 + 0.1 i)/mx, i = -9..9); int8 scales =
//         min(127, nearest(-128/mxs * s)) with mxs the sub-scale of largest
//         |s|; d = fp16(mxs / -128); q = clamp(nearest(x / (d*sc)), -32, 31) + 32
//         from the stored d and sc. A super-block whose sub-scales are all
//         below 1e-15 in magnitude is all zero bytes.   decode d*sc*(q - 32)
// Rounding: Q8_0/Q8_1 roundf (half away from zero); Q4_0/Q4_1/Q5_x
// truncation of x + offset + 0.5 (half up for the non-negative values that
// occur); K-quants and Q8_K `nearest` = ggml's nearest_int (add 1.5 * 2^23,
// read the mantissa: round half to even for |v| <= 4194303).
// trunc() of a value outside the int range or NaN (only reachable when
// 1/d overflows, i.e. a block whose largest magnitude is below ~1e-37)
// yields the low byte of INT32_MIN, as x86-64 builds of ggml do (C leaves it
// undefined).
//
// Non-finite input: quantize rejects NaN and +-Inf in x (errc::non_finite,
// argument 'x', index of the first one) and writes nothing. dequantize
// decodes whatever the blocks hold (Inf/NaN scales give Inf/NaN values).
//
//   std::vector<float> x(64);  std::vector<qmath::gguf::block_q4_0> q(2);
//   qmath::status st = qmath::gguf::quantize(x, q);

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "qmath/core/status.hpp"
#include "qmath/detail/checks.hpp"
#include "qmath/formats/minifloat.hpp"
#include "qmath/gguf/blocks.hpp"

namespace qmath::gguf {
namespace detail {

/// a * b as its own rounding step: the compiler may not fuse it with an add.
QMATH_ALWAYS_INLINE float fence(float v) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __asm__("" : "+x"(v));
#elif defined(__aarch64__)
  __asm__("" : "+w"(v));
#else
  volatile float t = v;
  v = t;
#endif
  return v;
}
QMATH_ALWAYS_INLINE float mul(float a, float b) noexcept { return fence(a * b); }

inline std::uint16_t to_half(float v) noexcept { return formats::fp16_from_float(v); }
inline float from_half(std::uint16_t h) noexcept { return formats::float_from_fp16(h); }

/// ggml nearest_int: (v + 1.5*2^23) read as an integer mantissa.
inline int nearest_int(float v) noexcept {
  const float t = fence(v) + 12582912.0f;
  const std::int32_t i = std::bit_cast<std::int32_t>(t);
  return (i & 0x007fffff) - 0x00400000;
}

/// float -> int32 truncation, INT32_MIN for NaN and out-of-range values (x86 cvttss2si).
inline std::int32_t trunc_i32(float v) noexcept {
  if (!(v > -2147483904.0f && v < 2147483648.0f)) return INT32_MIN;
  return static_cast<std::int32_t>(v);
}
/// (int8_t)v and (uint8_t)v as x86-64 ggml builds evaluate them.
inline int trunc_i8(float v) noexcept { return static_cast<std::int8_t>(static_cast<std::uint8_t>(trunc_i32(v) & 0xFF)); }
inline unsigned trunc_u8(float v) noexcept { return static_cast<std::uint8_t>(trunc_i32(v) & 0xFF); }

template <gguf_block Block>
status check_quantize_args(std::span<const float> x, std::span<Block> out) noexcept {
  constexpr std::size_t n = block_elements<Block>;
  if (x.data() == nullptr && !x.empty()) return invalid_argument("x", "null data with a non-zero size");
  if (out.data() == nullptr && !out.empty()) return invalid_argument("out", "null data with a non-zero size");
  if (x.size() % n != 0) return invalid_argument("x", "length must be a multiple of the block size");
  if (out.size() != x.size() / n) return size_mismatch("out", "must hold x.size() / block size blocks");
  return qmath::detail::check_finite(x, "x");
}

template <gguf_block Block>
status check_dequantize_args(std::span<const Block> in, std::span<float> out) noexcept {
  if (in.data() == nullptr && !in.empty()) return invalid_argument("in", "null data with a non-zero size");
  if (out.data() == nullptr && !out.empty()) return invalid_argument("out", "null data with a non-zero size");
  if (out.size() != in.size() * block_elements<Block>) return size_mismatch("out", "must hold in.size() * block size values");
  return ok_status;
}

/// Value of largest magnitude (the first one), and its magnitude.
inline void signed_absmax(const float* x, std::size_t n, float* mx, float* amax) noexcept {
  float a = 0.0f, m = 0.0f;
  for (std::size_t j = 0; j < n; ++j) {
    if (a < std::fabs(x[j])) {
      a = std::fabs(x[j]);
      m = x[j];
    }
  }
  *mx = m;
  *amax = a;
}

inline void min_max(const float* x, std::size_t n, float* lo, float* hi) noexcept {
  float mn = 3.40282347e38f, mxv = -3.40282347e38f;
  for (std::size_t j = 0; j < n; ++j) {
    if (x[j] < mn) mn = x[j];
    if (x[j] > mxv) mxv = x[j];
  }
  *lo = mn;
  *hi = mxv;
}

inline void q4_0_block(const float* x, block_q4_0& y) noexcept {
  float mx, amax;
  signed_absmax(x, qk, &mx, &amax);
  const float d = mx / -8.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  y.d = to_half(d);
  for (std::size_t j = 0; j < qk / 2; ++j) {
    int v0 = trunc_i8(mul(x[j], id) + 8.5f), v1 = trunc_i8(mul(x[j + qk / 2], id) + 8.5f);
    v0 = v0 < 15 ? v0 : 15;
    v1 = v1 < 15 ? v1 : 15;
    y.qs[j] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(v0) | (static_cast<std::uint8_t>(v1) << 4));
  }
}

inline void q4_1_block(const float* x, block_q4_1& y) noexcept {
  float mn, mxv;
  min_max(x, qk, &mn, &mxv);
  const float d = (mxv - mn) / 15.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  y.d = to_half(d);
  y.m = to_half(mn);
  for (std::size_t j = 0; j < qk / 2; ++j) {
    int v0 = trunc_i8(mul(x[j] - mn, id) + 0.5f), v1 = trunc_i8(mul(x[j + qk / 2] - mn, id) + 0.5f);
    v0 = v0 < 15 ? v0 : 15;
    v1 = v1 < 15 ? v1 : 15;
    y.qs[j] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(v0) | (static_cast<std::uint8_t>(v1) << 4));
  }
}

inline void put_qh(std::uint8_t* qh, std::uint32_t bits) noexcept {
  for (int b = 0; b < 4; ++b) qh[b] = static_cast<std::uint8_t>(bits >> (8 * b));
}
inline std::uint32_t get_qh(const std::uint8_t* qh) noexcept {
  return static_cast<std::uint32_t>(qh[0]) | (static_cast<std::uint32_t>(qh[1]) << 8) |
         (static_cast<std::uint32_t>(qh[2]) << 16) | (static_cast<std::uint32_t>(qh[3]) << 24);
}

inline void q5_0_block(const float* x, block_q5_0& y) noexcept {
  float mx, amax;
  signed_absmax(x, qk, &mx, &amax);
  const float d = mx / -16.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  y.d = to_half(d);
  std::uint32_t qh = 0;
  for (std::size_t j = 0; j < qk / 2; ++j) {
    int v0 = trunc_i8(mul(x[j], id) + 16.5f), v1 = trunc_i8(mul(x[j + qk / 2], id) + 16.5f);
    const unsigned u0 = static_cast<std::uint8_t>(v0 < 31 ? v0 : 31), u1 = static_cast<std::uint8_t>(v1 < 31 ? v1 : 31);
    y.qs[j] = static_cast<std::uint8_t>((u0 & 0x0F) | ((u1 & 0x0F) << 4));
    qh |= ((u0 & 0x10u) >> 4) << j;
    qh |= ((u1 & 0x10u) >> 4) << (j + qk / 2);
  }
  put_qh(y.qh, qh);
}

inline void q5_1_block(const float* x, block_q5_1& y) noexcept {
  float mn, mxv;
  min_max(x, qk, &mn, &mxv);
  const float d = (mxv - mn) / 31.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  y.d = to_half(d);
  y.m = to_half(mn);
  std::uint32_t qh = 0;
  for (std::size_t j = 0; j < qk / 2; ++j) {
    const unsigned u0 = trunc_u8(mul(x[j] - mn, id) + 0.5f), u1 = trunc_u8(mul(x[j + qk / 2] - mn, id) + 0.5f);
    y.qs[j] = static_cast<std::uint8_t>((u0 & 0x0F) | ((u1 & 0x0F) << 4));
    qh |= ((u0 & 0x10u) >> 4) << j;
    qh |= ((u1 & 0x10u) >> 4) << (j + qk / 2);
  }
  put_qh(y.qh, qh);
}

template <class Block>
inline float q8_block(const float* x, Block& y) noexcept {
  float amax = 0.0f;
  for (std::size_t j = 0; j < qk; ++j) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  y.d = to_half(d);
  for (std::size_t j = 0; j < qk; ++j) y.qs[j] = static_cast<std::int8_t>(trunc_i8(std::round(mul(x[j], id))));
  return d;
}

/// ggml make_qkx2_quants: codes L (0..nmax) and scale / -min of an affine
/// fit searched over nstep+1 candidate scales (squared or absolute error).
inline float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L, float* the_min,
                              std::uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) noexcept {
  float mn = x[0], mxv = x[0];
  float sum_w = weights[0];
  float sum_x = mul(sum_w, x[0]);
  for (int i = 1; i < n; ++i) {
    if (x[i] < mn) mn = x[i];
    if (x[i] > mxv) mxv = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += mul(w, x[i]);
  }
  if (mn > 0) mn = 0;
  if (mxv == mn) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -mn;
    return 0.0f;
  }
  const auto clampl = [nmax](int l) { return l < 0 ? 0 : (l > nmax ? nmax : l); };
  float iscale = static_cast<float>(nmax) / (mxv - mn);
  float scale = 1.0f / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<std::uint8_t>(clampl(nearest_int(mul(iscale, x[i] - mn))));
    float diff = (mul(scale, static_cast<float>(L[i])) + mn) - x[i];
    diff = use_mad ? std::fabs(diff) : mul(diff, diff);
    best_error += mul(weights[i], diff);
  }
  if (nstep < 1) {
    *the_min = -mn;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = ((rmin + mul(rdelta, static_cast<float>(is))) + static_cast<float>(nmax)) / (mxv - mn);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clampl(nearest_int(mul(iscale, x[i] - mn)));
      Laux[i] = static_cast<std::uint8_t>(l);
      const float w = weights[i], fl = static_cast<float>(l);
      sum_l += mul(w, fl);
      sum_l2 += mul(mul(w, fl), fl);
      sum_xl += mul(mul(w, fl), x[i]);
    }
    const float D = mul(sum_w, sum_l2) - mul(sum_l, sum_l);
    if (D > 0) {
      float this_scale = (mul(sum_w, sum_xl) - mul(sum_x, sum_l)) / D;
      float this_min = (mul(sum_l2, sum_x) - mul(sum_l, sum_xl)) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = (mul(this_scale, static_cast<float>(Laux[i])) + this_min) - x[i];
        diff = use_mad ? std::fabs(diff) : mul(diff, diff);
        cur_error += mul(weights[i], diff);
      }
      if (cur_error < best_error) {
        for (int i = 0; i < n; ++i) L[i] = Laux[i];
        best_error = cur_error;
        scale = this_scale;
        mn = this_min;
      }
    }
  }
  *the_min = -mn;
  return scale;
}

/// ggml make_qx_quants with rmse_type 1 (weights x^2) and no importance
/// matrix: symmetric codes L (0..2 nmax - 1, offset nmax) and their scale.
inline float make_qx_quants_rmse1(int n, int nmax, const float* x, std::int8_t* L) noexcept {
  float mxv = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      mxv = x[i];
    }
  }
  if (amax < 1e-15f) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  const auto clampl = [nmax](int l) { return l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l); };
  float iscale = static_cast<float>(-nmax) / mxv;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clampl(nearest_int(mul(iscale, x[i])));
    L[i] = static_cast<std::int8_t>(l + nmax);
    const float w = mul(x[i], x[i]), fl = static_cast<float>(l);
    sumlx += mul(mul(w, x[i]), fl);
    suml2 += mul(mul(w, fl), fl);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = mul(scale, sumlx);
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + mul(0.1f, static_cast<float>(is))) / mxv;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clampl(nearest_int(mul(iscale, x[i])));
      const float w = mul(x[i], x[i]), fl = static_cast<float>(l);
      sumlx += mul(mul(w, x[i]), fl);
      suml2 += mul(mul(w, fl), fl);
    }
    if (suml2 > 0 && mul(sumlx, sumlx) > mul(best, suml2)) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(nmax + clampl(nearest_int(mul(iscale, x[i]))));
      scale = sumlx / suml2;
      best = mul(scale, sumlx);
    }
  }
  return scale;
}

inline void q4_k_block(const float* x, block_q4_k& y) noexcept {
  std::uint8_t L[qk_k], Laux[32];
  float weights[32], mins[8], scales[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += mul(xs[l], xs[l]);
    const float av_x = std::sqrt(sum_x2 / 32.0f);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = make_qkx2_quants(32, 15, xs, weights, L + 32 * j, &mins[j], Laux, -1.0f, 0.1f, 20, false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  std::uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    const auto a = static_cast<std::uint8_t>(nearest_int(mul(inv_scale, scales[j])));
    const auto b = static_cast<std::uint8_t>(nearest_int(mul(inv_min, mins[j])));
    ls[j] = a < 63 ? a : 63;
    lm[j] = b < 63 ? b : 63;
  }
  std::memset(y.scales, 0, sizeof y.scales);
  set_scale_min_k4(ls, lm, y.scales);
  y.d = to_half(max_scale / 63.0f);
  y.dmin = to_half(max_min / 63.0f);
  for (int j = 0; j < 8; ++j) {
    std::uint8_t sc, m;
    get_scale_min_k4(j, y.scales, &sc, &m);
    const float d = mul(from_half(y.d), static_cast<float>(sc));
    if (d == 0.0f) continue;
    const float dm = mul(from_half(y.dmin), static_cast<float>(m));
    for (int i = 0; i < 32; ++i) {
      const int l = nearest_int((x[32 * j + i] + dm) / d);
      L[32 * j + i] = static_cast<std::uint8_t>(l < 0 ? 0 : (l > 15 ? 15 : l));
    }
  }
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      y.qs[32 * c + l] = static_cast<std::uint8_t>(L[64 * c + l] | (L[64 * c + l + 32] << 4));
}

inline void q6_k_block(const float* x, block_q6_k& y) noexcept {
  std::int8_t L[qk_k];
  float scales[16];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < 16; ++ib) {
    scales[ib] = make_qx_quants_rmse1(16, 32, x + 16 * ib, L + 16 * ib);
    const float a = std::fabs(scales[ib]);
    if (a > max_abs_scale) {
      max_abs_scale = a;
      max_scale = scales[ib];
    }
  }
  if (max_abs_scale < 1e-15f) {
    std::memset(&y, 0, sizeof y);
    return;
  }
  const float iscale = -128.0f / max_scale;
  y.d = to_half(1.0f / iscale);
  for (int ib = 0; ib < 16; ++ib) {
    const int l = nearest_int(mul(iscale, scales[ib]));
    y.scales[ib] = static_cast<std::int8_t>(l < 127 ? l : 127);
  }
  for (int j = 0; j < 16; ++j) {
    const float d = mul(from_half(y.d), static_cast<float>(y.scales[j]));
    if (d == 0.0f) continue;
    for (int i = 0; i < 16; ++i) {
      const int l = nearest_int(x[16 * j + i] / d);
      L[16 * j + i] = static_cast<std::int8_t>((l < -32 ? -32 : (l > 31 ? 31 : l)) + 32);
    }
  }
  for (int h = 0; h < 2; ++h) {
    const std::int8_t* Lh = L + 128 * h;
    std::uint8_t* ql = y.ql + 64 * h;
    std::uint8_t* qh = y.qh + 32 * h;
    for (int l = 0; l < 32; ++l) {
      const unsigned q1 = static_cast<std::uint8_t>(Lh[l]), q2 = static_cast<std::uint8_t>(Lh[l + 32]);
      const unsigned q3 = static_cast<std::uint8_t>(Lh[l + 64]), q4 = static_cast<std::uint8_t>(Lh[l + 96]);
      ql[l] = static_cast<std::uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
      ql[l + 32] = static_cast<std::uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
      qh[l] = static_cast<std::uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
}

inline void q8_k_block(const float* x, block_q8_k& y) noexcept {
  float mx, amax;
  signed_absmax(x, qk_k, &mx, &amax);
  if (amax == 0.0f) {
    std::memset(&y, 0, sizeof y);
    return;
  }
  const float iscale = -127.0f / mx;
  for (std::size_t j = 0; j < qk_k; ++j) {
    const int v = nearest_int(mul(iscale, x[j]));
    y.qs[j] = static_cast<std::int8_t>(v < 127 ? v : 127);
  }
  for (int j = 0; j < 16; ++j) {
    int s = 0;
    for (int i = 0; i < 16; ++i) s += y.qs[16 * j + i];
    y.bsums[j] = static_cast<std::int16_t>(s);
  }
  y.d = 1.0f / iscale;
}

/// 6-bit code e (0..255) of a Q6_K super-block.
inline int q6_k_code(const block_q6_k& b, int e) noexcept {
  const int h = e / 128, r = e % 128, k = r / 32, l = r % 32;
  const std::uint8_t low = b.ql[64 * h + l + 32 * (k & 1)];
  const int lo = k < 2 ? (low & 0xF) : (low >> 4);
  const int hi = (b.qh[32 * h + l] >> (2 * k)) & 3;
  return lo | (hi << 4);
}

}  // namespace detail

// ------------------------------------------------------------------ quantize
#define QMATH_GGUF_QUANTIZE(T, fn)                                                       \
  inline status quantize(std::span<const float> x, std::span<T> out) noexcept {          \
    QMATH_TRY(detail::check_quantize_args(x, out));                                      \
    for (std::size_t b = 0; b < out.size(); ++b)                                         \
      detail::fn(x.data() + b * block_elements<T>, out[b]);                              \
    return ok_status;                                                                    \
  }
QMATH_GGUF_QUANTIZE(block_q4_0, q4_0_block)
QMATH_GGUF_QUANTIZE(block_q4_1, q4_1_block)
QMATH_GGUF_QUANTIZE(block_q5_0, q5_0_block)
QMATH_GGUF_QUANTIZE(block_q5_1, q5_1_block)
QMATH_GGUF_QUANTIZE(block_q8_0, q8_block<block_q8_0>)
QMATH_GGUF_QUANTIZE(block_q4_k, q4_k_block)
QMATH_GGUF_QUANTIZE(block_q6_k, q6_k_block)
QMATH_GGUF_QUANTIZE(block_q8_k, q8_k_block)
#undef QMATH_GGUF_QUANTIZE

inline status quantize(std::span<const float> x, std::span<block_q8_1> out) noexcept {
  QMATH_TRY(detail::check_quantize_args(x, out));
  for (std::size_t b = 0; b < out.size(); ++b) {
    block_q8_1& y = out[b];
    const float d = detail::q8_block(x.data() + b * qk, y);
    int sum = 0;
    for (std::size_t j = 0; j < qk; ++j) sum += y.qs[j];
    y.s = detail::to_half(detail::mul(static_cast<float>(sum), d));
  }
  return ok_status;
}

// ---------------------------------------------------------------- dequantize
inline status dequantize(std::span<const block_q4_0> in, std::span<float> out) noexcept {
  QMATH_TRY(detail::check_dequantize_args(in, out));
  for (std::size_t b = 0; b < in.size(); ++b) {
    const float d = detail::from_half(in[b].d);
    float* y = out.data() + b * qk;
    for (std::size_t j = 0; j < qk / 2; ++j) {
      y[j] = static_cast<float>((in[b].qs[j] & 0x0F) - 8) * d;
      y[j + qk / 2] = static_cast<float>((in[b].qs[j] >> 4) - 8) * d;
    }
  }
  return ok_status;
}

inline status dequantize(std::span<const block_q4_1> in, std::span<float> out) noexcept {
  QMATH_TRY(detail::check_dequantize_args(in, out));
  for (std::size_t b = 0; b < in.size(); ++b) {
    const float d = detail::from_half(in[b].d), m = detail::from_half(in[b].m);
    float* y = out.data() + b * qk;
    for (std::size_t j = 0; j < qk / 2; ++j) {
      y[j] = detail::mul(static_cast<float>(in[b].qs[j] & 0x0F), d) + m;
      y[j + qk / 2] = detail::mul(static_cast<float>(in[b].qs[j] >> 4), d) + m;
    }
  }
  return ok_status;
}

inline status dequantize(std::span<const block_q5_0> in, std::span<float> out) noexcept {
  QMATH_TRY(detail::check_dequantize_args(in, out));
  for (std::size_t b = 0; b < in.size(); ++b) {
    const float d = detail::from_half(in[b].d);
    const std::uint32_t qh = detail::get_qh(in[b].qh);
    float* y = out.data() + b * qk;
    for (std::size_t j = 0; j < qk / 2; ++j) {
      const int x0 = static_cast<int>((in[b].qs[j] & 0x0F) | (((qh >> j) & 1u) << 4)) - 16;
      const int x1 = static_cast<int>((in[b].qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4)) - 16;
      y[j] = static_cast<float>(x0) * d;
      y[j + qk / 2] = static_cast<float>(x1) * d;
    }
  }
  return ok_status;
}

inline status dequantize(std::span<const block_q5_1> in, std::span<float> out) noexcept {
  QMATH_TRY(detail::check_dequantize_args(in, out));
  for (std::size_t b = 0; b < in.size(); ++b) {
    const float d = detail::from_half(in[b].d), m = detail::from_half(in[b].m);
    const std::uint32_t qh = detail::get_qh(in[b].qh);
    float* y = out.data() + b * qk;
    for (std::size_t j = 0; j < qk / 2; ++j) {
      const unsigned x0 = (in[b].qs[j] & 0x0Fu) | (((qh >> j) & 1u) << 4);
      const unsigned x1 = (in[b].qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4);
      y[j] = detail::mul(static_cast<float>(x0), d) + m;
      y[j + qk / 2] = detail::mul(static_cast<float>(x1), d) + m;
    }
  }
  return ok_status;
}

namespace detail {
template <class Block>
inline status dequantize_q8(std::span<const Block> in, std::span<float> out) noexcept {
  QMATH_TRY(check_dequantize_args(in, out));
  for (std::size_t b = 0; b < in.size(); ++b) {
    const float d = from_half(in[b].d);
    for (std::size_t j = 0; j < qk; ++j) out[b * qk + j] = static_cast<float>(in[b].qs[j]) * d;
  }
  return ok_status;
}
}  // namespace detail
inline status dequantize(std::span<const block_q8_0> in, std::span<float> out) noexcept {
  return detail::dequantize_q8(in, out);
}
inline status dequantize(std::span<const block_q8_1> in, std::span<float> out) noexcept {
  return detail::dequantize_q8(in, out);
}

inline status dequantize(std::span<const block_q4_k> in, std::span<float> out) noexcept {
  QMATH_TRY(detail::check_dequantize_args(in, out));
  for (std::size_t b = 0; b < in.size(); ++b) {
    const block_q4_k& x = in[b];
    const float d = detail::from_half(x.d), mn = detail::from_half(x.dmin);
    float* y = out.data() + b * qk_k;
    for (int c = 0; c < 4; ++c) {
      std::uint8_t sc, m;
      get_scale_min_k4(2 * c, x.scales, &sc, &m);
      const float d1 = detail::mul(d, static_cast<float>(sc)), m1 = detail::mul(mn, static_cast<float>(m));
      get_scale_min_k4(2 * c + 1, x.scales, &sc, &m);
      const float d2 = detail::mul(d, static_cast<float>(sc)), m2 = detail::mul(mn, static_cast<float>(m));
      for (int l = 0; l < 32; ++l) y[64 * c + l] = detail::mul(d1, static_cast<float>(x.qs[32 * c + l] & 0xF)) - m1;
      for (int l = 0; l < 32; ++l) y[64 * c + 32 + l] = detail::mul(d2, static_cast<float>(x.qs[32 * c + l] >> 4)) - m2;
    }
  }
  return ok_status;
}

inline status dequantize(std::span<const block_q6_k> in, std::span<float> out) noexcept {
  QMATH_TRY(detail::check_dequantize_args(in, out));
  for (std::size_t b = 0; b < in.size(); ++b) {
    const float d = detail::from_half(in[b].d);
    for (int e = 0; e < static_cast<int>(qk_k); ++e) {
      const float ds = detail::mul(d, static_cast<float>(in[b].scales[e / 16]));
      out[b * qk_k + static_cast<std::size_t>(e)] = ds * static_cast<float>(detail::q6_k_code(in[b], e) - 32);
    }
  }
  return ok_status;
}

inline status dequantize(std::span<const block_q8_k> in, std::span<float> out) noexcept {
  QMATH_TRY(detail::check_dequantize_args(in, out));
  for (std::size_t b = 0; b < in.size(); ++b)
    for (std::size_t j = 0; j < qk_k; ++j) out[b * qk_k + j] = in[b].d * static_cast<float>(in[b].qs[j]);
  return ok_status;
}

}  // namespace qmath::gguf
