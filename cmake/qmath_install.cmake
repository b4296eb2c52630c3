# Install + export: find_package(qmath CONFIG) after `cmake --install`, and a
# build-tree export (qmathTargets.cmake in the build directory).
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

set(QMATH_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/qmath" CACHE STRING "Where the qmath CMake package goes")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/qmath" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS qmath EXPORT qmathTargets)
install(EXPORT qmathTargets NAMESPACE qmath:: DESTINATION "${QMATH_CMAKE_INSTALL_DIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/qmathConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/qmathConfig.cmake"
  INSTALL_DESTINATION "${QMATH_CMAKE_INSTALL_DIR}")
# Header-only: any architecture may consume the package.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/qmathConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
  "${PROJECT_BINARY_DIR}/qmathConfig.cmake"
  "${PROJECT_BINARY_DIR}/qmathConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/qmath_dispatch.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/qmath_dispatch.cpp.in"
  DESTINATION "${QMATH_CMAKE_INSTALL_DIR}")

# Build-tree export: find_package(qmath) with qmath_DIR=<build dir>.
export(EXPORT qmathTargets NAMESPACE qmath:: FILE "${PROJECT_BINARY_DIR}/qmathTargets.cmake")
configure_file("${PROJECT_SOURCE_DIR}/cmake/qmath_dispatch.cmake" "${PROJECT_BINARY_DIR}/qmath_dispatch.cmake" COPYONLY)
configure_file("${PROJECT_SOURCE_DIR}/cmake/qmath_dispatch.cpp.in" "${PROJECT_BINARY_DIR}/qmath_dispatch.cpp.in" COPYONLY)
