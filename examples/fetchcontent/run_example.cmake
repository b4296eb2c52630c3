# CI driver of examples/fetchcontent (cmake -P): configures the example
# project exactly as a user would, with FetchContent redirected to this source
# tree (FETCHCONTENT_SOURCE_DIR_QMATH, no network), builds and runs it.
#   SOURCE_DIR  qmath source tree    WORK_DIR  scratch build directory
#   CXX         C++ compiler         BUILD_TYPE, GENERATOR
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK_DIR}")
set(args -S "${SOURCE_DIR}/examples/fetchcontent" -B "${WORK_DIR}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
    "-DFETCHCONTENT_SOURCE_DIR_QMATH=${SOURCE_DIR}")
if(XSIMD_INCLUDE)
  list(APPEND args "-DQMATH_XSIMD_INCLUDE_DIR=${XSIMD_INCLUDE}")
endif()
foreach(step IN ITEMS configure build run)
  if(step STREQUAL "configure")
    set(cmd ${CMAKE_COMMAND} ${args})
  elseif(step STREQUAL "build")
    set(cmd ${CMAKE_COMMAND} --build "${WORK_DIR}" --parallel 2)
  else()
    set(cmd "${WORK_DIR}/quantize_hello")
  endif()
  execute_process(COMMAND ${cmd} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "fetchcontent example: ${step} failed (${rc})")
  endif()
endforeach()
