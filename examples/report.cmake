# qmath-report: the demo (examples/report/). `ctest -L example` runs it on the
# bundled weights; `ctest -L report` runs its command-line tests.
qmath_add_example(qmath-report report/report.cpp ARGS --no-progress)
target_compile_definitions(qmath-report PRIVATE QMATH_REPORT_DATA_DIR="${PROJECT_SOURCE_DIR}/data/esrgan_x4")

# The FP32 baseline of --bench: OpenBLAS when installed (never required).
find_library(QMATH_OPENBLAS_LIBRARY NAMES openblas)
if(QMATH_OPENBLAS_LIBRARY)
  target_link_libraries(qmath-report PRIVATE "${QMATH_OPENBLAS_LIBRARY}")
  target_compile_definitions(qmath-report PRIVATE QMATH_REPORT_HAVE_BLAS=1)
endif()

if(QMATH_BUILD_TESTS AND NOT CMAKE_CROSSCOMPILING)
  set(_fx "${PROJECT_SOURCE_DIR}/tests/io/data")
  set(_w "${PROJECT_SOURCE_DIR}/data/esrgan_x4")
  # qmath_report_test(<name> RC <code> [REGEX <re>] [JSON] [SVG <file>] ARGS <args...>)
  function(qmath_report_test name)
    cmake_parse_arguments(T "JSON" "RC;REGEX;SVG" "ARGS" ${ARGN})
    list(JOIN T_ARGS "|" _args)
    set(_defs -DEXE=$<TARGET_FILE:qmath-report> "-DARGS=${_args}" -DRC=${T_RC})
    if(DEFINED T_REGEX)
      list(APPEND _defs "-DREGEX=${T_REGEX}")
    endif()
    if(T_JSON)
      list(APPEND _defs -DJSON=ON)
    endif()
    if(T_SVG)
      list(APPEND _defs "-DSVG=${T_SVG}")
    endif()
    add_test(NAME report_${name}
             COMMAND ${CMAKE_COMMAND} ${_defs} -P "${CMAKE_CURRENT_SOURCE_DIR}/report/check_cli.cmake"
             WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
    set_tests_properties(report_${name} PROPERTIES LABELS "example;report")
  endfunction()

  # Errors: a clear message and a non-zero exit code.
  qmath_report_test(missing_file RC 1 REGEX "nope\\.npy: no such file" ARGS nope.npy)
  qmath_report_test(not_float RC 1 REGEX "dtype is int8; qmath-report reads float32 or float64"
                    ARGS ${_fx}/int8_vector.npy)
  qmath_report_test(malformed_header RC 1 REGEX "bad_header\\.npy: qmath: parse error 'shape'"
                    ARGS ${_fx}/bad_header.npy)
  qmath_report_test(truncated RC 1 REGEX "truncated\\.npy: qmath: size mismatch 'data': data is shorter"
                    ARGS ${_fx}/truncated.npy)
  qmath_report_test(big_endian RC 1 REGEX "big-endian data is not supported" ARGS ${_fx}/big_endian.npy)
  qmath_report_test(bad_magic RC 1 REGEX "not a \\.npy file" ARGS ${_fx}/not_npy.npy)
  qmath_report_test(empty_dir RC 1 REGEX "holds no \\.npy files" ARGS ${PROJECT_SOURCE_DIR}/examples)
  qmath_report_test(min_sqnr_range RC 2 REGEX "--min-sqnr: invalid value '250'" ARGS --min-sqnr 250)
  qmath_report_test(min_sqnr_nan RC 2 REGEX "--min-sqnr: invalid value 'nan'" ARGS --min-sqnr nan)
  qmath_report_test(bits_range RC 2 REGEX "--bits: invalid value '8,9'" ARGS --bits 8,9)
  qmath_report_test(budget_range RC 2 REGEX "--budget: invalid value '0.5'.*\\[1, 32\\]" ARGS --budget 0.5)
  qmath_report_test(budget_percent RC 2 REGEX "--budget: invalid value '150%'" ARGS --budget 150%)
  qmath_report_test(kmeans_range RC 2 REGEX "--kmeans: invalid value '300'" ARGS --kmeans 300)
  qmath_report_test(percentile_range RC 2 REGEX "--percentile: invalid value '40'" ARGS --percentile 40)
  qmath_report_test(missing_value RC 2 REGEX "option --budget needs a value" ARGS --budget)
  qmath_report_test(unknown_option RC 2 REGEX "unknown option '--frobnicate'" ARGS --frobnicate)
  qmath_report_test(unknown_tensor RC 2 REGEX "--tensor nope: no tensor of that name" ARGS --tensor nope)
  qmath_report_test(calibrate_missing RC 1 REGEX "act\\.npy: no such file" ARGS --calibrate act.npy)
  qmath_report_test(non_finite RC 1 REGEX "with_nan\\.npy: qmath: non-finite value" ARGS ${_fx}/with_nan.npy)
  qmath_report_test(help RC 0 REGEX "usage: qmath-report" ARGS --help)

  # Valid inputs: float64 + Fortran order is read (transposed to C order).
  qmath_report_test(float64_fortran RC 0 REGEX "f64_fortran  \\[3x4\\]  12 values, viewed as 3 x 4"
                    ARGS --no-progress ${_fx}/f64_fortran.npy)
  # The demo's wiring (scheme conventions, K x C view, group direction) against
  # the independent numpy/PyTorch reference (tests/data/esrgan_quality.csv):
  # F_0/kernel SQNR of pt_sym, pc_sym, g32_sym, g128_sym, pt_asym at 8 and 4 bits.
  qmath_report_test(reference_values RC 0
                    REGEX "int8 sym per-tensor +8 +41\\.16 .*int8 sym per-channel +8 +44\\.30 .*int8 sym group-32 +8 +47\\.11 .*int8 sym group-128 +8 +45\\.72 .*uint8 affine per-tensor +8 +41\\.58 .*int4 sym per-tensor +4 +16\\.00 .*int4 sym per-channel +4 +19\\.13 .*int4 sym group-32 +4 +21\\.93 .*int4 sym group-128 +4 +20\\.53 .*uint4 affine per-tensor +4 +17\\.06 "
                    ARGS --no-progress --bits 8,4 ${_w}/F_0__kernel.npy)
  # Machine output: valid JSON with every field, on a directory and on files.
  qmath_report_test(json_bundled RC 0 JSON ARGS --json)
  qmath_report_test(json_files RC 0 JSON
                    ARGS --json --bits 8,6,4,3,2 --kmeans 8 --calibrate ${_w}/UPN1__kernel.npy --bench --bench-m 16
                         --budget 4.5 ${_w}/F_0__kernel.npy ${_w}/SR__bias.npy)
  qmath_report_test(svg RC 0 REGEX "SVG written to" SVG "${CMAKE_CURRENT_BINARY_DIR}/report_test.svg"
                    ARGS --no-progress --svg "${CMAKE_CURRENT_BINARY_DIR}/report_test.svg" ${_w}/UPN3__kernel.npy)
  qmath_report_test(channels_first RC 0 REGEX "viewed as 4608 x 3"
                    ARGS --no-progress --channel-axis first ${_w}/UPN3__kernel.npy)
endif()
