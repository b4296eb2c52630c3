// Fuzz target: pack / unpack for every bit width 1..8, signed and unsigned
// codes, any count, under the ISA cap chosen by the input.
// Properties: pack fails (out_of_range, first bad index) exactly when a code
// does not fit; otherwise the bytes equal a bit-by-bit reference of the
// documented little-endian stream (unused high bits zero, bytes beyond
// packed_size untouched) and unpack restores the codes; unpack of arbitrary
// bytes sign-extends the stream's fields; a short output is a size error.
#include <vector>

#include "fuzz_support.hpp"
#include "qmath/quantize/pack.hpp"

namespace {

template <class T>
void run(qmath_fuzz::reader& r, int bits) {
  const std::size_t n = r.range(0, 300);
  std::vector<T> codes(n);
  const bool fit = r.byte() % 4 != 0;
  const int lo = std::is_signed_v<T> ? -(1 << (bits - 1)) : 0;
  const int hi = std::is_signed_v<T> ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  std::size_t first_bad = n;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b = r.byte();
    codes[i] = fit ? static_cast<T>(lo + b % (hi - lo + 1)) : static_cast<T>(b);
    if ((codes[i] < lo || codes[i] > hi) && first_bad == n) first_bad = i;
  }
  const std::size_t need = qmath::packed_size(n, bits);
  QMATH_FUZZ_CHECK(need == (n * static_cast<std::size_t>(bits) + 7) / 8);
  const std::size_t extra = r.range(0, 3);
  const bool short_out = need > 0 && r.byte() % 8 == 0;
  std::vector<std::uint8_t> packed(short_out ? need - 1 : need + extra, 0xA5);
  const qmath::status st = qmath::pack(std::span<const T>(codes), bits, std::span<std::uint8_t>(packed));
  if (n == 0) {
    QMATH_FUZZ_CHECK(st.code() == qmath::errc::empty_input);
    return;
  }
  if (short_out) {
    QMATH_FUZZ_CHECK(st.code() == qmath::errc::size_mismatch && st.argument() == "packed");
    return;
  }
  if (first_bad != n) {
    QMATH_FUZZ_CHECK(st.code() == qmath::errc::out_of_range && st.index() == first_bad);
    return;
  }
  QMATH_FUZZ_CHECK(st.ok());
  std::vector<std::uint8_t> ref(need, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned v = static_cast<unsigned>(static_cast<std::uint8_t>(codes[i])) & ((1u << bits) - 1u);
    for (int b = 0; b < bits; ++b) {
      const std::size_t k = i * static_cast<std::size_t>(bits) + static_cast<std::size_t>(b);
      if ((v >> b) & 1u) ref[k / 8] = static_cast<std::uint8_t>(ref[k / 8] | (1u << (k % 8)));
    }
  }
  for (std::size_t j = 0; j < need; ++j) QMATH_FUZZ_CHECK(packed[j] == ref[j]);
  for (std::size_t j = need; j < packed.size(); ++j) QMATH_FUZZ_CHECK(packed[j] == 0xA5);
  std::vector<T> back(n);
  QMATH_FUZZ_CHECK(qmath::unpack(std::span<const std::uint8_t>(packed), bits, std::span<T>(back)).ok());
  QMATH_FUZZ_CHECK(back == codes);

  // Unpack of arbitrary bytes: field i of the stream, sign-extended for T signed.
  for (auto& b : packed) b = r.byte();
  QMATH_FUZZ_CHECK(qmath::unpack(std::span<const std::uint8_t>(packed), bits, std::span<T>(back)).ok());
  for (std::size_t i = 0; i < n; ++i) {
    int v = 0;
    for (int b = 0; b < bits; ++b) {
      const std::size_t k = i * static_cast<std::size_t>(bits) + static_cast<std::size_t>(b);
      v |= ((packed[k / 8] >> (k % 8)) & 1) << b;
    }
    if (std::is_signed_v<T> && v > hi) v -= 1 << bits;
    QMATH_FUZZ_CHECK(static_cast<int>(back[i]) == v);
  }
}

}  // namespace

QMATH_FUZZ_TARGET(pack) {
  qmath_fuzz::reader r(data, size);
  qmath_fuzz::pick_cap(r);
  const std::uint8_t sel = r.byte();
  const int bits = 1 + sel % 8;
  if (sel & 8) run<std::int8_t>(r, bits);
  else run<std::uint8_t>(r, bits);
  // Bit widths outside 1..8 are an error, never a crash.
  const std::uint8_t c[2] = {1, 0};
  std::uint8_t out[4] = {};
  const int bad_bits = (sel & 16) ? 0 : 9 + (sel >> 5);
  QMATH_FUZZ_CHECK(qmath::pack(std::span<const std::uint8_t>(c), bad_bits, std::span<std::uint8_t>(out)).code() ==
                   qmath::errc::out_of_range);
  return 0;
}
