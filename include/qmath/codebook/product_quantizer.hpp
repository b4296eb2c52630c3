#pragma once
// Product quantization (Jegou, Douze, Schmid 2011).
//
// A vector x in R^d is cut into M sub-vectors of dsub = d / M floats,
// x = [x_0 | x_1 | ... | x_{M-1}]; sub-space m has its own codebook of
// ksub = 2^nbits centroids c_{m,0..ksub-1} (trained by k-means on the
// sub-vectors, codebook/kmeans.hpp). The code of x is the M indices
//     q_m(x) = argmin_j ||x_m - c_{m,j}||^2   (lowest j on ties),
// and decode(code) = [c_{0,q_0} | ... | c_{M-1,q_{M-1}}].
//
// Code layout: code_size() = ceil(M * nbits / 8) bytes per vector; the M
// indices form a little-endian bit stream (index m occupies bits
// m*nbits .. m*nbits + nbits - 1, least significant bit first), Faiss's
// layout. nbits = 8 gives one byte per index; nbits 1..7 are packed with
// qmath::pack (quantize/pack.hpp, the same bit stream); nbits = 16 is
// little-endian 16-bit words; nbits 9..15 continue the same LSB-first stream.
//
// Distances:
//   asymmetric (ADC): for a query y, the table T[m][j] = ||y_m - c_{m,j}||^2
//     (distance_table) gives d(y, decode(code)) = sum_m T[m][q_m], summed in
//     float in order m = 0..M-1, starting from T[0][q_0] (adc_scan;
//     adc_scan_batch: the same sums for many queries in one pass).
//   symmetric (SDC): d(code_a, code_b) = sum_m ||c_{m,a_m} - c_{m,b_m}||^2,
//     = ADC with the query decode(code_a) (symmetric_distances).
// Every squared distance uses the kernels' normative arithmetic, so codes,
// tables and distances are identical on every ISA level.
//
// Example:
//   qmath::pq_options o;  o.M = 8;  o.nbits = 8;
//   auto pq = qmath::product_quantizer::train(x, 128, o);   // x: n*128 floats
//   std::vector<std::uint8_t> codes(n * pq->code_size());
//   pq->encode(x, codes);
//   std::vector<float> lut(pq->M() * pq->ksub()), dist(n);
//   pq->distance_table(query, lut);  pq->adc_scan(lut, codes, dist);

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "qmath/codebook/detail/common.hpp"
#include "qmath/codebook/kmeans.hpp"
#include "qmath/core/status.hpp"
#include "qmath/metrics/error.hpp"
#include "qmath/quantize/pack.hpp"

namespace qmath {

struct pq_options {
  std::size_t M = 8;                          ///< sub-spaces; must divide d
  unsigned nbits = 8;                         ///< bits per sub-index, 1..16
  std::size_t max_iter = 25;                  ///< k-means iterations per sub-space
  kmeans_init init = kmeans_init::random;     ///< random or kmeans_plus_plus
  std::uint64_t seed = 1234;                  ///< same seed for every sub-space (as Faiss)
  std::size_t max_points_per_centroid = 256;  ///< k-means subsampling cap (0: all points)
  std::size_t num_threads = 1;                ///< threads for k-means assignment and encode (same result)
};

class product_quantizer {
 public:
  product_quantizer() = default;

