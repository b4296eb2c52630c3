// Fuzz target: k-means (training, assignment) and the product quantizer
// (training, encode, decode, distance tables, ADC scans) on small inputs,
// under the ISA cap chosen by the input.
// Properties: argument errors exactly as documented (k == 0, k > n, d == 0,
// size not a multiple of d, non-finite data); k x d finite centroids; every
// point assigned to a nearest centroid (to float rounding of the norm
// expansion), same indices on the scalar level; PQ codes decode to the
// nearest sub-centroids; ADC distances equal ||q - decode(code)||^2 to
// rounding; adc_scan_batch equals adc_scan bit for bit.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "fuzz_support.hpp"
#include "qmath/codebook/kmeans.hpp"
#include "qmath/codebook/product_quantizer.hpp"

namespace {

double l2(const float* a, const float* b, std::size_t d) {
  double s = 0;
  for (std::size_t t = 0; t < d; ++t) s += (double{a[t]} - b[t]) * (double{a[t]} - b[t]);
  return s;
}

double norm2(const float* a, std::size_t d) {
  double s = 0;
  for (std::size_t t = 0; t < d; ++t) s += double{a[t]} * a[t];
  return s;
}

/// idx[i] is a nearest row of c (k x d) for every row of x, up to the float
/// error of ||x||^2 + ||c||^2 - 2 x.c.
void check_nearest(const std::vector<float>& x, const float* c, std::size_t k, std::size_t d,
                   const std::uint32_t* idx, std::size_t n, std::size_t idx_stride = 1) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t j = idx[i * idx_stride];
    QMATH_FUZZ_CHECK(j < k);
    double best = std::numeric_limits<double>::infinity(), cmax = 0;
    for (std::size_t t = 0; t < k; ++t) {
      best = std::min(best, l2(&x[i * d], c + t * d, d));
      cmax = std::max(cmax, norm2(c + t * d, d));
    }
    const double tol = 1e-5 * (norm2(&x[i * d], d) + cmax) + 1e-30;
    QMATH_FUZZ_CHECK(l2(&x[i * d], c + j * d, d) <= best + tol);
  }
}

}  // namespace

