// The shared SIMD vocabulary (qmath/simd/ops.hpp) at one level, checked
// lane by lane, bit for bit, against the scalar reference. Built once per
// level with that level's flags (tests/simd/CMakeLists.txt) and
// QMATH_OPS_LEVEL=<level>; test_ops.cpp calls the level's entry point only
// when the CPU has the level. Every check runs at arch<L> for each level L
// this unit's flags can compile, so the chained tags (avx512vnni on
// avx512, ...) are checked in their own unit and in the ones above.
#define QMATH_NO_SELF_REGISTER 1
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "ops_check.hpp"
#include "qmath/simd/ops.hpp"

#define QMATH_CAT2(a, b) a##b
#define QMATH_CAT(a, b) QMATH_CAT2(a, b)

namespace qmath::kernel::QMATH_TARGET_NS {
namespace {

namespace S = simd;

struct rng {
  std::uint64_t s;
  std::uint32_t next() noexcept {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(s >> 32);
  }
};

std::uint32_t bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

/// Floats that exercise rounding: halves, near 2^23, zeros, Inf, NaN, random bits.
float test_float(rng& r, std::size_t i) {
  static const float special[] = {0.0f,  -0.0f,       0.5f,       -0.5f,       1.5f,        -1.5f,
                                  2.5f,  -2.5f,       0.49999997f, -0.49999997f, 8388607.5f, -8388607.5f,
                                  8388608.0f, -8388609.0f, 16777215.0f, 1e30f,      -1e30f,      1e-40f,
                                  -1e-40f, std::numeric_limits<float>::infinity(),
                                  -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()};
  constexpr std::size_t ns = sizeof(special) / sizeof(special[0]);
  if (i < ns) return special[i];
  const std::uint32_t u = r.next();
  switch (u % 4) {
    case 0: return from_bits(r.next());                                                   // any bits
    case 1: return (static_cast<float>(static_cast<std::int32_t>(r.next() % 4001u) - 2000)) * 0.5f;  // halves
    case 2: return static_cast<float>(static_cast<std::int32_t>(r.next())) * 0x1p-8f;     // |x| < 2^23
    default: return (static_cast<float>(r.next() % 2000001u) - 1000000.0f) * 0.001f;
  }
}

bool same_float(float a, float b) { return bits(a) == bits(b) || (a != a && b != b); }

template <class A>
struct checker {
  ops_report& rep;
  static constexpr std::size_t W = S::lanes<float, A>;
  const char* level = A::name();

  void fail(const char* op, std::size_t lane, const std::string& detail) {
    ++rep.failures;
    if (rep.first[0] == '\0') {
      std::snprintf(rep.first, sizeof rep.first, "%s: %s lane %zu: %s", level, op, lane, detail.c_str());
    }
  }
  void checked() { ++rep.checks; }

  template <class F, class R>
  void unary_float(const char* op, F&& vf, R&& rf, bool skip_nan_input = false, float max_abs = 0.0f) {
    rng r{0x1234u + W};
    for (std::size_t it = 0; it < 4000; ++it) {
      alignas(64) float x[W], y[W];
      for (std::size_t l = 0; l < W; ++l) {
        float v = test_float(r, it * W + l);
        if (skip_nan_input && v != v) v = 1.25f;
        if (max_abs > 0.0f && !(std::fabs(v) < max_abs)) v = std::fmod(v == v ? v : 0.0f, max_abs);
        if (max_abs > 0.0f && !(std::fabs(v) < max_abs)) v = 0.75f;
        x[l] = v;
      }
      S::store(y, vf(S::load<A>(x)));
      for (std::size_t l = 0; l < W; ++l) {
        checked();
        const float e = rf(x[l]);
        if (!same_float(y[l], e)) {
          char b[160];
          std::snprintf(b, sizeof b, "x=%a (0x%08x) got %a (0x%08x) want %a (0x%08x)", x[l], bits(x[l]), y[l],
                        bits(y[l]), e, bits(e));
          fail(op, l, b);
        }
      }
    }
  }

