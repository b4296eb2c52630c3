// Fuzz target: the int8 GEMM (every operand type, output stage, storage
// order, leading dimension, zero point per tensor or per column, thread
// count) and the int4 weight GEMM, under the ISA cap chosen by the input.
// Properties: gemm() returns the same status as gemm_reference() and, when
// both succeed, the same bits for every element (the dispatched kernel
// against the scalar reference); elements of C outside the M x N window
// (ld padding) are never written; gemm_int4 == gemm_int4_reference bit for bit.
#include <cstring>
#include <limits>
#include <vector>

#include "fuzz_support.hpp"
#include "qmath/gemm/gemm.hpp"
#include "qmath/gemm/int4.hpp"

namespace {

template <class T>
struct mat {
  std::vector<T> v;
  qmath::matrix_view<T> view;
};

template <class T>
mat<T> make(qmath_fuzz::reader& r, std::size_t rows, std::size_t cols, int lo = std::numeric_limits<T>::min(),
            int hi = std::numeric_limits<T>::max()) {
  mat<T> m;
  const bool col = r.byte() % 3 == 0;
  const std::size_t inner = col ? rows : cols, outer = col ? cols : rows;
  const std::size_t ld = inner + r.range(0, 2) * (r.byte() % 5);
  m.v.resize((outer - 1) * ld + inner);
  const int fill = r.byte() % 4;  // 0..1 random, 2 all min, 3 all max
  for (auto& x : m.v) x = static_cast<T>(fill == 2 ? lo : fill == 3 ? hi : lo + r.byte() % (hi - lo + 1));
  m.view = {m.v, rows, cols, ld == inner && r.flag() ? 0 : ld,
            col ? qmath::matrix_order::col_major : qmath::matrix_order::row_major};
  return m;
}

template <class Out>
bool same_window(const std::vector<Out>& a, const std::vector<Out>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Out)) == 0;
}

template <class TA, class TB, class Out>
void run(qmath_fuzz::reader& r) {
  const std::size_t M = r.range(1, 40), N = r.range(1, 70), K = r.range(1, 260);
  auto a = make<TA>(r, M, K);
  auto b = make<TB>(r, K, N);
  std::int32_t za = std::numeric_limits<TA>::min() + static_cast<std::int32_t>(r.byte());
  if (r.byte() % 32 == 0) za = 300;  // out of range
  std::vector<std::int32_t> zb(r.byte() % 3 == 0 ? 0 : (r.flag() ? 1 : N));
  for (auto& z : zb) z = std::numeric_limits<TB>::min() + static_cast<std::int32_t>(r.byte());
  auto pw = qmath::pack_weights(b.view, zb);
  QMATH_FUZZ_CHECK(pw.has_value());
  const std::size_t ldc = N + r.range(0, 3);
  std::vector<std::int32_t> bias(r.flag() ? N : 0);
  for (auto& x : bias) x = static_cast<std::int32_t>(r.u32());  // wraps in int32, as documented
  qmath::gemm_options opt;
  opt.threads = static_cast<unsigned>(r.range(1, 3));
  auto run_both = [&](const auto& stage) {
    std::vector<Out> c1((M - 1) * ldc + N, Out{7}), c2 = c1;
    qmath::matrix_span<Out> s1{c1, M, N, ldc}, s2{c2, M, N, ldc};
    const qmath::status st = qmath::gemm(a.view, za, *pw, s1, stage, opt);
    const qmath::status sr = qmath::gemm_reference(a.view, za, b.view, std::span<const std::int32_t>(zb), s2, stage);
    QMATH_FUZZ_CHECK(st.code() == sr.code());
    if (st.ok()) QMATH_FUZZ_CHECK(same_window(c1, c2));
    else QMATH_FUZZ_CHECK(za == 300);
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = N; j < ldc && i + 1 < M; ++j) QMATH_FUZZ_CHECK(c1[i * ldc + j] == Out{7});
  };
  if constexpr (std::is_same_v<Out, std::int32_t>) {
    std::int32_t lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
    if (r.flag()) {
      lo = -static_cast<std::int32_t>(r.u16()) * 64;
      hi = static_cast<std::int32_t>(r.u16()) * 64;
    }
    run_both(qmath::output_int32{bias, lo, hi});
  } else if constexpr (std::is_same_v<Out, float>) {
    std::vector<float> asc(r.flag() ? M : 1), bsc(r.flag() ? N : 1), fb(r.flag() ? N : 0);
    for (auto& s : asc) s = std::ldexp(1.0f + r.byte() / 256.0f, -static_cast<int>(r.byte() % 20));
    for (auto& s : bsc) s = std::ldexp(1.0f + r.byte() / 256.0f, -static_cast<int>(r.byte() % 20));
    for (auto& s : fb) s = r.value();
    for (auto& s : fb)
      if (!std::isfinite(s)) s = 0.5f;
    run_both(qmath::output_dequantize{asc, bsc, fb});
  } else {
    std::vector<float> mult(r.flag() ? N : 1);
    for (auto& m : mult) m = std::ldexp(1.0f + r.byte() / 256.0f, -static_cast<int>(r.byte() % 24));
    const std::int32_t zc = std::is_signed_v<Out> ? static_cast<std::int8_t>(r.byte()) : r.byte();
    const qmath::requant_output o{zc, std::numeric_limits<Out>::min(), std::numeric_limits<Out>::max()};
    if (r.flag()) {
      std::vector<qmath::fixed_multiplier> fm(mult.size());
      for (std::size_t j = 0; j < mult.size(); ++j) fm[j] = qmath::quantize_multiplier(mult[j]).value();
      run_both(qmath::output_requantize_fixed{fm, o, bias});
    } else {
      run_both(qmath::output_requantize{mult, o, bias});
    }
  }
}

