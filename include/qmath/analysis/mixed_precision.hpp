#pragma once
// Mixed-precision allocation: choose one option (scheme) per tensor.
//
// Problem A (allocate_bits): tensor i has options j with size c_ij (bits, a
// non-negative integer, e.g. numel * bits + qparams overhead) and error e_ij
// (e.g. sum of squared error, or MSE times an importance weight w_i):
//     minimise  sum_i w_i e_(i, j_i)   subject to   sum_i c_(i, j_i) <= budget.
// This is the multiple-choice knapsack problem. Two solvers:
//   exact_dp:   dynamic programming over the budget in units of g = gcd of all
//               sizes: O(n * options * budget/g) time, n * budget/g bytes to
//               backtrack. Optimal.
//   lagrangian: per tensor the lower convex hull of (size, error); start at the
//               smallest option, then apply hull upgrades in order of error
//               saved per bit while they fit. Its LP relaxation value is a
//               certified lower bound L on the optimum (the greedy order is the
//               LP optimum; only the first upgrade that does not fit would be
//               taken fractionally), so the answer E satisfies
//               L <= OPT <= E, and E - L <= the error saved by that single
//               blocked upgrade. Both values are returned.
//   automatic (default): exact_dp when n * options * budget/g <= 2e8 and the
//               backtracking table fits in 256 MiB, else lagrangian.
// Errors: no tensor or option; negative / non-finite sizes or errors; the
// smallest options together exceed the budget.
//
// Problem B (smallest_meeting_sqnr): the smallest total size such that every
// tensor reaches sqnr >= min_sqnr_db. The constraints are separable, so the
// per-tensor cheapest qualifying option is exactly optimal; a tensor with no
// qualifying option is an error naming its index.
//
// Example:
//   std::vector<qmath::mp_tensor> t = ...;   // options from a sensitivity table
//   auto sol = qmath::allocate_bits(t, 4.5 * total_numel);
//   // sol->choice[i]: chosen option of tensor i; sol->optimal: proven optimal

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "qmath/core/status.hpp"

namespace qmath {

struct mp_option {
  double bits = 0;   ///< size of the tensor under this option (integer-valued)
  double error = 0;  ///< its error (before the tensor weight)
  double sqnr_db = 0;  ///< used by smallest_meeting_sqnr only
};

struct mp_tensor {
  std::vector<mp_option> options;
  double weight = 1.0;
};

struct mp_solution {
  std::vector<std::size_t> choice;  ///< option per tensor
  double total_bits = 0;
  double total_error = 0;   ///< sum of weight * error
  double lower_bound = 0;   ///< certified lower bound on the optimal error
  bool optimal = false;     ///< proven optimal (exact_dp, or the bound is met)
};

enum class mp_method : unsigned char { automatic, exact_dp, lagrangian };

namespace detail {

inline status check_mp(std::span<const mp_tensor> t) {
  if (t.empty()) return empty_input("tensors");
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i].options.empty()) return status(errc::empty_input, "tensors", "a tensor has no option", i);
    if (!(t[i].weight >= 0) || !std::isfinite(t[i].weight))
      return status(errc::invalid_argument, "tensors", "weight must be finite and >= 0", i);
    for (const mp_option& o : t[i].options) {
      if (!(o.bits >= 0) || !std::isfinite(o.bits) || o.bits != std::floor(o.bits) || o.bits > 9.0e15)
        return status(errc::invalid_argument, "tensors", "option bits must be a non-negative integer", i);
      if (!(o.error >= 0) || !std::isfinite(o.error))
        return status(errc::invalid_argument, "tensors", "option error must be finite and >= 0", i);
    }
  }
  return ok_status;
}

inline void finish(std::span<const mp_tensor> t, mp_solution& s) {
  s.total_bits = 0;
  s.total_error = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    s.total_bits += t[i].options[s.choice[i]].bits;
    s.total_error += t[i].weight * t[i].options[s.choice[i]].error;
  }
}

inline result<mp_solution> solve_lagrangian(std::span<const mp_tensor> t, double budget) {
  struct up {
    std::size_t tensor, from, to;
    double dbits, derr;
  };
  mp_solution s;
  s.choice.resize(t.size());
  std::vector<up> ups;
  double used = 0, err = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto& o = t[i].options;
    std::vector<std::size_t> idx(o.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      return o[a].bits != o[b].bits ? o[a].bits < o[b].bits : o[a].error < o[b].error;
    });
    // Lower convex hull of (bits, weighted error), keeping only error-decreasing points.
    std::vector<std::size_t> hull;
    for (std::size_t k : idx) {
      const double e = t[i].weight * o[k].error;
      if (!hull.empty() && (o[k].bits == o[hull.back()].bits || e >= t[i].weight * o[hull.back()].error)) continue;
      while (hull.size() >= 2) {
        const std::size_t a = hull[hull.size() - 2], b = hull.back();
        const double ea = t[i].weight * o[a].error, eb = t[i].weight * o[b].error;
        // b is above segment a-k: drop it.
        if ((eb - ea) * (o[k].bits - o[a].bits) >= (e - ea) * (o[b].bits - o[a].bits)) hull.pop_back();
        else break;
      }
      hull.push_back(k);
    }
    s.choice[i] = hull.front();
    used += o[hull.front()].bits;
    err += t[i].weight * o[hull.front()].error;
    for (std::size_t h = 1; h < hull.size(); ++h)
      ups.push_back({i, hull[h - 1], hull[h], o[hull[h]].bits - o[hull[h - 1]].bits,
                     t[i].weight * (o[hull[h - 1]].error - o[hull[h]].error)});
  }
  if (used > budget) return invalid_argument("budget", "smaller than the smallest options of all tensors");
  std::stable_sort(ups.begin(), ups.end(), [](const up& a, const up& b) { return a.derr * b.dbits > b.derr * a.dbits; });
  std::vector<bool> blocked(t.size(), false);
  double bound = -1;
  for (const up& u : ups) {
    if (blocked[u.tensor]) continue;
    if (used + u.dbits <= budget) {
      used += u.dbits;
      err -= u.derr;
      s.choice[u.tensor] = u.to;
    } else {
      if (bound < 0) bound = err - u.derr * (budget - used) / u.dbits;  // LP optimum
      blocked[u.tensor] = true;
    }
  }
  finish(t, s);
  s.lower_bound = bound < 0 ? s.total_error : std::min(bound, s.total_error);
  s.optimal = s.total_error <= s.lower_bound;
  return s;
}

