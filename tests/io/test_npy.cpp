// .npy reader/writer: round trips for every dtype and order, byte-exact
// agreement with numpy's header layout, and malformed inputs (each must give a
// status naming the problem; truncations and random corruptions must never
// crash — run under ASan/UBSan).
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "qmath/io/npy.hpp"

namespace fs = std::filesystem;
using namespace qmath::io;
using qmath::errc;

namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> b(s.size());
  std::memcpy(b.data(), s.data(), s.size());
  return b;
}

// A version-1 image with the given dict text (no padding) followed by `data`.
std::vector<std::byte> image_v1(std::string_view dict, std::string_view data) {
  std::string s = "\x93NUMPY";
  s += '\x01';
  s += '\x00';
  s += static_cast<char>(dict.size() & 0xff);
  s += static_cast<char>(dict.size() >> 8);
  s += dict;
  s += data;
  return bytes_of(s);
}

// A version-2/3 image (4-byte header length).
std::vector<std::byte> image_v23(int major, std::string_view dict, std::string_view data) {
  std::string s = "\x93NUMPY";
  s += static_cast<char>(major);
  s += '\x00';
  const auto n = static_cast<std::uint32_t>(dict.size());
  for (int i = 0; i < 4; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
  s += dict;
  s += data;
  return bytes_of(s);
}

std::string raw_floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

errc code_of(const std::vector<std::byte>& img) {
  auto r = decode_npy(img);
  return r ? errc::ok : r.error().code();
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    path = fs::temp_directory_path() /
           ("qmath_npy_" + std::to_string(t) + "_" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_file(const fs::path& p, const std::vector<std::byte>& b) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

template <class T>
std::vector<T> iota_values(std::size_t n) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      v[i] = static_cast<T>(static_cast<double>(i) * 0.37 - 3.5);
    } else {
      v[i] = static_cast<T>(static_cast<long long>(i * 37 % 251) + std::numeric_limits<T>::min() / 2);
    }
  }
  return v;
}

}  // namespace

TEST_CASE_TEMPLATE("npy round trip in memory, every dtype and shape", T, float, double, std::int8_t,
                   std::uint8_t, std::int32_t) {
  const std::vector<std::vector<std::size_t>> shapes = {{}, {0}, {5}, {2, 3}, {2, 3, 4}, {3, 0, 2}, {1, 1, 1, 7}};
  for (const auto& shape : shapes) {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    const auto v = iota_values<T>(n);
    auto img = encode_npy(std::span<const T>(v), shape);
    REQUIRE(img);
    CHECK(img->size() % 64 == n * sizeof(T) % 64);  // data start is 64-aligned
    auto hdr = parse_npy_header(*img);
    REQUIRE(hdr);
    CHECK(hdr->data_offset % 64 == 0);
    CHECK(hdr->version == 1);
    CHECK(hdr->dtype == npy_dtype_of<T>);
    CHECK(hdr->shape == shape);
    CHECK(hdr->count == n);
    auto a = decode_npy(*img);
    REQUIRE(a);
    CHECK(a->dtype() == npy_dtype_of<T>);
    CHECK(a->template holds<T>());
    CHECK(a->shape == shape);
    CHECK(a->order == npy_order::c);
    REQUIRE(a->size() == n);
    const auto got = a->template values<T>();
    CHECK(std::equal(got.begin(), got.end(), v.begin(), v.end()));
    // Re-encoding the decoded array gives the same bytes.
    auto img2 = encode_npy(*a);
    REQUIRE(img2);
    CHECK(*img2 == *img);
  }
}

TEST_CASE("npy header bytes match numpy's np.save layout") {
  // np.save of a float32 (2, 3) array: this exact 128-byte header.
  const std::vector<float> v = {0, 1, 2, 3, 4, 5};
  const std::size_t shape[] = {2, 3};
  auto img = encode_npy(std::span<const float>(v), shape);
  REQUIRE(img);
  REQUIRE(img->size() == 128 + 24);
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  dict.append(117 - dict.size(), ' ');
  dict += '\n';
  const auto expect = image_v1(dict, raw_floats({0, 1, 2, 3, 4, 5}));
  CHECK(*img == expect);

  // 1-d shapes carry the trailing comma; 0-d shapes are "()".
  const std::size_t s1[] = {3};
  auto one = encode_npy(std::span<const float>(v.data(), 3), s1);
  REQUIRE(one);
  const std::string_view t1(reinterpret_cast<const char*>(one->data()) + 10, 60);
  CHECK(t1.find("'shape': (3,), }") != std::string_view::npos);
  auto zero = encode_npy(std::span<const float>(v.data(), 1), std::span<const std::size_t>());
  REQUIRE(zero);
  const std::string_view t0(reinterpret_cast<const char*>(zero->data()) + 10, 60);
  CHECK(t0.find("'shape': (), }") != std::string_view::npos);
  CHECK(npy_descr(npy_dtype::int8) == "|i1");
  CHECK(npy_descr(npy_dtype::int32) == "<i4");
}