  /// Train M k-means codebooks. Errors: d == 0, M == 0 or M not dividing d
  /// ("M"), nbits outside 1..16 ("nbits"), x empty or not a multiple of d,
  /// fewer vectors than 2^nbits ("x"), non-finite data.
  static result<product_quantizer> train(std::span<const float> x, std::size_t d, const pq_options& opt) {
    QMATH_TRY(check_shape(d, opt.M, opt.nbits));
    if (x.empty()) return empty_input("x");
    if (x.size() % d != 0) return size_mismatch("x", "size must be a multiple of d");
    const std::size_t n = x.size() / d, ksub = std::size_t{1} << opt.nbits;
    if (n < ksub) return out_of_range("x", "needs at least 2^nbits training vectors");
    if (opt.init == kmeans_init::given) return invalid_argument("init", "use from_centroids for given codebooks");
    QMATH_TRY(detail::check_finite(x, "x"));
    product_quantizer pq;
    pq.set_shape(d, opt.M, opt.nbits);
    const std::size_t dsub = pq.dsub_;
    std::vector<float> sub(n * dsub);
    kmeans_options ko;
    ko.k = ksub;
    ko.max_iter = opt.max_iter;
    ko.init = opt.init;
    ko.seed = opt.seed;
    ko.max_points_per_centroid = opt.max_points_per_centroid;
    ko.num_threads = opt.num_threads;
    for (std::size_t m = 0; m < opt.M; ++m) {
      for (std::size_t i = 0; i < n; ++i) std::memcpy(sub.data() + i * dsub, x.data() + i * d + m * dsub, dsub * sizeof(float));
      result<kmeans_result> r = kmeans(sub, dsub, ko);
      if (!r) return r.error();
      std::memcpy(pq.centroids_.data() + m * ksub * dsub, r->centroids.data(), ksub * dsub * sizeof(float));
    }
    pq.build_panels();
    return pq;
  }

  /// A quantizer from given codebooks: centroids is M x 2^nbits x (d / M).
  static result<product_quantizer> from_centroids(std::size_t d, std::size_t M, unsigned nbits,
                                                  std::span<const float> centroids) {
    QMATH_TRY(check_shape(d, M, nbits));
    if (centroids.size() != (std::size_t{1} << nbits) * d)
      return size_mismatch("centroids", "must hold M x 2^nbits x (d / M) values");
    QMATH_TRY(detail::check_finite(centroids, "centroids"));
    product_quantizer pq;
    pq.set_shape(d, M, nbits);
    std::memcpy(pq.centroids_.data(), centroids.data(), centroids.size() * sizeof(float));
    pq.build_panels();
    return pq;
  }

  [[nodiscard]] std::size_t d() const noexcept { return d_; }
  [[nodiscard]] std::size_t M() const noexcept { return M_; }
  [[nodiscard]] unsigned nbits() const noexcept { return nbits_; }
  [[nodiscard]] std::size_t dsub() const noexcept { return dsub_; }
  [[nodiscard]] std::size_t ksub() const noexcept { return ksub_; }
  /// Bytes per encoded vector: ceil(M * nbits / 8).
  [[nodiscard]] std::size_t code_size() const noexcept { return (M_ * nbits_ + 7) / 8; }
  /// Codebooks, M x ksub x dsub.
  [[nodiscard]] std::span<const float> centroids() const noexcept { return centroids_; }

  /// codes (n x code_size()) of the n = x.size() / d vectors of x, on up to
  /// `threads` threads (same codes for any value).
  status encode(std::span<const float> x, std::span<std::uint8_t> codes, std::size_t threads = 1) const {
    QMATH_TRY(check_trained());
    if (x.size() % d_ != 0) return size_mismatch("x", "size must be a multiple of d");
    const std::size_t n = x.size() / d_;
    if (codes.size() != n * code_size()) return size_mismatch("codes", "must hold n x code_size() bytes");
    QMATH_TRY(detail::check_no_overlap(codes, x, "codes"));
    QMATH_TRY(detail::check_finite(x, "x"));
    detail::parallel_rows(n, threads, [&](std::size_t b, std::size_t r) {
      encode_rows(x.data() + b * d_, r, codes.data() + b * code_size());
    });
    return ok_status;
  }

