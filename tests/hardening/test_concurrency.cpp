// Concurrency: every function family called from many std::threads at once
// on different data gives the single-threaded results bit for bit (while
// another thread keeps changing the ISA cap: every level is bit-exact, so
// results cannot depend on it); calibrator states filled on many threads
// and merged give the same qparams as one thread; the internal thread pools
// (threads > 1) give the same bits as one thread. Built and run under
// ThreadSanitizer by CI (leg tsan).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "qmath/calibrate/histogram.hpp"
#include "qmath/calibrate/minmax.hpp"
#include "qmath/calibrate/percentile.hpp"
#include "qmath/calibrate/qparams.hpp"
#include "qmath/codebook/kmeans.hpp"
#include "qmath/codebook/product_quantizer.hpp"
#include "qmath/core/compute_qparams.hpp"
#include "qmath/gemm/gemm.hpp"
#include "qmath/gemm/int4.hpp"
#include "qmath/io/npy.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/quantize/fake_quant.hpp"
#include "qmath/quantize/pack.hpp"
#include "qmath/quantize/quantize.hpp"
#include "qmath/quantize/requantize.hpp"
#include "qmath/simd/isa.hpp"

namespace {

constexpr int n_threads = 8;

/// Everything one worker computes from its seed, as bytes (compared whole).
std::vector<std::uint8_t> work(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f + static_cast<float>(seed % 5));
  std::vector<std::uint8_t> out;
  auto put = [&](const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  };
  const std::size_t rows = 24, cols = 40, n = rows * cols;
  std::vector<float> x(n);
  for (auto& v : x) v = nd(rng);

