#pragma once
// Umbrella header: everything public in qmath.
#include "qmath/version.hpp"
#include "qmath/config.hpp"
#include "qmath/core/status.hpp"
#include "qmath/simd/isa.hpp"
#include "qmath/simd/dispatch.hpp"
