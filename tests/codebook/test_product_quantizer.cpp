#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "qmath/codebook/product_quantizer.hpp"
#include "test_support.hpp"

namespace {

qmath::product_quantizer train_pq(const std::vector<float>& x, std::size_t d, std::size_t M, unsigned nbits,
                                  std::size_t iters = 3) {
  qmath::pq_options o;
  o.M = M;
  o.nbits = nbits;
  o.max_iter = iters;
  auto r = qmath::product_quantizer::train(x, d, o);
  REQUIRE(r);
  return std::move(r).value();
}

// Brute-force code of one vector: per sub-space, the centroid at minimal
// double-precision squared distance.
std::vector<std::size_t> brute_code(const qmath::product_quantizer& pq, const float* x) {
  std::vector<std::size_t> code(pq.M());
  for (std::size_t m = 0; m < pq.M(); ++m) {
    double best = 1e300;
    for (std::size_t j = 0; j < pq.ksub(); ++j) {
      const float* c = pq.centroids().data() + (m * pq.ksub() + j) * pq.dsub();
      double s = 0;
      for (std::size_t t = 0; t < pq.dsub(); ++t) s += (double(x[m * pq.dsub() + t]) - c[t]) * (double(x[m * pq.dsub() + t]) - c[t]);
      if (s < best) best = s, code[m] = j;
    }
  }
  return code;
}

}  // namespace

TEST_CASE("pq: encode picks the nearest centroid per sub-space; decode round trip") {
  const std::size_t d = 16, n = 600;
  const std::vector<float> x = cbtest::blobs(n, d, 20, 3.0, 0.7, 5);
  for (unsigned nbits : {8u, 4u, 5u, 1u, 9u}) {
    CAPTURE(nbits);
    const qmath::product_quantizer pq = train_pq(x, d, 4, nbits);
    CHECK(pq.code_size() == (4 * nbits + 7) / 8);
    std::vector<std::uint8_t> codes(n * pq.code_size());
    REQUIRE(pq.encode(x, codes));
    std::vector<float> rec(x.size());
    REQUIRE(pq.decode(codes, rec));
    std::size_t disagree = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<std::size_t> bc = brute_code(pq, x.data() + i * d);
      for (std::size_t m = 0; m < 4; ++m) {
        const float* c = pq.centroids().data() + (m * pq.ksub() + bc[m]) * pq.dsub();
        // the decoded sub-vector is the brute-force centroid (or an equally near one)
        if (std::memcmp(rec.data() + i * d + m * pq.dsub(), c, pq.dsub() * sizeof(float)) != 0) ++disagree;
      }
    }
    CHECK(disagree <= n * 4 / 1000);  // float vs double near-ties only
    // encode(decode(c)) == c: centroids are their own codes (unless duplicated)
    std::vector<std::uint8_t> codes2(codes.size());
    REQUIRE(pq.encode(rec, codes2));
    std::vector<float> rec2(x.size());
    REQUIRE(pq.decode(codes2, rec2));
    CHECK(rec2 == rec);
    auto st = pq.reconstruction_error(x);
    REQUIRE(st);
    double e = 0;
    for (std::size_t i = 0; i < x.size(); ++i) e += (double(x[i]) - rec[i]) * (double(x[i]) - rec[i]);
    CHECK(st->mse() * d == doctest::Approx(e / n));
    CHECK(st->sqnr_db() > 0);
  }
}

TEST_CASE("pq: more bits, lower reconstruction error") {
  const std::size_t d = 8, n = 2000;
  const std::vector<float> x = cbtest::gaussian(n * d, 17);
  double prev = 1e30;
  for (unsigned nbits : {1u, 2u, 4u, 6u}) {
    const double mse = train_pq(x, d, 2, nbits).reconstruction_error(x)->mse();
    CHECK(mse < prev);
    prev = mse;
  }
}