  // qparams, quantize (per channel, stochastic per tensor), dequantize, fake quant.
  const std::size_t shape[2] = {rows, cols};
  auto pc = qmath::compute_qparams<qmath::int8_sym_per_channel>(x, shape, {});
  REQUIRE(pc);
  std::vector<std::int8_t> q(n);
  REQUIRE(qmath::quantize(std::span<const float>(x), shape, *pc, std::span(q)).ok());
  put(q.data(), n);
  auto pt = qmath::compute_qparams<qmath::uint8_affine_per_tensor>(x, {});
  REQUIRE(pt);
  qmath::quantize_options so;
  so.round = qmath::rounding::stochastic;
  so.seed = seed;
  std::vector<std::uint8_t> qu(n);
  REQUIRE(qmath::quantize(std::span<const float>(x), *pt, std::span(qu), so).ok());
  put(qu.data(), n);
  std::vector<float> dq(n);
  REQUIRE(qmath::dequantize(std::span<const std::int8_t>(q), shape, *pc, std::span(dq)).ok());
  put(dq.data(), n * sizeof(float));
  std::vector<float> fq(n);
  REQUIRE(qmath::fake_quant(std::span<const float>(x), *pt, std::span(fq), {}).ok());
  put(fq.data(), n * sizeof(float));
  // Sub-byte: quantize_packed per group, unpack.
  qmath::qparams<qmath::int4_sym_g32> g4{};
  const std::size_t gshape[2] = {rows, 32};
  std::vector<float> xg(rows * 32);
  for (auto& v : xg) v = nd(rng);
  REQUIRE(qmath::compute_qparams<qmath::int4_sym_g32>(xg, gshape, g4, {}).ok());
  std::vector<std::uint8_t> pk(qmath::packed_size(xg.size(), 4));
  REQUIRE(qmath::quantize_packed(std::span<const float>(xg), gshape, g4, std::span(pk)).ok());
  put(pk.data(), pk.size());
  std::vector<std::int8_t> codes(xg.size());
  REQUIRE(qmath::unpack(std::span<const std::uint8_t>(pk), 4, std::span(codes)).ok());
  put(codes.data(), codes.size());
  // Requantize.
  std::vector<std::int32_t> acc(n);
  for (auto& a : acc) a = static_cast<std::int32_t>(rng() % 200001) - 100000;
  std::vector<std::uint8_t> rq(n);
  const float mult = 0.001f;
  REQUIRE(qmath::requantize_float(std::span<const std::int32_t>(acc), cols, {}, std::span(&mult, 1),
                                  qmath::requant_output{128, 0, 255}, std::span(rq))
              .ok());
  put(rq.data(), n);
  // Calibration and metrics.
  qmath::minmax_observer mm;
  REQUIRE(mm.observe(x).ok());
  auto r = mm.range();
  put(&r, sizeof r);
  qmath::histogram h(qmath::histogram_mode::signed_values);
  REQUIRE(h.add(x).ok());
  put(h.counts().data(), h.counts().size_bytes());
  qmath::percentile_observer po;
  REQUIRE(po.observe(x).ok());
  const double p99 = *po.percentile(99.0);
  put(&p99, sizeof p99);
  auto e = qmath::compare(x, dq);
  REQUIRE(e);
  put(&e->sum_sq_err, sizeof(double));
  put(&e->sum_cross, sizeof(double));
  // k-means and PQ (small).
  qmath::kmeans_options ko;
  ko.k = 8;
  ko.max_iter = 5;
  ko.seed = seed;
  auto km = qmath::kmeans(x, 4, ko);
  REQUIRE(km);
  put(km->centroids.data(), km->centroids.size() * sizeof(float));
  qmath::pq_options po2;
  po2.M = 2;
  po2.nbits = 3;
  po2.max_iter = 4;
  auto pq = qmath::product_quantizer::train(x, 8, po2);
  REQUIRE(pq);
  std::vector<std::uint8_t> pcodes(n / 8 * pq->code_size());
  REQUIRE(pq->encode(x, pcodes).ok());
  put(pcodes.data(), pcodes.size());
  // GEMM int8 (one and two internal threads) and int4.
  const std::size_t M = 20, K = 70, N = 33;
  std::vector<std::uint8_t> a(M * K);
  std::vector<std::int8_t> b(K * N);
  for (auto& v : a) v = static_cast<std::uint8_t>(rng());
  for (auto& v : b) v = static_cast<std::int8_t>(rng());
  auto pw = qmath::pack_weights(qmath::matrix_view<std::int8_t>{b, K, N}, std::vector<std::int32_t>{3});
  REQUIRE(pw);
  for (unsigned t : {1u, 2u}) {
    std::vector<std::int32_t> c(M * N);
    REQUIRE(qmath::gemm(qmath::matrix_view<std::uint8_t>{a, M, K}, 7, *pw, qmath::matrix_span<std::int32_t>{c, M, N},
                        qmath::output_int32{}, qmath::gemm_options{t})
                .ok());
    put(c.data(), c.size() * sizeof(std::int32_t));
  }
  std::vector<std::int8_t> b4(64 * N);
  for (auto& v : b4) v = static_cast<std::int8_t>(static_cast<int>(rng() % 16) - 8);
  std::vector<float> s4(2 * N, 0.01f);
  qmath::packed_weights_int4 w4;
  REQUIRE(qmath::pack_weights_int4(qmath::matrix_view<std::int8_t>{b4, 64, N}, qmath::int4_kind::signed_int4, 32, s4,
                                   {}, w4)
              .ok());
  std::vector<std::int8_t> a4(M * 64);
  for (auto& v : a4) v = static_cast<std::int8_t>(rng());
  std::vector<float> c4(M * N);
  const float one = 1.0f;
  REQUIRE(qmath::gemm_int4(qmath::matrix_view<std::int8_t>{a4, M, 64}, std::span(&one, 1), w4, {},
                           qmath::matrix_span<float>{c4, M, N})
              .ok());
  put(c4.data(), c4.size() * sizeof(float));
  // .npy round trip.
  auto img = qmath::io::encode_npy(std::span<const float>(x), shape);
  REQUIRE(img);
  auto back = qmath::io::decode_npy(*img);
  REQUIRE(back);
  put(back->values<float>().data(), back->values<float>().size_bytes());
  return out;
}

}  // namespace

