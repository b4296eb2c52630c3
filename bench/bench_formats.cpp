// bench_formats: float32 <-> fp16 / bf16 / FP8 E4M3FN / E5M2 / FP4 E2M1
// (packed) conversion throughput on 16 Mi values, single thread, against a
// streaming baseline measured in the same run with the same bytes read and
// written per element (regular and non-temporal stores, best available ISA):
//   encode fp16/bf16: read 4 B, write 2 B   decode: read 2 B, write 4 B
//   encode fp8:       read 4 B, write 1 B   decode: read 1 B, write 4 B
//   encode fp4:       read 4 B, write 0.5 B decode: read 0.5 B, write 4 B
// Ratio = time(baseline) / time(conversion), against the faster of the two
// baselines (median over iterations). Target (issue 11): >= 0.8 for
// fp16 / bf16 / fp8.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "qmath/formats/convert.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

namespace f = qmath::formats;
constexpr std::size_t kN = std::size_t{16} << 20;

template <class T>
struct aligned_buf {
  T* p;
  explicit aligned_buf(std::size_t count) : p(static_cast<T*>(std::aligned_alloc(64, (count * sizeof(T) + 63) / 64 * 64))) {
    std::memset(static_cast<void*>(p), 0, count * sizeof(T));
  }
  ~aligned_buf() { std::free(p); }
  aligned_buf(const aligned_buf&) = delete;
  aligned_buf& operator=(const aligned_buf&) = delete;
};

struct data_t {
  aligned_buf<float> x{kN}, y{kN};
  aligned_buf<std::uint8_t> b{kN * 2};  // codes (up to 2 bytes each)
  data_t() {
    std::uint64_t s = 12345;
    for (std::size_t i = 0; i < kN; ++i) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      x.p[i] = (static_cast<float>(s >> 40) * 0x1p-24f - 0.5f) * 600.0f;
    }
  }
};
data_t& data() {
  static data_t d;
  return d;
}

// Baselines: out = in bytes narrowed (encode shapes) or widened (decode shapes).
// Shape: bytes per element read (as 8ths) and written.
enum class shape { f32_to_2, f32_to_1, f32_to_half, from_2, from_1, from_half };

#if defined(__x86_64__)
QMATH_SIMD_DIAGNOSTICS_BEGIN
template <bool NT>
__attribute__((target("avx512f,avx512bw"))) void base_avx512(shape sh, const void* in, void* out, std::size_t n) {
  const auto* i8 = static_cast<const char*>(in);
  auto* o8 = static_cast<char*>(out);
  auto st128 = [](char* p, __m128i v) __attribute__((target("avx512f,avx512bw"))) {
    if constexpr (NT) _mm_stream_si128(reinterpret_cast<__m128i*>(p), v);
    else _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
  };
  auto st256 = [](char* p, __m256i v) __attribute__((target("avx512f,avx512bw"))) {
    if constexpr (NT) _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
    else _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
  };
  auto st512 = [](char* p, __m512i v) __attribute__((target("avx512f,avx512bw"))) {
    if constexpr (NT) _mm512_stream_si512(reinterpret_cast<__m512i*>(p), v);
    else _mm512_storeu_si512(p, v);
  };
  switch (sh) {
    case shape::f32_to_2:
      for (std::size_t i = 0; i < n; i += 16) st256(o8 + 2 * i, _mm512_cvtepi32_epi16(_mm512_loadu_si512(i8 + 4 * i)));
      break;
    case shape::f32_to_1:
      for (std::size_t i = 0; i < n; i += 16) st128(o8 + i, _mm512_cvtepi32_epi8(_mm512_loadu_si512(i8 + 4 * i)));
      break;
    case shape::f32_to_half:
      for (std::size_t i = 0; i < n; i += 32) {
        const __m128i a = _mm512_cvtepi32_epi8(_mm512_loadu_si512(i8 + 4 * i));
        const __m128i b = _mm512_cvtepi32_epi8(_mm512_loadu_si512(i8 + 4 * i + 64));
        st128(o8 + i / 2, _mm_or_si128(a, _mm_slli_epi16(b, 4)));
      }
      break;
    case shape::from_2:
      for (std::size_t i = 0; i < n; i += 16)
        st512(o8 + 4 * i, _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(i8 + 2 * i))));
      break;
    case shape::from_1:
      for (std::size_t i = 0; i < n; i += 16)
        st512(o8 + 4 * i, _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(i8 + i))));
      break;
    case shape::from_half:
      for (std::size_t i = 0; i < n; i += 32) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(i8 + i / 2));
        st512(o8 + 4 * i, _mm512_cvtepu8_epi32(_mm_and_si128(b, _mm_set1_epi8(0x0F))));
        st512(o8 + 4 * i + 64, _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(0x0F))));
      }
      break;
  }
  if constexpr (NT) _mm_sfence();
}
QMATH_SIMD_DIAGNOSTICS_END
#endif

