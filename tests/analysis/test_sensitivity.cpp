#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "calibrate/test_util.hpp"
#include "qmath/analysis/sensitivity.hpp"

namespace {
// Test-local symmetric per-tensor round-to-nearest with b bits.
qmath::quant_candidate rtn(int bits) {
  qmath::quant_candidate c;
  c.name = "rtn" + std::to_string(bits);
  c.bits_per_element = bits;
  c.fake_quant = [bits](std::span<const float> x, std::span<const std::size_t>, std::span<float> out) {
    float amax = 0;
    for (float v : x) amax = std::max(amax, std::fabs(v));
    const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
    const float s = amax > 0 ? amax / qmax : 1.0f;
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = std::nearbyint(x[i] / s) * s;
    return qmath::ok_status;
  };
  return c;
}
}  // namespace

TEST_CASE("sensitivity: table, ranking, link to mixed precision") {
  const auto a = qmath_test::gaussian(4096, 1), b = qmath_test::uniform(4096, 2, -1, 1);
  std::vector<qmath::named_tensor> ts{{"gauss", a, {64, 64}}, {"uniform", b, {4096}}};
  std::vector<qmath::quant_candidate> cs{rtn(4), rtn(8)};
  auto t = qmath::sensitivity_table(ts, cs);
  REQUIRE(t);
  REQUIRE(t->size() == 4);
  CHECK((*t)[0].tensor_name == "gauss");
  CHECK((*t)[1].candidate_name == "rtn8");
  CHECK((*t)[1].error.sqnr_db() > (*t)[0].error.sqnr_db() + 20);
  CHECK((*t)[0].size_bits == 4096 * 4);
  CHECK((*t)[0].kl > (*t)[1].kl);
  auto ranked = *t;
  qmath::rank_by(ranked, qmath::sensitivity_metric::sqnr);
  // Gaussian data at 4 bits (outliers stretch the range) is the most damaged.
  CHECK(ranked[0].tensor_name == "gauss");
  CHECK(ranked[0].candidate_name == "rtn4");
  for (std::size_t i = 1; i < ranked.size(); ++i) CHECK(ranked[i - 1].error.sqnr_db() <= ranked[i].error.sqnr_db());
  qmath::rank_by(ranked, qmath::sensitivity_metric::mse);
  for (std::size_t i = 1; i < ranked.size(); ++i) CHECK(ranked[i - 1].error.mse() >= ranked[i].error.mse());
  auto mp = qmath::to_mp_tensors(*t);
  REQUIRE(mp.size() == 2);
  auto sol = qmath::allocate_bits(mp, 4096 * 12);  // room for one tensor at 8 bits
  REQUIRE(sol);
  CHECK(sol->optimal);
  CHECK(sol->choice == std::vector<std::size_t>{1, 0});  // spend the bits on the Gaussian tensor
  std::vector<qmath::named_tensor> bad{{"x", a, {3}}};
  CHECK(qmath::sensitivity_table(bad, cs).error() == qmath::errc::size_mismatch);
  CHECK(qmath::sensitivity_table(ts, std::vector<qmath::quant_candidate>{}).error() == qmath::errc::empty_input);
}

#include "qmath/analysis/candidates.hpp"

TEST_CASE("sensitivity: scheme candidates, sizes with qparams, per-channel beats per-tensor") {
  // Rows with very different scales: per-channel scales help a lot.
  std::vector<float> w = qmath_test::gaussian(16 * 64, 7);
  for (std::size_t c = 0; c < 16; ++c)
    for (std::size_t k = 0; k < 64; ++k) w[c * 64 + k] *= static_cast<float>(1 + c * c);
  std::vector<qmath::named_tensor> ts{{"w", w, {16, 64}}};
  std::vector<qmath::quant_candidate> cs{qmath::make_candidate<qmath::int8_sym_per_tensor>("int8 pt"),
                                         qmath::make_candidate<qmath::int8_sym_per_channel>("int8 pc"),
                                         qmath::make_candidate<qmath::int4_sym_g32>("int4 g32")};
  auto t = qmath::sensitivity_table(ts, cs);
  REQUIRE(t);
  CHECK((*t)[1].error.sqnr_db() > (*t)[0].error.sqnr_db() + 3);
  CHECK((*t)[0].size_bits == 1024 * 8 + 32);
  CHECK((*t)[1].size_bits == 1024 * 8 + 16 * 32);
  CHECK((*t)[2].size_bits == 1024 * 4 + 32 * 32);
  std::vector<float> nanv{1.0f, NAN};
  std::vector<qmath::named_tensor> bad2{{"nan", nanv, {2}}};
  CHECK(qmath::sensitivity_table(bad2, cs).error() == qmath::errc::non_finite);
}