TEST_CASE("concurrency: every family from many threads == one thread, while the cap changes") {
  std::vector<std::vector<std::uint8_t>> single(n_threads);
  for (int t = 0; t < n_threads; ++t) single[static_cast<std::size_t>(t)] = work(100u + static_cast<unsigned>(t));
  const qmath::isa saved = qmath::max_isa();
  std::vector<qmath::isa> caps;
  for (int l = 0; l < qmath::isa_count; ++l) {
    const auto li = static_cast<qmath::isa>(l);
    if (qmath::isa_is_native_family(li) && qmath::cpu_supports(li)) caps.push_back(li);
  }
  for (int round = 0; round < 2; ++round) {
    std::vector<std::vector<std::uint8_t>> multi(n_threads);
    std::atomic<bool> stop{false};
    std::thread capper([&] {
      std::size_t i = 0;
      while (!stop.load()) {
        (void)qmath::set_max_isa(caps[i++ % caps.size()]);
        std::this_thread::yield();
      }
    });
    std::vector<std::thread> th;
    for (int t = 0; t < n_threads; ++t)
      th.emplace_back([&, t] { multi[static_cast<std::size_t>(t)] = work(100u + static_cast<unsigned>(t)); });
    for (auto& x : th) x.join();
    stop = true;
    capper.join();
    for (int t = 0; t < n_threads; ++t) {
      INFO("thread " << t << " round " << round);
      CHECK(multi[static_cast<std::size_t>(t)] == single[static_cast<std::size_t>(t)]);
    }
  }
  CHECK(qmath::set_max_isa(saved).ok());
}

TEST_CASE("concurrency: calibrators filled on many threads and merged == one thread") {
  const std::size_t rows = 16, cols = 64;
  const std::size_t shape[2] = {rows, cols};
  std::vector<std::vector<float>> batches(n_threads * 3);
  std::mt19937 rng(42);
  for (std::size_t b = 0; b < batches.size(); ++b) {
    std::normal_distribution<float> nd(0.0f, 0.5f + static_cast<float>(b));  // growing range: histograms regrid
    batches[b].resize(rows * cols);
    for (auto& v : batches[b]) v = nd(rng);
  }
  auto part = qmath::partition::per_channel(shape, 0);
  REQUIRE(part);
  qmath::minmax_observer one(*part);
  qmath::histogram h_one(qmath::histogram_mode::magnitude);
  qmath::percentile_observer p_one;
  for (const auto& b : batches) {
    REQUIRE(one.observe(b).ok());
    REQUIRE(h_one.add(b).ok());
    REQUIRE(p_one.observe(b).ok());
  }
  std::vector<qmath::minmax_observer> mm(n_threads, qmath::minmax_observer(*part));
  std::vector<qmath::histogram> hs(n_threads, qmath::histogram(qmath::histogram_mode::magnitude));
  std::vector<qmath::percentile_observer> ps(n_threads);
  std::vector<std::thread> th;
  for (int t = 0; t < n_threads; ++t)
    th.emplace_back([&, t] {
      const auto u = static_cast<std::size_t>(t);
      for (std::size_t b = u; b < batches.size(); b += n_threads) {  // interleaved shards
        (void)mm[u].observe(batches[b]);
        (void)hs[u].add(batches[b]);
        (void)ps[u].observe(batches[b]);
      }
    });
  for (auto& x : th) x.join();
  for (int t = 1; t < n_threads; ++t) {
    REQUIRE(mm[0].merge(mm[static_cast<std::size_t>(t)]).ok());
    REQUIRE(hs[0].merge(hs[static_cast<std::size_t>(t)]).ok());
    REQUIRE(ps[0].merge(ps[static_cast<std::size_t>(t)]).ok());
  }
  auto q_one = qmath::calibrated_qparams<qmath::int8_sym_per_channel>(one);
  auto q_merged = qmath::calibrated_qparams<qmath::int8_sym_per_channel>(mm[0]);
  REQUIRE(q_one);
  REQUIRE(q_merged);
  CHECK(*q_one == *q_merged);
  CHECK(mm[0].count() == one.count());
  CHECK(hs[0].total() == h_one.total());
  CHECK(hs[0].bin_width() == h_one.bin_width());
  CHECK(std::equal(hs[0].counts().begin(), hs[0].counts().end(), h_one.counts().begin(), h_one.counts().end()));
  CHECK(*ps[0].percentile(99.9) == *p_one.percentile(99.9));
  auto t_one = qmath::qparams_from_threshold<qmath::int8_sym_per_tensor>(*p_one.magnitude_percentile(99.9));
  auto t_merged = qmath::qparams_from_threshold<qmath::int8_sym_per_tensor>(*ps[0].magnitude_percentile(99.9));
  REQUIRE(t_one);
  REQUIRE(t_merged);
  CHECK(*t_one == *t_merged);
}

