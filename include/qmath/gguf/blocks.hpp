#pragma once
// llama.cpp / GGUF block formats: the byte layouts of ggml's blocks.
//
// Every struct here has exactly ggml's size and field order (ggml-common.h),
// so a std::span of blocks can be written to or read from a GGUF tensor as
// is (little-endian hosts). `ggml_half` fields are IEEE binary16 bit
// patterns (qmath::formats::fp16_from_float / float_from_fp16).
//
//   format  block  bytes  bits/weight  fields (in memory order)
//   Q4_0      32     18     4.5        d, qs[16]
//   Q4_1      32     20     5.0        d, m, qs[16]
//   Q5_0      32     22     5.5        d, qh[4], qs[16]
//   Q5_1      32     24     6.0        d, m, qh[4], qs[16]
//   Q8_0      32     34     8.5        d, qs[32] (int8)
//   Q8_1      32     36     9.0        d, s = fp16(d * sum q), qs[32] (int8)
//   Q4_K     256    144     4.5        d, dmin, scales[12], qs[128]
//   Q6_K     256    210     6.5625     ql[128], qh[64], scales[16] (int8), d
//   Q8_K     256    292     -          float d, qs[256] (int8), bsums[16] (int16)
//
// Packing (element e of a block):
//   Q4_0/Q4_1/Q5_x: e < 16 in the low nibble of qs[e], e >= 16 in the high
//     nibble of qs[e - 16]; Q5_x bit 4 of e is bit e of qh (little-endian u32).
//   Q4_K: 8 sub-blocks of 32; chunk c (64 elements, qs[32c .. 32c+31]) holds
//     element 64c + l in the low nibble and 64c + 32 + l in the high nibble of
//     qs[32c + l]. Sub-block j has a 6-bit scale and a 6-bit min, packed in
//     scales[12] as get_scale_min_k4 reads them (below).
//   Q6_K: 16 sub-blocks of 16, one int8 scale each. Half h (128 elements,
//     ql[64h ..], qh[32h ..]) holds, for l < 32, element 128h + l + 32k
//     (k = 0..3) as a 6-bit code: low 4 bits in ql[64h + l + 32(k&1)] (low
//     nibble for k < 2, high for k >= 2), high 2 bits in bits 2k, 2k+1 of
//     qh[32h + l].

#include <cstddef>
#include <cstdint>

#include "qmath/config.hpp"

namespace qmath::gguf {

inline constexpr std::size_t qk = 32;     ///< elements of a legacy block
inline constexpr std::size_t qk_k = 256;  ///< elements of a K-quant super-block

struct block_q4_0 {
  std::uint16_t d;
  std::uint8_t qs[qk / 2];
};
struct block_q4_1 {
  std::uint16_t d, m;
  std::uint8_t qs[qk / 2];
};
struct block_q5_0 {
  std::uint16_t d;
  std::uint8_t qh[4];
  std::uint8_t qs[qk / 2];
};
struct block_q5_1 {
  std::uint16_t d, m;
  std::uint8_t qh[4];
  std::uint8_t qs[qk / 2];
};
struct block_q8_0 {
  std::uint16_t d;
  std::int8_t qs[qk];
};
struct block_q8_1 {
  std::uint16_t d, s;
  std::int8_t qs[qk];
};
struct block_q4_k {
  std::uint16_t d, dmin;
  std::uint8_t scales[12];
  std::uint8_t qs[qk_k / 2];
};
struct block_q6_k {
  std::uint8_t ql[qk_k / 2];
  std::uint8_t qh[qk_k / 4];
  std::int8_t scales[qk_k / 16];
  std::uint16_t d;
};
struct block_q8_k {
  float d;
  std::int8_t qs[qk_k];
  std::int16_t bsums[qk_k / 16];
};

static_assert(sizeof(block_q4_0) == 18 && sizeof(block_q4_1) == 20 && sizeof(block_q5_0) == 22 &&
              sizeof(block_q5_1) == 24 && sizeof(block_q8_0) == 34 && sizeof(block_q8_1) == 36);
static_assert(sizeof(block_q4_k) == 144 && sizeof(block_q6_k) == 210 && sizeof(block_q8_k) == 292);

/// Elements per block of a block type.
template <class Block>
inline constexpr std::size_t block_elements = 0;
template <> inline constexpr std::size_t block_elements<block_q4_0> = qk;
template <> inline constexpr std::size_t block_elements<block_q4_1> = qk;
template <> inline constexpr std::size_t block_elements<block_q5_0> = qk;
template <> inline constexpr std::size_t block_elements<block_q5_1> = qk;
template <> inline constexpr std::size_t block_elements<block_q8_0> = qk;
template <> inline constexpr std::size_t block_elements<block_q8_1> = qk;
template <> inline constexpr std::size_t block_elements<block_q4_k> = qk_k;
template <> inline constexpr std::size_t block_elements<block_q6_k> = qk_k;
template <> inline constexpr std::size_t block_elements<block_q8_k> = qk_k;

/// Is Block one of the GGUF block types above?
template <class Block>
concept gguf_block = block_elements<Block> != 0;

/// Q4_K: the 6-bit scale and min of sub-block j (0..7) from scales[12]:
///   j < 4:  sc = s[j] & 63,                      m = s[j+4] & 63
///   j >= 4: sc = (s[j+4] & 15) | (s[j-4] >> 6) << 4,  m = (s[j+4] >> 4) | (s[j] >> 6) << 4
QMATH_ALWAYS_INLINE constexpr void get_scale_min_k4(int j, const std::uint8_t* s, std::uint8_t* sc, std::uint8_t* m) noexcept {
  if (j < 4) {
    *sc = static_cast<std::uint8_t>(s[j] & 63);
    *m = static_cast<std::uint8_t>(s[j + 4] & 63);
  } else {
    *sc = static_cast<std::uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    *m = static_cast<std::uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

/// Q4_K: the inverse of get_scale_min_k4 (scale and min of each sub-block, 0..63).
constexpr void set_scale_min_k4(const std::uint8_t* sc, const std::uint8_t* m, std::uint8_t* s) noexcept {
  for (int j = 0; j < 8; ++j) {
    const unsigned ls = sc[j] & 63u, lm = m[j] & 63u;
    if (j < 4) {
      s[j] = static_cast<std::uint8_t>(ls);
      s[j + 4] = static_cast<std::uint8_t>(lm);
    } else {
      s[j + 4] = static_cast<std::uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      s[j - 4] = static_cast<std::uint8_t>(s[j - 4] | ((ls >> 4) << 6));
      s[j] = static_cast<std::uint8_t>(s[j] | ((lm >> 4) << 6));
    }
  }
}

}  // namespace qmath::gguf
