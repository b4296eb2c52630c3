#pragma once
// Command-line options of qmath-report. Every value is range-checked; a bad
// option is a usage error (exit code 2) with a message naming the option.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace report {

enum class channel_axis { first, last };

/// Size budget of the mixed-precision plan, in one of three units.
struct budget_spec {
  enum class unit { bits_per_value, bytes, fraction_of_fp32 } kind = unit::bits_per_value;
  double amount = 5.0;
  std::string text = "5";
};

struct options {
  std::vector<std::string> paths;      // .npy files or directories; empty: bundled weights
  double min_sqnr = 30.0;              // dB
  budget_spec budget;                  // default: 5 bits per value on average
  std::vector<int> bits = {8, 6, 4};   // swept bit widths
  int kmeans_levels = 16;              // codebook size; 0 disables the k-means row
  channel_axis axis = channel_axis::last;
  std::optional<std::string> calibrate;  // activation sample (.npy)
  double percentile = 99.99;
  bool bench = false;
  std::size_t bench_m = 256;  // rows of the activation matrix in --bench
  bool json = false;
  std::optional<std::string> svg;
  std::optional<std::string> tensor;  // tensor used for --svg / --bench
  bool brief = false;
  bool progress = true;
  bool help = false;
};

inline const char* usage_text() {
  return
      "usage: qmath-report [PATH...] [options]\n"
      "\n"
      "Quantization report for float32/float64 .npy tensors. PATH is a .npy file or a\n"
      "directory of them; without PATH the bundled ESRGAN x4 weights are used.\n"
      "A tensor of shape [..., C] is viewed as a K x C matrix (K = product of the other\n"
      "extents, the reduction dimension of HWIO / [in, out] weights); per-channel means\n"
      "one scale per column C, group-G means G consecutive K entries per column.\n"
      "\n"
      "options:\n"
      "  --min-sqnr DB     target SQNR for the per-tensor recommendation (default 30, 0..200)\n"
      "  --budget SIZE     size budget of the mixed-precision plan: average bits per value\n"
      "                    (\"4.5\"), a percentage of the float32 size (\"15%\") or bytes\n"
      "                    (\"350K\", \"1.2M\", \"90000B\"); default 5 bits per value\n"
      "  --bits LIST       bit widths to sweep, comma-separated, each 2..8 (default 8,6,4)\n"
      "  --kmeans K        k-means codebook levels, 2..256, 0 = off (default 16)\n"
      "  --channel-axis first|last\n"
      "                    axis of the output channels (default last: HWIO; first: OIHW)\n"
      "  --calibrate FILE  activation sample (.npy): ranges chosen by min/max, percentile,\n"
      "                    entropy and MSE search, and the error of each\n"
      "  --percentile P    percentile of |x| for --calibrate (default 99.99, in (50, 100])\n"
      "  --bench           FP32 vs INT8 (and int4-weight) matrix multiplication timing\n"
      "  --bench-m M       rows of the activation matrix for --bench (default 256, 1..65536)\n"
      "  --tensor NAME     tensor used for --svg and --bench (default: the largest)\n"
      "  --json            machine-readable output on stdout\n"
      "  --svg FILE        write a histogram with the calibrators' clipping ranges and an\n"
      "                    SQNR-per-scheme bar chart (plain SVG)\n"
      "  --brief           one line per tensor instead of a table\n"
      "  --no-progress     no progress line on stderr\n"
      "  -h, --help        this text\n"
      "\n"
      "exit status: 0 success, 1 a file or data error, 2 a usage error\n";
}

/// A usage error: message and exit code 2.
struct cli_error {
  std::string message;
};

namespace cli_detail {

inline bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  // strtod accepts "inf"/"nan" and leading spaces; we accept plain decimal numbers only.
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return false;
  }
  std::string tmp(s);
  char* end = nullptr;
  out = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size() && std::isfinite(out);
}

