# bench_gemm: qmath integer GEMM against OpenBLAS (cblas_sgemm) and oneDNN
# (dnnl_sgemm, dnnl_gemm_u8s8s32, dnnl_gemm_s8s8s32) when they are found.
qmath_add_benchmark(bench_gemm bench_gemm.cpp)
find_package(OpenBLAS CONFIG QUIET)
if(OpenBLAS_FOUND)
  target_include_directories(bench_gemm SYSTEM PRIVATE ${OpenBLAS_INCLUDE_DIRS})
  target_link_libraries(bench_gemm PRIVATE ${OpenBLAS_LIBRARIES})
  target_compile_definitions(bench_gemm PRIVATE QMATH_BENCH_OPENBLAS=1)
  message(STATUS "bench_gemm: OpenBLAS ${OpenBLAS_VERSION}")
endif()
# Debian's dnnl config requires OpenCL (its headers come with the recommended
# ocl-icd-opencl-dev): look for OpenCL first, or a missing OpenCL would stop the
# whole configure instead of just leaving oneDNN out.
find_package(OpenCL QUIET)
if(OpenCL_FOUND)
  find_package(dnnl CONFIG QUIET)
endif()
if(dnnl_FOUND)
  target_link_libraries(bench_gemm PRIVATE DNNL::dnnl)
  target_compile_definitions(bench_gemm PRIVATE QMATH_BENCH_DNNL=1)
  message(STATUS "bench_gemm: oneDNN ${dnnl_VERSION}")
endif()
find_package(Threads)
if(Threads_FOUND)
  target_link_libraries(bench_gemm PRIVATE Threads::Threads)
endif()