template <bool NT>
void baseline(shape sh, const void* in, void* out, std::size_t n) {
#if defined(__x86_64__)
  if (qmath::cpu_supports(qmath::isa::avx512)) return base_avx512<NT>(sh, in, out, n);
#endif
  const auto* i8 = static_cast<const std::uint8_t*>(in);
  auto* o8 = static_cast<std::uint8_t*>(out);
  switch (sh) {
    case shape::f32_to_2: for (std::size_t i = 0; i < n; ++i) std::memcpy(o8 + 2 * i, i8 + 4 * i, 2); break;
    case shape::f32_to_1: for (std::size_t i = 0; i < n; ++i) o8[i] = i8[4 * i]; break;
    case shape::f32_to_half: for (std::size_t i = 0; i < n; i += 2) o8[i / 2] = static_cast<std::uint8_t>(i8[4 * i] | (i8[4 * i + 4] << 4)); break;
    case shape::from_2: for (std::size_t i = 0; i < n; ++i) { std::uint32_t v = i8[2 * i] | (i8[2 * i + 1] << 8); std::memcpy(o8 + 4 * i, &v, 4); } break;
    case shape::from_1: for (std::size_t i = 0; i < n; ++i) { std::uint32_t v = i8[i]; std::memcpy(o8 + 4 * i, &v, 4); } break;
    case shape::from_half: for (std::size_t i = 0; i < n; ++i) { std::uint32_t v = (i8[i / 2] >> (4 * (i & 1))) & 15u; std::memcpy(o8 + 4 * i, &v, 4); } break;
  }
}

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct ratio_result {
  double op = 0, base = 0, base_nt = 0, med_b = 0, med_nt = 0;
};
std::map<std::string, ratio_result>& results() {
  static std::map<std::string, ratio_result> r;
  return r;
}
std::vector<std::string>& order() {
  static std::vector<std::string> o;
  return o;
}

template <class Op>
void run(benchmark::State& st, const std::string& name, shape sh, const void* bin, void* bout, Op&& op) {
  double best_op = 1e30, best_b = 1e30, best_nt = 1e30;
  std::vector<double> rb, rnt;
  for (auto _ : st) {
    const double t0 = thread_seconds();
    baseline<false>(sh, bin, bout, kN);
    benchmark::ClobberMemory();
    const double t1 = thread_seconds();
    baseline<true>(sh, bin, bout, kN);
    benchmark::ClobberMemory();
    const double t2 = thread_seconds();
    if (!op()) {
      st.SkipWithError("conversion failed");
      break;
    }
    benchmark::ClobberMemory();
    const double t3 = thread_seconds();
    best_b = std::min(best_b, t1 - t0);
    best_nt = std::min(best_nt, t2 - t1);
    best_op = std::min(best_op, t3 - t2);
    rb.push_back((t1 - t0) / (t3 - t2));
    rnt.push_back((t2 - t1) / (t3 - t2));
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(kN));
  st.counters["vs_base"] = best_b / best_op;
  st.counters["vs_base_nt"] = best_nt / best_op;
  if (results().find(name) == results().end()) order().push_back(name);
  results()[name] = {best_op, best_b, best_nt, median(rb), median(rnt)};
}

