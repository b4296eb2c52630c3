#pragma once
// Sub-byte packing of integer codes.
//
// Layout: a little-endian bit stream. Code i occupies bits [i*b, i*b + b) of
// the stream, and stream bit k is bit (k % 8) of byte k / 8. For b = 1, 2, 4
// this is "first element in the low bits" (ONNX int4/int2, PyTorch
// quint4x2/quint2x4): byte j of 4-bit data is code[2j] | code[2j+1] << 4.
// 3/5/6/7-bit codes cross byte boundaries (8 codes fill exactly b bytes).
// The packed size is ceil(count * b / 8); unused high bits of the last byte
// are zero. Signed codes are stored as their low b bits (two's complement) and
// sign-extended on unpacking.
//
// pack checks that every code fits: unsigned in [0, 2^b - 1], signed in
// [-2^(b-1), 2^(b-1) - 1]; otherwise errc::out_of_range naming "codes" and the
// first offending index (the packed output is then unspecified).
//
// quantize_packed / dequantize_packed fuse quantize + pack (and unpack +
// dequantize) for schemes of 2..7 bits (8-bit schemes are byte arrays already).
//
// Example: codes int4 {1, 2, 3, 5} -> bytes {0x21, 0x53}.

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "qmath/quantize/quantize.hpp"

namespace qmath {

/// Bytes needed for `count` codes of `bits` bits: ceil(count * bits / 8),
/// computed without overflow for every count (bits in 1..8).
constexpr std::size_t packed_size(std::size_t count, int bits) noexcept {
  const std::size_t b = static_cast<std::size_t>(bits);
  return count / 8 * b + (count % 8 * b + 7) / 8;
}

namespace detail {

inline status check_pack_args(std::size_t count, int bits, std::size_t packed_n) noexcept {
  if (bits < 1 || bits > 8) return out_of_range("bits", "must be in [1, 8]");
  if (count == 0) return empty_input("codes");
  if (packed_n < packed_size(count, bits)) return size_mismatch("packed", "must hold packed_size(count, bits) bytes");
  return ok_status;
}

template <class T>
status first_bad_code(std::span<const T> codes, int bits) noexcept {
  const std::int32_t lo = std::is_signed_v<T> ? -(1 << (bits - 1)) : 0;
  const std::int32_t hi = std::is_signed_v<T> ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] < lo || codes[i] > hi) return out_of_range("codes", "code does not fit in `bits` bits").at(i);
  }
  return ok_status;
}

template <class T>
constexpr std::uint8_t sign_bias_of(int bits) noexcept {
  return std::is_signed_v<T> ? static_cast<std::uint8_t>(1u << (bits - 1)) : 0;
}

}  // namespace detail

/// Pack codes (int8_t or uint8_t) of `bits` bits (1..8) into `packed`.
template <class T>
  requires(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>)
status pack(std::span<const T> codes, int bits, std::span<std::uint8_t> packed) noexcept {
  QMATH_TRY(detail::check_pack_args(codes.size(), bits, packed.size()));
  QMATH_TRY(detail::check_no_overlap(packed, codes, "packed"));
  const auto* c = reinterpret_cast<const std::uint8_t*>(codes.data());
  const std::uint8_t bad = detail::qkernels()->pack(c, packed.data(), codes.size(), bits, detail::sign_bias_of<T>(bits));
  if (bad) return detail::first_bad_code(codes, bits);
  return ok_status;
}

/// Unpack `codes.size()` codes of `bits` bits; int8_t output sign-extends.
template <class T>
  requires(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>)
status unpack(std::span<const std::uint8_t> packed, int bits, std::span<T> codes) noexcept {
  QMATH_TRY(detail::check_pack_args(codes.size(), bits, packed.size()));
  QMATH_TRY(detail::check_no_overlap(codes, packed, "codes"));
  detail::qkernels()->unpack(packed.data(), reinterpret_cast<std::uint8_t*>(codes.data()), codes.size(), bits,
                             detail::sign_bias_of<T>(bits));
  return ok_status;
}

