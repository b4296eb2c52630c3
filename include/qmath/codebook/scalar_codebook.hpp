#pragma once
// Scalar (1-D) codebooks: non-uniform quantization of single values.
//
// A codebook is L sorted levels l_0 <= ... <= l_{L-1} (2 <= L <= 256). A
// value x is encoded as the index of its nearest level; with the thresholds
//     t_j = 0.5f * l_j + 0.5f * l_{j+1}      (float, j = 0..L-2)
// the index is  q(x) = #{ j : t_j < x }  (a value exactly on a threshold takes
// the lower level), and decode(q) = l_q.
//
// Fitting minimises the weighted squared error  sum_i w_i (x_i - l_{q(x_i)})^2
// (w_i = 1 without weights) over one group of values. Two solvers work on the
// sorted, merged values (equal values merged, weights summed) with prefix sums
// of w, w*x, w*x^2 in double (values shifted by their weighted mean), so the
// cost of a cell of consecutive values is O(1):
//   lloyd    Lloyd-Max iterations: thresholds at midpoints, each level moves to
//            the weighted mean of its cell (binary search + prefix sums, so an
//            iteration costs O(L log n)). Starts from weighted quantiles;
//            stops when no level moves more than tolerance * (max - min) or
//            after max_iter iterations. A local optimum.
//   optimal  The exact minimum: dynamic programming over the sorted values,
//            D_m(j) = min_i D_{m-1}(i) + cost(i, j), each layer's minima found
//            by SMAWK (the 1-D squared-error cost is Monge, so the matrix of a
//            layer is totally monotone): O(L n) time and
//            L * n * 4 bytes for the back-pointers (n = distinct values; more
//            than 2^27 entries (512 MiB) is refused with errc::unsupported).
// Groups: values are fitted in consecutive groups of group_size (per tensor:
// group_size = size; per channel of a row-major [channels x k] tensor:
// group_size = k; per group of g along rows: group_size = g, dividing k).
// Codebooks are stored group after group, L levels each.
// Fewer than L distinct values (with non-zero weight): the codebook holds the
// distinct values, and the remaining levels repeat the largest (error 0).
//
// Fixed grids (levels in [-1, 1], scaled per group by scaled_grid_codebooks):
//   normal_float_levels(b)  NF-b (QLoRA's NF4 for b = 4): 2^(b-1) positive and
//                           2^(b-1) - 1 negative N(0,1) quantiles plus 0,
//                           divided by the largest.
//   log_levels(c, base, z)  +-base^-e, e = 0..c-1 (and 0 if z).
//   power_of_two_levels(b)  log_levels(2^(b-1) - 1, 2, true): 2^b - 1 levels.
//
// Known answers: for N(0,1) the optimal MSE is 0.3634 (1 bit), 0.11748
// (2 bits), 0.034548 (3 bits), 0.0095010 (4 bits) (Max 1960).
//
// Example:
//   qmath::scalar_codebook_options o;  o.levels = 16;
//   std::vector<float> cb(16);
//   auto sse = qmath::fit_scalar_codebook(w, {}, o, cb);   // per tensor
//   std::vector<std::uint8_t> q(w.size());
//   qmath::scalar_encode(w, w.size(), cb, 16, q);

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "qmath/codebook/detail/common.hpp"
#include "qmath/core/status.hpp"

