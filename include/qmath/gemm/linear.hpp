#pragma once
// Dynamic-quantization linear layer (what quantize_dynamic does for Linear):
// float activations are quantized per row at run time, multiplied with int8
// (or int4) weights, and the result is dequantized to float with a bias.
//
//   row i:  scale_i = choose_qparams(min(x_i), max(x_i), -127, 127, symmetric_restricted).scale
//           (PyTorch convention: max|x_i| / 127, at least 2^-23)
//           q[i][k] = quantize_value(x[i][k], scale_i, 0, -127, 127)   (round half even, x / scale)
//   int8:   y = gemm(q, packed W, output_dequantize{scale_i, w_scale[j], bias[j]})
//   int4:   y = gemm_int4(q, scale_i, packed W, bias)
// so y[i][j] ~= sum_k x[i][k] * w[k][j] + bias[j]. Weights are B = W^T (K x N):
// a PyTorch weight [N][K] is matrix_view{w, K, N, K, matrix_order::col_major}.
//
// Errors: 'x' (empty, layout, non-finite values), 'w', 'w_scale', 'bias', 'y'.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "qmath/core/compute_qparams.hpp"
#include "qmath/gemm/gemm.hpp"
#include "qmath/gemm/int4.hpp"
#include "qmath/quantize/element.hpp"

namespace qmath {
namespace detail {

/// Quantize the rows of x into q (M x K row-major) and their scales
/// (dispatched; bit-exact with quantize_value / choose_qparams per row).
inline status quantize_rows_dynamic(const matrix_view<float>& x, std::int8_t* q, float* scale) noexcept {
  QMATH_TRY(check_view(x, "x", x.order == matrix_order::col_major));
  const gemm_kernels* kt = select_kernels<gemm_kernels>();
  if (kt == nullptr) return {errc::unsupported, "x", "no GEMM kernel registered"};
  const std::size_t M = x.rows, K = x.cols;
  std::vector<float> row;
  if (x.order == matrix_order::col_major) row.resize(K);
  for (std::size_t i = 0; i < M; ++i) {
    const float* xi = x.data.data() + i * x.stride();
    if (x.order == matrix_order::col_major) {
      for (std::size_t k = 0; k < K; ++k) row[k] = x(i, k);
      xi = row.data();
    }
    float lo = 0.0f, hi = 0.0f;
    if (!kt->row_range(xi, K, &lo, &hi)) {
      for (std::size_t k = 0; k < K; ++k)
        if (!is_finite(xi[k])) return status(errc::non_finite, "x", "must be finite").at(i * K + k);
    }
    const auto qp = choose_qparams(lo, hi, -127, 127, mapping::symmetric_restricted, qparams_options{});
    if (!qp) return qp.error();
    scale[i] = qp->scale;
    kt->quantize_row_s8(xi, K, qp->scale, q + i * K);
  }
  return ok_status;
}

}  // namespace detail

/// y (M x N) = dequant(quant_rows(x) x W) + bias with int8 weights W (K x N,
/// packed; any zero points) and weight scales w_scale (1 or N values).
inline status linear_dynamic(matrix_view<float> x, const packed_weights& w, std::span<const float> w_scale,
                             std::span<const float> bias, matrix_span<float> y, const gemm_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_view(x, "x", x.order == matrix_order::col_major));
  if (!w.valid()) return invalid_argument("w", "not a packed_weights produced by pack_weights");
  if (x.cols != w.k()) return size_mismatch("w", "K of the packed weights differs from the columns of x");
  std::vector<std::int8_t> q(x.rows * x.cols);
  std::vector<float> s(x.rows);
  QMATH_TRY(detail::quantize_rows_dynamic(x, q.data(), s.data()));
  const status st = gemm(matrix_view<std::int8_t>{q, x.rows, x.cols}, 0, w, y, output_dequantize{s, w_scale, bias}, opt);
  if (!st && st.argument() == "b_scale") return {st.code(), "w_scale", st.detail().data(), st.index()};
  return st;
}

/// Same with int4 weights (per-group scales inside the packed weights).
inline status linear_dynamic(matrix_view<float> x, const packed_weights_int4& w, std::span<const float> bias,
                             matrix_span<float> y, const gemm_options& opt = {}) noexcept {
  QMATH_TRY(detail::check_view(x, "x", x.order == matrix_order::col_major));
  if (!w.valid()) return invalid_argument("w", "not a packed_weights_int4 produced by pack_weights_int4");
  if (x.cols != w.k()) return size_mismatch("w", "K of the packed weights differs from the columns of x");
  std::vector<std::int8_t> q(x.rows * x.cols);
  std::vector<float> s(x.rows);
  QMATH_TRY(detail::quantize_rows_dynamic(x, q.data(), s.data()));
  return gemm_int4(matrix_view<std::int8_t>{q, x.rows, x.cols}, s, w, bias, y, opt);
}

}  // namespace qmath
