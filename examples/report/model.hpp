#pragma once
// The data the report prints: one row per (tensor, scheme), filled by the
// sections with qmath's own quantizers, metrics, calibrators and codebooks.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace report {

inline constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

struct scheme_row {
  std::string scheme;       // "int8 sym per-tensor", "kmeans-16", ...
  int bits = 0;             // code bits per value
  std::string mapping;      // "symmetric", "affine", "codebook"
  std::string granularity;  // "per-tensor", "per-channel", "group-32", "group-128", "per-tensor codebook"
  double sqnr_db = nan_v;
  double mse = nan_v;
  double max_abs_error = nan_v;
  double cosine = nan_v;
  double kl = nan_v;        // KL(P || Q) between histograms of the tensor and its reconstruction
  double sum_sq_ref = 0;    // sum x^2 (signal energy)
  double sum_sq_err = 0;    // sum (x - x')^2 (noise energy)
  std::size_t bytes = 0;    // codes + parameters
  double compression = nan_v;  // float32 bytes / bytes
};

struct tensor_result {
  std::string name;
  std::string shape;
  std::size_t numel = 0;
  std::size_t rows = 0, cols = 0;
  std::vector<scheme_row> rows_by_scheme;
  int recommended = -1;  // index into rows_by_scheme, -1: no scheme meets the target
};

struct calib_row {
  std::string method;  // "min/max", "percentile 99.99", "entropy (KL)", "MSE search"
  double lo = nan_v, hi = nan_v;
  double sqnr_db = nan_v, mse = nan_v, clipped_fraction = nan_v;
};

}  // namespace report