namespace qmath {

enum class scalar_codebook_method : std::uint8_t { lloyd, optimal };

struct scalar_codebook_options {
  std::size_t levels = 16;  ///< L, 2..256
  scalar_codebook_method method = scalar_codebook_method::lloyd;
  std::size_t max_iter = 1000;  ///< Lloyd iterations
  double tolerance = 1e-7;      ///< Lloyd stop: max level move <= tolerance * (max - min)
};

namespace detail {

struct sorted_values {
  std::vector<double> v;               // distinct values, ascending, minus `shift`
  std::vector<double> s0, s1, s2;      // prefix sums of w, w v, w v^2 (size n + 1)
  double shift = 0;
  std::size_t size() const noexcept { return v.size(); }
  double cost(std::size_t i, std::size_t j) const noexcept {  // cells [i, j)
    const double w = s0[j] - s0[i];
    if (w <= 0) return 0;
    const double a = s1[j] - s1[i];
    const double c = (s2[j] - s2[i]) - a * a / w;
    return c > 0 ? c : 0;
  }
  double mean(std::size_t i, std::size_t j) const noexcept { return (s1[j] - s1[i]) / (s0[j] - s0[i]); }
};

inline status prepare_values(std::span<const float> x, std::span<const float> w, sorted_values& out) {
  std::vector<std::pair<float, float>> p;
  p.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float wi = w.empty() ? 1.0f : w[i];
    if (wi > 0.0f) p.emplace_back(x[i], wi);
  }
  if (p.empty()) return invalid_argument("weights", "at least one weight must be > 0");
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double tw = 0, twx = 0;
  for (const auto& e : p) tw += e.second, twx += double(e.second) * e.first;
  out.shift = twx / tw;
  std::vector<double> vals, ws;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!vals.empty() && p[i].first == p[i - 1].first) {
      ws.back() += p[i].second;
    } else {
      vals.push_back(double(p[i].first) - out.shift);
      ws.push_back(p[i].second);
    }
  }
  const std::size_t n = vals.size();
  out.v = std::move(vals);
  out.s0.assign(n + 1, 0);
  out.s1.assign(n + 1, 0);
  out.s2.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    out.s0[i + 1] = out.s0[i] + ws[i];
    out.s1[i + 1] = out.s1[i] + ws[i] * out.v[i];
    out.s2[i + 1] = out.s2[i] + ws[i] * out.v[i] * out.v[i];
  }
  return ok_status;
}

/// Lloyd-Max on sorted values; returns SSE, levels in `lv` (shifted domain).
inline double lloyd_1d(const sorted_values& s, std::size_t L, std::size_t max_iter, double tol,
                       std::vector<double>& lv) {
  const std::size_t n = s.size();
  const double total = s.s0[n];
  // weighted quantiles, forced onto distinct values
  std::vector<std::size_t> at(L);
  for (std::size_t j = 0; j < L; ++j) {
    const double target = (static_cast<double>(j) + 0.5) / static_cast<double>(L) * total;
    at[j] = static_cast<std::size_t>(std::lower_bound(s.s0.begin() + 1, s.s0.end(), target) - (s.s0.begin() + 1));
    if (at[j] >= n) at[j] = n - 1;
    if (j > 0 && at[j] <= at[j - 1]) at[j] = at[j - 1] + 1;
  }
  for (std::size_t j = L; j-- > 0;) {
    const std::size_t cap = n - L + j;
    if (at[j] > cap) at[j] = cap;
    if (j + 1 < L && at[j] >= at[j + 1]) at[j] = at[j + 1] - 1;
  }
  lv.resize(L);
  for (std::size_t j = 0; j < L; ++j) lv[j] = s.v[at[j]];
  const double range = s.v[n - 1] - s.v[0];
  std::vector<std::size_t> b(L + 1);
  b[0] = 0;
  b[L] = n;
  for (std::size_t it = 0; it < max_iter; ++it) {
    for (std::size_t j = 0; j + 1 < L; ++j) {
      const double t = 0.5 * (lv[j] + lv[j + 1]);
      b[j + 1] = static_cast<std::size_t>(std::upper_bound(s.v.begin(), s.v.end(), t) - s.v.begin());
    }
    double moved = 0;
    for (std::size_t j = 0; j < L; ++j) {
      if (b[j + 1] <= b[j]) continue;  // empty cell keeps its level
      const double m = s.mean(b[j], b[j + 1]);
      moved = std::max(moved, std::fabs(m - lv[j]));
      lv[j] = m;
    }
    std::sort(lv.begin(), lv.end());
    if (moved <= tol * range) break;
  }
  double sse = 0;
  for (std::size_t j = 0; j + 1 < L; ++j) {
    const double t = 0.5 * (lv[j] + lv[j + 1]);
    b[j + 1] = static_cast<std::size_t>(std::upper_bound(s.v.begin(), s.v.end(), t) - s.v.begin());
  }
  for (std::size_t j = 0; j < L; ++j) {
    if (b[j + 1] <= b[j]) continue;
    const double w = s.s0[b[j + 1]] - s.s0[b[j]];
    const double a = s.s1[b[j + 1]] - s.s1[b[j]];
    const double q = s.s2[b[j + 1]] - s.s2[b[j]];
    sse += q - 2 * lv[j] * a + lv[j] * lv[j] * w;
  }
  return sse > 0 ? sse : 0;
}