  /// Error statistics (metrics/error.hpp) of decode(encode(x)) against x:
  /// mse() is per value (times d: per vector), sqnr_db(), cosine(), ...
  result<error_stats> reconstruction_error(std::span<const float> x) const {
    QMATH_TRY(check_trained());
    if (x.empty()) return empty_input("x");
    if (x.size() % d_ != 0) return size_mismatch("x", "size must be a multiple of d");
    const std::size_t n = x.size() / d_;
    std::vector<std::uint8_t> codes(n * code_size());
    QMATH_TRY(encode(x, codes));
    std::vector<float> rec(x.size());
    QMATH_TRY(decode(codes, rec));
    return compare(x, rec);
  }

 private:
  void encode_rows(const float* x, std::size_t n, std::uint8_t* codes) const {
    constexpr std::size_t chunk = 1024;
    std::vector<std::uint32_t> idx(chunk * M_), one(M_);
    for (std::size_t i0 = 0; i0 < n; i0 += chunk) {
      const std::size_t nb = n - i0 < chunk ? n - i0 : chunk;
      for (std::size_t m = 0; m < M_; ++m)
        panels_[m].nearest(x + i0 * d_ + m * dsub_, d_, nb, idx.data() + m * chunk, nullptr);
      for (std::size_t r = 0; r < nb; ++r) {
        for (std::size_t m = 0; m < M_; ++m) one[m] = idx[m * chunk + r];
        write_code(one.data(), codes + (i0 + r) * code_size());
      }
    }
  }

  // One vector's M sub-indices <-> its code_size() bytes.
  void write_code(const std::uint32_t* q, std::uint8_t* c) const {
    if (nbits_ == 8) {
      for (std::size_t m = 0; m < M_; ++m) c[m] = static_cast<std::uint8_t>(q[m]);
    } else if (nbits_ < 8) {
      std::uint8_t buf[256];
      for (std::size_t m0 = 0; m0 < M_; m0 += 256) {  // 256 indices fill whole bytes
        const std::size_t len = M_ - m0 < 256 ? M_ - m0 : 256;
        for (std::size_t m = 0; m < len; ++m) buf[m] = static_cast<std::uint8_t>(q[m0 + m]);
        const status st = pack(std::span<const std::uint8_t>(buf, len), static_cast<int>(nbits_),
                               std::span<std::uint8_t>(c + m0 * nbits_ / 8, packed_size(len, static_cast<int>(nbits_))));
        QMATH_ASSERT(st.ok());
        (void)st;
      }
    } else if (nbits_ == 16) {
      for (std::size_t m = 0; m < M_; ++m) {
        c[2 * m] = static_cast<std::uint8_t>(q[m] & 0xFFu);
        c[2 * m + 1] = static_cast<std::uint8_t>(q[m] >> 8);
      }
    } else {  // 9..15 bits: the same LSB-first stream (qmath::pack covers 1..8)
      std::memset(c, 0, code_size());
      for (std::size_t m = 0; m < M_; ++m) {
        const std::size_t pos = m * nbits_;
        std::uint32_t w = q[m] << (pos % 8);
        for (std::size_t b = pos / 8; b < (pos + nbits_ + 7) / 8; ++b, w >>= 8) c[b] |= static_cast<std::uint8_t>(w & 0xFFu);
      }
    }
  }
  void read_code(const std::uint8_t* c, std::uint32_t* q) const {
    if (nbits_ == 8) {
      for (std::size_t m = 0; m < M_; ++m) q[m] = c[m];
    } else if (nbits_ < 8) {
      std::uint8_t buf[256];
      for (std::size_t m0 = 0; m0 < M_; m0 += 256) {
        const std::size_t len = M_ - m0 < 256 ? M_ - m0 : 256;
        const status st = unpack(std::span<const std::uint8_t>(c + m0 * nbits_ / 8, packed_size(len, static_cast<int>(nbits_))),
                                 static_cast<int>(nbits_), std::span<std::uint8_t>(buf, len));
        QMATH_ASSERT(st.ok());
        (void)st;
        for (std::size_t m = 0; m < len; ++m) q[m0 + m] = buf[m];
      }
    } else if (nbits_ == 16) {
      for (std::size_t m = 0; m < M_; ++m) q[m] = c[2 * m] | (static_cast<std::uint32_t>(c[2 * m + 1]) << 8);
    } else {
      for (std::size_t m = 0; m < M_; ++m) {
        const std::size_t pos = m * nbits_;
        std::uint32_t w = 0;
        for (std::size_t b = pos / 8, sh = 0; b < (pos + nbits_ + 7) / 8; ++b, sh += 8) w |= static_cast<std::uint32_t>(c[b]) << sh;
        q[m] = (w >> (pos % 8)) & ((1u << nbits_) - 1u);
      }
    }
  }

