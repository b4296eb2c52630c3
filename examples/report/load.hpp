#pragma once
// Loading the report's inputs: float32/float64 .npy files (or directories of
// them) through qmath::io, with errors that name the file.
#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "qmath/io/npy.hpp"

namespace report {

/// A tensor, viewed as a K x C matrix for per-channel / per-group schemes.
struct tensor {
  std::string name;
  std::string path;
  std::vector<std::size_t> shape;
  std::vector<float> values;  // row-major (C order)
  std::size_t rows = 0;       // K: reduction dimension
  std::size_t cols = 0;       // C: channels
};

/// Why loading failed (exit code 1).
struct load_error {
  std::string message;
};

/// Files named by the user: a file, or every .npy of a directory (sorted).
inline bool expand_paths(const std::vector<std::string>& paths, std::vector<std::filesystem::path>& files,
                         load_error& err) {
  namespace fs = std::filesystem;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      auto list = qmath::io::list_npy_files(p);
      if (!list) {
        err.message = p + ": " + list.error().message();
        return false;
      }
      if (list->empty()) {
        err.message = p + ": directory holds no .npy files";
        return false;
      }
      files.insert(files.end(), list->begin(), list->end());
    } else if (!fs::exists(p, ec)) {
      err.message = p + ": no such file or directory";
      return false;
    } else {
      files.emplace_back(p);
    }
  }
  return true;
}

/// Reads one tensor; `channels_last` picks which axis holds the C channels.
inline bool load_tensor(const std::filesystem::path& file, bool channels_last, tensor& t, load_error& err) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    err.message = file.string() + ": no such file or directory";
    return false;
  }
  auto a = qmath::io::read_npy(file);
  if (!a) {
    err.message = file.string() + ": " + a.error().message();
    return false;
  }
  if (a->dtype() != qmath::io::npy_dtype::float32 && a->dtype() != qmath::io::npy_dtype::float64) {
    err.message = file.string() + ": dtype is " + std::string(qmath::io::to_string(a->dtype())) +
                  "; qmath-report reads float32 or float64 tensors";
    return false;
  }
  auto v = qmath::io::to_float32(*a);
  if (!v) {
    err.message = file.string() + ": " + v.error().message();
    return false;
  }
  if (v->empty()) {
    err.message = file.string() + ": the tensor is empty (shape has a 0 extent)";
    return false;
  }
  t.name = file.stem().string();
  t.path = file.string();
  t.shape = a->shape;
  t.values = std::move(*v);
  const std::size_t n = t.values.size();
  if (t.shape.size() < 2) {
    t.rows = n;  // a vector: one channel
    t.cols = 1;
  } else if (channels_last) {
    t.cols = t.shape.back();
    t.rows = n / t.cols;
  } else {
    t.cols = t.shape.front();
    t.rows = n / t.cols;
  }
  return true;
}

inline std::string shape_string(const std::vector<std::size_t>& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) out += 'x';
    out += std::to_string(s[i]);
  }
  return out.empty() ? "scalar" : out;
}

}  // namespace report