TEST_CASE("pq: bit-stream layout (LSB first) matches the sub-indices") {
  const std::size_t d = 6, n = 300, M = 3;
  const std::vector<float> x = cbtest::gaussian(n * d, 23);
  const qmath::product_quantizer pq = train_pq(x, d, M, 5);
  std::vector<std::uint8_t> codes(n * pq.code_size());
  REQUIRE(pq.encode(x, codes));
  CHECK(pq.code_size() == 2);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t w = codes[2 * i] | (std::uint32_t(codes[2 * i + 1]) << 8);
    CHECK((w >> 15) == 0);  // unused high bit stays 0
    const std::vector<std::size_t> bc = brute_code(pq, x.data() + i * d);
    for (std::size_t m = 0; m < M; ++m) {
      const std::size_t j = (w >> (5 * m)) & 31u;
      // same centroid as brute force, or an exact tie in float
      const float* a = pq.centroids().data() + (m * 32 + j) * 2;
      const float* b = pq.centroids().data() + (m * 32 + bc[m]) * 2;
      const float* xs = x.data() + i * d + m * 2;
      const double da = (double(xs[0]) - a[0]) * (double(xs[0]) - a[0]) + (double(xs[1]) - a[1]) * (double(xs[1]) - a[1]);
      const double db = (double(xs[0]) - b[0]) * (double(xs[0]) - b[0]) + (double(xs[1]) - b[1]) * (double(xs[1]) - b[1]);
      CHECK(da <= db * (1 + 1e-5) + 1e-12);
    }
  }
}

TEST_CASE("pq: ADC and SDC distances") {
  const std::size_t d = 32, n = 300;
  const std::vector<float> x = cbtest::blobs(n, d, 30, 2.0, 1.0, 9);
  for (std::size_t M : {8u, 16u, 4u}) {
    for (unsigned nbits : {8u, 6u}) {
      CAPTURE(M);
      CAPTURE(nbits);
      const qmath::product_quantizer pq = train_pq(x, d, M, nbits, 2);
      std::vector<std::uint8_t> codes(n * pq.code_size());
      REQUIRE(pq.encode(x, codes));
      std::vector<float> rec(x.size());
      REQUIRE(pq.decode(codes, rec));
      const std::vector<float> q = cbtest::gaussian(d, 1234);
      std::vector<float> lut(M * pq.ksub()), dist(n);
      REQUIRE(pq.distance_table(q, lut));
      REQUIRE(pq.adc_scan(lut, codes, dist));
      for (std::size_t i = 0; i < n; ++i) {
        double e = 0;
        for (std::size_t t = 0; t < d; ++t) e += (double(q[t]) - rec[i * d + t]) * (double(q[t]) - rec[i * d + t]);
        CHECK(dist[i] == doctest::Approx(e).epsilon(1e-4));
        // the normative order: lut[0][q0] + lut[1][q1] + ...
        if (nbits == 8) {
          float s = lut[codes[i * M]];
          for (std::size_t m = 1; m < M; ++m) s += lut[m * 256 + codes[i * M + m]];
          CHECK(s == dist[i]);
        }
      }
      // symmetric: distance of a code to itself is 0, and symmetric in (a, b)
      std::vector<float> sd(n), sd5(n);
      const std::size_t cs = pq.code_size();
      REQUIRE(pq.symmetric_distances(std::span<const std::uint8_t>(codes.data(), cs), codes, sd));
      REQUIRE(pq.symmetric_distances(std::span<const std::uint8_t>(codes.data() + 5 * cs, cs), codes, sd5));
      CHECK(sd[0] == 0.0f);
      CHECK(sd[5] == doctest::Approx(sd5[0]).epsilon(1e-5));
      double e = 0;
      for (std::size_t t = 0; t < d; ++t) e += (double(rec[t]) - rec[5 * d + t]) * (double(rec[t]) - rec[5 * d + t]);
      CHECK(sd[5] == doctest::Approx(e).epsilon(1e-4));
    }
  }
}

TEST_CASE("pq: codes and distances are bit-identical on every ISA level") {
  const std::size_t d = 24, n = 500;
  const std::vector<float> x = cbtest::blobs(n, d, 12, 2.0, 1.0, 31);
  std::vector<std::uint8_t> first_codes;
  std::vector<float> first_c, first_dist;
  cbtest::each_level levels;
  levels.run([&](qmath::isa l) {
    CAPTURE(std::string(qmath::to_string(l)));
    const qmath::product_quantizer pq = train_pq(x, d, 3, 7, 4);
    std::vector<std::uint8_t> codes(n * pq.code_size());
    REQUIRE(pq.encode(x, codes));
    std::vector<std::uint8_t> codes_mt(codes.size());
    REQUIRE(pq.encode(x, codes_mt, 4));
    CHECK(codes_mt == codes);
    std::vector<float> lut(3 * 128), dist(n);
    REQUIRE(pq.distance_table(std::span<const float>(x.data(), d), lut));
    REQUIRE(pq.adc_scan(lut, codes, dist));
    std::vector<float> c(pq.centroids().begin(), pq.centroids().end());
    if (first_codes.empty()) {
      first_codes = codes;
      first_c = c;
      first_dist = dist;
    } else {
      CHECK(codes == first_codes);
      CHECK(std::memcmp(c.data(), first_c.data(), c.size() * 4) == 0);
      CHECK(std::memcmp(dist.data(), first_dist.data(), dist.size() * 4) == 0);
    }
  });
}

