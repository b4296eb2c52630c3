# bench_codebook: qmath k-means / product quantizer against Faiss (same data,
# same initial centroids, same iteration count), single thread. Faiss (Debian
# libfaiss-dev, BLAS = OpenBLAS) is linked here only, never to the library.
qmath_add_benchmark(bench_codebook bench_codebook.cpp)
find_package(OpenMP QUIET COMPONENTS CXX)
if(OpenMP_CXX_FOUND)
  find_package(faiss CONFIG QUIET)
endif()
if(faiss_FOUND)
  target_link_libraries(bench_codebook PRIVATE faiss OpenMP::OpenMP_CXX)
  target_compile_definitions(bench_codebook PRIVATE QMATH_BENCH_HAVE_FAISS=1)
  message(STATUS "bench_codebook: Faiss ${faiss_VERSION} found, measured in the same run")
else()
  message(STATUS "bench_codebook: Faiss not found, qmath numbers only")
endif()
