// Example 4: compressing embeddings with k-means and product quantization.
//
// 10,000 embedding vectors of dimension 64, stored five ways. The vectors are
// synthetic (fixed seed) but shaped like real ones: unit norm, 100 topics,
// and within a topic most variation along a few latent directions (real
// embeddings have a low intrinsic dimension; i.i.d. noise would have none):
//   float32                      256 bytes per vector
//   int8 per-vector scale        64 + 4 bytes      (uniform quantization)
//   PQ, M = 16 x 8 bits          16 bytes          (qmath::product_quantizer)
//   PQ, M = 8 x 8 bits           8 bytes
//   k-means, 256 centroids       1 byte            (qmath::kmeans: one centroid per vector)
// For each: bytes, reconstruction SQNR, and how well nearest-neighbour search
// survives (recall@10: the share of each query's true 10 nearest neighbours
// found among the 10 nearest by the compressed distances; for PQ these are
// the asymmetric distances of qmath's ADC scan).
//
//   ./compress_embeddings
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "qmath/codebook/kmeans.hpp"
#include "qmath/codebook/product_quantizer.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/qmath.hpp"

namespace {

constexpr std::size_t n = 10000, d = 64, topics = 100, queries = 50, top = 10;

constexpr std::size_t latent = 8;

// x = normalise(centre_t + U z + noise), z ~ N(0, 0.6^2 I_8), noise ~ N(0, 0.05^2 I_64).
std::vector<float> make_embeddings(std::uint32_t seed, std::size_t count, const std::vector<float>& centres,
                                   const std::vector<float>& U) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::uniform_int_distribution<std::size_t> pick(0, topics - 1);
  std::vector<float> x(count * d);
  float z[latent];
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t t = pick(rng);
    for (auto& v : z) v = 0.6f * g(rng);
    double norm = 0;
    for (std::size_t j = 0; j < d; ++j) {
      float v = centres[t * d + j] + 0.05f * g(rng);
      for (std::size_t l = 0; l < latent; ++l) v += U[j * latent + l] * z[l];
      x[i * d + j] = v;
      norm += static_cast<double>(v) * v;
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (std::size_t j = 0; j < d; ++j) x[i * d + j] *= inv;
  }
  return x;
}

