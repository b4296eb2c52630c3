#pragma once
// Bulk conversions float32 <-> small float formats, dispatched to the best
// SIMD level (formats/kernels.hpp); every level gives exactly the bits of the
// scalar codec formats::encode<F> / formats::decode<F> (formats/minifloat.hpp).
//
//   encode<F>(x, codes, mode)        codes[i] = encode<F>(x[i], mode)
//   decode<F>(codes, y)              y[i] = decode<F>(codes[i])
//   encode_packed<F>(x, bytes, mode) fp4 / fp6 codes packed (below)
//   decode_packed<F>(bytes, y)
//
// Codes: std::uint16_t for fp16 / bf16, one std::uint8_t per code for FP8,
// FP6 and FP4 (low bits; decode ignores the bits above the format's width).
// Rounding: to nearest, ties to even. `mode` (required) says what happens to
// magnitudes beyond the largest finite value and to +-Inf (ONNX Cast's
// `saturate`): overflow::saturate -> +-max, overflow::non_saturating -> +-Inf
// (fp16, bf16, e5m2), NaN (e4m3fn) or +-max (fp6, fp4, which have neither).
// NaN -> the format's quiet NaN with the input's sign (formats without NaN:
// +max); decoded NaNs are 0x7FC00000 | sign.
//
// Packing (encode_packed / decode_packed):
//   fp4_e2m1: two codes per byte, element 2i in the LOW nibble, 2i+1 in the
//             high nibble (ONNX float4e2m1); ceil(n/2) bytes, an odd count
//             leaves the last high nibble 0.
//   fp6_*:    a little-endian bit stream, element i in bits [6i, 6i+6)
//             (4 codes in 3 bytes: b0 = c0 | c1<<6, b1 = c1>>2 | c2<<4,
//             b2 = c2>>4 | c3<<2); ceil(6n/8) bytes, unused bits 0.
//
// Errors (qmath::status naming the argument): size_mismatch when the output
// size differs from what the input needs; invalid_argument for a null data
// pointer with a non-zero size. Nothing is written on error.
//
//   std::vector<std::uint8_t> q(x.size());
//   auto st = qmath::formats::encode<qmath::formats::fp8_e4m3fn>(x, q, qmath::formats::overflow::saturate);

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "qmath/core/status.hpp"
#include "qmath/formats/kernels.hpp"
#include "qmath/formats/minifloat.hpp"
#include "qmath/quantize/quantize.hpp"  // store_hint

namespace qmath::formats {

/// A format the bulk conversions and kernels serve.
template <class F>
concept kernel_format =
    std::is_same_v<F, fp16> || std::is_same_v<F, bf16> || std::is_same_v<F, fp8_e4m3fn> ||
    std::is_same_v<F, fp8_e5m2> || std::is_same_v<F, fp6_e2m3> || std::is_same_v<F, fp6_e3m2> ||
    std::is_same_v<F, fp4_e2m1>;

/// A format with a packed layout (4 or 6 bits).
template <class F>
concept packable_format = kernel_format<F> && (F::bits == 4 || F::bits == 6);

/// Options of the bulk conversions.
struct convert_options {
  store_hint store = store_hint::automatic;  ///< non-temporal stores (results identical)
};

/// Bytes of the packed form of n codes of F.
template <packable_format F>
constexpr std::size_t packed_size(std::size_t n) noexcept {
  return F::bits == 4 ? (n + 1) / 2 : (n * 6 + 7) / 8;
}

namespace detail {

inline const qmath::detail::formats_kernels* fkernels() noexcept {
  const auto* k = qmath::detail::select_kernels<qmath::detail::formats_kernels>();
  QMATH_ASSERT(k != nullptr);
  return k;
}

template <class T>
constexpr bool bad_span(std::span<T> s) noexcept {
  return s.data() == nullptr && !s.empty();
}

/// Packs n (<= a multiple of 4 unless last) codes into out.
template <int Bits>
inline void pack_codes(const std::uint8_t* c, std::size_t n, std::uint8_t* out) noexcept {
  if constexpr (Bits == 4) {
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2)
      out[i / 2] = static_cast<std::uint8_t>((c[i] & 0x0Fu) | ((c[i + 1] & 0x0Fu) << 4));
    if (i < n) out[i / 2] = static_cast<std::uint8_t>(c[i] & 0x0Fu);
  } else {
    std::size_t i = 0, o = 0;
    for (; i + 4 <= n; i += 4, o += 3) {
      const std::uint32_t w = (c[i] & 0x3Fu) | ((c[i + 1] & 0x3Fu) << 6) | ((c[i + 2] & 0x3Fu) << 12) |
                              ((c[i + 3] & 0x3Fu) << 18);
      out[o] = static_cast<std::uint8_t>(w);
      out[o + 1] = static_cast<std::uint8_t>(w >> 8);
      out[o + 2] = static_cast<std::uint8_t>(w >> 16);
    }
    if (i < n) {
      std::uint32_t w = 0;
      for (std::size_t j = 0; i + j < n; ++j) w |= (c[i + j] & 0x3Fu) << (6 * j);
      const std::size_t bytes = ((n - i) * 6 + 7) / 8;
      for (std::size_t b = 0; b < bytes; ++b) out[o + b] = static_cast<std::uint8_t>(w >> (8 * b));
    }
  }
}

template <int Bits>
inline void unpack_codes(const std::uint8_t* in, std::size_t n, std::uint8_t* c) noexcept {
  if constexpr (Bits == 4) {
    for (std::size_t i = 0; i < n; ++i) c[i] = static_cast<std::uint8_t>((in[i / 2] >> (4 * (i & 1))) & 0x0Fu);
  } else {
    std::size_t i = 0, o = 0;
    for (; i + 4 <= n; i += 4, o += 3) {
      const std::uint32_t w = in[o] | (static_cast<std::uint32_t>(in[o + 1]) << 8) |
                              (static_cast<std::uint32_t>(in[o + 2]) << 16);
      for (std::size_t j = 0; j < 4; ++j) c[i + j] = static_cast<std::uint8_t>((w >> (6 * j)) & 0x3Fu);
    }
    if (i < n) {
      std::uint32_t w = 0;
      const std::size_t bytes = ((n - i) * 6 + 7) / 8;
      for (std::size_t b = 0; b < bytes; ++b) w |= static_cast<std::uint32_t>(in[o + b]) << (8 * b);
      for (std::size_t j = 0; i + j < n; ++j) c[i + j] = static_cast<std::uint8_t>((w >> (6 * j)) & 0x3Fu);
    }
  }
}

inline constexpr std::size_t pack_chunk = 1024;  // codes per packing step (a multiple of 4)

}  // namespace detail