void run_int4(qmath_fuzz::reader& r) {
  const std::size_t gs = std::size_t{32} << (r.byte() % 3);
  const std::size_t M = r.range(1, 12), N = r.range(1, 40), K = gs * r.range(1, 3);
  const auto kind = r.flag() ? qmath::int4_kind::signed_int4 : qmath::int4_kind::unsigned_int4;
  const int lo = kind == qmath::int4_kind::signed_int4 ? -8 : 0;
  auto b = make<std::int8_t>(r, K, N, lo, lo + 15);
  std::vector<std::int8_t> a(M * K);
  for (auto& x : a) x = static_cast<std::int8_t>(r.byte());
  const std::size_t G = K / gs;
  std::vector<float> sc(G * N), asc(r.flag() ? M : 1), bias(r.flag() ? N : 0);
  for (auto& s : sc) s = std::ldexp(1.0f + r.byte() / 256.0f, -static_cast<int>(r.byte() % 16));
  for (auto& s : asc) s = std::ldexp(1.0f + r.byte() / 256.0f, -static_cast<int>(r.byte() % 16));
  for (auto& s : bias) s = static_cast<float>(static_cast<std::int8_t>(r.byte()));
  std::vector<std::int32_t> zp(r.flag() ? G * N : 0);
  for (auto& z : zp) z = lo + r.byte() % 16;
  qmath::packed_weights_int4 w;
  QMATH_FUZZ_CHECK(qmath::pack_weights_int4(b.view, kind, gs, sc, zp, w).ok());
  std::vector<float> c1(M * N), c2(M * N);
  qmath::gemm_options opt;
  opt.threads = static_cast<unsigned>(r.range(1, 3));
  const qmath::matrix_view<std::int8_t> av{a, M, K};
  QMATH_FUZZ_CHECK(qmath::gemm_int4(av, asc, w, bias, qmath::matrix_span<float>{c1, M, N}, opt).ok());
  QMATH_FUZZ_CHECK(qmath::gemm_int4_reference(av, asc, b.view, kind, gs, sc, zp, bias, qmath::matrix_span<float>{c2, M, N}).ok());
  QMATH_FUZZ_CHECK(same_window(c1, c2));
}

}  // namespace

QMATH_FUZZ_TARGET(gemm) {
  qmath_fuzz::reader r(data, size);
  qmath_fuzz::pick_cap(r);
  switch (r.byte() % 10) {
    case 0: run<std::uint8_t, std::int8_t, std::int32_t>(r); break;
    case 1: run<std::int8_t, std::int8_t, std::int32_t>(r); break;
    case 2: run<std::uint8_t, std::uint8_t, std::int32_t>(r); break;
    case 3: run<std::int8_t, std::uint8_t, float>(r); break;
    case 4: run<std::uint8_t, std::int8_t, float>(r); break;
    case 5: run<std::uint8_t, std::int8_t, std::uint8_t>(r); break;
    case 6: run<std::int8_t, std::int8_t, std::int8_t>(r); break;
    case 7: run<std::int8_t, std::uint8_t, std::uint8_t>(r); break;
    default: run_int4(r); break;
  }
  return 0;
}
