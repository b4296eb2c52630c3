// Optional cross-check against ggml itself (not built by CMake, not run by CI):
// qmath::gguf::quantize / dequantize byte for byte against ggml's
// quantize_row_*_ref / dequantize_row_* in a released libggml-base.so, and
// qmath::gguf::dot against ggml_vec_dot_* of a libggml-cpu-*.so (to float
// rounding: ggml's SIMD sums in another order).
//
// One way to get the libraries: `npm pack @node-llama-cpp/linux-x64` and
// unpack it (bins/linux-x64/ holds libggml-base.so and libggml-cpu-*.so). Then
//   g++ -std=c++20 -O2 -march=native -Iinclude tests/gguf/tools/ggml_oracle.cpp -o ggml_oracle -ldl -lpthread
// (-march=native: qmath's kernels for this CPU register themselves; every
// level gives the same bits, so the checks hold for any flags.)
//   LD_LIBRARY_PATH=<dir> ./ggml_oracle <dir>/libggml-base.so <dir>/libggml-cpu-haswell.so
// Last run (node-llama-cpp 3.22.1): 108,000 blocks of every format, 0 byte
// differences; dot differences <= 9e-8 of sum |x y|. It also times a
// 4096 x 4096 matrix-vector product (ggml_vec_dot per row vs qmath's matvec).

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include "qmath/gguf/dot.hpp"
#include "qmath/gguf/quantize.hpp"

using namespace qmath::gguf;

namespace {

using qfn = void (*)(const float*, void*, long);
using dfn = void (*)(const void*, float*, long);
using vdot = void (*)(int, float*, std::size_t, const void*, std::size_t, const void*, std::size_t, int);

long problems = 0;

template <class B>
void check_quantize(void* lib, const char* qname, const char* dname, std::mt19937& rng) {
  auto q = reinterpret_cast<qfn>(dlsym(lib, qname));
  auto dq = dname ? reinterpret_cast<dfn>(dlsym(lib, dname)) : nullptr;
  if (!q) {
    std::printf("missing %s\n", qname);
    ++problems;
    return;
  }
  long nbad = 0, nblk = 0, dbad = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const std::size_t nb = 4, n = nb * block_elements<B>;
    std::vector<float> x(n);
    const int kind = trial % 7;
    const float sigma = kind == 6 ? std::ldexp(1.0f, -static_cast<int>(rng() % 25) - 122)
                                  : std::ldexp(1.0f, static_cast<int>(rng() % 30) - 20);
    std::normal_distribution<float> g(0, sigma);
    std::uniform_real_distribution<float> u(-sigma, sigma);
    for (auto& v : x) {
      if (kind == 0 || kind == 6) v = g(rng);
      else if (kind == 1) v = u(rng);
      else if (kind == 2) v = static_cast<float>(static_cast<int>(rng() % 33) - 16) * sigma;  // ties
      else if (kind == 3) v = std::fabs(g(rng)) + sigma;                                      // all positive
      else if (kind == 4) v = g(rng) * g(rng) * g(rng);                                       // heavy tails
      else v = (rng() % 4 == 0) ? g(rng) : 0.0f;                                              // sparse
    }
    std::vector<B> a(nb), b(nb);
    std::memset(static_cast<void*>(a.data()), 0, sizeof(B) * nb);
    std::memset(static_cast<void*>(b.data()), 0, sizeof(B) * nb);
    if (!quantize(x, std::span<B>(a)).ok()) {
      ++problems;
      return;
    }
    q(x.data(), b.data(), static_cast<long>(n));
    for (std::size_t i = 0; i < nb; ++i) {
      ++nblk;
      if constexpr (std::is_same_v<B, block_q8_k>) {  // ggml leaves no padding; compare fields
        if (std::memcmp(&a[i].d, &b[i].d, 4) || std::memcmp(a[i].qs, b[i].qs, 256) || std::memcmp(a[i].bsums, b[i].bsums, 32)) ++nbad;
      } else if (std::memcmp(&a[i], &b[i], sizeof(B))) {
        ++nbad;
      }
    }
    if (dq) {
      std::vector<float> ya(n), yb(n);
      (void)dequantize(std::span<const B>(a), ya);
      dq(a.data(), yb.data(), static_cast<long>(n));
      if (std::memcmp(ya.data(), yb.data(), n * 4)) ++dbad;
    }
  }
  std::printf("%-24s blocks %ld, blocks with a byte difference %ld, dequantize runs differing %ld\n", qname, nblk, nbad, dbad);
  problems += nbad + dbad;
}

template <class X, class Y>
void check_dot(void* lib, const char* name, std::mt19937& rng) {
  auto f = reinterpret_cast<vdot>(dlsym(lib, name));
  if (!f) {
    std::printf("missing %s\n", name);
    ++problems;
    return;
  }
  double worst = 0;
  for (int t = 0; t < 500; ++t) {
    const std::size_t n = 256 * (1 + rng() % 16);
    std::normal_distribution<float> g(0, 1);
    std::vector<float> a(n), b(n);
    for (auto& v : a) v = g(rng) * 0.05f + (t % 3 == 0 ? 0.02f : 0.0f);
    for (auto& v : b) v = g(rng);
    std::vector<X> xq(n / block_elements<X>);
    std::vector<Y> yq(n / block_elements<Y>);
    (void)quantize(a, std::span<X>(xq));
    (void)quantize(b, std::span<Y>(yq));
    const float ours = *dot(std::span<const X>(xq), std::span<const Y>(yq));
    float theirs = 0;
    f(static_cast<int>(n), &theirs, 0, xq.data(), 0, yq.data(), 0, 1);
    double mag = 0;
    for (std::size_t i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(a[i]) * b[i]);
    worst = std::fmax(worst, std::fabs(static_cast<double>(ours) - theirs) / mag);
  }
  std::printf("%-24s max |qmath - ggml| / sum |x y| = %.3g\n", name, worst);
  if (worst > 1e-5) ++problems;
}