  void run() {
    using fv = S::batch<float, A>;
    using iv = S::batch<std::int32_t, A>;
    unary_float("round_even", [](fv v) { return S::round_even(v); }, [](float v) { return S::round_even(v); });
    unary_float("round_trunc", [](fv v) { return S::round_trunc(v); }, [](float v) { return S::round_trunc(v); });
    unary_float("round_floor", [](fv v) { return S::round_floor(v); }, [](float v) { return S::round_floor(v); });
    unary_float("nan_to_zero", [](fv v) { return S::nan_to_zero(v); }, [](float v) { return S::nan_to_zero(v); });
    unary_float(
        "is_nonfinite", [](fv v) { return S::select(S::is_nonfinite(v), fv(1.0f), fv(0.0f)); },
        [](float v) { return S::is_nonfinite(v) ? 1.0f : 0.0f; });
    unary_float(
        "max_ordered", [](fv v) { return S::max_ordered(v, fv(0.25f)); },
        [](float v) { return S::max_ordered(v, 0.25f); }, true);
    unary_float(
        "min_ordered", [](fv v) { return S::min_ordered(v, fv(-3.0f)); },
        [](float v) { return S::min_ordered(v, -3.0f); }, true);
    unary_float(
        "trunc_to_i32 / to_f32", [](fv v) { return S::to_f32(S::trunc_to_i32(v)); },
        [](float v) { return S::to_f32(S::trunc_to_i32(v)); }, true, 16777216.0f);

    unary_float(
        "div", [](fv v) { return S::div(fv(1.0f) + v * v, v); }, [](float v) { return S::div(1.0f + v * v, v); });
    // int32 lanes: mullo, shr_logical, iota, select.
    {
      rng r{99};
      for (std::size_t it = 0; it < 4000; ++it) {
        alignas(64) std::int32_t a[W], b[W], m[W], s[W];
        for (std::size_t l = 0; l < W; ++l) {
          a[l] = static_cast<std::int32_t>(r.next());
          b[l] = static_cast<std::int32_t>(r.next());
        }
        const iv va = S::load<A>(a), vb = S::load<A>(b);
        S::store(m, S::mullo(va, vb));
        S::store(s, S::shr_logical<13>(va));
        alignas(64) std::int32_t sel[W];
        S::store(sel, S::select(va < vb, va, vb));
        for (std::size_t l = 0; l < W; ++l) {
          if (sel[l] != (a[l] < b[l] ? a[l] : b[l])) fail("select", l, std::to_string(a[l]));
        }
        // store_where: int32 and float lanes under a float mask; the
        // unselected elements keep their old values.
        alignas(64) float fa[W], fb[W], fw[W];
        alignas(64) std::int32_t iw[W];
        for (std::size_t l = 0; l < W; ++l) {
          fa[l] = static_cast<float>(a[l] % 1000);
          fb[l] = fw[l] = static_cast<float>(b[l] % 1000);
          iw[l] = b[l];
        }
        const auto fm = S::load<A>(fa) < S::load<A>(fb);
        S::store_where(iw, fm, va);
        S::store_where(fw, fm, S::load<A>(fa) + S::batch<float, A>(0.5f));
        for (std::size_t l = 0; l < W; ++l) {
          checked();
          const bool take = fa[l] < fb[l];
          if (iw[l] != (take ? a[l] : b[l])) fail("store_where int32", l, std::to_string(a[l]));
          if (!same_float(fw[l], take ? fa[l] + 0.5f : fb[l])) fail("store_where float", l, std::to_string(fa[l]));
        }
        for (std::size_t l = 0; l < W; ++l) {
          checked();
          if (m[l] != S::mullo(a[l], b[l])) fail("mullo", l, std::to_string(a[l]) + " * " + std::to_string(b[l]));
          if (s[l] != S::shr_logical<13>(a[l])) fail("shr_logical", l, std::to_string(a[l]));
        }
      }
      alignas(64) std::int32_t io[W];
      S::store(io, S::iota<A>());
      for (std::size_t l = 0; l < W; ++l) {
        checked();
        if (io[l] != static_cast<std::int32_t>(l)) fail("iota", l, std::to_string(io[l]));
      }
    }
    widen_narrow<std::int8_t>("int8");
    widen_narrow<std::uint8_t>("uint8");
    widen_narrow<std::int16_t>("int16");
    widen_narrow<std::uint16_t>("uint16");
    dots();
    misc();
  }

