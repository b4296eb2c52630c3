#pragma once
// Vector k-means (Lloyd) with k-means++ or random initialisation.
//
// Given n points x_i in R^d (row-major, n*d floats) and k <= n, k-means looks
// for centroids c_0..c_{k-1} minimising the objective
//     J = sum_i min_j ||x_i - c_j||^2 .
// Each Lloyd iteration
//   1. assigns every point to its nearest centroid, with the blocked form
//      ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2 (dispatched SIMD kernel, see
//      codebook/kernels.hpp for the exact arithmetic; ties go to the lowest
//      centroid index), and records J for that assignment in `objective`;
//   2. moves every centroid to the mean of its points (sums in double, in
//      point order, then rounded to float);
//   3. re-seeds each empty cluster (in index order) by splitting the largest
//      cluster j (most points, lowest index on ties): the empty centroid takes
//      c_j * (1 + eps) on even coordinates and c_j * (1 - eps) on odd ones, c_j
//      the opposite, eps = 1/1024, and the two share c_j's points (Faiss's
//      rule, with the largest cluster instead of a random draw).
// It stops after `max_iter` iterations, when no assignment changed (a fixed
// point: `converged`), or when the relative decrease of J falls to
// `tolerance` or below (tolerance > 0).
//
// Subsampling: when n > k * max_points_per_centroid (and that product is not
// 0), k-means trains on k * max_points_per_centroid points drawn without
// replacement (seeded), as Faiss does; `n_train` reports the count.
//
// Determinism: the result is a function of (data, options) only. The
// arithmetic that decides assignments is identical on every ISA level (one
// fused multiply-add per coordinate, vectorised across centroids), the random
// source is splitmix64 seeded by `seed`, and the library runs on the calling
// thread, except the assignment step, which `num_threads` may split over
// threads by rows (each row's result is independent of the split); centroid
// sums are always accumulated on the calling thread in point order. So any
// thread count and any QMATH_MAX_ISA give the same bits.
//
// Degenerate but legal input: fewer distinct points than k leaves duplicate
// centroids (their clusters may stay empty; `splits` counts re-seeds).
// Magnitudes so large that squared distances overflow float are outside the
// domain (assignments then fall to the lowest index). The expanded distance
// cancels when clusters are tiny relative to their distance from the origin
// (see kernels.hpp): centre such data first if that matters.
//
// Cost: O(n k d) per iteration; k-means++ costs O(n k d) once more.
//
// Example:
//   qmath::kmeans_options o;  o.k = 256;  o.max_iter = 25;
//   auto r = qmath::kmeans(x, 64, o);           // x: n*64 floats
//   if (!r) puts(r.error().message().c_str());
//   else    use(r->centroids, r->objective.back());

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "qmath/codebook/detail/common.hpp"
#include "qmath/core/status.hpp"

namespace qmath {

enum class kmeans_init : std::uint8_t {
  random,            ///< k distinct training points, drawn uniformly (Faiss's default)
  kmeans_plus_plus,  ///< D^2 sampling (Arthur & Vassilvitskii 2007)
  given,             ///< the `init_centroids` argument
};

struct kmeans_options {
  std::size_t k = 0;                          ///< number of centroids, 1 <= k <= n, k <= 2^32 - 1
  std::size_t max_iter = 25;                  ///< Lloyd iterations (0: initialisation only)
  kmeans_init init = kmeans_init::random;
  std::uint64_t seed = 1234;
  double tolerance = 0.0;                     ///< stop when (J_prev - J) <= tolerance * J_prev
  std::size_t max_points_per_centroid = 256;  ///< subsampling cap; 0 = use every point
  std::size_t num_threads = 1;                ///< threads for the assignment step (same result for any value)
};

struct kmeans_result {
  std::size_t k = 0, d = 0;
  std::vector<float> centroids;    ///< k x d, row-major
  std::vector<double> objective;   ///< J at each iteration's assignment (before its update)
  std::size_t iterations = 0;      ///< Lloyd iterations run
  std::size_t n_train = 0;         ///< points used (after subsampling)
  std::size_t splits = 0;          ///< empty clusters re-seeded, all iterations
  bool converged = false;          ///< stopped at a fixed point or by tolerance
};

namespace detail {

/// ||x_i||^2 for n rows with the kernel's normative reduction.
inline void row_norms(const float* x, std::size_t n, std::size_t d, float* out) {
  const std::vector<float> zero(d, 0.0f);
  codebook_select()->l2sq_rows(x, d, n, d, zero.data(), out);
}

/// k distinct indices of [0, n), drawn by a partial Fisher-Yates shuffle.
inline std::vector<std::uint32_t> sample_without_replacement(std::size_t n, std::size_t k, std::uint64_t seed) {
  std::vector<std::uint32_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<std::uint32_t>(i);
  splitmix64 g{seed};
  for (std::size_t i = 0; i < k && i + 1 < n; ++i) std::swap(perm[i], perm[i + g.below(n - i)]);
  perm.resize(k);
  return perm;
}

inline void kmeans_plus_plus(const float* x, std::size_t n, std::size_t d, std::size_t k, std::uint64_t seed,
                             float* centroids) {
  splitmix64 g{seed};
  const codebook_kernels* kern = codebook_select();
  std::vector<float> dmin(n), dnew(n);
  std::size_t first = static_cast<std::size_t>(g.below(n));
  std::copy(x + first * d, x + first * d + d, centroids);
  kern->l2sq_rows(x, d, n, d, centroids, dmin.data());
  for (std::size_t j = 1; j < k; ++j) {
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) total += dmin[i];
    std::size_t pick = 0;
    if (total > 0.0) {
      const double r = g.u01() * total;
      double acc = 0.0;
      pick = n - 1;
      for (std::size_t i = 0; i < n; ++i) {
        acc += dmin[i];
        if (acc > r && dmin[i] > 0.0f) {
          pick = i;
          break;
        }
      }
    } else {
      pick = static_cast<std::size_t>(g.below(n));  // every point coincides with a centroid
    }
    float* c = centroids + j * d;
    std::copy(x + pick * d, x + pick * d + d, c);
    kern->l2sq_rows(x, d, n, d, c, dnew.data());
    for (std::size_t i = 0; i < n; ++i) dmin[i] = std::min(dmin[i], dnew[i]);
  }
}

/// One assignment: idx, J (double, clamped per point at 0) and the number of
/// assignments that differ from `prev` (if non-empty).
inline double assign_points(const centroid_panels& cp, const float* x, std::size_t n, const float* xnorm,
                            std::uint32_t* idx, float* e, std::size_t threads) {
  cp.nearest(x, cp.d, n, idx, e, threads);
  double obj = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(xnorm[i]) + static_cast<double>(e[i]);
    obj += v > 0.0 ? v : 0.0;
  }
  return obj;
}

