// Regression tests: one TEST_CASE per bug found by the fuzzers or the
// bad-input matrix (tests/hardening/test_bad_input.cpp), each reproducing it
// exactly.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qmath/calibrate/histogram.hpp"
#include "qmath/core/compute_qparams.hpp"
#include "qmath/gemm/gemm.hpp"
#include "qmath/quantize/fake_quant.hpp"
#include "qmath/quantize/pack.hpp"
#include "qmath/quantize/quantize.hpp"
#include "qmath/simd/isa.hpp"

TEST_CASE("regression: a shape whose element count wraps size_t is rejected (was an out-of-bounds read)") {
  // {2^63 + 1, 2} has 2^64 + 2 elements, which wrapped to 2 and matched a
  // 2-element tensor: compute_qparams then read ~2^64 elements.
  using pc = qmath::int8_sym_per_channel_dyn;
  const std::size_t shape[2] = {(std::size_t{1} << 63) + 1, 2};
  std::vector<float> x(2, 1.0f);
  qmath::qparams<pc> p{};
  p.axis = 1;
  CHECK(qmath::compute_qparams<pc>(x, shape, p, {}).code() == qmath::errc::out_of_range);
  qmath::qparams<pc> q{{0.1f, 0.1f}, {0, 0}, 1};
  std::vector<std::int8_t> codes(2);
  CHECK(qmath::quantize(std::span<const float>(x), shape, q, std::span(codes)).argument() == "shape");
}
