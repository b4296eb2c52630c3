#pragma once
// Umbrella header: everything public in qmath.
#include "qmath/version.hpp"
#include "qmath/config.hpp"
#include "qmath/core/status.hpp"
#include "qmath/simd/isa.hpp"
#include "qmath/simd/dispatch.hpp"
#include "qmath/core/scheme.hpp"
#include "qmath/core/rounding.hpp"
#include "qmath/core/qparams.hpp"
#include "qmath/core/compute_qparams.hpp"
#include "qmath/quantize/element.hpp"
#include "qmath/quantize/requantize.hpp"
