# Run-time dispatch for consumers: qmath_add_dispatch(<target>) adds one small
# translation unit per kernel level, each compiled with that level's flags, so
# that a binary built for baseline x86-64 / armv8-a runs the best kernels of
# the CPU it runs on. See include/qmath/simd/dispatch.hpp.
#
#   qmath_add_dispatch(my_app)                       # every level of the target arch
#   qmath_add_dispatch(my_app LEVELS avx2 avx512vnni)
#   qmath_dispatch_library(name)                     # an OBJECT library to share
include_guard(GLOBAL)

function(_qmath_arch_family out)
  set(_p "${CMAKE_SYSTEM_PROCESSOR}")
  if(CMAKE_CXX_COMPILER_TARGET)
    set(_p "${CMAKE_CXX_COMPILER_TARGET}")
  endif()
  string(TOLOWER "${_p}" _p)
  if(_p MATCHES "^(x86_64|amd64|x64|i[3-6]86)")
    set(${out} x86 PARENT_SCOPE)
  elseif(_p MATCHES "^(aarch64|arm64)")
    set(${out} aarch64 PARENT_SCOPE)
  else()
    set(${out} other PARENT_SCOPE)
  endif()
endfunction()

# Flags of each level (GCC and Clang).
function(_qmath_level_flags level out)
  set(f "")
  if(level STREQUAL "sse2")
    set(f -msse2)
  elseif(level STREQUAL "sse41")
    set(f -msse4.1)
  elseif(level STREQUAL "avx2")
    set(f -mavx2 -mfma)
  elseif(level STREQUAL "avxvnni")
    set(f -mavx2 -mfma -mavxvnni)
  elseif(level STREQUAL "avx512")
    set(f -mavx2 -mfma -mavx512f -mavx512cd -mavx512bw -mavx512vl -mavx512dq)
  elseif(level STREQUAL "avx512vnni")
    set(f -mavx2 -mfma -mavx512f -mavx512cd -mavx512bw -mavx512vl -mavx512dq -mavx512vnni)
  elseif(level STREQUAL "neon")
    set(f -march=armv8-a)
  elseif(level STREQUAL "dotprod")
    set(f -march=armv8.2-a+dotprod)
  elseif(level STREQUAL "i8mm")
    set(f -march=armv8.2-a+dotprod+i8mm)
  else()
    message(FATAL_ERROR "qmath: unknown dispatch level '${level}'")
  endif()
  set(${out} ${f} PARENT_SCOPE)
endfunction()

function(_qmath_default_levels out)
  _qmath_arch_family(fam)
  if(fam STREQUAL "x86")
    set(${out} sse2 sse41 avx2 avxvnni avx512 avx512vnni PARENT_SCOPE)
  elseif(fam STREQUAL "aarch64")
    set(${out} neon dotprod i8mm PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# qmath_dispatch_library(<name> [LEVELS l...]): OBJECT library of dispatch units.
function(qmath_dispatch_library name)
  cmake_parse_arguments(ARG "" "" "LEVELS" ${ARGN})
  if(NOT ARG_LEVELS)
    _qmath_default_levels(ARG_LEVELS)
  endif()
  # Next to this file (a variable set at include time would not reach the
  # caller's scope when qmath is added with add_subdirectory/FetchContent).
  set(template "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/qmath_dispatch.cpp.in")
  set(srcs "")
  foreach(level IN LISTS ARG_LEVELS)
    set(QMATH_DISPATCH_LEVEL ${level})
    set(src "${CMAKE_CURRENT_BINARY_DIR}/qmath_dispatch/${name}_${level}.cpp")
    configure_file("${template}" "${src}" @ONLY)
    _qmath_level_flags(${level} flags)
    # -O2 always: dispatch units must not emit out-of-line copies of shared
    # inline functions compiled with higher-ISA flags (see dispatch.hpp).
    # -ffp-contract=off: kernels must round like the scalar reference.
    set_source_files_properties("${src}" PROPERTIES
      COMPILE_OPTIONS "${flags};-O2;-ffp-contract=off"
      COMPILE_DEFINITIONS "QMATH_DISPATCH_TU=1")
    list(APPEND srcs "${src}")
  endforeach()
  add_library(${name} OBJECT ${srcs})
  target_link_libraries(${name} PUBLIC qmath::qmath)
endfunction()

# qmath_add_dispatch(<target> [LEVELS l...])
function(qmath_add_dispatch target)
  qmath_dispatch_library(${target}_qmath_dispatch ${ARGN})
  target_link_libraries(${target} PRIVATE ${target}_qmath_dispatch)
endfunction()
