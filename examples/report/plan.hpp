#pragma once
// Section 2 of qmath-report: the whole-model mixed-precision plan under
// --budget (qmath::allocate_bits) and, for comparison, the smallest model in
// which every tensor meets --min-sqnr (qmath::smallest_meeting_sqnr).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "json_writer.hpp"
#include "load.hpp"
#include "model.hpp"
#include "qmath/analysis/mixed_precision.hpp"

namespace report {

struct plan_result {
  double total_values = 0;
  double budget_bits = 0;
  bool feasible = false;
  std::string infeasible_reason;
  qmath::mp_solution solution;
  double pooled_sqnr_db = nan_v;  // 10 log10(sum energy / sum noise) over all tensors
  std::size_t worst = 0;          // tensor with the lowest SQNR in the plan
  bool min_sqnr_feasible = false;
  double min_sqnr_bits = 0;       // size of the smallest model meeting --min-sqnr everywhere
  std::size_t min_sqnr_failing = 0;  // a tensor that cannot meet it (when infeasible)
};

inline double budget_in_bits(const budget_spec& b, double values) {
  switch (b.kind) {
    case budget_spec::unit::bits_per_value: return b.amount * values;
    case budget_spec::unit::fraction_of_fp32: return b.amount * 32.0 * values;
    case budget_spec::unit::bytes: return b.amount * 8.0;
  }
  return 0;
}

inline void plan_model(const std::vector<tensor>& tensors, const std::vector<tensor_result>& results,
                       const std::vector<qmath::mp_tensor>& mp, const options& o, plan_result& p) {
  for (const auto& t : tensors) p.total_values += static_cast<double>(t.values.size());
  p.budget_bits = std::floor(budget_in_bits(o.budget, p.total_values));
  auto sol = qmath::allocate_bits(mp, p.budget_bits);
  if (sol) {
    p.feasible = true;
    p.solution = *sol;
    double energy = 0, noise = 0, worst_db = INFINITY;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& row = results[i].rows_by_scheme[sol->choice[i]];
      noise += row.sum_sq_err;
      energy += row.sum_sq_ref;
      if (row.sqnr_db < worst_db) {
        worst_db = row.sqnr_db;
        p.worst = i;
      }
    }
    p.pooled_sqnr_db = noise > 0 ? 10.0 * std::log10(energy / noise) : INFINITY;
  } else {
    p.infeasible_reason = sol.error().message();
  }
  auto m = qmath::smallest_meeting_sqnr(mp, o.min_sqnr);
  if (m) {
    p.min_sqnr_feasible = true;
    p.min_sqnr_bits = m->total_bits;
  } else {
    p.min_sqnr_failing = m.error().index();
  }
}

inline void print_plan_text(const plan_result& p, const std::vector<tensor_result>& results, const options& o) {
  std::printf("\n== Mixed-precision plan (qmath::allocate_bits) ==\n");
  std::printf("budget %s = %.1f kB for %.0f values (float32: %.1f kB); objective: minimise the sum over tensors of\n"
              "noise/signal energy (each tensor weighted by 1 / sum x^2)\n",
              o.budget.kind == budget_spec::unit::bits_per_value ? (o.budget.text + " bits/value").c_str()
                                                                  : o.budget.text.c_str(),
              p.budget_bits / 8e3, p.total_values, p.total_values * 4e-3);
  if (!p.feasible) {
    std::printf("  no plan: %s\n", p.infeasible_reason.c_str());
  } else {
    const auto& s = p.solution;
    if (!o.brief) {
      for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& row = results[i].rows_by_scheme[s.choice[i]];
        char db[32];
        std::snprintf(db, sizeof db, std::isinf(row.sqnr_db) ? "exact" : "%.2f dB", row.sqnr_db);
        std::printf("  %-20s %-28s %11s %10zu B\n", results[i].name.c_str(), row.scheme.c_str(), db, row.bytes);
      }
    }
    std::printf("  total %.1f kB = %.2f bits/value (%.1fx smaller than float32); pooled SQNR %.2f dB;\n"
                "  lowest tensor SQNR %.2f dB (%s); %s\n",
                s.total_bits / 8e3, s.total_bits / p.total_values, 32.0 * p.total_values / s.total_bits,
                p.pooled_sqnr_db, results[p.worst].rows_by_scheme[s.choice[p.worst]].sqnr_db,
                results[p.worst].name.c_str(),
                s.optimal ? "proven optimal"
                          : ("within the certified bound (objective " + std::to_string(s.total_error) +
                             ", lower bound " + std::to_string(s.lower_bound) + ")")
                                .c_str());
  }
  if (p.min_sqnr_feasible) {
    std::printf("  every tensor >= %.1f dB (qmath::smallest_meeting_sqnr): %.1f kB = %.2f bits/value\n", o.min_sqnr,
                p.min_sqnr_bits / 8e3, p.min_sqnr_bits / p.total_values);
  } else {
    std::printf("  every tensor >= %.1f dB: impossible with these schemes (%s cannot reach it)\n", o.min_sqnr,
                p.min_sqnr_failing < results.size() ? results[p.min_sqnr_failing].name.c_str() : "a tensor");
  }
}

inline void json_plan(json_writer& j, const plan_result& p, const std::vector<tensor_result>& results,
                      const options& o) {
  j.key("plan").begin_object();
  j.member("budget", o.budget.text).member("budget_bits", p.budget_bits).member("total_values", p.total_values);
  j.member("feasible", p.feasible);
  if (p.feasible) {
    const auto& s = p.solution;
    j.member("total_bits", s.total_bits).member("bits_per_value", s.total_bits / p.total_values);
    j.member("objective", s.total_error).member("lower_bound", s.lower_bound).member("optimal", s.optimal);
    j.member("pooled_sqnr_db", p.pooled_sqnr_db);
    j.key("choices").begin_array();
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& row = results[i].rows_by_scheme[s.choice[i]];
      j.begin_object().member("tensor", results[i].name).member("scheme", row.scheme);
      j.member("sqnr_db", row.sqnr_db).member("bytes", row.bytes).end_object();
    }
    j.end_array();
  } else {
    j.member("reason", p.infeasible_reason);
  }
  j.key("min_sqnr_plan").begin_object();
  j.member("min_sqnr_db", o.min_sqnr).member("feasible", p.min_sqnr_feasible);
  if (p.min_sqnr_feasible) j.member("total_bits", p.min_sqnr_bits);
  j.end_object();
  j.end_object();
}

}  // namespace report