namespace detail {

/// Elements per fused chunk (a multiple of 64, so every chunk starts on a byte).
inline constexpr std::size_t fused_chunk = 2048;

template <class S>
status quantize_packed_impl(std::span<const float> x, std::span<std::uint8_t> packed, const param_layout* pl,
                            const float* scale, const std::int32_t* zp, const quantize_options& o) noexcept {
  using T = typename S::storage_type;
  const quantize_kernels* k = qkernels();
  const std::uint8_t bias = sign_bias_of<T>(S::bits);
  auto do_range = [&](std::size_t b, std::size_t e) {
    T buf[fused_chunk];
    bool nf = false;
    for (std::size_t i = b; i < e; i += fused_chunk) {
      const std::size_t len = e - i < fused_chunk ? e - i : fused_chunk;
      // Quantize [i, i + len) into buf (indices stay global for stochastic rounding).
      nf |= quantize_range<S>(k, x.data(), buf, i, i, i + len, pl, scale, zp, o, false);
      (void)k->pack(reinterpret_cast<const std::uint8_t*>(buf), packed.data() + i / 8 * S::bits, len, S::bits, bias);
    }
    return nf;
  };
  const work_split w = split_work(x.size(), o.threads);
  bool nf = false;
  if (w.tasks == 1) {
    nf = do_range(0, x.size());
  } else {
    bool flags[256] = {};
    parallel_for(w.tasks, w.tasks, [&](std::size_t t) {
      const std::size_t b = t * w.chunk < x.size() ? t * w.chunk : x.size();
      const std::size_t e = b + w.chunk < x.size() ? b + w.chunk : x.size();
      if (b < e) flags[t] = do_range(b, e);
    });
    for (std::size_t t = 0; t < w.tasks; ++t) nf |= flags[t];
  }
  if (nf && o.nonfinite == nonfinite_policy::error) return first_nonfinite(x);
  return ok_status;
}

template <class S>
void dequantize_packed_impl(std::span<const std::uint8_t> packed, std::span<float> x, const param_layout* pl,
                            const float* scale, const std::int32_t* zp, const dequantize_options& o) noexcept {
  using T = typename S::storage_type;
  const quantize_kernels* k = qkernels();
  const std::size_t threads = o.threads;
  const bool nt = use_streaming(o.store, x.size() * sizeof(float) + packed_size(x.size(), S::bits));
  const std::uint8_t bias = sign_bias_of<T>(S::bits);
  auto do_range = [&](std::size_t b, std::size_t e) {
    T buf[fused_chunk];
    for (std::size_t i = b; i < e; i += fused_chunk) {
      const std::size_t len = e - i < fused_chunk ? e - i : fused_chunk;
      k->unpack(packed.data() + i / 8 * S::bits, reinterpret_cast<std::uint8_t*>(buf), len, S::bits, bias);
      dequantize_range<T>(k, buf, i, x.data(), i, i + len, pl, scale, zp, nt);
    }
  };
  const work_split w = split_work(x.size(), threads);
  if (w.tasks == 1) {
    do_range(0, x.size());
    return;
  }
  parallel_for(w.tasks, w.tasks, [&](std::size_t t) {
    const std::size_t b = t * w.chunk < x.size() ? t * w.chunk : x.size();
    const std::size_t e = b + w.chunk < x.size() ? b + w.chunk : x.size();
    if (b < e) do_range(b, e);
  });
}

}  // namespace detail

/// Quantize and pack (schemes of 2..7 bits). `packed` holds at least
/// packed_size(x.size(), S::bits) bytes.
template <per_tensor_scheme S>
  requires(S::bits < 8)
status quantize_packed(std::span<const float> x, const qparams<S>& p, std::span<std::uint8_t> packed,
                       const quantize_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_options(opt));
  if (x.empty()) return empty_input("x");
  if (packed.size() < packed_size(x.size(), S::bits)) return size_mismatch("packed", "too small");
  QMATH_TRY(detail::check_no_overlap(packed, x, "packed"));
  QMATH_TRY(check_qparams(p));
  return detail::quantize_packed_impl<S>(x, packed, nullptr, &p.scale, &p.zero_point, opt);
}

template <quant_scheme S>
  requires(S::bits < 8 && S::kind != granularity_kind::per_tensor)
status quantize_packed(std::span<const float> x, std::span<const std::size_t> shape, const qparams<S>& p,
                       std::span<std::uint8_t> packed, const quantize_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_options(opt));
  if (x.empty()) return empty_input("x");
  if (packed.size() < packed_size(x.size(), S::bits)) return size_mismatch("packed", "too small");
  QMATH_TRY(detail::check_no_overlap(packed, x, "packed"));
  auto pl = detail::check_layout(p, shape, x.size());
  if (!pl) return pl.error();
  return detail::quantize_packed_impl<S>(x, packed, &*pl, p.scale.data(), p.zero_point.data(), opt);
}

/// Unpack and dequantize `x.size()` elements.
template <per_tensor_scheme S>
  requires(S::bits < 8)
status dequantize_packed(std::span<const std::uint8_t> packed, const qparams<S>& p, std::span<float> x,
                         const dequantize_options& opt = {}) noexcept {
  if (x.empty()) return empty_input("x");
  if (packed.size() < packed_size(x.size(), S::bits)) return size_mismatch("packed", "too small");
  QMATH_TRY(detail::check_no_overlap(x, packed, "x"));
  QMATH_TRY(check_qparams(p));
  detail::dequantize_packed_impl<S>(packed, x, nullptr, &p.scale, &p.zero_point, opt);
  return ok_status;
}

template <quant_scheme S>
  requires(S::bits < 8 && S::kind != granularity_kind::per_tensor)
status dequantize_packed(std::span<const std::uint8_t> packed, std::span<const std::size_t> shape,
                         const qparams<S>& p, std::span<float> x, const dequantize_options& opt = {}) noexcept {
  if (x.empty()) return empty_input("x");
  if (packed.size() < packed_size(x.size(), S::bits)) return size_mismatch("packed", "too small");
  QMATH_TRY(detail::check_no_overlap(x, packed, "x"));
  auto pl = detail::check_layout(p, shape, x.size());
  if (!pl) return pl.error();
  detail::dequantize_packed_impl<S>(packed, x, &*pl, p.scale.data(), p.zero_point.data(), opt);
  return ok_status;
}

}  // namespace qmath
