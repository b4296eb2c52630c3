# bench_gguf: GGUF block dot products (matrix-vector) against an FP32
# matrix-vector baseline in the same run (OpenBLAS cblas_sgemv when found,
# and a plain AVX-512 / auto-vectorised float loop).
qmath_add_benchmark(bench_gguf bench_gguf.cpp)
find_package(OpenBLAS CONFIG QUIET)
if(OpenBLAS_FOUND)
  target_include_directories(bench_gguf SYSTEM PRIVATE ${OpenBLAS_INCLUDE_DIRS})
  target_link_libraries(bench_gguf PRIVATE ${OpenBLAS_LIBRARIES})
  target_compile_definitions(bench_gguf PRIVATE QMATH_BENCH_OPENBLAS=1)
endif()
find_package(Threads)
if(Threads_FOUND)
  target_link_libraries(bench_gguf PRIVATE Threads::Threads)
endif()
