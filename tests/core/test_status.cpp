#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "qmath/core/status.hpp"

using qmath::errc;
using qmath::result;
using qmath::status;

TEST_CASE("status: ok by default, errors name their argument") {
  constexpr status ok;
  static_assert(ok.ok());
  CHECK(ok.message() == "ok");

  const status e = qmath::invalid_argument("scale", "must be finite and > 0");
  CHECK_FALSE(e);
  CHECK(e.code() == errc::invalid_argument);
  CHECK(e.argument() == "scale");
  CHECK(e.message() == "qmath: invalid argument 'scale': must be finite and > 0");
  CHECK(e.at(7).message() == "qmath: invalid argument 'scale': must be finite and > 0 (index 7)");
  CHECK(e.at(7).index() == 7);
  CHECK(e == errc::invalid_argument);
}

TEST_CASE("status: every code has a name") {
  for (int c = 0; c <= static_cast<int>(errc::parse_error); ++c) {
    CHECK(qmath::to_string(static_cast<errc>(c)) != "unknown error");
  }
}

namespace {
result<std::vector<int>> make(int n) {
  if (n < 0) return qmath::out_of_range("n", "must be >= 0");
  return std::vector<int>(static_cast<std::size_t>(n), 1);
}
status chain(int n) {
  QMATH_TRY(make(n).error());
  return qmath::ok_status;
}
}  // namespace

TEST_CASE("result: holds a value or an error, copies and moves") {
  auto r = make(3);
  REQUIRE(r);
  CHECK(r->size() == 3);
  auto copy = r;
  CHECK(copy.value() == r.value());
  auto moved = std::move(copy);
  CHECK(moved.value().size() == 3);

  auto bad = make(-1);
  CHECK_FALSE(bad);
  CHECK(bad.error().argument() == "n");
  CHECK(bad.value_or(std::vector<int>{9}) == std::vector<int>{9});
  bad = r;
  CHECK(bad);
  CHECK(chain(-2).code() == errc::out_of_range);
  CHECK(chain(2).ok());
}
