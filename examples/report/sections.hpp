#pragma once
// The report's sections, one header each; every one calls the library.
#include "bench.hpp"        // --bench: qmath::gemm vs FP32 sgemm
#include "calibration.hpp"  // --calibrate / --svg: qmath calibrators
#include "plan.hpp"         // mixed precision: qmath::allocate_bits
#include "sweep.hpp"        // schemes x tensors: qmath::sensitivity_table