/// Centroid update + empty-cluster split. Returns the number of splits.
inline std::size_t update_centroids(const float* x, std::size_t n, std::size_t d, std::size_t k,
                                    const std::uint32_t* idx, float* centroids, std::vector<double>& sums,
                                    std::vector<std::size_t>& count) {
  sums.assign(k * d, 0.0);
  count.assign(k, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t j = idx[i];
    ++count[j];
    double* s = sums.data() + j * d;
    const float* xi = x + i * d;
    for (std::size_t t = 0; t < d; ++t) s[t] += xi[t];
  }
  for (std::size_t j = 0; j < k; ++j) {
    if (count[j] == 0) continue;
    const double inv = 1.0 / static_cast<double>(count[j]);
    for (std::size_t t = 0; t < d; ++t) centroids[j * d + t] = static_cast<float>(sums[j * d + t] * inv);
  }
  std::size_t splits = 0;
  constexpr float eps = 1.0f / 1024.0f;
  for (std::size_t j = 0; j < k; ++j) {
    if (count[j] != 0) continue;
    std::size_t big = 0;
    for (std::size_t m = 1; m < k; ++m)
      if (count[m] > count[big]) big = m;
    if (count[big] < 2) break;  // cannot happen when k <= n
    float* ce = centroids + j * d;
    float* cb = centroids + big * d;
    for (std::size_t t = 0; t < d; ++t) {
      const float v = cb[t];
      if (t % 2 == 0) {
        ce[t] = v * (1.0f + eps);
        cb[t] = v * (1.0f - eps);
      } else {
        ce[t] = v * (1.0f - eps);
        cb[t] = v * (1.0f + eps);
      }
    }
    count[j] = count[big] / 2;
    count[big] -= count[j];
    ++splits;
  }
  return splits;
}

}  // namespace detail

/// Nearest centroid of every row of x (n x d): idx[i] = argmin_j ||x_i - c_j||^2
/// (lowest j on ties); dist (optional, size n or empty) receives
/// max(0, ||x_i||^2 + ||c_j||^2 - 2 x_i.c_j) computed as in kernels.hpp.
inline status kmeans_assign(std::span<const float> x, std::size_t d, std::span<const float> centroids,
                            std::span<std::uint32_t> idx, std::span<float> dist = {}) {
  if (d == 0) return invalid_argument("d", "must be >= 1");
  if (x.size() % d != 0) return size_mismatch("x", "size must be a multiple of d");
  if (centroids.empty()) return empty_input("centroids");
  if (centroids.size() % d != 0) return size_mismatch("centroids", "size must be a multiple of d");
  const std::size_t n = x.size() / d, k = centroids.size() / d;
  if (k > 0xFFFFFFFFull) return out_of_range("centroids", "at most 2^32 - 1 centroids");
  if (idx.size() != n) return size_mismatch("idx", "must hold one index per row of x");
  if (!dist.empty() && dist.size() != n) return size_mismatch("dist", "must be empty or hold one value per row");
  QMATH_TRY(detail::check_no_overlap(idx, x, "idx"));
  QMATH_TRY(detail::check_no_overlap(idx, centroids, "idx"));
  QMATH_TRY(detail::check_no_overlap(dist, x, "dist"));
  QMATH_TRY(detail::check_no_overlap(dist, centroids, "dist"));
  QMATH_TRY(detail::check_no_overlap(dist, idx, "dist"));
  QMATH_TRY(detail::check_finite(x, "x"));
  QMATH_TRY(detail::check_finite(centroids, "centroids"));
  detail::centroid_panels cp;
  cp.assign(centroids.data(), k, d);
  std::vector<float> e(n);
  cp.nearest(x.data(), d, n, idx.data(), e.data());
  if (!dist.empty()) {
    std::vector<float> xn(n);
    detail::row_norms(x.data(), n, d, xn.data());
    for (std::size_t i = 0; i < n; ++i) {
      const float v = xn[i] + e[i];
      dist[i] = v > 0.0f ? v : 0.0f;
    }
  }
  return ok_status;
}