TEST_CASE("pq: from_centroids and bad input") {
  const std::vector<float> x = cbtest::gaussian(64 * 12, 2);
  qmath::pq_options o;
  o.M = 5;  // does not divide 12
  auto arg = [](const auto& r) { return std::string(r.error().argument()); };
  CHECK(arg(qmath::product_quantizer::train(x, 12, o)) == "M");
  o.M = 0;
  CHECK(arg(qmath::product_quantizer::train(x, 12, o)) == "M");
  o.M = 4;
  o.nbits = 0;
  CHECK(arg(qmath::product_quantizer::train(x, 12, o)) == "nbits");
  o.nbits = 17;
  CHECK(qmath::product_quantizer::train(x, 12, o).error().code() == qmath::errc::out_of_range);
  o.nbits = 7;  // 128 centroids > 64 vectors
  CHECK(arg(qmath::product_quantizer::train(x, 12, o)) == "x");
  o.nbits = 4;
  CHECK(arg(qmath::product_quantizer::train(std::span<const float>(), 12, o)) == "x");
  CHECK(arg(qmath::product_quantizer::train(x, 0, o)) == "d");
  CHECK(arg(qmath::product_quantizer::train(std::span<const float>(x.data(), 13), 12, o)) == "x");
  std::vector<float> bad = x;
  bad[100] = std::numeric_limits<float>::infinity();
  auto r = qmath::product_quantizer::train(bad, 12, o);
  CHECK(r.error().code() == qmath::errc::non_finite);
  CHECK(r.error().index() == 100);

  auto pq = qmath::product_quantizer::train(x, 12, o);
  REQUIRE(pq);
  std::vector<std::uint8_t> codes(64 * pq->code_size());
  CHECK(std::string(pq->encode(std::span<const float>(x.data(), 11), codes).argument()) == "x");
  CHECK(std::string(pq->encode(x, std::span<std::uint8_t>(codes.data(), 3)).argument()) == "codes");
  REQUIRE(pq->encode(x, codes));
  std::vector<float> rec(10);
  CHECK(std::string(pq->decode(codes, rec).argument()) == "x");
  std::vector<float> lut(5), dist(64);
  CHECK(std::string(pq->distance_table(std::span<const float>(x.data(), 12), lut).argument()) == "lut");
  lut.resize(4 * 16);
  CHECK(std::string(pq->distance_table(std::span<const float>(x.data(), 11), lut).argument()) == "query");
  dist.resize(3);
  CHECK(std::string(pq->adc_scan(lut, codes, dist).argument()) == "out");
  qmath::product_quantizer empty;
  CHECK(!empty.encode(x, codes));

  // from_centroids: a hand-made 2-bit codebook on d = 2, M = 2
  const std::vector<float> cents = {0, 1, 2, 3, /* m = 1 */ -1, -2, -3, -4};
  auto h = qmath::product_quantizer::from_centroids(2, 2, 2, cents);
  REQUIRE(h);
  const std::vector<float> v = {2.2f, -3.9f, 0.4f, -1.6f};
  std::vector<std::uint8_t> c(2);
  REQUIRE(h->encode(v, c));
  CHECK(c[0] == (2u | (3u << 2)));
  CHECK(c[1] == (0u | (1u << 2)));
  CHECK(arg(qmath::product_quantizer::from_centroids(2, 2, 2, std::vector<float>(7))) == "centroids");
}