 public:

  /// x (n x d) = decode of n codes.
  status decode(std::span<const std::uint8_t> codes, std::span<float> x) const {
    QMATH_TRY(check_trained());
    if (codes.size() % code_size() != 0) return size_mismatch("codes", "size must be a multiple of code_size()");
    const std::size_t n = codes.size() / code_size();
    if (x.size() != n * d_) return size_mismatch("x", "must hold n x d values");
    QMATH_TRY(detail::check_no_overlap(x, codes, "x"));
    std::vector<std::uint32_t> q(M_);
    for (std::size_t i = 0; i < n; ++i) {
      read_code(codes.data() + i * code_size(), q.data());
      float* xi = x.data() + i * d_;
      for (std::size_t m = 0; m < M_; ++m)
        std::memcpy(xi + m * dsub_, centroids_.data() + (m * ksub_ + q[m]) * dsub_, dsub_ * sizeof(float));
    }
    return ok_status;
  }

  /// lut (M x ksub): lut[m * ksub + j] = ||query_m - c_{m,j}||^2.
  status distance_table(std::span<const float> query, std::span<float> lut) const {
    QMATH_TRY(check_trained());
    if (query.size() != d_) return size_mismatch("query", "must hold d values");
    if (lut.size() != M_ * ksub_) return size_mismatch("lut", "must hold M x ksub values");
    QMATH_TRY(detail::check_finite(query, "query"));
    const detail::codebook_kernels* k = detail::codebook_select();
    for (std::size_t m = 0; m < M_; ++m)
      k->l2sq_rows(centroids_.data() + m * ksub_ * dsub_, dsub_, ksub_, dsub_, query.data() + m * dsub_,
                   lut.data() + m * ksub_);
    return ok_status;
  }

  /// out[i] = sum_m lut[m * ksub + q_m(code_i)] (float, m ascending).
  status adc_scan(std::span<const float> lut, std::span<const std::uint8_t> codes, std::span<float> out) const {
    QMATH_TRY(check_trained());
    if (lut.size() != M_ * ksub_) return size_mismatch("lut", "must hold M x ksub values");
    if (codes.size() % code_size() != 0) return size_mismatch("codes", "size must be a multiple of code_size()");
    const std::size_t n = codes.size() / code_size();
    if (out.size() != n) return size_mismatch("out", "must hold one value per code");
    if (nbits_ == 8 && M_ == 8) {
      scan8<8>(lut.data(), codes.data(), n, out.data());
    } else if (nbits_ == 8 && M_ == 16) {
      scan8<16>(lut.data(), codes.data(), n, out.data());
    } else if (nbits_ == 8 && M_ == 32) {
      scan8<32>(lut.data(), codes.data(), n, out.data());
    } else if (nbits_ == 8) {
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t* c = codes.data() + i * M_;
        float s = lut[c[0]];
        for (std::size_t m = 1; m < M_; ++m) s += lut[m * 256 + c[m]];
        out[i] = s;
      }
    } else {
      std::vector<std::uint32_t> q(M_);
      for (std::size_t i = 0; i < n; ++i) {
        read_code(codes.data() + i * code_size(), q.data());
        float s = lut[q[0]];
        for (std::size_t m = 1; m < M_; ++m) s += lut[m * ksub_ + q[m]];
        out[i] = s;
      }
    }
    return ok_status;
  }

