#pragma once
// Included by the dispatch units (cmake/qmath_dispatch.cpp.in), which are
// compiled with QMATH_DISPATCH_TU and one level's flags. Lists every kernel
// family: each module adds its kernel header and one entry below.

#if !defined(QMATH_DISPATCH_TU)
#error "qmath/simd/dispatch_units.hpp is for dispatch units only"
#endif

#include "qmath/simd/probe.hpp"
#include "qmath/quantize/kernels.hpp"
#include "qmath/calibrate/kernels.hpp"
#include "qmath/metrics/kernels.hpp"
#include "qmath/codebook/kernels.hpp"
#include "qmath/gemm/kernels.hpp"
#include "qmath/gemm/kernels_int4.hpp"
#include "qmath/gguf/kernels.hpp"
#include "qmath/formats/kernels.hpp"

namespace qmath::kernel::QMATH_TARGET_NS {

inline constexpr detail::unit_entry dispatch_unit_entries[] = {
    unit_entry_for<detail::probe_kernels, probe_provider>(),
    unit_entry_for<detail::quantize_kernels, quantize_provider>(),
    unit_entry_for<detail::calibrate_kernels, calibrate_provider>(),
    unit_entry_for<detail::metrics_kernels, metrics_provider>(),
    unit_entry_for<detail::codebook_kernels, codebook_provider>(),
    unit_entry_for<detail::gemm_kernels, gemm_provider>(),
    unit_entry_for<detail::gemm_int4_kernels, gemm_int4_provider>(),
    unit_entry_for<detail::gguf_kernels, gguf_provider>(),
    unit_entry_for<detail::formats_kernels, formats_provider>(),
    // (modules: one entry per kernel family here)
    {nullptr, nullptr},
};

}  // namespace qmath::kernel::QMATH_TARGET_NS