// Leftmost row minima of a totally monotone matrix (SMAWK: Aggarwal, Klawe,
// Moran, Shor, Wilber 1987) in O(rows + cols) evaluations of a(r, c).
template <class A>
void smawk(const std::vector<std::size_t>& rows, const std::vector<std::size_t>& cols, const A& a,
           std::size_t* argmin) {
  if (rows.empty()) return;
  std::vector<std::size_t> kept;  // REDUCE: at most rows.size() columns survive
  kept.reserve(rows.size());
  for (std::size_t c : cols) {
    while (!kept.empty() && a(rows[kept.size() - 1], kept.back()) > a(rows[kept.size() - 1], c)) kept.pop_back();
    if (kept.size() < rows.size()) kept.push_back(c);
  }
  std::vector<std::size_t> odd;
  odd.reserve(rows.size() / 2);
  for (std::size_t r = 1; r < rows.size(); r += 2) odd.push_back(rows[r]);
  smawk(odd, kept, a, argmin);
  std::size_t k = 0;  // INTERPOLATE the even rows between their odd neighbours' minima
  for (std::size_t r = 0; r < rows.size(); r += 2) {
    const std::size_t last = r + 1 < rows.size() ? argmin[rows[r + 1]] : kept.back();
    std::size_t best = kept[k];
    double bv = a(rows[r], best);
    while (kept[k] != last) {
      ++k;
      const double v = a(rows[r], kept[k]);
      if (v < bv) {
        bv = v;
        best = kept[k];
      }
    }
    argmin[rows[r]] = best;
  }
}

/// Exact optimum by DP, each layer's row minima found by SMAWK (O(L n)).
/// Layer m (m + 1 cells over the first j values): D_m(j) = min_i D_{m-1}(i) +
/// cost(i, j) over splits m <= i < j. The matrix is completed with
/// (i - j + 1) * BIG for i >= j (BIG a power of two above every finite entry),
/// which keeps it Monge, so SMAWK applies and never picks a padded entry.
inline result<double> optimal_1d(const sorted_values& s, std::size_t L, std::vector<double>& lv) {
  const std::size_t n = s.size();
  if (static_cast<double>(L) * static_cast<double>(n + 1) > static_cast<double>(std::size_t{1} << 27))
    return status(errc::unsupported, "levels", "optimal solver: levels x distinct values exceeds 2^27");
  std::vector<double> prev(n + 1), cur(n + 1);
  std::vector<std::uint32_t> arg(L * (n + 1), 0);
  std::vector<std::size_t> am(n + 1, 0);
  for (std::size_t j = 0; j <= n; ++j) prev[j] = s.cost(0, j);
  const double big = std::ldexp(1.0, std::ilogb(8 * prev[n] + 8) + 1);
  std::vector<std::size_t> rows, cols;
  for (std::size_t m = 1; m < L; ++m) {
    rows.clear();
    cols.clear();
    for (std::size_t j = m + 1; j <= n; ++j) rows.push_back(j);
    for (std::size_t i = m; i < n; ++i) cols.push_back(i);
    auto entry = [&](std::size_t j, std::size_t i) {
      return i < j ? prev[i] + s.cost(i, j) : static_cast<double>(i - j + 1) * big;
    };
    smawk(rows, cols, entry, am.data());
    std::fill(cur.begin(), cur.end(), std::numeric_limits<double>::infinity());
    for (std::size_t j = m + 1; j <= n; ++j) {
      cur[j] = prev[am[j]] + s.cost(am[j], j);
      arg[m * (n + 1) + j] = static_cast<std::uint32_t>(am[j]);
    }
    prev.swap(cur);
  }
  // back-track the cells
  lv.assign(L, 0);
  std::size_t j = n;
  for (std::size_t m = L; m-- > 0;) {
    const std::size_t i = m == 0 ? 0 : arg[m * (n + 1) + j];
    lv[m] = s.mean(i, j);
    j = i;
  }
  return prev[n];
}