TEST_CASE("npy Fortran order: read transposed to C order, or as stored") {
  // A (2, 3) array a[i][j] = 10*i + j stored column-major: a00 a10 a01 a11 a02 a12.
  const auto img = image_v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n",
                            raw_floats({0, 10, 1, 11, 2, 12}));
  auto c = decode_npy(img);
  REQUIRE(c);
  CHECK(c->order == npy_order::c);
  const std::vector<float> want = {0, 1, 2, 10, 11, 12};
  const auto got = c->values<float>();
  CHECK(std::vector<float>(got.begin(), got.end()) == want);

  auto s = decode_npy(img, npy_layout::as_stored);
  REQUIRE(s);
  CHECK(s->order == npy_order::fortran);
  CHECK(s->values<float>()[1] == 10.0f);

  // 4-d: element (i,j,k,l) = i*1000 + j*100 + k*10 + l, written in Fortran order.
  const std::vector<std::size_t> shape = {2, 3, 4, 5};
  std::vector<std::int32_t> fort(120);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t l = 0; l < 5; ++l)
          fort[i + 2 * (j + 3 * (k + 4 * l))] = static_cast<std::int32_t>(i * 1000 + j * 100 + k * 10 + l);
  auto fimg = encode_npy(std::span<const std::int32_t>(fort), shape, npy_order::fortran);
  REQUIRE(fimg);
  auto back = decode_npy(*fimg);
  REQUIRE(back);
  const auto cv = back->values<std::int32_t>();
  REQUIRE(cv.size() == 120);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t l = 0; l < 5; ++l)
          bad += cv[((i * 3 + j) * 4 + k) * 5 + l] != static_cast<std::int32_t>(i * 1000 + j * 100 + k * 10 + l);
  CHECK(bad == 0);
  // As stored, re-encoding reproduces the Fortran-order file exactly.
  auto kept = decode_npy(*fimg, npy_layout::as_stored);
  REQUIRE(kept);
  auto again = encode_npy(*kept);
  REQUIRE(again);
  CHECK(*again == *fimg);
}