template <class F>
void bm_encode(benchmark::State& st, const std::string& name) {
  auto& d = data();
  using C = typename F::code_type;
  const shape sh = sizeof(C) == 2 ? shape::f32_to_2 : shape::f32_to_1;
  run(st, name, sh, d.x.p, d.b.p, [&] {
    return f::encode<F>(std::span<const float>(d.x.p, kN), std::span<C>(reinterpret_cast<C*>(d.b.p), kN),
                        f::overflow::saturate)
        .ok();
  });
}
template <class F>
void bm_decode(benchmark::State& st, const std::string& name) {
  auto& d = data();
  using C = typename F::code_type;
  (void)f::encode<F>(std::span<const float>(d.x.p, kN), std::span<C>(reinterpret_cast<C*>(d.b.p), kN),
                     f::overflow::saturate);
  const shape sh = sizeof(C) == 2 ? shape::from_2 : shape::from_1;
  run(st, name, sh, d.b.p, d.y.p, [&] {
    return f::decode<F>(std::span<const C>(reinterpret_cast<const C*>(d.b.p), kN), std::span<float>(d.y.p, kN)).ok();
  });
}
void bm_encode_fp4(benchmark::State& st) {
  auto& d = data();
  run(st, "encode_packed/fp4_e2m1", shape::f32_to_half, d.x.p, d.b.p, [&] {
    return f::encode_packed<f::fp4_e2m1>(std::span<const float>(d.x.p, kN), std::span<std::uint8_t>(d.b.p, kN / 2),
                                         f::overflow::saturate)
        .ok();
  });
}
void bm_decode_fp4(benchmark::State& st) {
  auto& d = data();
  run(st, "decode_packed/fp4_e2m1", shape::from_half, d.b.p, d.y.p, [&] {
    return f::decode_packed<f::fp4_e2m1>(std::span<const std::uint8_t>(d.b.p, kN / 2), std::span<float>(d.y.p, kN))
        .ok();
  });
}

}  // namespace

int main(int argc, char** argv) {
  auto reg = [](const char* name, auto fn) {
    return benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kMillisecond)->MinTime(0.3);
  };
  reg("encode/fp16", [](benchmark::State& s) { bm_encode<f::fp16>(s, "encode/fp16"); });
  reg("decode/fp16", [](benchmark::State& s) { bm_decode<f::fp16>(s, "decode/fp16"); });
  reg("encode/bf16", [](benchmark::State& s) { bm_encode<f::bf16>(s, "encode/bf16"); });
  reg("decode/bf16", [](benchmark::State& s) { bm_decode<f::bf16>(s, "decode/bf16"); });
  reg("encode/fp8_e4m3fn", [](benchmark::State& s) { bm_encode<f::fp8_e4m3fn>(s, "encode/fp8_e4m3fn"); });
  reg("decode/fp8_e4m3fn", [](benchmark::State& s) { bm_decode<f::fp8_e4m3fn>(s, "decode/fp8_e4m3fn"); });
  reg("encode/fp8_e5m2", [](benchmark::State& s) { bm_encode<f::fp8_e5m2>(s, "encode/fp8_e5m2"); });
  reg("decode/fp8_e5m2", [](benchmark::State& s) { bm_decode<f::fp8_e5m2>(s, "decode/fp8_e5m2"); });
  reg("encode_packed/fp4_e2m1", bm_encode_fp4);
  reg("decode_packed/fp4_e2m1", bm_decode_fp4);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();

  std::printf("\nqmath formats kernels dispatch to: %s; 16 Mi values, 1 thread\n",
              std::string(qmath::to_string(qmath::detail::selected_level<qmath::detail::formats_kernels>())).c_str());
  std::printf("Ratio = element rate of the conversion / element rate of a streaming baseline reading and writing\n"
              "the same bytes per element, timed back to back in every iteration (b: regular stores, nt: non-temporal).\n");
  std::printf("%-26s %9s %8s %8s %8s %8s %6s  %s\n", "conversion", "Melem/s", "best/b", "best/nt", "med/b", "med/nt",
              "target", "meets");
  for (const auto& name : order()) {
    const ratio_result& x = results()[name];
    const double target = name.find("fp4") == std::string::npos ? 0.8 : 0.0;
    const double v = std::min(x.med_b, x.med_nt);
    std::printf("%-26s %9.0f %8.3f %8.3f %8.3f %8.3f %6s  %s\n", name.c_str(), kN / x.op / 1e6, x.base / x.op,
                x.base_nt / x.op, x.med_b, x.med_nt, target > 0 ? "0.80" : "-",
                target > 0 ? (v >= target ? "yes" : "NO") : "-");
  }
  std::printf("('meets': the median ratio against the faster of the two baselines reaches the target)\n");
  benchmark::Shutdown();
  return 0;
}
