// Fuzz target: the .npy reader (decode_npy / parse_npy_header) on arbitrary
// bytes, plus structured inputs (a valid header with fuzzed dict text, shape
// and data length).
// Properties: never crashes or allocates beyond the input (the data size is
// checked against the buffer first); a decoded array holds prod(shape)
// values of the declared dtype; parse_npy_header agrees with decode_npy on
// the header; encode_npy of the array decodes back to identical values,
// shape and order.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "qmath/io/npy.hpp"

namespace {

void check_decoded(std::span<const std::byte> buf) {
  auto h = qmath::io::parse_npy_header(buf);
  for (auto layout : {qmath::io::npy_layout::c_order, qmath::io::npy_layout::as_stored}) {
    auto a = qmath::io::decode_npy(buf, layout);
    if (!a) {
      const auto c = a.error().code();
      QMATH_FUZZ_CHECK(c == qmath::errc::parse_error || c == qmath::errc::size_mismatch ||
                       c == qmath::errc::out_of_range || c == qmath::errc::unsupported ||
                       c == qmath::errc::invalid_argument);
      continue;
    }
    QMATH_FUZZ_CHECK(h.has_value());
    QMATH_FUZZ_CHECK(a->shape == h->shape && a->dtype() == h->dtype);
    std::size_t count = 1;
    for (auto d : a->shape) count *= d;
    QMATH_FUZZ_CHECK(a->size() == count && count == h->count);
    QMATH_FUZZ_CHECK(h->data_offset + h->data_bytes <= buf.size());
    auto enc = qmath::io::encode_npy(*a);
    QMATH_FUZZ_CHECK(enc.has_value());
    auto back = qmath::io::decode_npy(*enc, qmath::io::npy_layout::as_stored);
    QMATH_FUZZ_CHECK(back.has_value());
    QMATH_FUZZ_CHECK(back->shape == a->shape && back->order == a->order && back->dtype() == a->dtype());
    std::visit(
        [&](const auto& v) {
          using T = typename std::decay_t<decltype(v)>::value_type;
          const auto w = back->values<T>();
          QMATH_FUZZ_CHECK(w.size() == v.size() && (v.empty() || std::memcmp(w.data(), v.data(), v.size() * sizeof(T)) == 0));
        },
        a->data());
  }
}

}  // namespace

QMATH_FUZZ_TARGET(npy) {
  qmath_fuzz::reader r(data, size);
  const std::uint8_t mode = r.byte();
  if (mode % 2 == 0) {  // raw bytes
    const auto rest = r.rest();
    check_decoded(std::as_bytes(rest));
    return 0;
  }
  // A well-formed prefix around fuzzed dict text and data.
  static const char* descr[] = {"<f4", "<f8", "|i1", "|u1", "<i4", ">f4", "<f2", "<i8", "|b1", "<u4"};
  std::string d = "{'descr': '";
  d += descr[r.byte() % 10];
  d += "', 'fortran_order': ";
  d += r.flag() ? "True" : "False";
  d += ", 'shape': (";
  const std::size_t rank = r.range(0, 4);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::uint8_t k = r.byte();
    d += std::to_string(k % 16 == 0 ? r.u64() : k % 7);
    d += ", ";
  }
  d += "), }";
  const std::size_t cut = r.range(0, 255);
  if (cut < d.size() && r.byte() % 4 == 0) d.resize(cut);  // truncated dict
  const std::size_t prefix = 10;
  while ((prefix + d.size() + 1) % 64 != 0) d += ' ';
  d += '\n';
  std::vector<std::byte> buf(prefix + d.size());
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::memcpy(buf.data(), magic, 8);
  std::size_t hlen = d.size();
  if (r.byte() % 16 == 0) hlen += r.byte();  // lying header length
  buf[8] = static_cast<std::byte>(hlen & 0xff);
  buf[9] = static_cast<std::byte>(hlen >> 8);
  std::memcpy(buf.data() + prefix, d.data(), d.size());
  const auto rest = r.rest();
  for (auto b : rest) buf.push_back(static_cast<std::byte>(b));
  check_decoded(buf);
  return 0;
}
