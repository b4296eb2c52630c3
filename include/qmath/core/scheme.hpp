#pragma once
// Quantization schemes as types.
//
// A scheme fixes, at compile time, everything about the integer grid:
//
//   scheme<Bits, Signedness, Mapping, Granularity>
//
//   Bits         2..8 or 16 (the code width; 2..7-bit codes are stored one per
//                int8_t/uint8_t element and packed with quantize/pack.hpp)
//   Signedness   signedness::signed_int   -> codes in int8_t / int16_t
//                signedness::unsigned_int -> codes in uint8_t / uint16_t
//   Mapping      mapping::symmetric            full range, zero_point fixed:
//                    signed   [-2^(b-1), 2^(b-1)-1], zero_point 0
//                    unsigned [0, 2^b-1],          zero_point 2^(b-1)
//                mapping::symmetric_restricted  signed only, [-(2^(b-1)-1), 2^(b-1)-1],
//                    zero_point 0 (e.g. int8 [-127,127], the TFLite/ORT weight range)
//                mapping::affine               full range, zero_point in [qmin, qmax]
//   Granularity  per_tensor                 one (scale, zero_point)
//                per_channel<Axis>          one per index along Axis
//                per_group<GroupSize, Axis> one per GroupSize consecutive indices
//                                           along Axis (and per index of the
//                                           other dimensions)
//                Axis / GroupSize may be std::dynamic_extent: the value is then
//                a run-time member of the qparams (see core/qparams.hpp).
//
// Real value x and code q are related by  q = clamp(round(x / scale) + zero_point, qmin, qmax)
// and x' = (q - zero_point) * scale.
//
// Invalid combinations do not compile; the concepts below say why:
//   qmath::scheme<9, ...>                                    -> valid_bits fails
//   qmath::scheme<8, signedness::unsigned_int,
//                 mapping::symmetric_restricted, per_tensor> -> valid_mapping fails
//   qmath::per_group<0, 1>                                   -> group size must be > 0
//
// Example:
//   using w = qmath::int4_sym_g128;           // int4, symmetric, groups of 128 along axis 1
//   static_assert(w::qmin == -8 && w::qmax == 7);

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

