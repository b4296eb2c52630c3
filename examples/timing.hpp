#pragma once
// Timing for the examples and qmath-report --bench: several functions are
// measured in interleaved rounds (each round runs every function for ~2 ms),
// so that load from other processes hits them alike, and each gets the best
// (minimum) time per call over the rounds — the least disturbed estimate on a
// shared machine. Ratios of these times compare like with like.
#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace report {

inline std::vector<double> best_of_interleaved(const std::vector<std::function<void()>>& fs, double seconds = 0.3,
                                               int min_rounds = 9) {
  using clock = std::chrono::steady_clock;
  std::vector<int> reps(fs.size(), 1);
  for (std::size_t v = 0; v < fs.size(); ++v) {  // warm up and size the batches
    for (;;) {
      const auto t0 = clock::now();
      for (int r = 0; r < reps[v]; ++r) fs[v]();
      if (std::chrono::duration<double>(clock::now() - t0).count() >= 2e-3 || reps[v] >= (1 << 20)) break;
      reps[v] *= 2;
    }
  }
  std::vector<double> best(fs.size(), 1e300);
  const auto start = clock::now();
  for (int round = 0; round < 1000; ++round) {
    for (std::size_t v = 0; v < fs.size(); ++v) {
      const auto t0 = clock::now();
      for (int r = 0; r < reps[v]; ++r) fs[v]();
      best[v] = std::min(best[v], std::chrono::duration<double>(clock::now() - t0).count() / reps[v]);
    }
    if (round + 1 >= min_rounds && std::chrono::duration<double>(clock::now() - start).count() > seconds) break;
  }
  return best;
}

}  // namespace report
