# Dependency resolution: find_package first, FetchContent (pinned) as fallback.
include_guard(GLOBAL)
include(FetchContent)

# Pinned fallbacks for machines without the Debian packages.
set(QMATH_XSIMD_FETCH_TAG "14.0.0" CACHE STRING "xsimd tag fetched when find_package(xsimd) fails")
set(QMATH_DOCTEST_FETCH_TAG "v2.4.11" CACHE STRING "doctest tag fetched when find_package(doctest) fails")
set(QMATH_BENCHMARK_FETCH_TAG "v1.8.3" CACHE STRING "Google Benchmark tag fetched when find_package(benchmark) fails")

# Debian's xsimd 8.1 package links a target `xtl` that it neither finds nor
# installs; xsimd does not need xtl for what qmath uses, so an empty target
# stands in for it.
macro(qmath_xtl_workaround)
  if(NOT TARGET xtl)
    add_library(xtl INTERFACE IMPORTED)
  endif()
endmacro()

# Makes a target `xsimd` available.
function(qmath_provide_xsimd)
  if(TARGET xsimd)
    return()
  endif()
  if(QMATH_XSIMD_INCLUDE_DIR)
    add_library(xsimd INTERFACE IMPORTED GLOBAL)
    set_target_properties(xsimd PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${QMATH_XSIMD_INCLUDE_DIR}")
    message(STATUS "qmath: xsimd headers from ${QMATH_XSIMD_INCLUDE_DIR}")
    return()
  endif()
  qmath_xtl_workaround()
  find_package(xsimd CONFIG QUIET)
  if(xsimd_FOUND)
    message(STATUS "qmath: xsimd ${xsimd_VERSION} found")
    # Make the imported target visible to the whole project.
    set_target_properties(xsimd PROPERTIES IMPORTED_GLOBAL TRUE)
    return()
  endif()
  message(STATUS "qmath: xsimd not found, fetching ${QMATH_XSIMD_FETCH_TAG}")
  FetchContent_Declare(xsimd
    GIT_REPOSITORY https://github.com/xtensor-stack/xsimd.git
    GIT_TAG ${QMATH_XSIMD_FETCH_TAG}
    GIT_SHALLOW TRUE)
  FetchContent_MakeAvailable(xsimd)
endfunction()

# doctest::doctest for the tests.
function(qmath_provide_doctest)
  if(TARGET doctest::doctest)
    return()
  endif()
  if(QMATH_DOCTEST_INCLUDE_DIR)
    add_library(doctest::doctest INTERFACE IMPORTED GLOBAL)
    set_target_properties(doctest::doctest PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${QMATH_DOCTEST_INCLUDE_DIR}")
    return()
  endif()
  find_package(doctest CONFIG QUIET)
  if(doctest_FOUND)
    set_target_properties(doctest::doctest PROPERTIES IMPORTED_GLOBAL TRUE)
    return()
  endif()
  message(STATUS "qmath: doctest not found, fetching ${QMATH_DOCTEST_FETCH_TAG}")
  FetchContent_Declare(doctest
    GIT_REPOSITORY https://github.com/doctest/doctest.git
    GIT_TAG ${QMATH_DOCTEST_FETCH_TAG}
    GIT_SHALLOW TRUE)
  FetchContent_MakeAvailable(doctest)
endfunction()

# benchmark::benchmark for the benchmarks.
function(qmath_provide_benchmark)
  if(TARGET benchmark::benchmark)
    return()
  endif()
  find_package(benchmark CONFIG QUIET)
  if(benchmark_FOUND)
    set_target_properties(benchmark::benchmark PROPERTIES IMPORTED_GLOBAL TRUE)
    return()
  endif()
  message(STATUS "qmath: Google Benchmark not found, fetching ${QMATH_BENCHMARK_FETCH_TAG}")
  set(BENCHMARK_ENABLE_TESTING OFF CACHE BOOL "" FORCE)
  set(BENCHMARK_ENABLE_GTEST_TESTS OFF CACHE BOOL "" FORCE)
  FetchContent_Declare(benchmark
    GIT_REPOSITORY https://github.com/google/benchmark.git
    GIT_TAG ${QMATH_BENCHMARK_FETCH_TAG}
    GIT_SHALLOW TRUE)
  FetchContent_MakeAvailable(benchmark)
endfunction()