  /// Batched ADC: nq = luts.size() / (M * ksub) queries over the same n codes.
  /// luts holds nq tables (query q's table at luts[q * M * ksub], layout of
  /// distance_table); out (nq x n): out[q * n + i] is exactly adc_scan(lut_q,
  /// codes)[i] (same float sum, m ascending from T[0][q_0]): bit-identical on
  /// every ISA level and for every nq. For nbits = 8 the tables of 8 queries
  /// are interleaved (T'[m][j][q], 8 KiB per sub-space) so that one code costs
  /// M loads of 8 contiguous floats for 8 queries instead of 8 * M scalar
  /// table loads: ~1.5x more codes/s per query than nq separate adc_scan calls
  /// (the single-query scan is bound by 2 table loads per cycle). Other nbits
  /// run adc_scan once per query. Scratch: M * ksub * 8 floats.
  ///   std::vector<float> luts(nq * pq->M() * pq->ksub()), dist(nq * n);
  ///   for (q...) pq->distance_table(query_q, span(luts).subspan(q * M * ksub, M * ksub));
  ///   pq->adc_scan_batch(luts, codes, dist);
  status adc_scan_batch(std::span<const float> luts, std::span<const std::uint8_t> codes, std::span<float> out) const {
    QMATH_TRY(check_trained());
    const std::size_t tsz = M_ * ksub_;
    if (luts.size() % tsz != 0) return size_mismatch("luts", "size must be a multiple of M x ksub");
    if (codes.size() % code_size() != 0) return size_mismatch("codes", "size must be a multiple of code_size()");
    const std::size_t nq = luts.size() / tsz, n = codes.size() / code_size();
    if (out.size() != nq * n) return size_mismatch("out", "must hold nq x n values");
    if (nq == 0 || n == 0) return ok_status;
    if (nbits_ != 8 || nq == 1) {
      for (std::size_t q = 0; q < nq; ++q) QMATH_TRY(adc_scan(luts.subspan(q * tsz, tsz), codes, out.subspan(q * n, n)));
      return ok_status;
    }
    std::vector<float> il(tsz * batch_q);
    for (std::size_t q0 = 0; q0 < nq; q0 += batch_q) {
      const std::size_t qn = nq - q0 < batch_q ? nq - q0 : batch_q;
      // Lanes past the last query repeat it (computed, never stored).
      for (std::size_t q = 0; q < batch_q; ++q) {
        const float* t = luts.data() + (q0 + (q < qn ? q : qn - 1)) * tsz;
        for (std::size_t e = 0; e < tsz; ++e) il[e * batch_q + q] = t[e];
      }
      scan8_batch(il.data(), M_, codes.data(), n, out.data() + q0 * n, qn);
    }
    return ok_status;
  }

  /// out[i] = symmetric distance between `code` and codes[i].
  status symmetric_distances(std::span<const std::uint8_t> code, std::span<const std::uint8_t> codes,
                             std::span<float> out) const {
    QMATH_TRY(check_trained());
    if (code.size() != code_size()) return size_mismatch("code", "must hold code_size() bytes");
    std::vector<float> y(d_), lut(M_ * ksub_);
    QMATH_TRY(decode(code, y));
    QMATH_TRY(distance_table(y, lut));
    return adc_scan(lut, codes, out);
  }