inline status fit_group(std::span<const float> x, std::span<const float> w, const scalar_codebook_options& o,
                        std::span<float> out, double& sse) {
  sorted_values s;
  QMATH_TRY(prepare_values(x, w, s));
  const std::size_t L = o.levels, n = s.size();
  std::vector<double> lv;
  if (n <= L) {
    for (std::size_t j = 0; j < L; ++j) out[j] = static_cast<float>(s.v[std::min(j, n - 1)] + s.shift);
    sse = 0;
    return ok_status;
  }
  if (o.method == scalar_codebook_method::optimal) {
    result<double> r = optimal_1d(s, L, lv);
    if (!r) return r.error();
    sse = *r;
  } else {
    sse = lloyd_1d(s, L, o.max_iter, o.tolerance, lv);
  }
  for (std::size_t j = 0; j < L; ++j) out[j] = static_cast<float>(lv[j] + s.shift);
  std::sort(out.begin(), out.end());
  return ok_status;
}

inline status check_options(const scalar_codebook_options& o) noexcept {
  if (o.levels < 2 || o.levels > 256) return out_of_range("levels", "must be in 2..256");
  if (!(o.tolerance >= 0)) return invalid_argument("tolerance", "must be >= 0");
  return ok_status;
}

inline status check_weights(std::span<const float> w, std::size_t n) noexcept {
  if (w.empty()) return ok_status;
  if (w.size() != n) return size_mismatch("weights", "must be empty or match x");
  for (std::size_t i = 0; i < w.size(); ++i)
    if (!std::isfinite(w[i]) || w[i] < 0.0f) return status(errc::invalid_argument, "weights", "must be finite and >= 0", i);
  return ok_status;
}

inline status check_codebooks(std::span<const float> cb, std::size_t groups, std::size_t L) noexcept {
  if (L < 2 || L > 256) return out_of_range("levels", "must be in 2..256");
  if (cb.size() != groups * L) return size_mismatch("codebooks", "must hold (x.size() / group_size) x levels values");
  QMATH_TRY(check_finite(cb, "codebooks"));
  for (std::size_t g = 0; g < groups; ++g)
    for (std::size_t j = 1; j < L; ++j)
      if (cb[g * L + j] < cb[g * L + j - 1]) return status(errc::invalid_argument, "codebooks", "levels must be sorted ascending", g * L + j);
  return ok_status;
}

inline status check_groups(std::size_t n, std::size_t group_size) noexcept {
  if (n == 0) return empty_input("x");
  if (group_size == 0) return invalid_argument("group_size", "must be >= 1");
  if (n % group_size != 0) return invalid_argument("group_size", "must divide the number of values");
  return ok_status;
}

// Inverse of the standard normal CDF: Acklam's rational approximation refined
// by two Halley steps on erfc (double precision).
inline double normal_quantile(double p) noexcept {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  for (int k = 0; k < 2; ++k) {
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2 * 3.14159265358979323846) * std::exp(x * x / 2);
    x = x - u / (1 + x * u / 2);
  }
  return x;
}

}  // namespace detail

/// Fit one codebook (L = out.size() levels must equal options.levels) to all
/// of x, with optional per-value weights (empty = 1). Returns the weighted
/// squared error sum. Errors: x empty / non-finite ("x"), weights of the wrong
/// size, negative or non-finite ("weights"), levels outside 2..256, out of the
/// wrong size ("levels_out").
inline result<double> fit_scalar_codebook(std::span<const float> x, std::span<const float> weights,
                                          const scalar_codebook_options& opt, std::span<float> levels_out) {
  QMATH_TRY(detail::check_options(opt));
  if (x.empty()) return empty_input("x");
  if (levels_out.size() != opt.levels) return size_mismatch("levels_out", "must hold options.levels values");
  QMATH_TRY(detail::check_finite(x, "x"));
  QMATH_TRY(detail::check_weights(weights, x.size()));
  double sse = 0;
  QMATH_TRY(detail::fit_group(x, weights, opt, levels_out, sse));
  return sse;
}