/// Train k-means on x (n x d, row-major). `init_centroids` (k x d) is read
/// only with kmeans_init::given. Errors: d == 0, x empty or not a multiple
/// of d, k == 0 or k > n, non-finite data, bad init_centroids.
inline result<kmeans_result> kmeans(std::span<const float> x, std::size_t d, const kmeans_options& opt,
                                    std::span<const float> init_centroids = {}) {
  if (d == 0) return invalid_argument("d", "must be >= 1");
  if (x.empty()) return empty_input("x");
  if (x.size() % d != 0) return size_mismatch("x", "size must be a multiple of d");
  const std::size_t n = x.size() / d, k = opt.k;
  if (k == 0) return invalid_argument("k", "must be >= 1");
  if (k > n) return out_of_range("k", "must not exceed the number of points");
  if (k > 0xFFFFFFFFull) return out_of_range("k", "at most 2^32 - 1 centroids");
  if (!(opt.tolerance >= 0.0)) return invalid_argument("tolerance", "must be >= 0");
  if (opt.init == kmeans_init::given && init_centroids.size() != k * d)
    return size_mismatch("init_centroids", "must hold k x d values");
  QMATH_TRY(detail::check_finite(x, "x"));
  if (opt.init == kmeans_init::given) QMATH_TRY(detail::check_finite(init_centroids, "init_centroids"));

  kmeans_result res;
  res.k = k;
  res.d = d;
  // Training set (subsampled as Faiss does when too large).
  const float* xt = x.data();
  std::size_t nt = n;
  std::vector<float> sub;
  const std::size_t cap = opt.max_points_per_centroid;
  if (cap != 0 && k <= n / cap && n > k * cap) {
    std::vector<std::uint32_t> pick = detail::sample_without_replacement(n, k * cap, opt.seed);
    std::sort(pick.begin(), pick.end());
    nt = pick.size();
    sub.resize(nt * d);
    for (std::size_t i = 0; i < nt; ++i) std::copy(xt + pick[i] * d, xt + pick[i] * d + d, sub.data() + i * d);
    xt = sub.data();
  }
  res.n_train = nt;
  res.centroids.resize(k * d);
  const std::uint64_t init_seed = opt.seed ^ 0x5DEECE66Dull;
  switch (opt.init) {
    case kmeans_init::given:
      std::copy(init_centroids.begin(), init_centroids.end(), res.centroids.begin());
      break;
    case kmeans_init::random: {
      const std::vector<std::uint32_t> pick = detail::sample_without_replacement(nt, k, init_seed);
      for (std::size_t j = 0; j < k; ++j)
        std::copy(xt + pick[j] * d, xt + pick[j] * d + d, res.centroids.data() + j * d);
      break;
    }
    case kmeans_init::kmeans_plus_plus:
      detail::kmeans_plus_plus(xt, nt, d, k, init_seed, res.centroids.data());
      break;
  }
  if (opt.max_iter == 0) return res;

  std::vector<float> xn(nt), e(nt);
  detail::row_norms(xt, nt, d, xn.data());
  std::vector<std::uint32_t> idx(nt), prev;
  std::vector<double> sums;
  std::vector<std::size_t> count;
  detail::centroid_panels cp;
  res.objective.reserve(opt.max_iter);
  for (std::size_t it = 0; it < opt.max_iter; ++it) {
    cp.assign(res.centroids.data(), k, d);
    const double obj = detail::assign_points(cp, xt, nt, xn.data(), idx.data(), e.data(), opt.num_threads);
    res.objective.push_back(obj);
    res.iterations = it + 1;
    if (it > 0 && idx == prev) {  // fixed point: the update would change nothing
      res.converged = true;
      break;
    }
    res.splits += detail::update_centroids(xt, nt, d, k, idx.data(), res.centroids.data(), sums, count);
    if (it > 0 && opt.tolerance > 0.0) {
      const double before = res.objective[it - 1];
      if (before - obj <= opt.tolerance * before) {
        res.converged = true;
        break;
      }
    }
    prev.swap(idx);
    idx.resize(nt);
  }
  return res;
}

}  // namespace qmath
