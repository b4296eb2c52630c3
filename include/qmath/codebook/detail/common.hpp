#pragma once
// Private helpers of the codebook module: PRNG, input checks, centroid
// panels for the nearest-centroid kernel.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <thread>
#include <vector>

#include "qmath/codebook/kernels.hpp"
#include "qmath/core/status.hpp"
#include "qmath/detail/checks.hpp"

namespace qmath::detail {

/// splitmix64 (Steele, Lea, Flood 2014): the module's only random source, so
/// results depend on the seed alone (not on the standard library).
struct splitmix64 {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double u01() noexcept { return static_cast<double>(next() >> 11) * 0x1p-53; }
  /// Uniform in [0, m) (m > 0; modulo bias below 2^-24 for m < 2^40).
  std::uint64_t below(std::uint64_t m) noexcept { return next() % m; }
};

/// First non-finite element, or x.size().
/// ||c||^2 as the fused chain of kernels.hpp: fma(c[d-1], c[d-1], ... fma(c[0], c[0], 0)).
inline float squared_norm_fma(const float* c, std::size_t d) noexcept {
  float s = 0.0f;
  for (std::size_t t = 0; t < d; ++t) s = std::fma(c[t], c[t], s);
  return s;
}

/// Runs f(begin, count) over [0, n) in at most `threads` contiguous chunks of
/// whole row blocks, chunk 0 on the calling thread. Work per row must not
/// depend on the chunking (so results are independent of the thread count).
template <class F>
void parallel_rows(std::size_t n, std::size_t threads, F&& f) {
  const std::size_t blocks = (n + codebook_row_block - 1) / codebook_row_block;
  std::size_t t = threads == 0 ? 1 : threads;
  if (t > blocks) t = blocks;
  if (t <= 1) {
    f(std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(t - 1);
  std::size_t chunk0 = 0;
  for (std::size_t c = 0; c < t; ++c) {
    const std::size_t b0 = blocks * c / t * codebook_row_block;
    std::size_t b1 = blocks * (c + 1) / t * codebook_row_block;
    if (b1 > n) b1 = n;
    if (c == 0) {
      chunk0 = b1;
      continue;
    }
    pool.emplace_back([&f, b0, b1] { f(b0, b1 - b0); });
  }
  f(std::size_t{0}, chunk0);
  for (std::thread& th : pool) th.join();
}

/// k centroids (row-major k x d) packed in panels of 32 for codebook_kernels::nearest.
struct centroid_panels {
  std::size_t k = 0, d = 0, npanels = 0;
  std::vector<float> panels;  // npanels x d x 32
  std::vector<float> cnorm;   // npanels x 32, +inf for padding

  void assign(const float* c, std::size_t k_, std::size_t d_) {
    k = k_;
    d = d_;
    npanels = (k + codebook_panel - 1) / codebook_panel;
    panels.assign(npanels * d * codebook_panel, 0.0f);
    cnorm.assign(npanels * codebook_panel, std::numeric_limits<float>::infinity());
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t p = j / codebook_panel, q = j % codebook_panel;
      float* dst = panels.data() + p * d * codebook_panel + q;
      const float* src = c + j * d;
      for (std::size_t t = 0; t < d; ++t) dst[t * codebook_panel] = src[t];
      cnorm[j] = squared_norm_fma(src, d);
    }
  }

  /// idx[i] (and e[i] if non-null) for n rows of x with stride ldx, on up to
  /// `threads` threads (rows are independent: the result does not depend on it).
  void nearest(const float* x, std::size_t ldx, std::size_t n, std::uint32_t* idx, float* e,
               std::size_t threads = 1) const {
    if (n == 0) return;
    const codebook_kernels* k = codebook_select();
    parallel_rows(n, threads, [&](std::size_t b, std::size_t r) {
      k->nearest(x + b * ldx, ldx, r, d, panels.data(), cnorm.data(), npanels, idx + b, e ? e + b : nullptr);
    });
  }
};

}  // namespace qmath::detail
