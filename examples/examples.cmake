# The examples a new user reads first (each is run by ctest, label "example",
# from the source tree so that data/esrgan_x4 resolves).
qmath_add_example(quantize_tensor quantize_tensor.cpp)
qmath_add_example(per_channel_conv per_channel_conv.cpp)
qmath_add_example(calibrate_activations calibrate_activations.cpp)
qmath_add_example(compress_embeddings compress_embeddings.cpp)
qmath_add_example(int8_linear int8_linear.cpp)
# float32 timing baseline of int8_linear: OpenBLAS when installed (optional).
find_library(QMATH_OPENBLAS_LIBRARY NAMES openblas)
if(QMATH_OPENBLAS_LIBRARY)
  target_link_libraries(int8_linear PRIVATE "${QMATH_OPENBLAS_LIBRARY}")
  target_compile_definitions(int8_linear PRIVATE QMATH_EXAMPLE_HAVE_BLAS=1)
endif()

# Consuming qmath with FetchContent (examples/fetchcontent): built and run as
# a separate project pointed at this tree.
if(QMATH_BUILD_TESTS AND NOT CMAKE_CROSSCOMPILING)
  add_test(NAME example_fetchcontent
           COMMAND ${CMAKE_COMMAND} "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
                   "-DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/fetchcontent_example"
                   "-DCXX=${CMAKE_CXX_COMPILER}" "-DBUILD_TYPE=${CMAKE_BUILD_TYPE}" "-DGENERATOR=${CMAKE_GENERATOR}"
                   "-DXSIMD_INCLUDE=${QMATH_XSIMD_INCLUDE_DIR}"
                   -P "${CMAKE_CURRENT_SOURCE_DIR}/fetchcontent/run_example.cmake")
  set_tests_properties(example_fetchcontent PROPERTIES LABELS example TIMEOUT 600)
endif()
