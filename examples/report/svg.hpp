#pragma once
// Plain SVG 1.1 output for qmath-report --svg: a histogram of one tensor with
// each calibrator's clipping range marked, and a bar chart of SQNR per scheme.
// No scripts, no external resources: any browser renders it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace report {

struct svg_range {
  std::string name;  // "min/max", "percentile 99.99", ...
  double lo, hi;
  std::string note;  // e.g. "SQNR 38.87 dB, 0.01% clipped"
};

struct svg_bar {
  std::string label;  // scheme name
  double value;       // SQNR in dB (non-finite: drawn as a full bar marked "exact")
  int bits;           // colours the bar
  bool highlight;     // the recommended scheme
};

struct svg_histogram {
  double lo = 0, hi = 0;              // range of the bins
  std::vector<std::uint64_t> counts;  // equal-width bins over [lo, hi]
};

namespace svg_detail {

inline std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

inline std::string esc(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

inline std::string text(double x, double y, std::string_view s, std::string_view extra = "") {
  return "<text x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", y) + "\" " + std::string(extra) + ">" + esc(s) +
         "</text>\n";
}

inline std::string line(double x1, double y1, double x2, double y2, std::string_view style) {
  return "<line x1=\"" + fmt("%.1f", x1) + "\" y1=\"" + fmt("%.1f", y1) + "\" x2=\"" + fmt("%.1f", x2) +
         "\" y2=\"" + fmt("%.1f", y2) + "\" " + std::string(style) + "/>\n";
}

inline std::string rect(double x, double y, double w, double h, std::string_view style) {
  return "<rect x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", y) + "\" width=\"" + fmt("%.1f", w) +
         "\" height=\"" + fmt("%.1f", h) + "\" " + std::string(style) + "/>\n";
}

// Colour-blind-safe palette (Okabe-Ito).
inline const char* range_colour(std::size_t i) {
  static const char* c[] = {"#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
  return c[i % 7];
}
inline const char* bits_colour(int bits) {
  switch (bits) {
    case 8: return "#0072B2";
    case 6: return "#56B4E9";
    case 4: return "#E69F00";
    case 3: return "#CC79A7";
    case 2: return "#D55E00";
    default: return "#009E73";
  }
}

}  // namespace svg_detail