namespace qmath {

/// Signedness of the integer codes.
enum class signedness : std::uint8_t { signed_int, unsigned_int };

/// How real values map onto the integer grid.
enum class mapping : std::uint8_t {
  symmetric,             ///< zero_point fixed (0 signed, 2^(b-1) unsigned), full code range
  symmetric_restricted,  ///< zero_point 0, range [-(2^(b-1)-1), 2^(b-1)-1] (signed only)
  affine,                ///< zero_point free in [qmin, qmax]
};

constexpr std::string_view to_string(signedness s) noexcept {
  return s == signedness::signed_int ? "signed" : "unsigned";
}
constexpr std::string_view to_string(mapping m) noexcept {
  switch (m) {
    case mapping::symmetric: return "symmetric";
    case mapping::symmetric_restricted: return "symmetric_restricted";
    case mapping::affine: return "affine";
  }
  return "unknown";
}

/// Stands for "chosen at run time" (the std::span idiom).
inline constexpr std::size_t dynamic = std::dynamic_extent;

// ---------------------------------------------------------------------------
// Granularity tags
// ---------------------------------------------------------------------------

/// Granularity kinds, for generic code (`Scheme::granularity_kind`).
enum class granularity_kind : std::uint8_t { per_tensor, per_channel, per_group };

/// One (scale, zero_point) for the whole tensor.
struct per_tensor {
  static constexpr granularity_kind kind = granularity_kind::per_tensor;
};

/// One (scale, zero_point) per index along `Axis` (std::dynamic_extent: the
/// axis is a run-time member of the qparams).
template <std::size_t Axis>
struct per_channel {
  static constexpr granularity_kind kind = granularity_kind::per_channel;
  static constexpr std::size_t static_axis = Axis;
};

/// A valid group size: positive, or dynamic.
template <std::size_t GroupSize>
concept valid_group_size = GroupSize > 0;

/// One (scale, zero_point) per `GroupSize` consecutive indices along `Axis`,
/// for every index of the other dimensions (ONNX "blocked" quantization).
/// Either may be std::dynamic_extent.
template <std::size_t GroupSize, std::size_t Axis>
  requires valid_group_size<GroupSize>
struct per_group {
  static constexpr granularity_kind kind = granularity_kind::per_group;
  static constexpr std::size_t static_group_size = GroupSize;
  static constexpr std::size_t static_axis = Axis;
};

namespace detail {
template <class G>
struct is_granularity : std::false_type {};
template <>
struct is_granularity<per_tensor> : std::true_type {};
template <std::size_t A>
struct is_granularity<per_channel<A>> : std::true_type {};
template <std::size_t G, std::size_t A>
struct is_granularity<per_group<G, A>> : std::true_type {};
}  // namespace detail

/// One of per_tensor, per_channel<Axis>, per_group<GroupSize, Axis>.
template <class G>
concept granularity = detail::is_granularity<G>::value;

// ---------------------------------------------------------------------------
// Validity of the integer parameters
// ---------------------------------------------------------------------------

/// Supported code widths: 2..8 and 16.
template <int Bits>
concept valid_bits = (Bits >= 2 && Bits <= 8) || Bits == 16;

/// symmetric_restricted needs signed codes (an unsigned restricted range has
/// no natural zero point).
template <signedness S, mapping M>
concept valid_mapping = !(M == mapping::symmetric_restricted && S == signedness::unsigned_int);

/// All scheme parameters together.
template <int Bits, signedness S, mapping M, class G>
concept valid_scheme = valid_bits<Bits> && valid_mapping<S, M> && granularity<G>;

/// Integer code range of a (bits, signedness, mapping) triple.
struct code_range {
  std::int32_t qmin;
  std::int32_t qmax;
};

constexpr code_range code_range_of(int bits, signedness s, mapping m) noexcept {
  if (s == signedness::unsigned_int) return {0, static_cast<std::int32_t>((1L << bits) - 1)};
  const std::int32_t half = static_cast<std::int32_t>(1L << (bits - 1));
  if (m == mapping::symmetric_restricted) return {-(half - 1), half - 1};
  return {-half, half - 1};
}

/// Storage type of one code: int8_t/uint8_t for 2..8 bits, int16_t/uint16_t for 16.
template <int Bits, signedness S>
using storage_type_t =
    std::conditional_t<(Bits <= 8), std::conditional_t<S == signedness::signed_int, std::int8_t, std::uint8_t>,
                       std::conditional_t<S == signedness::signed_int, std::int16_t, std::uint16_t>>;

/// A quantization scheme (see the file comment).
template <int Bits, signedness S, mapping M, class G>
  requires valid_scheme<Bits, S, M, G>
struct scheme {
  static constexpr int bits = Bits;
  static constexpr signedness sign = S;
  static constexpr mapping map = M;
  using granularity_type = G;
  static constexpr granularity_kind kind = G::kind;
  using storage_type = storage_type_t<Bits, S>;

