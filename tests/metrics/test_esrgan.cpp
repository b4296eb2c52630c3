// Reproduces every row of the ESRGAN x4 quality table (tests/data/esrgan_quality.csv,
// computed with numpy/torch by ../shared/anchors/py/esrgan_quality.py) with the
// library: calibration ranges (minmax_observer), qparams (core choose_qparams),
// fake quantization (core element math, reciprocal multiply as PyTorch's CPU
// kernels and the reference do) and metrics (error_stats).
//
// Reference formulas: each HWIO kernel is viewed as Wm[co, K], K = kh*kw*ci.
//   *_sym:   scale = max|x| / (2^(b-1) - 1) (float), codes [-2^(b-1), 2^(b-1)-1]
//            -> TFLite convention, mapping::symmetric, signed.
//   pt_asym: PyTorch MinMaxObserver rule, codes [0, 2^b - 1] -> pytorch convention, unsigned affine.
//   pc_sym: one scale per output channel; gG_sym: groups of G consecutive K entries per
//   output channel, the last group shorter when G does not divide K.
// In the stored HWIO array element (k, c) is at k * co + c, i.e. the tensor is [K, co]:
// per channel = axis 1, groups along axis 0 (no transpose needed).
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "qmath/calibrate/qparams.hpp"
#include "qmath/io/npy.hpp"
#include "qmath/metrics/quantized.hpp"

namespace {

struct ref_row {
  std::string tensor, scheme;
  int bits = 0;
  double mse = 0, sqnr = 0;
};

std::vector<ref_row> read_table() {
  std::ifstream f(std::string(QMATH_TEST_DATA_DIR) + "/esrgan_quality.csv");
  std::vector<ref_row> rows;
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) c.push_back(cell);
    if (c.size() != 9) continue;
    rows.push_back({c[0], c[6], std::stoi(c[5]), std::stod(c[7]), std::stod(c[8])});
  }
  return rows;
}

struct sums {
  double err = 0, energy = 0;
  std::size_t n = 0;
};

template <class S>
qmath::error_stats run(std::span<const float> w, std::span<const std::size_t> shape, qmath::qparams_convention conv) {
  auto p = qmath::partition_for<S>(shape);
  REQUIRE(p);
  qmath::minmax_observer obs(*p);
  REQUIRE(obs.observe(w));
  qmath::qparams_options opt;
  opt.convention = conv;
  auto q = qmath::calibrated_qparams<S>(obs, opt);
  REQUIRE(q);
  std::vector<float> y(w.size());
  const qmath::fake_quant_options fo{qmath::rounding::half_even, qmath::division::reciprocal};
  REQUIRE(qmath::fake_quantize_slots<S>(w, *p, *q, y, fo));
  auto e = qmath::compare(w, y);
  REQUIRE(e);
  return *e;
}

template <int B>
qmath::error_stats run_scheme(const std::string& scheme, std::span<const float> w, std::span<const std::size_t> shape) {
  using namespace qmath;
  using sym_pt = qmath::scheme<B, signedness::signed_int, mapping::symmetric, per_tensor>;
  using asym_pt = qmath::scheme<B, signedness::unsigned_int, mapping::affine, per_tensor>;
  using sym_pc = qmath::scheme<B, signedness::signed_int, mapping::symmetric, per_channel<1>>;
  using sym_g32 = qmath::scheme<B, signedness::signed_int, mapping::symmetric, per_group<32, 0>>;
  using sym_g128 = qmath::scheme<B, signedness::signed_int, mapping::symmetric, per_group<128, 0>>;
  if (scheme == "pt_sym") return run<sym_pt>(w, shape, qparams_convention::tflite);
  if (scheme == "pt_asym") return run<asym_pt>(w, shape, qparams_convention::pytorch);
  if (scheme == "pc_sym") return run<sym_pc>(w, shape, qparams_convention::tflite);
  if (scheme == "g32_sym") return run<sym_g32>(w, shape, qparams_convention::tflite);
  REQUIRE(scheme == "g128_sym");
  return run<sym_g128>(w, shape, qparams_convention::tflite);
}

}  // namespace

TEST_CASE("ESRGAN x4: every row of the reference quality table within 0.01 dB") {
  const auto rows = read_table();
  REQUIRE(rows.size() == 290);
  const std::string dir = std::string(QMATH_TEST_DATA_DIR) + "/../../data/esrgan_x4/";
  std::map<std::string, std::vector<float>> weights;
  std::map<std::string, std::array<std::size_t, 2>> shapes;
  std::map<std::pair<int, std::string>, sums> pooled;
  std::size_t checked = 0;
  double worst_db = 0;
  for (const ref_row& r : rows) {
    if (r.tensor == "ALL_KERNELS") continue;
    if (!weights.count(r.tensor)) {
      std::string file = r.tensor;
      file.replace(file.find('/'), 1, "__");
      auto a = qmath::io::read_npy(dir + file + ".npy");
      REQUIRE_MESSAGE(a, a.error().message());
      REQUIRE(a->shape.size() == 4);
      const auto v = a->values<float>();
      weights[r.tensor].assign(v.begin(), v.end());
      shapes[r.tensor] = {a->shape[0] * a->shape[1] * a->shape[2], a->shape[3]};
    }
    const auto& w = weights[r.tensor];
    const auto& shape = shapes[r.tensor];
    const qmath::error_stats e = r.bits == 8 ? run_scheme<8>(r.scheme, w, shape) : run_scheme<4>(r.scheme, w, shape);
    CAPTURE(r.tensor);
    CAPTURE(r.scheme);
    CAPTURE(r.bits);
    CHECK(std::fabs(e.sqnr_db() - r.sqnr) <= 0.01);
    CHECK(e.mse() == doctest::Approx(r.mse).epsilon(1e-5));  // the table keeps 7 significant digits
    worst_db = std::max(worst_db, std::fabs(e.sqnr_db() - r.sqnr));
    sums& s = pooled[{r.bits, r.scheme}];
    s.err += e.sum_sq_err;
    s.energy += e.sum_sq_ref;
    s.n += e.count;
    ++checked;
  }
  CHECK(checked == 280);
  for (const ref_row& r : rows) {
    if (r.tensor != "ALL_KERNELS") continue;
    const sums& s = pooled[{r.bits, r.scheme}];
    CAPTURE(r.scheme);
    CAPTURE(r.bits);
    CHECK(std::fabs(10 * std::log10(s.energy / s.err) - r.sqnr) <= 0.01);
    CHECK(s.err / static_cast<double>(s.n) == doctest::Approx(r.mse).epsilon(1e-5));
    ++checked;
  }
  CHECK(checked == 290);
  // The codes are bit-identical to the reference: the only difference left is
  // the table's 4-decimal rounding.
  CHECK(worst_db <= 1e-4);
  MESSAGE("ESRGAN rows checked: " << checked << ", largest |SQNR difference|: " << worst_db << " dB");
}