inline bool parse_int(std::string_view s, long long& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace cli_detail

/// Parses argv; returns the options or a usage error.
inline std::optional<cli_error> parse_options(int argc, char** argv, options& o) {
  using namespace cli_detail;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string_view val;
    bool has_inline = false;
    if (a.size() > 2 && a.substr(0, 2) == "--") {
      const auto eq = a.find('=');
      if (eq != std::string_view::npos) {
        val = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_inline = true;
      }
    }
    auto need = [&](std::string_view name) -> std::optional<cli_error> {
      if (has_inline) return std::nullopt;
      if (i + 1 >= args.size()) return cli_error{"option " + std::string(name) + " needs a value"};
      val = args[++i];
      return std::nullopt;
    };
    auto bad = [&](std::string_view name, std::string_view why) {
      return cli_error{"option " + std::string(name) + ": invalid value '" + std::string(val) + "' (" +
                       std::string(why) + ")"};
    };
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--bench") {
      o.bench = true;
    } else if (a == "--brief") {
      o.brief = true;
    } else if (a == "--no-progress") {
      o.progress = false;
    } else if (a == "--min-sqnr") {
      if (auto e = need(a)) return e;
      if (!parse_double(val, o.min_sqnr) || o.min_sqnr < 0 || o.min_sqnr > 200)
        return bad(a, "a number of dB in [0, 200]");
    } else if (a == "--budget") {
      if (auto e = need(a)) return e;
      budget_spec b;
      b.text = std::string(val);
      std::string_view num = val;
      double mult = 1;
      if (!num.empty() && num.back() == '%') {
        b.kind = budget_spec::unit::fraction_of_fp32;
        num.remove_suffix(1);
        mult = 0.01;
      } else if (!num.empty() && (num.back() == 'K' || num.back() == 'k' || num.back() == 'M' || num.back() == 'm')) {
        b.kind = budget_spec::unit::bytes;
        mult = (num.back() == 'K' || num.back() == 'k') ? 1e3 : 1e6;
        num.remove_suffix(1);
      } else if (!num.empty() && (num.back() == 'B' || num.back() == 'b')) {
        b.kind = budget_spec::unit::bytes;
        num.remove_suffix(1);
      }
      if (!parse_double(num, b.amount)) return bad(a, "e.g. 4.5 (bits per value), 15% or 350K");
      b.amount *= mult;
      if (b.kind == budget_spec::unit::bits_per_value && (b.amount < 1 || b.amount > 32))
        return bad(a, "bits per value must be in [1, 32]");
      if (b.kind == budget_spec::unit::fraction_of_fp32 && (b.amount <= 0 || b.amount > 1))
        return bad(a, "a percentage in (0, 100]");
      if (b.kind == budget_spec::unit::bytes && b.amount < 1) return bad(a, "a positive number of bytes");
      o.budget = b;
    } else if (a == "--bits") {
      if (auto e = need(a)) return e;
      o.bits.clear();
      std::string_view rest = val;
      while (true) {
        const auto comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        long long b = 0;
        if (!parse_int(item, b) || b < 2 || b > 8) return bad(a, "comma-separated bit widths, each 2..8");
        if (std::find(o.bits.begin(), o.bits.end(), static_cast<int>(b)) == o.bits.end())
          o.bits.push_back(static_cast<int>(b));
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      std::sort(o.bits.rbegin(), o.bits.rend());
    } else if (a == "--kmeans") {
      if (auto e = need(a)) return e;
      long long k = 0;
      if (!parse_int(val, k) || (k != 0 && (k < 2 || k > 256))) return bad(a, "2..256 levels, or 0 for off");
      o.kmeans_levels = static_cast<int>(k);
    } else if (a == "--channel-axis") {
      if (auto e = need(a)) return e;
      if (val == "first") {
        o.axis = channel_axis::first;
      } else if (val == "last") {
        o.axis = channel_axis::last;
      } else {
        return bad(a, "first or last");
      }
    } else if (a == "--calibrate") {
      if (auto e = need(a)) return e;
      o.calibrate = std::string(val);
    } else if (a == "--percentile") {
      if (auto e = need(a)) return e;
      if (!parse_double(val, o.percentile) || o.percentile <= 50 || o.percentile > 100)
        return bad(a, "a percentile in (50, 100]");
    } else if (a == "--bench-m") {
      if (auto e = need(a)) return e;
      long long m = 0;
      if (!parse_int(val, m) || m < 1 || m > 65536) return bad(a, "an integer in [1, 65536]");
      o.bench_m = static_cast<std::size_t>(m);
    } else if (a == "--svg") {
      if (auto e = need(a)) return e;
      if (val.empty()) return bad(a, "a file name");
      o.svg = std::string(val);
    } else if (a == "--tensor") {
      if (auto e = need(a)) return e;
      o.tensor = std::string(val);
    } else if (a.size() > 1 && a[0] == '-') {
      return cli_error{"unknown option '" + std::string(args[i]) + "' (see --help)"};
    } else {
      o.paths.emplace_back(a);
    }
  }
  return std::nullopt;
}

}  // namespace report