TEST_CASE("npy format versions 2.0 and 3.0 and header syntax variants are accepted") {
  const std::string data = raw_floats({1.5f, -2.0f});
  for (int major : {2, 3}) {
    auto a = decode_npy(image_v23(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", data));
    REQUIRE(a);
    CHECK(a->values<float>()[0] == 1.5f);
    auto h = parse_npy_header(image_v23(major, "{'descr':'<f4','fortran_order':False,'shape':(2,)}", data));
    REQUIRE(h);
    CHECK(h->version == major);
    CHECK(h->data_offset == 12 + std::strlen("{'descr':'<f4','fortran_order':False,'shape':(2,)}"));
  }
  const char* ok_dicts[] = {
      "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}",   // double quotes
      "{'shape': (2L,), 'fortran_order': False, 'descr': '<f4'}",          // any key order, py2 long
      "  {\t'descr' : '<f4' ,\n'fortran_order' : False , 'shape' : ( 2 , ) , }  \n",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
  };
  for (const char* d : ok_dicts) {
    INFO(d);
    CHECK(code_of(image_v1(d, data)) == errc::ok);
  }
  // Any byte-order character is fine for 1-byte types.
  for (const char* d : {"'|i1'", "'<i1'", "'>u1'", "'=u1'"}) {
    const std::string dict = std::string("{'descr': ") + d + ", 'fortran_order': False, 'shape': (2,), }";
    INFO(dict);
    CHECK(code_of(image_v1(dict, "ab")) == errc::ok);
  }
}

TEST_CASE("npy malformed headers give a status naming the problem") {
  const std::string two = raw_floats({1, 2});
  struct bad_case {
    const char* dict;
    errc code;
    const char* argument;
  };
  const bad_case cases[] = {
      {"", errc::parse_error, "header"},
      {"[1, 2]", errc::parse_error, "header"},
      {"{'descr': '<f4', 'fortran_order': False}", errc::parse_error, "shape"},
      {"{'fortran_order': False, 'shape': (2,)}", errc::parse_error, "descr"},
      {"{'descr': '<f4', 'shape': (2,)}", errc::parse_error, "fortran_order"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", errc::parse_error, "header"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", errc::parse_error, "descr"},
      {"{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", errc::parse_error, "fortran_order"},
      {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}", errc::parse_error, "fortran_order"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", errc::parse_error, "shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", errc::parse_error, "shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", errc::parse_error, "shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,,)}", errc::parse_error, "shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (02,)}", errc::parse_error, "shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1", errc::parse_error, "shape"},
      {"{'descr': <f4, 'fortran_order': False, 'shape': (2,)}", errc::parse_error, "descr"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", errc::parse_error, "header"},
      {"{'descr': [('a', '<f4'), 'fortran_order': False, 'shape': (2,)}", errc::parse_error, "descr"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", errc::parse_error, "header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", errc::parse_error, "header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", errc::parse_error, "header"},
      {"{descr: '<f4', 'fortran_order': False, 'shape': (2,)}", errc::parse_error, "header"},
      {"{'descr': '?f4', 'fortran_order': False, 'shape': (2,)}", errc::parse_error, "descr"},
      // Unsupported but well-formed.
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (2,)}", errc::unsupported, "descr"},
      {"{'descr': '=f4', 'fortran_order': False, 'shape': (2,)}", errc::unsupported, "descr"},
      {"{'descr': '<f2', 'fortran_order': False, 'shape': (4,)}", errc::unsupported, "descr"},
      {"{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}", errc::unsupported, "descr"},
      {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", errc::unsupported, "descr"},
      {"{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", errc::unsupported, "descr"},
      {"{'descr': '<U10', 'fortran_order': False, 'shape': (1,)}", errc::unsupported, "descr"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", errc::unsupported, "descr"},
      // Shape overflow.
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}", errc::out_of_range,
       "shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", errc::out_of_range,
       "shape"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,)}", errc::out_of_range,
       "shape"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.dict));
    auto r = decode_npy(image_v1(c.dict, two));
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == c.code);
    CHECK(r.error().argument() == c.argument);
    CHECK_FALSE(r.error().detail().empty());
  }
  // More than 64 dimensions.
  std::string many = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 65; ++i) many += "1, ";
  many += ")}";
  CHECK(code_of(image_v1(many, raw_floats({1}))) == errc::out_of_range);
}

TEST_CASE("npy malformed prefix and data sizes") {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
  const std::string data = raw_floats({1, 2});
  auto good = image_v1(dict, data);
  REQUIRE(code_of(good) == errc::ok);

  auto bad_magic = good;
  bad_magic[1] = std::byte{'X'};
  auto r = decode_npy(bad_magic);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::parse_error);
  CHECK(r.error().argument() == "magic");

  for (auto [maj, min] : {std::pair{0, 0}, {4, 0}, {1, 1}, {255, 0}}) {
    auto v = good;
    v[6] = static_cast<std::byte>(maj);
    v[7] = static_cast<std::byte>(min);
    auto rv = decode_npy(v);
    REQUIRE_FALSE(rv);
    CHECK(rv.error().code() == errc::unsupported);
    CHECK(rv.error().argument() == "version");
  }
  // HEADER_LEN pointing past the end of the buffer.
  auto long_len = good;
  long_len[8] = std::byte{0xff};
  long_len[9] = std::byte{0xff};
  r = decode_npy(long_len);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::parse_error);
  CHECK(r.error().argument() == "header");
  auto v2_huge = image_v23(2, dict, data);
  v2_huge[11] = std::byte{0xff};
  CHECK(code_of(v2_huge) == errc::parse_error);

  // Every truncation of a valid image is an error, never a crash.
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO(n);
    auto rt = decode_npy(std::span<const std::byte>(good.data(), n));
    CHECK_FALSE(rt);
  }
  // Data shorter / longer than the shape says.
  r = decode_npy(image_v1(dict, data.substr(0, 7)));
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::size_mismatch);
  CHECK(r.error().argument() == "data");
  r = decode_npy(image_v1(dict, data + "x"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::size_mismatch);
  // A huge (non-overflowing) shape with a tiny buffer: an error, no allocation.
  CHECK(code_of(image_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,)}", data)) ==
        errc::size_mismatch);
  // But the header alone parses (for callers that map the data themselves).
  auto h = parse_npy_header(image_v1(dict, ""));
  REQUIRE(h);
  CHECK(h->data_bytes == 8);
}

