// Runs seed files through the fuzz targets compiled into this binary (every
// compiler, no libFuzzer): `qmath_fuzz_corpus <target> <file-or-dir>...`.
// Each file is one input; a violated property aborts (the test fails).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <target> <file-or-dir>...\n", argv[0]);
    return 2;
  }
  const qmath_fuzz::target_entry* t = nullptr;
  for (const auto& e : qmath_fuzz::registry())
    if (std::strcmp(e.name, argv[1]) == 0) t = &e;
  if (t == nullptr) {
    std::fprintf(stderr, "unknown target '%s'\n", argv[1]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 2; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& f : std::filesystem::directory_iterator(p))
        if (f.is_regular_file()) files.push_back(f.path());
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no seed files for '%s'\n", argv[1]);
    return 1;
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    t->fn(data.data(), data.size());
  }
  std::printf("%s: %zu seed inputs passed\n", argv[1], files.size());
  return 0;
}