/// Fit one codebook per consecutive group of group_size values; codebooks
/// receives (x.size() / group_size) x levels values. Returns the total
/// weighted squared error.
inline result<double> fit_scalar_codebooks(std::span<const float> x, std::size_t group_size,
                                           std::span<const float> weights, const scalar_codebook_options& opt,
                                           std::span<float> codebooks) {
  QMATH_TRY(detail::check_options(opt));
  QMATH_TRY(detail::check_groups(x.size(), group_size));
  const std::size_t groups = x.size() / group_size, L = opt.levels;
  if (codebooks.size() != groups * L) return size_mismatch("codebooks", "must hold (x.size() / group_size) x levels values");
  QMATH_TRY(detail::check_finite(x, "x"));
  QMATH_TRY(detail::check_weights(weights, x.size()));
  double total = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    double sse = 0;
    const status st = detail::fit_group(x.subspan(g * group_size, group_size),
                                        weights.empty() ? weights : weights.subspan(g * group_size, group_size), opt,
                                        codebooks.subspan(g * L, L), sse);
    if (!st) return st.index() == status::no_index ? st.at(g) : st;
    total += sse;
  }
  return total;
}

/// idx[i] = q(x[i]) against the codebook of x[i]'s group (see the header).
inline status scalar_encode(std::span<const float> x, std::size_t group_size, std::span<const float> codebooks,
                            std::size_t levels, std::span<std::uint8_t> idx) {
  QMATH_TRY(detail::check_groups(x.size(), group_size));
  const std::size_t groups = x.size() / group_size;
  QMATH_TRY(detail::check_codebooks(codebooks, groups, levels));
  if (idx.size() != x.size()) return size_mismatch("idx", "must hold one index per value");
  QMATH_TRY(detail::check_finite(x, "x"));
  float t[255];
  for (std::size_t g = 0; g < groups; ++g) {
    const float* l = codebooks.data() + g * levels;
    for (std::size_t j = 0; j + 1 < levels; ++j) t[j] = 0.5f * l[j] + 0.5f * l[j + 1];
    const std::size_t nt = levels - 1;
    for (std::size_t i = g * group_size; i < (g + 1) * group_size; ++i) {
      // #{ j : t_j < x } by branch-free binary search
      const float v = x[i];
      std::size_t lo = 0, len = nt;
      while (len > 0) {
        const std::size_t half = len / 2;
        if (t[lo + half] < v) {
          lo += half + 1;
          len -= half + 1;
        } else {
          len = half;
        }
      }
      idx[i] = static_cast<std::uint8_t>(lo);
    }
  }
  return ok_status;
}

/// x[i] = codebook level idx[i] of x[i]'s group.
inline status scalar_decode(std::span<const std::uint8_t> idx, std::size_t group_size,
                            std::span<const float> codebooks, std::size_t levels, std::span<float> x) {
  if (idx.empty()) return empty_input("idx");
  if (group_size == 0) return invalid_argument("group_size", "must be >= 1");
  if (idx.size() % group_size != 0) return invalid_argument("group_size", "must divide the number of values");
  const std::size_t groups = idx.size() / group_size;
  QMATH_TRY(detail::check_codebooks(codebooks, groups, levels));
  if (x.size() != idx.size()) return size_mismatch("x", "must hold one value per index");
  for (std::size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] >= levels) return status(errc::out_of_range, "idx", "index >= levels", i);
    x[i] = codebooks[(i / group_size) * levels + idx[i]];
  }
  return ok_status;
}