TEST_CASE("npy random corruption never crashes") {
  const std::vector<float> v = iota_values<float>(24);
  const std::size_t shape[] = {2, 3, 4};
  auto img = encode_npy(std::span<const float>(v), shape, npy_order::fortran);
  REQUIRE(img);
  std::mt19937 rng(12345);
  std::size_t ok = 0, failed = 0;
  for (int it = 0; it < 3000; ++it) {
    auto m = *img;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Mostly hit the prefix and header, where parsing happens.
      const std::size_t pos = rng() % 3 == 0 ? rng() % m.size() : rng() % 128;
      m[pos] = static_cast<std::byte>(rng() & 0xff);
    }
    if (rng() % 4 == 0) m.resize(rng() % m.size());
    auto r = decode_npy(m);
    if (r) {
      ++ok;
      CHECK(r->size() * itemsize(r->dtype()) <= m.size());
    } else {
      ++failed;
      CHECK(r.error().code() != errc::ok);
    }
  }
  CHECK(ok + failed == 3000);
  CHECK(failed > 0);
}

TEST_CASE("npy files and directories") {
  temp_dir dir;
  const auto v = iota_values<float>(12);
  const std::size_t shape[] = {3, 4};
  REQUIRE(write_npy(dir.path / "b.npy", std::span<const float>(v), shape));
  const std::vector<double> d = {1.0, -2.5};
  const std::size_t dshape[] = {2};
  REQUIRE(write_npy(dir.path / "a.npy", std::span<const double>(d), dshape));
  npy_array ints(std::vector<std::int8_t>{-128, 0, 127}, {3});
  REQUIRE(write_npy(dir.path / "c.npy", ints));
  write_file(dir.path / "notes.txt", bytes_of("not an array"));
  fs::create_directory(dir.path / "sub.npy");  // a directory named *.npy is skipped

  auto a = read_npy(dir.path / "b.npy");
  REQUIRE(a);
  CHECK(a->shape == std::vector<std::size_t>{3, 4});
  const auto got = a->values<float>();
  CHECK(std::equal(got.begin(), got.end(), v.begin(), v.end()));
  CHECK(a->values<double>().empty());  // wrong type: empty view

  // Files hold exactly what encode_npy produces.
  auto img = encode_npy(std::span<const float>(v), shape);
  REQUIRE(img);
  CHECK(fs::file_size(dir.path / "b.npy") == img->size());

  auto all = read_npy_dir(dir.path);
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].name == "a");
  CHECK((*all)[1].name == "b");
  CHECK((*all)[2].name == "c");
  CHECK((*all)[0].array.dtype() == npy_dtype::float64);
  CHECK((*all)[2].array.values<std::int8_t>()[0] == -128);

  // Errors: missing file, a directory, an empty directory, a bad file inside.
  auto missing = read_npy(dir.path / "nope.npy");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == errc::io_error);
  CHECK(missing.error().argument() == "path");
  CHECK(read_npy(dir.path).error().code() == errc::io_error);
  CHECK(read_npy_dir(dir.path / "b.npy").error().code() == errc::io_error);
  CHECK(read_npy_dir(dir.path / "sub.npy").error().code() == errc::empty_input);

  auto bad = *img;
  bad.resize(bad.size() - 3);
  write_file(dir.path / "b.npy", bad);
  auto rb = read_npy(dir.path / "b.npy");
  REQUIRE_FALSE(rb);
  CHECK(rb.error().code() == errc::size_mismatch);
  auto rd = read_npy_dir(dir.path);
  REQUIRE_FALSE(rd);
  CHECK(rd.error().code() == errc::size_mismatch);
  CHECK(rd.error().index() == 1);  // b.npy is the second file

  // Every truncation of the file fails cleanly through the file path too
  // (short prefixes exercise the prefix/header reads).
  for (std::size_t n : {0, 3, 8, 9, 10, 11, 12, 40, 127, 128}) {
    INFO(n);
    write_file(dir.path / "t.npy", std::vector<std::byte>(img->begin(), img->begin() + static_cast<long>(n)));
    CHECK_FALSE(read_npy(dir.path / "t.npy"));
  }
  // Tiny headers in files (HEADER_LEN 0 and 1) and a version-2 file.
  write_file(dir.path / "t.npy", image_v1("", ""));
  CHECK(read_npy(dir.path / "t.npy").error().code() == errc::parse_error);
  write_file(dir.path / "t.npy", image_v1("{", ""));
  CHECK(read_npy(dir.path / "t.npy").error().code() == errc::parse_error);
  write_file(dir.path / "t.npy",
             image_v23(2, "{'descr': '<f8', 'fortran_order': True, 'shape': (1, 2), }\n",
                       std::string(reinterpret_cast<const char*>(d.data()), 16)));
  auto v2 = read_npy(dir.path / "t.npy");
  REQUIRE(v2);
  CHECK(v2->values<double>()[1] == -2.5);
  CHECK(write_npy(dir.path / "no_such_dir" / "x.npy", ints).code() == errc::io_error);

  // Writing checks the value count against the shape.
  const std::size_t wrong[] = {5};
  CHECK(write_npy(dir.path / "w.npy", std::span<const float>(v), wrong).code() == errc::size_mismatch);
  const std::size_t huge[] = {std::size_t(1) << 40, std::size_t(1) << 40};
  CHECK(encode_npy(std::span<const float>(v), huge).error().code() == errc::out_of_range);
}