TEST_CASE("pq: 12- and 16-bit codes from given codebooks (bit-stream layout)") {
  for (unsigned nbits : {12u, 16u}) {
    CAPTURE(nbits);
    const std::size_t ksub = std::size_t{1} << nbits, M = 3;
    const std::uint32_t want[3] = {1234, std::uint32_t(ksub - 1), 7};
    const float target[3] = {-1000.0f, 5000.0f, -3000.0f};
    // 1-D sub-spaces: dense small centroids, and one isolated centroid per
    // sub-space at the wanted index (so the expanded distance resolves it).
    std::vector<float> cents(M * ksub);
    for (std::size_t m = 0; m < M; ++m) {
      for (std::size_t j = 0; j < ksub; ++j) cents[m * ksub + j] = float(j) * 1e-3f;
      cents[m * ksub + want[m]] = target[m];
    }
    auto pq = qmath::product_quantizer::from_centroids(M, M, nbits, cents);
    REQUIRE(pq);
    CHECK(pq->code_size() == (M * nbits + 7) / 8);
    const std::vector<float> v = {target[0] + 1, target[1] - 2, target[2]};
    std::vector<std::uint8_t> c(pq->code_size());
    REQUIRE(pq->encode(v, c));
    std::uint64_t stream = 0;
    for (std::size_t b = 0; b < c.size(); ++b) stream |= std::uint64_t(c[b]) << (8 * b);
    for (std::size_t m = 0; m < M; ++m) CHECK(((stream >> (m * nbits)) & (ksub - 1)) == want[m]);
    std::vector<float> rec(3);
    REQUIRE(pq->decode(c, rec));
    for (std::size_t m = 0; m < M; ++m) CHECK(rec[m] == target[m]);
    // ADC over the packed codes
    std::vector<float> lut(M * ksub), dist(1);
    REQUIRE(pq->distance_table(v, lut));
    REQUIRE(pq->adc_scan(lut, c, dist));
    CHECK(dist[0] == doctest::Approx(1.0 + 4.0));
  }
}

TEST_CASE("pq: adc_scan_batch equals adc_scan per query, bit for bit, on every level") {
  const std::size_t d = 32, n = 300;  // n not a multiple of the 64-code tile
  const std::vector<float> x = cbtest::blobs(n, d, 20, 2.0, 1.0, 17);
  for (std::size_t M : {8u, 4u}) {
    for (unsigned nbits : {8u, 5u}) {
      CAPTURE(M);
      CAPTURE(nbits);
      const qmath::product_quantizer pq = train_pq(x, d, M, nbits, 2);
      std::vector<std::uint8_t> codes(n * pq.code_size());
      REQUIRE(pq.encode(x, codes));
      const std::size_t tsz = M * pq.ksub();
      for (std::size_t nq : {1u, 3u, 8u, 11u}) {  // 11: one full block of 8 and a partial one
        CAPTURE(nq);
        std::vector<float> luts(nq * tsz), ref(nq * n);
        const std::vector<float> qs = cbtest::gaussian(nq * d, 77 + nq);
        for (std::size_t q = 0; q < nq; ++q) {
          const std::span<float> lq = std::span<float>(luts).subspan(q * tsz, tsz);
          REQUIRE(pq.distance_table(std::span<const float>(qs.data() + q * d, d), lq));
          REQUIRE(pq.adc_scan(lq, codes, std::span<float>(ref).subspan(q * n, n)));
        }
        cbtest::each_level levels;
        levels.run([&](qmath::isa l) {
          CAPTURE(std::string(qmath::to_string(l)));
          std::vector<float> out(nq * n, -1.0f);
          REQUIRE(pq.adc_scan_batch(luts, codes, out));
          CHECK(std::memcmp(out.data(), ref.data(), out.size() * 4) == 0);
        });
      }
    }
  }
  const qmath::product_quantizer pq = train_pq(x, d, 8, 8, 1);
  std::vector<std::uint8_t> codes(n * 8);
  REQUIRE(pq.encode(x, codes));
  std::vector<float> luts(2 * 8 * 256 + 1), out(2 * n);
  CHECK(std::string(pq.adc_scan_batch(luts, codes, out).argument()) == "luts");
  luts.resize(2 * 8 * 256);
  CHECK(std::string(pq.adc_scan_batch(luts, std::span<const std::uint8_t>(codes.data(), 7), out).argument()) == "codes");
  out.resize(2 * n - 1);
  CHECK(std::string(pq.adc_scan_batch(luts, codes, out).argument()) == "out");
  std::vector<float> none;
  CHECK(pq.adc_scan_batch(none, codes, none));  // zero queries: nothing to do
  CHECK(!qmath::product_quantizer().adc_scan_batch(luts, codes, out));
}