QMATH_FUZZ_TARGET(codebook) {
  qmath_fuzz::reader r(data, size);
  const qmath::isa cap = qmath_fuzz::pick_cap(r);
  const std::size_t d = r.range(1, 6), n = r.range(1, 48);
  std::vector<float> x(n * d);
  for (float& v : x) v = r.byte() % 32 == 0 ? r.any_float() : r.value();
  bool finite = true;
  for (float v : x) finite &= std::isfinite(v) && std::fabs(v) < 1e15f;
  if (!finite) {
    for (float& v : x)
      if (!std::isfinite(v)) v = 0.0f;
    for (float& v : x) v = std::clamp(v, -1e15f, 1e15f);  // keep squared norms finite in float
  }
  if (r.byte() % 16 == 0) x[r.range(0, x.size() - 1)] = std::numeric_limits<float>::quiet_NaN();
  bool has_nan = false;
  for (float v : x) has_nan |= std::isnan(v);

  qmath::kmeans_options ko;
  ko.k = r.range(0, n + 1);
  ko.max_iter = r.range(0, 6);
  ko.init = r.flag() ? qmath::kmeans_init::kmeans_plus_plus : qmath::kmeans_init::random;
  ko.seed = r.u32();
  ko.max_points_per_centroid = r.range(0, 4);
  auto km = qmath::kmeans(x, d, ko);
  if (ko.k == 0) {
    QMATH_FUZZ_CHECK(!km && km.error().argument() == "k");
  } else if (ko.k > n) {
    QMATH_FUZZ_CHECK(!km && km.error().code() == qmath::errc::out_of_range);
  } else if (has_nan) {
    QMATH_FUZZ_CHECK(!km && km.error().code() == qmath::errc::non_finite);
  } else {
    QMATH_FUZZ_CHECK(km.has_value());
    QMATH_FUZZ_CHECK(km->k == ko.k && km->d == d && km->centroids.size() == ko.k * d);
    for (float c : km->centroids) QMATH_FUZZ_CHECK(std::isfinite(c));
    std::vector<std::uint32_t> idx(n), idx_s(n);
    std::vector<float> dist(n), dist_s(n);
    QMATH_FUZZ_CHECK(qmath::kmeans_assign(x, d, km->centroids, idx, dist).ok());
    check_nearest(x, km->centroids.data(), ko.k, d, idx.data(), n);
    for (float v : dist) QMATH_FUZZ_CHECK(v >= 0.0f);
    QMATH_FUZZ_CHECK(qmath::set_max_isa(qmath::isa::scalar).ok());
    QMATH_FUZZ_CHECK(qmath::kmeans_assign(x, d, km->centroids, idx_s, dist_s).ok());
    QMATH_FUZZ_CHECK(idx_s == idx && dist_s == dist);
    QMATH_FUZZ_CHECK(qmath::set_max_isa(cap).ok());
  }
  QMATH_FUZZ_CHECK(qmath::kmeans(x, 0, ko).error().argument() == "d");
  if (d > 1 && x.size() % (d + 1) != 0) QMATH_FUZZ_CHECK(qmath::kmeans(x, d + 1, ko).error().code() == qmath::errc::size_mismatch);
  if (has_nan) return 0;

  // Product quantizer: M sub-spaces of d / M, 2^nbits centroids each.
  std::size_t M = 1;
  for (std::size_t m = r.range(1, d); m >= 1; --m)
    if (d % m == 0) {
      M = m;
      break;
    }
  const unsigned nbits = static_cast<unsigned>(r.range(1, 4));
  const std::size_t ksub = std::size_t{1} << nbits, dsub = d / M;
  qmath::result<qmath::product_quantizer> pq = qmath::invalid_argument("pq", "not built");
  if (r.flag() && n >= ksub) {
    qmath::pq_options po;
    po.M = M;
    po.nbits = nbits;
    po.max_iter = r.range(0, 4);
    po.seed = r.u32();
    pq = qmath::product_quantizer::train(x, d, po);
    QMATH_FUZZ_CHECK(pq.has_value());
  } else {
    std::vector<float> cents(M * ksub * dsub);
    for (float& v : cents) v = r.value();
    for (float& v : cents)
      if (!std::isfinite(v) || std::fabs(v) > 1e15f) v = 1.0f;
    pq = qmath::product_quantizer::from_centroids(d, M, nbits, cents);
    QMATH_FUZZ_CHECK(pq.has_value());
  }
  const qmath::product_quantizer& P = *pq;
  std::vector<std::uint8_t> codes(n * P.code_size());
  QMATH_FUZZ_CHECK(P.encode(x, codes).ok());
  std::vector<float> dec(n * d);
  QMATH_FUZZ_CHECK(P.decode(codes, dec).ok());
  // Each decoded sub-vector is a nearest sub-centroid of the original.
  for (std::size_t m = 0; m < M; ++m) {
    const float* cm = P.centroids().data() + m * ksub * dsub;
    std::vector<float> xs(n * dsub);
    std::vector<std::uint32_t> which(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(&xs[i * dsub], &x[i * d + m * dsub], dsub * sizeof(float));
      which[i] = static_cast<std::uint32_t>(ksub);
      for (std::size_t j = 0; j < ksub; ++j)
        if (std::memcmp(cm + j * dsub, &dec[i * d + m * dsub], dsub * sizeof(float)) == 0) {
          which[i] = static_cast<std::uint32_t>(j);
          break;
        }
    }
    check_nearest(xs, cm, ksub, dsub, which.data(), n);
  }
  std::vector<float> q(d), lut(M * ksub), out(n), out2(2 * n), luts(2 * M * ksub);
  for (float& v : q) {
    v = r.value();
    v = std::isfinite(v) ? std::clamp(v, -1e6f, 1e6f) : 0.0f;
  }
  QMATH_FUZZ_CHECK(P.distance_table(q, lut).ok());
  QMATH_FUZZ_CHECK(P.adc_scan(lut, codes, out).ok());
  for (std::size_t i = 0; i < n; ++i) {
    const double want = l2(q.data(), &dec[i * d], d);
    QMATH_FUZZ_CHECK(std::fabs(out[i] - want) <= 1e-4 * (norm2(q.data(), d) + norm2(&dec[i * d], d)) + 1e-30);
  }
  std::copy(lut.begin(), lut.end(), luts.begin());
  std::copy(lut.begin(), lut.end(), luts.begin() + static_cast<std::ptrdiff_t>(lut.size()));
  QMATH_FUZZ_CHECK(P.adc_scan_batch(luts, codes, out2).ok());
  for (std::size_t i = 0; i < n; ++i) QMATH_FUZZ_CHECK(std::memcmp(&out2[i], &out[i], sizeof(float)) == 0);
  return 0;
}