TEST_CASE("npy to_float32") {
  npy_array f(std::vector<float>{1.0f, -2.0f}, {2});
  auto rf = to_float32(f);
  REQUIRE(rf);
  CHECK(*rf == std::vector<float>{1.0f, -2.0f});
  npy_array d(std::vector<double>{0.1, -1e30, std::numeric_limits<double>::infinity()}, {3});
  auto rd = to_float32(d);
  REQUIRE(rd);
  CHECK((*rd)[0] == 0.1f);
  CHECK((*rd)[1] == -1e30f);
  CHECK(std::isinf((*rd)[2]));
  npy_array big(std::vector<double>{0.0, 1e39}, {2});
  auto rb = to_float32(big);
  REQUIRE_FALSE(rb);
  CHECK(rb.error().code() == errc::out_of_range);
  CHECK(rb.error().index() == 1);
  npy_array i(std::vector<std::int32_t>{1}, {1});
  CHECK(to_float32(i).error().code() == errc::unsupported);
}

#ifdef QMATH_REPO_DATA_DIR
TEST_CASE("npy reads the bundled ESRGAN weights") {
  const fs::path dir = fs::path(QMATH_REPO_DATA_DIR) / "esrgan_x4";
  REQUIRE(fs::is_directory(dir));
  auto k = read_npy(dir / "F_0__kernel.npy");
  REQUIRE(k);
  CHECK(k->dtype() == npy_dtype::float32);
  CHECK(k->shape == std::vector<std::size_t>{3, 3, 64, 64});
  const auto w = k->values<float>();
  REQUIRE(w.size() == 36864);
  // Reference values read independently (Python struct on the raw bytes).
  CHECK(w[0] == -0.008143606595695019f);
  CHECK(w[1] == -0.027393406257033348f);
  CHECK(w[36863] == -0.04553794488310814f);
  double sum = 0;
  for (float x : w) sum += x;
  CHECK(sum == doctest::Approx(-1.1835834986248983).epsilon(1e-9));
  // np.save wrote it: our encoder reproduces the file byte for byte.
  auto img = encode_npy(std::span<const float>(w), k->shape);
  REQUIRE(img);
  std::ifstream f(dir / "F_0__kernel.npy", std::ios::binary);
  std::vector<char> file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  REQUIRE(file.size() == img->size());
  CHECK(std::memcmp(file.data(), img->data(), file.size()) == 0);

  auto all = read_npy_dir(dir);
  REQUIRE(all);
  CHECK(all->size() >= 2);
  for (const auto& e : *all) {
    INFO(e.name);
    CHECK(e.array.dtype() == npy_dtype::float32);
    std::size_t n = 1;
    for (auto x : e.array.shape) n *= x;
    CHECK(e.array.size() == n);
    CHECK(n > 0);
  }
}
#endif