float l2sq(const float* a, const float* b) {
  float s = 0;
  for (std::size_t j = 0; j < d; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

// Indices of the `top` smallest distances.
std::vector<std::size_t> nearest(const std::vector<float>& dist) {
  std::vector<std::size_t> idx(dist.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + top, idx.end(),
                    [&](std::size_t a, std::size_t b) { return dist[a] < dist[b] || (dist[a] == dist[b] && a < b); });
  idx.resize(top);
  return idx;
}

double overlap(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b) {
  std::size_t hit = 0;
  for (auto i : a) hit += std::find(b.begin(), b.end(), i) != b.end();
  return static_cast<double>(hit) / static_cast<double>(top);
}

}  // namespace

int main() {
  std::mt19937 rng(2024);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> centres(topics * d), U(d * latent);
  for (auto& c : centres) c = 0.25f * g(rng);
  for (auto& u : U) u = g(rng) / std::sqrt(static_cast<float>(d));
  const std::vector<float> x = make_embeddings(1, n, centres, U);
  const std::vector<float> qs = make_embeddings(2, queries, centres, U);

  // Ground truth: exact nearest neighbours of each query.
  std::vector<std::vector<std::size_t>> truth(queries);
  std::vector<float> dist(n);
  for (std::size_t q = 0; q < queries; ++q) {
    for (std::size_t i = 0; i < n; ++i) dist[i] = l2sq(&qs[q * d], &x[i * d]);
    truth[q] = nearest(dist);
  }
  // Recall of a search over reconstructed vectors xr.
  auto recall_of = [&](const std::vector<float>& xr) {
    double r = 0;
    for (std::size_t q = 0; q < queries; ++q) {
      for (std::size_t i = 0; i < n; ++i) dist[i] = l2sq(&qs[q * d], &xr[i * d]);
      r += overlap(truth[q], nearest(dist));
    }
    return r / queries;
  };
  auto report = [&](const char* name, double bytes_per_vector, const std::vector<float>& xr, double recall) {
    auto e = qmath::compare(x, xr);
    const double db = e ? e->sqnr_db() : NAN;
    char sq[32];
    std::snprintf(sq, sizeof sq, std::isinf(db) ? "exact" : "%.2f dB", db);
    std::printf("%-30s %8.1f B %7.1fx %12s %9.3f\n", name, bytes_per_vector, 4.0 * d / bytes_per_vector, sq, recall);
  };
  std::printf("%zu embeddings, d = %zu; recall@%zu over %zu queries\n\n", n, d, top, queries);
  std::printf("%-30s %10s %8s %12s %9s\n", "storage", "per vec", "ratio", "SQNR", "recall");
  report("float32", 4.0 * d, x, 1.0);

  // int8, one symmetric scale per vector: per_channel<0> on the [n, d] matrix.
  {
    using S = qmath::scheme<8, qmath::signedness::signed_int, qmath::mapping::symmetric, qmath::per_channel<0>>;
    const std::size_t shape[2] = {n, d};
    qmath::qparams_options qo;
    qo.convention = qmath::qparams_convention::tflite;
    auto p = qmath::compute_qparams<S>(x, shape, qo);
    if (!p) return std::puts(p.error().message().c_str()), 1;
    std::vector<std::int8_t> q(x.size());
    std::vector<float> xr(x.size());
    if (!qmath::quantize(std::span<const float>(x), shape, *p, std::span<std::int8_t>(q)) ||
        !qmath::dequantize(std::span<const std::int8_t>(q), shape, *p, std::span<float>(xr)))
      return 1;
    report("int8, scale per vector", d + 4.0, xr, recall_of(xr));
  }

  // Product quantization: M sub-spaces, 256 centroids each (qmath::kmeans inside).
  double pq8_recall = 0, kmeans_recall = 0;
  for (std::size_t M : {std::size_t{16}, std::size_t{8}}) {
    qmath::pq_options o;
    o.M = M;
    o.nbits = 8;
    o.max_iter = 15;
    auto pq = qmath::product_quantizer::train(x, d, o);
    if (!pq) return std::puts(pq.error().message().c_str()), 1;
    std::vector<std::uint8_t> codes(n * pq->code_size());
    if (auto st = pq->encode(x, codes); !st) return std::puts(st.message().c_str()), 1;
    std::vector<float> xr(x.size());
    if (auto st = pq->decode(codes, xr); !st) return std::puts(st.message().c_str()), 1;
    // Search with asymmetric distances: one lookup table per query, then a
    // scan of the codes (the vectors are never decompressed).
    std::vector<float> lut(pq->M() * pq->ksub());
    double r = 0;
    for (std::size_t q = 0; q < queries; ++q) {
      if (!pq->distance_table(std::span<const float>(&qs[q * d], d), lut) || !pq->adc_scan(lut, codes, dist)) return 1;
      r += overlap(truth[q], nearest(dist));
    }
    r /= queries;
    if (M == 8) pq8_recall = r;
    const std::string name = "PQ M=" + std::to_string(M) + " x 8 bits (ADC)";
    report(name.c_str(), static_cast<double>(pq->code_size()), xr, r);
  }

  // Plain k-means: each vector replaced by its nearest of 256 centroids.
  {
    qmath::kmeans_options o;
    o.k = 256;
    o.max_iter = 15;
    auto km = qmath::kmeans(x, d, o);
    if (!km) return std::puts(km.error().message().c_str()), 1;
    std::vector<std::uint32_t> idx(n);
    if (auto st = qmath::kmeans_assign(x, d, km->centroids, idx); !st) return std::puts(st.message().c_str()), 1;
    std::vector<float> xr(x.size());
    for (std::size_t i = 0; i < n; ++i)
      std::copy_n(&km->centroids[idx[i] * d], d, &xr[i * d]);
    kmeans_recall = recall_of(xr);
    report("k-means, 256 centroids", 1.0, xr, kmeans_recall);
    std::printf("\nk-means objective: %.1f after %zu iterations (from %.1f)\n", km->objective.back(), km->iterations,
                km->objective.front());
  }
  std::printf("PQ keeps neighbour search usable at 32x compression, where one centroid per vector cannot.\n");
  return pq8_recall > kmeans_recall ? 0 : 1;
}