  template <class T>
  void widen_narrow(const char* tname) {
    using iv = S::batch<std::int32_t, A>;
    rng r{7u + sizeof(T)};
    alignas(64) T src[4 * W + 8];
    alignas(64) T dst[4 * W];
    alignas(64) std::int32_t w[4][W];
    for (std::size_t it = 0; it < 500; ++it) {
      for (auto& v : src) v = static_cast<T>(r.next());
      if (it == 0)
        for (std::size_t i = 0; i < 4 * W; ++i) src[i] = (i & 1) ? std::numeric_limits<T>::max() : std::numeric_limits<T>::min();
      const std::size_t off = it % 5;  // unaligned loads
      iv v[4];
      for (int k = 0; k < 4; ++k) {
        v[k] = S::load_widen<A>(src + off + k * W);
        S::store(w[k], v[k]);
        for (std::size_t l = 0; l < W; ++l) {
          checked();
          if (w[k][l] != static_cast<std::int32_t>(src[off + k * W + l]))
            fail("load_widen", l, std::string(tname) + " " + std::to_string(src[off + k * W + l]));
        }
      }
      for (int nt = 0; nt < 2; ++nt) {
        std::memset(dst, 0x5a, sizeof dst);
        if (nt) S::store_narrow4<T, true>(dst, v[0], v[1], v[2], v[3]);
        else S::store_narrow4<T, false>(dst, v[0], v[1], v[2], v[3]);
        S::stream_fence<A>();
        for (std::size_t i = 0; i < 4 * W; ++i) {
          checked();
          if (dst[i] != src[off + i]) fail(nt ? "store_narrow4<NT>" : "store_narrow4", i, tname);
        }
      }
    }
    alignas(64) float sf[W];
    S::stream(sf, S::broadcast<A>(2.5f));
    S::stream_fence<A>();
    for (std::size_t l = 0; l < W; ++l) {
      checked();
      if (sf[l] != 2.5f) fail("stream", l, "");
    }
  }

  void dots() {
    constexpr std::size_t B = S::lanes<std::uint8_t, A>;
    rng r{2024};
    alignas(64) std::uint8_t a[B];
    alignas(64) std::int8_t b[B], c[B];
    alignas(64) std::int32_t acc[W], got[W];
    for (std::size_t it = 0; it < 3000; ++it) {
      for (std::size_t i = 0; i < B; ++i) {
        a[i] = static_cast<std::uint8_t>(r.next());
        b[i] = static_cast<std::int8_t>(r.next());
        c[i] = static_cast<std::int8_t>(r.next());
        if (it == 0) a[i] = 255, b[i] = -128, c[i] = -128;  // the extremes
        if (it == 1) a[i] = 255, b[i] = 127, c[i] = 127;
      }
      for (std::size_t l = 0; l < W; ++l) acc[l] = static_cast<std::int32_t>(r.next() % 2000001u) - 1000000;
      const auto va = S::batch<std::uint8_t, A>::load_aligned(a);
      const auto vb = S::batch<std::int8_t, A>::load_aligned(b);
      const auto vc = S::batch<std::int8_t, A>::load_aligned(c);
      S::store(got, S::dot4_u8s8(S::load<A>(acc), va, vb));
      for (std::size_t l = 0; l < W; ++l) {
        checked();
        const std::int32_t e = S::dot4_u8s8(acc[l], a + 4 * l, b + 4 * l);
        if (got[l] != e) fail("dot4_u8s8", l, std::to_string(got[l]) + " want " + std::to_string(e));
      }
      S::store(got, S::dot4_s8s8(S::load<A>(acc), vc, vb));
      for (std::size_t l = 0; l < W; ++l) {
        checked();
        const std::int32_t e = S::dot4_s8s8(acc[l], c + 4 * l, b + 4 * l);
        if (got[l] != e) fail("dot4_s8s8", l, std::to_string(got[l]) + " want " + std::to_string(e));
      }
    }
  }

  void misc() {
    alignas(64) float x[W];
    alignas(64) std::int32_t xi[W];
    for (std::size_t l = 0; l < W; ++l) x[l] = static_cast<float>(l) - 1.5f;
    const auto v = S::load<A>(x);
    S::store(xi, S::bitcast<std::int32_t>(v));
    for (std::size_t l = 0; l < W; ++l) {
      checked();
      if (static_cast<std::uint32_t>(xi[l]) != bits(x[l])) fail("bitcast", l, "");
    }
    checked();
    if (!S::any(v > S::broadcast<A>(0.0f)) || S::any(v > S::broadcast<A>(1e9f))) fail("any", 0, "");
    checked();
    std::int32_t sum = 0;
    for (std::size_t l = 0; l < W; ++l) sum += xi[l] & 0xffff;
    if (S::reduce_add(S::load<A>(xi) & S::broadcast<A>(std::int32_t{0xffff})) != sum) fail("reduce_add", 0, "");
  }
};

template <isa L>
void check_level(ops_report& rep) {
  if constexpr (L != isa::scalar && S::has_arch<L>) checker<S::arch<L>>{rep}.run();
}

}  // namespace
}  // namespace qmath::kernel::QMATH_TARGET_NS

/// Entry point of this unit: checks every level its flags can compile.
extern "C" void QMATH_CAT(qmath_ops_check_, QMATH_OPS_LEVEL)(ops_report* rep) {
  using namespace qmath::kernel::QMATH_TARGET_NS;
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (check_level<static_cast<qmath::isa>(I)>(*rep), ...);
  }(std::make_integer_sequence<int, qmath::isa_count>{});
}
