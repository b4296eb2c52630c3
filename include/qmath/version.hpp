#pragma once
// qmath version. CMake parses these three macros; keep them on their own lines.
#define QMATH_VERSION_MAJOR 0
#define QMATH_VERSION_MINOR 1
#define QMATH_VERSION_PATCH 0

#define QMATH_VERSION (QMATH_VERSION_MAJOR * 10000 + QMATH_VERSION_MINOR * 100 + QMATH_VERSION_PATCH)

namespace qmath {
/// The library version as `major * 10000 + minor * 100 + patch`.
inline constexpr int version = QMATH_VERSION;
}  // namespace qmath