/// NF-b levels (b in 1..8), ascending, in [-1, 1] (b = 4: QLoRA's NF4).
/// offset = ((1 - 1/(2(2^b - 1))) + (1 - 1/(2^(b+1)))) / 2 (0.9677083 for b = 4);
/// positives Phi^-1(offset - i (offset - 1/2) / 2^(b-1)), i < 2^(b-1);
/// negatives -Phi^-1(offset - i (offset - 1/2) / (2^(b-1) - 1)), i < 2^(b-1) - 1; and 0.
inline result<std::vector<float>> normal_float_levels(unsigned bits) {
  if (bits < 1 || bits > 8) return out_of_range("bits", "must be in 1..8");
  const double L = std::ldexp(1.0, static_cast<int>(bits));
  const double offset = ((1 - 1 / (2 * (L - 1))) + (1 - 1 / (2 * L))) / 2;
  const std::size_t npos = std::size_t{1} << (bits - 1), nneg = npos - 1;
  std::vector<double> v;
  for (std::size_t i = 0; i < npos; ++i)
    v.push_back(detail::normal_quantile(offset - static_cast<double>(i) * (offset - 0.5) / static_cast<double>(npos)));
  for (std::size_t i = 0; i < nneg; ++i)
    v.push_back(-detail::normal_quantile(offset - static_cast<double>(i) * (offset - 0.5) / static_cast<double>(nneg)));
  v.push_back(0.0);
  const double top = detail::normal_quantile(offset);
  std::vector<float> out;
  for (double e : v) out.push_back(static_cast<float>(e / top));
  std::sort(out.begin(), out.end());
  return out;
}

/// Logarithmic levels +-base^-e, e = 0..count_per_sign-1, plus 0 if with_zero;
/// ascending. count_per_sign >= 1, base > 1, at most 256 levels in total.
inline result<std::vector<float>> log_levels(std::size_t count_per_sign, double base, bool with_zero) {
  if (count_per_sign < 1) return invalid_argument("count_per_sign", "must be >= 1");
  if (2 * count_per_sign + (with_zero ? 1 : 0) > 256) return out_of_range("count_per_sign", "at most 256 levels");
  if (!(base > 1.0) || !std::isfinite(base)) return invalid_argument("base", "must be finite and > 1");
  std::vector<float> out;
  for (std::size_t e = 0; e < count_per_sign; ++e) {
    const float m = static_cast<float>(std::pow(base, -static_cast<double>(e)));
    out.push_back(m);
    out.push_back(-m);
  }
  if (with_zero) out.push_back(0.0f);
  std::sort(out.begin(), out.end());
  return out;
}

/// Power-of-two levels for b-bit codes (b in 2..8): 0 and +-2^-e,
/// e = 0..2^(b-1)-2 (2^b - 1 levels).
inline result<std::vector<float>> power_of_two_levels(unsigned bits) {
  if (bits < 2 || bits > 8) return out_of_range("bits", "must be in 2..8");
  return log_levels((std::size_t{1} << (bits - 1)) - 1, 2.0, true);
}

/// Per-group codebooks from a fixed grid: codebook_g = grid * (max_i |x_i| in
/// group g) / max_j |grid_j| (a group of zeros uses scale 1). grid ascending.
inline status scaled_grid_codebooks(std::span<const float> x, std::size_t group_size, std::span<const float> grid,
                                    std::span<float> codebooks) {
  QMATH_TRY(detail::check_groups(x.size(), group_size));
  QMATH_TRY(detail::check_codebooks(grid, 1, grid.size()));
  QMATH_TRY(detail::check_finite(x, "x"));
  const std::size_t groups = x.size() / group_size, L = grid.size();
  if (codebooks.size() != groups * L) return size_mismatch("codebooks", "must hold (x.size() / group_size) x grid.size() values");
  float gmax = 0;
  for (float v : grid) gmax = std::max(gmax, std::fabs(v));
  if (gmax == 0) return invalid_argument("grid", "must have a non-zero level");
  for (std::size_t g = 0; g < groups; ++g) {
    float amax = 0;
    for (std::size_t i = 0; i < group_size; ++i) amax = std::max(amax, std::fabs(x[g * group_size + i]));
    const float scale = amax > 0 ? amax / gmax : 1.0f;
    for (std::size_t j = 0; j < L; ++j) codebooks[g * L + j] = grid[j] * scale;
  }
  return ok_status;
}

}  // namespace qmath