  static constexpr std::int32_t qmin = code_range_of(Bits, S, M).qmin;
  static constexpr std::int32_t qmax = code_range_of(Bits, S, M).qmax;
  /// True when the zero point is fixed by the mapping (symmetric mappings).
  static constexpr bool fixed_zero_point = M != mapping::affine;
  /// The fixed zero point of symmetric mappings (0 signed, 2^(b-1) unsigned);
  /// for affine schemes the zero point of an all-zero-range tensor.
  static constexpr std::int32_t symmetric_zero_point =
      S == signedness::unsigned_int ? static_cast<std::int32_t>(1L << (Bits - 1)) : 0;
};

namespace detail {
template <class T>
struct is_scheme : std::false_type {};
template <int B, signedness S, mapping M, class G>
struct is_scheme<scheme<B, S, M, G>> : std::true_type {};
}  // namespace detail

/// Any qmath::scheme<...>.
template <class T>
concept quant_scheme = detail::is_scheme<T>::value;

/// Schemes of a given granularity kind.
template <class T>
concept per_tensor_scheme = quant_scheme<T> && T::kind == granularity_kind::per_tensor;
template <class T>
concept per_channel_scheme = quant_scheme<T> && T::kind == granularity_kind::per_channel;
template <class T>
concept per_group_scheme = quant_scheme<T> && T::kind == granularity_kind::per_group;

/// Schemes whose codes fit in one byte (2..8 bits), packable by quantize/pack.hpp.
template <class T>
concept byte_scheme = quant_scheme<T> && T::bits <= 8;

// ---------------------------------------------------------------------------
// Aliases for common schemes
// ---------------------------------------------------------------------------

using int8_sym_per_tensor = scheme<8, signedness::signed_int, mapping::symmetric, per_tensor>;
using int8_symr_per_tensor = scheme<8, signedness::signed_int, mapping::symmetric_restricted, per_tensor>;
using int8_affine_per_tensor = scheme<8, signedness::signed_int, mapping::affine, per_tensor>;
using uint8_affine_per_tensor = scheme<8, signedness::unsigned_int, mapping::affine, per_tensor>;
using uint8_sym_per_tensor = scheme<8, signedness::unsigned_int, mapping::symmetric, per_tensor>;
/// int8 symmetric per output channel (axis 0), full range [-128,127] (PyTorch).
using int8_sym_per_channel = scheme<8, signedness::signed_int, mapping::symmetric, per_channel<0>>;
/// int8 symmetric per output channel (axis 0), restricted range [-127,127] (TFLite / ORT).
using int8_symr_per_channel = scheme<8, signedness::signed_int, mapping::symmetric_restricted, per_channel<0>>;
using int8_affine_per_channel = scheme<8, signedness::signed_int, mapping::affine, per_channel<0>>;
using uint8_affine_per_channel = scheme<8, signedness::unsigned_int, mapping::affine, per_channel<0>>;
/// int4 symmetric [-8,7], groups along axis 1 (the input dimension of a [N,K] weight).
using int4_sym_g32 = scheme<4, signedness::signed_int, mapping::symmetric, per_group<32, 1>>;
using int4_sym_g64 = scheme<4, signedness::signed_int, mapping::symmetric, per_group<64, 1>>;
using int4_sym_g128 = scheme<4, signedness::signed_int, mapping::symmetric, per_group<128, 1>>;
using int4_sym_per_channel = scheme<4, signedness::signed_int, mapping::symmetric, per_channel<0>>;
using int4_sym_per_tensor = scheme<4, signedness::signed_int, mapping::symmetric, per_tensor>;
/// uint4 affine [0,15], groups along axis 1.
using uint4_affine_g32 = scheme<4, signedness::unsigned_int, mapping::affine, per_group<32, 1>>;
using uint4_affine_g128 = scheme<4, signedness::unsigned_int, mapping::affine, per_group<128, 1>>;
using uint4_affine_per_tensor = scheme<4, signedness::unsigned_int, mapping::affine, per_tensor>;
using int2_sym_g64 = scheme<2, signedness::signed_int, mapping::symmetric, per_group<64, 1>>;
using int16_sym = scheme<16, signedness::signed_int, mapping::symmetric, per_tensor>;
using int16_symr = scheme<16, signedness::signed_int, mapping::symmetric_restricted, per_tensor>;
using uint16_affine_per_tensor = scheme<16, signedness::unsigned_int, mapping::affine, per_tensor>;
/// Fully run-time granularity.
using int8_sym_per_channel_dyn = scheme<8, signedness::signed_int, mapping::symmetric, per_channel<dynamic>>;
using int4_sym_group_dyn = scheme<4, signedness::signed_int, mapping::symmetric, per_group<dynamic, dynamic>>;

}  // namespace qmath