/// The whole document. `title` names the tensor; `target_db` draws the
/// --min-sqnr line on the bar chart.
inline std::string render_svg(std::string_view title, std::string_view hist_caption, const svg_histogram& h,
                              const std::vector<svg_range>& ranges, const std::vector<svg_bar>& bars,
                              double target_db) {
  using namespace svg_detail;
  const double W = 960, margin_l = 70, margin_r = 30;
  const double plot_w = W - margin_l - margin_r;
  // Panel 1: histogram.
  const double h_top = 70, h_height = 260;
  const double legend_rows = static_cast<double>(ranges.size());
  const double bars_top = h_top + h_height + 40 + legend_rows * 18 + 50;
  const double bar_h = 16, bar_gap = 4;
  const double label_w = 190;
  const double bars_height = static_cast<double>(bars.size()) * (bar_h + bar_gap);
  const double H = bars_top + bars_height + 60;

  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt("%.0f", W) + "\" height=\"" + fmt("%.0f", H) +
       "\" viewBox=\"0 0 " + fmt("%.0f", W) + " " + fmt("%.0f", H) +
       "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
  s += rect(0, 0, W, H, "fill=\"white\"");
  s += text(margin_l, 28, "qmath-report: " + std::string(title), "font-size=\"18\" font-weight=\"bold\"");
  s += text(margin_l, 52, hist_caption, "fill=\"#444\"");

  // Histogram, log-scaled counts.
  const double span = h.hi > h.lo ? h.hi - h.lo : 1.0;
  double lo = h.lo, hi = h.hi;
  for (const auto& r : ranges) {  // widen the axis so every range is visible
    if (std::isfinite(r.lo)) lo = std::min(lo, r.lo);
    if (std::isfinite(r.hi)) hi = std::max(hi, r.hi);
  }
  const double pad = 0.03 * (hi - lo > 0 ? hi - lo : 1.0);
  lo -= pad;
  hi += pad;
  auto xpos = [&](double v) { return margin_l + (v - lo) / (hi - lo) * plot_w; };
  std::uint64_t cmax = 1;
  for (auto c : h.counts) cmax = std::max(cmax, c);
  const double lmax = std::log10(static_cast<double>(cmax) + 1.0);
  auto ypos = [&](std::uint64_t c) {
    return h_top + h_height - std::log10(static_cast<double>(c) + 1.0) / lmax * h_height;
  };
  s += rect(margin_l, h_top, plot_w, h_height, "fill=\"#fafafa\" stroke=\"#bbb\"");
  const double bw = span / static_cast<double>(std::max<std::size_t>(h.counts.size(), 1));
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    const double x0 = xpos(h.lo + bw * static_cast<double>(i)), x1 = xpos(h.lo + bw * static_cast<double>(i + 1));
    const double y = ypos(h.counts[i]);
    s += rect(x0, y, std::max(x1 - x0, 0.5), h_top + h_height - y, "fill=\"#7f7f7f\"");
  }
  // y ticks at powers of ten.
  for (double p = 1; p <= static_cast<double>(cmax); p *= 10) {
    const double y = ypos(static_cast<std::uint64_t>(p));
    s += line(margin_l - 4, y, margin_l, y, "stroke=\"#555\"");
    s += text(margin_l - 6, y + 4, fmt("%.0f", p), "text-anchor=\"end\" font-size=\"10\"");
  }
  s += text(18, h_top + h_height / 2, "count (log)",
            "transform=\"rotate(-90 18 " + fmt("%.1f", h_top + h_height / 2) + ")\" text-anchor=\"middle\"");
  // x ticks: 5 evenly spaced values.
  for (int i = 0; i <= 4; ++i) {
    const double v = lo + (hi - lo) * i / 4.0;
    const double x = xpos(v);
    s += line(x, h_top + h_height, x, h_top + h_height + 4, "stroke=\"#555\"");
    s += text(x, h_top + h_height + 17, fmt("%.4g", v), "text-anchor=\"middle\" font-size=\"10\"");
  }
  if (lo < 0 && hi > 0) s += line(xpos(0), h_top, xpos(0), h_top + h_height, "stroke=\"#999\" stroke-dasharray=\"2,2\"");
  // Clipping ranges: dashed verticals at lo and hi, one colour each; labels in a legend.
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto& r = ranges[i];
    const char* col = range_colour(i);
    const std::string style = std::string("stroke=\"") + col + "\" stroke-width=\"2\" stroke-dasharray=\"" +
                              (i % 2 ? "6,3" : "3,3") + "\"";
    const double inset = 4.0 * static_cast<double>(i);
    for (double v : {r.lo, r.hi}) {
      if (!std::isfinite(v)) continue;
      s += line(xpos(v), h_top + inset, xpos(v), h_top + h_height, style);
    }
    const double ly = h_top + h_height + 40 + 18 * static_cast<double>(i);
    s += line(margin_l, ly - 4, margin_l + 28, ly - 4, style);
    s += text(margin_l + 36, ly,
              r.name + ": [" + fmt("%.5g", r.lo) + ", " + fmt("%.5g", r.hi) + "]" + (r.note.empty() ? "" : "  " + r.note));
  }

  // Bar chart of SQNR per scheme.
  s += text(margin_l, bars_top - 18, "SQNR per scheme (dB, higher is better); dashed line: target",
            "font-size=\"14\" font-weight=\"bold\"");
  {
    std::vector<int> seen_bits;
    for (const auto& b : bars)
      if (std::find(seen_bits.begin(), seen_bits.end(), b.bits) == seen_bits.end()) seen_bits.push_back(b.bits);
    double lx = W - margin_r - 70.0 * static_cast<double>(seen_bits.size());
    for (int bits : seen_bits) {
      s += rect(lx, bars_top - 30, 12, 12, std::string("fill=\"") + bits_colour(bits) + "\"");
      s += text(lx + 16, bars_top - 20, std::to_string(bits) + "-bit", "font-size=\"11\"");
      lx += 70;
    }
  }
  double vmax = target_db;
  for (const auto& b : bars)
    if (std::isfinite(b.value)) vmax = std::max(vmax, b.value);
  vmax = std::ceil(vmax / 10.0) * 10.0;
  if (vmax <= 0) vmax = 10;
  const double bx = margin_l + label_w, bwid = W - bx - margin_r - 60;
  auto bpos = [&](double v) { return bx + std::clamp(v, 0.0, vmax) / vmax * bwid; };
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = bars_top + static_cast<double>(i) * (bar_h + bar_gap);
    const bool exact = !std::isfinite(b.value) && b.value > 0;
    const double v = exact ? vmax : (std::isfinite(b.value) ? b.value : 0.0);
    s += text(bx - 8, y + bar_h - 4, b.label,
              std::string("text-anchor=\"end\"") + (b.highlight ? " font-weight=\"bold\"" : ""));
    s += rect(bx, y, std::max(bpos(v) - bx, 0.5), bar_h,
              std::string("fill=\"") + bits_colour(b.bits) + "\"" +
                  (b.highlight ? " stroke=\"black\" stroke-width=\"2\"" : ""));
    s += text(bpos(v) + 5, y + bar_h - 4, exact ? "exact" : fmt("%.1f", b.value), "font-size=\"11\"");
  }
  for (int t = 0; t <= static_cast<int>(vmax); t += vmax > 60 ? 20 : 10) {
    const double x = bpos(t);
    s += line(x, bars_top + bars_height, x, bars_top + bars_height + 4, "stroke=\"#555\"");
    s += text(x, bars_top + bars_height + 16, std::to_string(t), "text-anchor=\"middle\" font-size=\"10\"");
  }
  s += line(bpos(target_db), bars_top - 6, bpos(target_db), bars_top + bars_height,
            "stroke=\"black\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"");
  s += text(bpos(target_db) + 4, bars_top - 4, fmt("target %.1f dB", target_db), "font-size=\"10\"");
  s += "</svg>\n";
  return s;
}

}  // namespace report