inline std::uint64_t gcd_u64(std::uint64_t a, std::uint64_t b) noexcept { return std::gcd(a, b); }

}  // namespace detail

/// Problem A (see file comment).
inline result<mp_solution> allocate_bits(std::span<const mp_tensor> t, double budget_bits,
                                         mp_method method = mp_method::automatic) {
  QMATH_TRY(detail::check_mp(t));
  if (!(budget_bits >= 0) || !std::isfinite(budget_bits)) return invalid_argument("budget", "must be finite and >= 0");
  std::uint64_t g = 0;
  std::size_t options = 0;
  for (const mp_tensor& x : t)
    for (const mp_option& o : x.options) {
      g = detail::gcd_u64(g, static_cast<std::uint64_t>(o.bits));
      ++options;
    }
  if (g == 0) g = 1;
  const double units = std::floor(budget_bits / static_cast<double>(g));
  const double work = static_cast<double>(options) * (units + 1);
  const double table = static_cast<double>(t.size()) * (units + 1);
  bool dp = method == mp_method::exact_dp;
  if (method == mp_method::automatic) dp = work <= 2e8 && table <= 256.0 * 1024 * 1024;
  if (method == mp_method::exact_dp && table > 1024.0 * 1024 * 1024)
    return invalid_argument("budget", "too many budget units for exact_dp (use lagrangian)");
  auto lag = detail::solve_lagrangian(t, budget_bits);
  if (!lag || !dp) return lag;
  // Exact DP; dp[b] = min error using budget units b (non-decreasing budget use).
  const std::size_t B = static_cast<std::size_t>(units);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> cur(B + 1, 0.0), nxt(B + 1);
  std::vector<std::uint16_t> pick(t.size() * (B + 1));
  if (options > 65535) return invalid_argument("tensors", "too many options for exact_dp");
  for (std::size_t i = 0; i < t.size(); ++i) {
    std::fill(nxt.begin(), nxt.end(), inf);
    const auto& o = t[i].options;
    for (std::size_t j = 0; j < o.size(); ++j) {
      const std::size_t c = static_cast<std::size_t>(static_cast<std::uint64_t>(o[j].bits) / g);
      const double e = t[i].weight * o[j].error;
      for (std::size_t b = c; b <= B; ++b) {
        const double v = cur[b - c] + e;
        if (v < nxt[b]) {
          nxt[b] = v;
          pick[i * (B + 1) + b] = static_cast<std::uint16_t>(j);
        }
      }
    }
    cur.swap(nxt);
  }
  mp_solution s;
  s.choice.resize(t.size());
  std::size_t b = B;
  for (std::size_t i = t.size(); i-- > 0;) {
    const std::size_t j = pick[i * (B + 1) + b];
    s.choice[i] = j;
    b -= static_cast<std::size_t>(static_cast<std::uint64_t>(t[i].options[j].bits) / g);
  }
  detail::finish(t, s);
  s.lower_bound = s.total_error;
  s.optimal = true;
  return s;
}

/// Problem B (see file comment): uses mp_option::sqnr_db.
inline result<mp_solution> smallest_meeting_sqnr(std::span<const mp_tensor> t, double min_sqnr_db) {
  QMATH_TRY(detail::check_mp(t));
  mp_solution s;
  s.choice.resize(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    bool found = false;
    for (std::size_t j = 0; j < t[i].options.size(); ++j) {
      const mp_option& o = t[i].options[j];
      if (!(o.sqnr_db >= min_sqnr_db)) continue;
      const mp_option& cur = t[i].options[s.choice[i]];
      if (!found || o.bits < cur.bits || (o.bits == cur.bits && o.error < cur.error)) s.choice[i] = j;
      found = true;
    }
    if (!found) return status(errc::invalid_argument, "min_sqnr_db", "no option of this tensor reaches it", i);
  }
  detail::finish(t, s);
  s.lower_bound = s.total_error;
  s.optimal = true;
  return s;
}

}  // namespace qmath