/// codes[i] = encode<F>(x[i], mode) for every i.
template <kernel_format F>
status encode(std::span<const float> x, std::span<typename F::code_type> codes, overflow mode,
              const convert_options& o = {}) noexcept {
  if (detail::bad_span(x)) return invalid_argument("x", "null data with a non-zero size");
  if (detail::bad_span(codes)) return invalid_argument("codes", "null data with a non-zero size");
  if (codes.size() != x.size()) return size_mismatch("codes", "must have x.size() elements");
  if (x.empty()) return ok_status;
  const bool nt = qmath::detail::use_streaming(o.store, x.size() * (4 + sizeof(typename F::code_type)));
  detail::fkernels()->encode[static_cast<int>(qmath::detail::float_format_of<F>())](x.data(), codes.data(),
                                                                                     x.size(), mode, nt);
  return ok_status;
}

/// y[i] = decode<F>(codes[i]) for every i (exact).
template <kernel_format F>
status decode(std::span<const typename F::code_type> codes, std::span<float> y,
              const convert_options& o = {}) noexcept {
  if (detail::bad_span(codes)) return invalid_argument("codes", "null data with a non-zero size");
  if (detail::bad_span(y)) return invalid_argument("y", "null data with a non-zero size");
  if (y.size() != codes.size()) return size_mismatch("y", "must have codes.size() elements");
  if (y.empty()) return ok_status;
  const bool nt = qmath::detail::use_streaming(o.store, y.size() * (4 + sizeof(typename F::code_type)));
  detail::fkernels()->decode[static_cast<int>(qmath::detail::float_format_of<F>())](codes.data(), y.data(),
                                                                                     y.size(), nt);
  return ok_status;
}

/// x -> packed codes of F (layout in the header comment); packed.size() must
/// be packed_size<F>(x.size()).
template <packable_format F>
status encode_packed(std::span<const float> x, std::span<std::uint8_t> packed, overflow mode) noexcept {
  if (detail::bad_span(x)) return invalid_argument("x", "null data with a non-zero size");
  if (detail::bad_span(packed)) return invalid_argument("packed", "null data with a non-zero size");
  if (packed.size() != packed_size<F>(x.size())) return size_mismatch("packed", "must have packed_size(x.size()) bytes");
  const auto* k = detail::fkernels();
  const int f = static_cast<int>(qmath::detail::float_format_of<F>());
  std::uint8_t buf[detail::pack_chunk];
  for (std::size_t i = 0; i < x.size(); i += detail::pack_chunk) {
    const std::size_t r = x.size() - i < detail::pack_chunk ? x.size() - i : detail::pack_chunk;
    k->encode[f](x.data() + i, buf, r, mode, false);
    detail::pack_codes<F::bits>(buf, r, packed.data() + i / 8 * F::bits);
  }
  return ok_status;
}

/// Packed codes of F -> y; packed.size() must be packed_size<F>(y.size()).
template <packable_format F>
status decode_packed(std::span<const std::uint8_t> packed, std::span<float> y) noexcept {
  if (detail::bad_span(packed)) return invalid_argument("packed", "null data with a non-zero size");
  if (detail::bad_span(y)) return invalid_argument("y", "null data with a non-zero size");
  if (packed.size() != packed_size<F>(y.size())) return size_mismatch("packed", "must have packed_size(y.size()) bytes");
  const auto* k = detail::fkernels();
  const int f = static_cast<int>(qmath::detail::float_format_of<F>());
  std::uint8_t buf[detail::pack_chunk];
  for (std::size_t i = 0; i < y.size(); i += detail::pack_chunk) {
    const std::size_t r = y.size() - i < detail::pack_chunk ? y.size() - i : detail::pack_chunk;
    detail::unpack_codes<F::bits>(packed.data() + i / 8 * F::bits, r, buf);
    k->decode[f](buf, y.data() + i, r, false);
  }
  return ok_status;
}

}  // namespace qmath::formats