 private:
  static status check_shape(std::size_t d, std::size_t M, unsigned nbits) noexcept {
    if (d == 0) return invalid_argument("d", "must be >= 1");
    if (M == 0) return invalid_argument("M", "must be >= 1");
    if (d % M != 0) return invalid_argument("M", "must divide d");
    if (nbits < 1 || nbits > 16) return out_of_range("nbits", "must be in 1..16");
    return ok_status;
  }
  status check_trained() const noexcept {
    if (d_ == 0) return invalid_argument("this", "product_quantizer is not trained");
    return ok_status;
  }
  void set_shape(std::size_t d, std::size_t M, unsigned nbits) {
    d_ = d;
    M_ = M;
    nbits_ = nbits;
    dsub_ = d / M;
    ksub_ = std::size_t{1} << nbits;
    centroids_.assign(M * ksub_ * dsub_, 0.0f);
  }
  void build_panels() {
    panels_.resize(M_);
    for (std::size_t m = 0; m < M_; ++m) panels_[m].assign(centroids_.data() + m * ksub_ * dsub_, ksub_, dsub_);
  }
  // Sum of MM table entries per code, m ascending. One 64-bit load per 8
  // sub-indices (fewer load uops than byte loads: the scan is load-port bound).
  // Out of line (with scan8_batch), as GCC chose before the xsimd layer:
  // whether it inlined them into adc_scan depended on what else the including
  // unit held, and the single-query scan in bench_codebook measured 0.68-0.70
  // G codes/s inlined against 0.735 out of line (M = 8; the placement of the
  // loop still moves it by a few percent).
  template <std::size_t MM>
  QMATH_NOINLINE static void scan8(const float* lut, const std::uint8_t* codes, std::size_t n, float* out) noexcept {
    static_assert(MM % 8 == 0);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const std::uint8_t* c = codes + i * MM;
#pragma GCC unroll 8
      for (std::size_t r = 0; r < 8; ++r) {
        std::uint64_t w;
        std::memcpy(&w, c + r * MM, 8);
        float a = lut[w & 0xFFu];
#pragma GCC unroll 8
        for (std::size_t m = 1; m < 8; ++m) a += lut[m * 256 + ((w >> (8 * m)) & 0xFFu)];
        for (std::size_t m8 = 8; m8 < MM; m8 += 8) {
          std::memcpy(&w, c + r * MM + m8, 8);
#pragma GCC unroll 8
          for (std::size_t m = 0; m < 8; ++m) a += lut[(m8 + m) * 256 + ((w >> (8 * m)) & 0xFFu)];
        }
        out[i + r] = a;
      }
    }
    for (; i < n; ++i) {
      float s = lut[codes[i * MM]];
      for (std::size_t m = 1; m < MM; ++m) s += lut[m * 256 + codes[i * MM + m]];
      out[i] = s;
    }
  }

  static constexpr std::size_t batch_q = 8;
  // il: interleaved tables il[(m * 256 + j) * batch_q + q]. Codes in tiles of
  // 64: the 8 sums per code go to a small tile, then to the qn output rows.
  QMATH_NOINLINE static void scan8_batch(const float* il, std::size_t M, const std::uint8_t* codes, std::size_t n,
                                         float* out, std::size_t qn) noexcept {
    constexpr std::size_t tile_n = 64;
    float tile[tile_n][batch_q];
    for (std::size_t i0 = 0; i0 < n; i0 += tile_n) {
      const std::size_t cn = n - i0 < tile_n ? n - i0 : tile_n;
      for (std::size_t r = 0; r < cn; ++r) {
        const std::uint8_t* c = codes + (i0 + r) * M;
        float a[batch_q];
        const float* t0 = il + std::size_t{c[0]} * batch_q;
        for (std::size_t q = 0; q < batch_q; ++q) a[q] = t0[q];
        for (std::size_t m = 1; m < M; ++m) {
          const float* t = il + (m * 256 + c[m]) * batch_q;
          for (std::size_t q = 0; q < batch_q; ++q) a[q] += t[q];
        }
        for (std::size_t q = 0; q < batch_q; ++q) tile[r][q] = a[q];
      }
      for (std::size_t q = 0; q < qn; ++q)
        for (std::size_t r = 0; r < cn; ++r) out[q * n + i0 + r] = tile[r][q];
    }
  }

  std::size_t d_ = 0, M_ = 0, dsub_ = 0, ksub_ = 0;
  unsigned nbits_ = 0;
  std::vector<float> centroids_;
  std::vector<detail::centroid_panels> panels_;
};

}  // namespace qmath
