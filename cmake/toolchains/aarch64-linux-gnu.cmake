# Cross-compiling qmath for AArch64 Linux with Debian's g++-aarch64-linux-gnu;
# ctest runs the tests under qemu-aarch64 (package qemu-user).
#
#   mkdir -p build-arm/host-headers
#   ln -sfn /usr/include/xsimd   build-arm/host-headers/xsimd
#   ln -sfn /usr/include/doctest build-arm/host-headers/doctest
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#     -DCMAKE_BUILD_TYPE=Release -DQMATH_BUILD_BENCHMARKS=OFF -DQMATH_BUILD_EXAMPLES=OFF \
#     -DQMATH_XSIMD_INCLUDE_DIR=$PWD/build-arm/host-headers -DQMATH_DOCTEST_INCLUDE_DIR=$PWD/build-arm/host-headers
#   cmake --build build-arm -j2
#   QEMU_CPU=cortex-a53 ctest --test-dir build-arm    # NEON only
#   QEMU_CPU=neoverse-n1 ctest --test-dir build-arm   # + dot product
#   QEMU_CPU=max ctest --test-dir build-arm           # + i8mm (and SVE)
#
# xsimd and doctest are header-only and architecture-independent, but their
# directory /usr/include must never be on the cross include path (the host's
# C library headers there would shadow the target's): reach them through a
# directory of symlinks, as above.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(QMATH_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${QMATH_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${QMATH_CROSS_TRIPLE}-g++)

# Libraries, headers and CMake packages of the target only; host programs.
set(CMAKE_FIND_ROOT_PATH /usr/${QMATH_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest (and add_test) run target programs through qemu; the CPU model comes
# from the QEMU_CPU environment variable (qemu's default model otherwise).
find_program(QMATH_QEMU_AARCH64 qemu-aarch64)
if(QMATH_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${QMATH_QEMU_AARCH64};-L;/usr/${QMATH_CROSS_TRIPLE}")
endif()