/// 4096 x 4096 matrix-vector product: ggml_vec_dot per row against qmath::gguf::matvec, best of 15, one thread.
template <class X, class Y>
void time_matvec(void* lib, const char* name) {
  auto f = reinterpret_cast<vdot>(dlsym(lib, name));
  if (!f) return;
  const std::size_t rows = 4096, cols = 4096;
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> w(rows * cols), v(cols);
  for (auto& x : w) x = g(rng) * 0.02f;
  for (auto& x : v) x = g(rng);
  std::vector<X> wq(rows * cols / block_elements<X>);
  std::vector<Y> vq(cols / block_elements<Y>);
  (void)quantize(w, std::span<X>(wq));
  (void)quantize(v, std::span<Y>(vq));
  std::vector<float> o1(rows), o2(rows);
  const std::size_t rb = cols / block_elements<X>;
  double t1 = 1e9, t2 = 1e9;
  for (int rep = 0; rep < 15; ++rep) {
    const auto a = std::chrono::steady_clock::now();
    for (std::size_t r = 0; r < rows; ++r) f(static_cast<int>(cols), &o1[r], 0, wq.data() + r * rb, 0, vq.data(), 0, 1);
    const auto b = std::chrono::steady_clock::now();
    (void)matvec(std::span<const X>(wq), rows, std::span<const Y>(vq), o2);
    const auto c = std::chrono::steady_clock::now();
    t1 = std::min(t1, std::chrono::duration<double>(b - a).count());
    t2 = std::min(t2, std::chrono::duration<double>(c - b).count());
  }
  std::printf("%-24s 4096x4096: ggml %.3f ms, qmath %.3f ms (level %s), ggml time / qmath time %.2f\n", name, t1 * 1e3,
              t2 * 1e3, std::string(qmath::to_string(kernel_level())).c_str(), t1 / t2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::printf("usage: %s libggml-base.so libggml-cpu-<variant>.so\n", argv[0]);
    return 2;
  }
  void* base = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
  void* cpu = dlopen(argv[2], RTLD_NOW);
  if (!base || !cpu) {
    std::printf("dlopen: %s\n", dlerror());
    return 2;
  }
  if (auto init = reinterpret_cast<void (*)()>(dlsym(cpu, "ggml_cpu_init"))) init();  // fp16 tables
  std::mt19937 rng(123);
  check_quantize<block_q4_0>(base, "quantize_row_q4_0_ref", "dequantize_row_q4_0", rng);
  check_quantize<block_q4_1>(base, "quantize_row_q4_1_ref", "dequantize_row_q4_1", rng);
  check_quantize<block_q5_0>(base, "quantize_row_q5_0_ref", "dequantize_row_q5_0", rng);
  check_quantize<block_q5_1>(base, "quantize_row_q5_1_ref", "dequantize_row_q5_1", rng);
  check_quantize<block_q8_0>(base, "quantize_row_q8_0_ref", "dequantize_row_q8_0", rng);
  check_quantize<block_q8_1>(base, "quantize_row_q8_1_ref", nullptr, rng);
  check_quantize<block_q4_k>(base, "quantize_row_q4_K_ref", "dequantize_row_q4_K", rng);
  check_quantize<block_q6_k>(base, "quantize_row_q6_K_ref", "dequantize_row_q6_K", rng);
  check_quantize<block_q8_k>(base, "quantize_row_q8_K_ref", nullptr, rng);
  check_dot<block_q4_0, block_q8_0>(cpu, "ggml_vec_dot_q4_0_q8_0", rng);
  check_dot<block_q4_1, block_q8_1>(cpu, "ggml_vec_dot_q4_1_q8_1", rng);
  check_dot<block_q5_0, block_q8_0>(cpu, "ggml_vec_dot_q5_0_q8_0", rng);
  check_dot<block_q5_1, block_q8_1>(cpu, "ggml_vec_dot_q5_1_q8_1", rng);
  check_dot<block_q8_0, block_q8_0>(cpu, "ggml_vec_dot_q8_0_q8_0", rng);
  check_dot<block_q4_k, block_q8_k>(cpu, "ggml_vec_dot_q4_K_q8_K", rng);
  check_dot<block_q6_k, block_q8_k>(cpu, "ggml_vec_dot_q6_K_q8_K", rng);
  time_matvec<block_q4_0, block_q8_0>(cpu, "ggml_vec_dot_q4_0_q8_0");
  time_matvec<block_q8_0, block_q8_0>(cpu, "ggml_vec_dot_q8_0_q8_0");
  time_matvec<block_q4_k, block_q8_k>(cpu, "ggml_vec_dot_q4_K_q8_K");
  time_matvec<block_q6_k, block_q8_k>(cpu, "ggml_vec_dot_q6_K_q8_K");
  std::printf("%s (%ld problems)\n", problems ? "FAILED" : "all agree", problems);
  return problems ? 1 : 0;
}