TEST_CASE("concurrency: internal threads give the same bits as one thread") {
  const std::size_t n = (std::size_t{1} << 18) + 77;  // above the 2 x 64 Ki split threshold
  std::vector<float> x(n);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (auto& v : x) v = nd(rng);
  const qmath::qparams<qmath::uint8_affine_per_tensor> p{0.05f, 128};
  for (auto round : {qmath::rounding::half_even, qmath::rounding::stochastic}) {
    qmath::quantize_options o;
    o.round = round;
    std::vector<std::uint8_t> q1(n), q4(n);
    REQUIRE(qmath::quantize(std::span<const float>(x), p, std::span(q1), o).ok());
    o.threads = 4;
    REQUIRE(qmath::quantize(std::span<const float>(x), p, std::span(q4), o).ok());
    CHECK(q1 == q4);
    std::vector<float> d1(n), d4(n);
    REQUIRE(qmath::dequantize(std::span<const std::uint8_t>(q1), p, std::span(d1)).ok());
    REQUIRE(qmath::dequantize(std::span<const std::uint8_t>(q1), p, std::span(d4), qmath::dequantize_options{4}).ok());
    CHECK(std::memcmp(d1.data(), d4.data(), n * sizeof(float)) == 0);
  }
  const qmath::qparams<qmath::uint4_affine_per_tensor> p4{0.5f, 8};
  std::vector<std::uint8_t> k1(qmath::packed_size(n, 4)), k4(k1.size());
  REQUIRE(qmath::quantize_packed(std::span<const float>(x), p4, std::span(k1)).ok());
  qmath::quantize_options o4;
  o4.threads = 4;
  REQUIRE(qmath::quantize_packed(std::span<const float>(x), p4, std::span(k4), o4).ok());
  CHECK(k1 == k4);
  // k-means assignment and PQ encoding threads.
  std::vector<float> pts(4000 * 8);
  for (auto& v : pts) v = nd(rng);
  qmath::kmeans_options ko;
  ko.k = 16;
  ko.max_iter = 4;
  auto a1 = qmath::kmeans(pts, 8, ko);
  ko.num_threads = 4;
  auto a4 = qmath::kmeans(pts, 8, ko);
  REQUIRE(a1);
  REQUIRE(a4);
  CHECK(a1->centroids == a4->centroids);
  qmath::pq_options po;
  po.M = 4;
  po.nbits = 4;
  po.max_iter = 3;
  auto pq = qmath::product_quantizer::train(pts, 8, po);
  REQUIRE(pq);
  std::vector<std::uint8_t> c1(4000 * pq->code_size()), c4(c1.size());
  REQUIRE(pq->encode(pts, c1, 1).ok());
  REQUIRE(pq->encode(pts, c4, 4).ok());
  CHECK(c1 == c4);
}
