# Builds and runs one consumer project (cmake -P; see CMakeLists.txt here).
#   MODE             find_package | add_subdirectory | fetchcontent | plain
#   QMATH_SOURCE_DIR the qmath source tree under test
#   CONSUMERS_DIR    tests/cmake
#   WORK_DIR         scratch directory (emptied first)
#   CXX, CXX_FLAGS, BUILD_TYPE, GENERATOR, MAKE_PROGRAM, PREFIX_PATH, WERROR,
#   HOST_PROCESSOR, EXPECTED_VERSION, XSIMD_INCLUDE, IMPLICIT_INCLUDE ('|'-separated)
cmake_minimum_required(VERSION 3.21)

foreach(v MODE QMATH_SOURCE_DIR CONSUMERS_DIR WORK_DIR CXX GENERATOR EXPECTED_VERSION)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: ${v} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Runs a command (echoed), fails the test if it fails.
function(run)
  cmake_parse_arguments(ARG "" "WORKING_DIRECTORY" "" ${ARGN})
  if(NOT ARG_WORKING_DIRECTORY)
    set(ARG_WORKING_DIRECTORY "${WORK_DIR}")
  endif()
  execute_process(COMMAND ${ARG_UNPARSED_ARGUMENTS} WORKING_DIRECTORY "${ARG_WORKING_DIRECTORY}"
                  RESULT_VARIABLE rc COMMAND_ECHO STDOUT)
  if(NOT rc EQUAL 0)
    list(JOIN ARG_UNPARSED_ARGUMENTS " " cmd)
    message(FATAL_ERROR "[${MODE}] failed (${rc}): ${cmd}")
  endif()
endfunction()

# Consumers compile with the warnings a careful user turns on.
set(warnings -Wall -Wextra -Wpedantic)
if(WERROR)
  list(APPEND warnings -Werror)
endif()
separate_arguments(user_flags UNIX_COMMAND "${CXX_FLAGS}")
list(JOIN warnings " " _w)
set(configure_args -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS} ${_w}"
    "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
string(REPLACE "|" ";" prefix_path "${PREFIX_PATH}")

# Configure, build and run a consumer project.
# LEVELS: the consumer asks qmath_add_dispatch for these levels only (each
# dispatch unit is a large compile; find_package keeps the default, every
# level, and the other modes check the LEVELS form).
function(consumer_project name)
  cmake_parse_arguments(ARG "CONFIGURE_ONLY" "BUILD_DIR" "DEFINES;LEVELS" ${ARGN})
  set(b "${WORK_DIR}/${ARG_BUILD_DIR}")
  set(levels_arg "")
  set(run_args all)
  if(ARG_LEVELS)
    list(JOIN ARG_LEVELS "," _l)
    set(levels_arg "-DQMATH_CONSUMER_LEVELS=${_l}")
    set(run_args ${ARG_LEVELS})
  endif()
  run(${CMAKE_COMMAND} -S "${CONSUMERS_DIR}/${name}" -B "${b}" ${configure_args}
      "-DQMATH_EXPECTED_VERSION=${EXPECTED_VERSION}" ${ARG_DEFINES} ${levels_arg})
  if(NOT ARG_CONFIGURE_ONLY)
    run(${CMAKE_COMMAND} --build "${b}" --parallel 2)
    run("${b}/consumer" ${run_args})
  endif()
endfunction()

# Levels of the host's family: two for the LEVELS form (a low one and the
# top), one for the hand-built dispatch unit of the plain mode.
set(few_levels "")
set(plain_level "")
if(HOST_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(few_levels sse41 avx512vnni)
  set(plain_level avx2)
elseif(HOST_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(few_levels neon i8mm)
  set(plain_level dotprod)
endif()

if(MODE STREQUAL "find_package")
  # Install this source tree the way the README says, into a fresh prefix.
  set(prefix "${WORK_DIR}/prefix")
  run(${CMAKE_COMMAND} -S "${QMATH_SOURCE_DIR}" -B "${WORK_DIR}/qmath-build" ${configure_args}
      -DQMATH_BUILD_TESTS=OFF -DQMATH_BUILD_EXAMPLES=OFF -DQMATH_BUILD_BENCHMARKS=OFF
      "-DCMAKE_PREFIX_PATH=${prefix_path}")
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/qmath-build" --prefix "${prefix}")
  file(GLOB_RECURSE config "${prefix}/*/qmathConfig.cmake")
  list(LENGTH config n)
  if(NOT n EQUAL 1 OR NOT EXISTS "${prefix}/include/qmath/qmath.hpp")
    message(FATAL_ERROR "unexpected install tree: qmathConfig.cmake found ${n} times")
  endif()
  get_filename_component(config_dir "${config}" DIRECTORY)
  foreach(f qmathConfigVersion.cmake qmathTargets.cmake qmath_dispatch.cmake qmath_dispatch.cpp.in)
    if(NOT EXISTS "${config_dir}/${f}")
      message(FATAL_ERROR "install tree lacks ${config_dir}/${f}")
    endif()
  endforeach()
  # The consumer finds qmath in the prefix, and xsimd by itself.
  consumer_project(find_package BUILD_DIR installed
    DEFINES "-DCMAKE_PREFIX_PATH=${prefix};${prefix_path}" "-DQMATH_EXPECTED_DIR=${config_dir}")
  # The build-tree export (qmath_DIR = a configured qmath build directory).
  consumer_project(find_package BUILD_DIR build-tree CONFIGURE_ONLY
    DEFINES "-Dqmath_DIR=${WORK_DIR}/qmath-build" "-DCMAKE_PREFIX_PATH=${prefix_path}"
            "-DQMATH_EXPECTED_DIR=${WORK_DIR}/qmath-build")

elseif(MODE STREQUAL "add_subdirectory")
  consumer_project(add_subdirectory BUILD_DIR build LEVELS ${few_levels}
    DEFINES "-DQMATH_SOURCE_DIR=${QMATH_SOURCE_DIR}" "-DCMAKE_PREFIX_PATH=${prefix_path}")

elseif(MODE STREQUAL "fetchcontent")
  # A release archive of the source tree (.git, build* and other build trees
  # left out),
  # fetched from a file:// URL.
  file(GLOB entries RELATIVE "${QMATH_SOURCE_DIR}" "${QMATH_SOURCE_DIR}/*")
  set(keep "")
  foreach(e IN LISTS entries)
    if(NOT e MATCHES "^(\\.git|build.*)$" AND NOT EXISTS "${QMATH_SOURCE_DIR}/${e}/CMakeCache.txt")
      list(APPEND keep "${e}")
    endif()
  endforeach()
  run(${CMAKE_COMMAND} -E tar cf "${WORK_DIR}/qmath-src.tar" ${keep} WORKING_DIRECTORY "${QMATH_SOURCE_DIR}")
  consumer_project(fetchcontent BUILD_DIR build LEVELS ${few_levels}
    DEFINES "-DQMATH_SOURCE_ARCHIVE=${WORK_DIR}/qmath-src.tar" "-DCMAKE_PREFIX_PATH=${prefix_path}")

elseif(MODE STREQUAL "plain")
  # No CMake: the compiler, qmath's include directory and xsimd's.
  set(cc "${CXX}" -std=c++20 -O2 ${user_flags} ${warnings} "-I${QMATH_SOURCE_DIR}/include")
  string(REPLACE "|" ";" xsimd_include "${XSIMD_INCLUDE}")
  string(REPLACE "|" ";" implicit_include "${IMPLICIT_INCLUDE}")
  foreach(d IN LISTS xsimd_include)
    if(NOT d IN_LIST implicit_include)  # never -I/usr/include (breaks #include_next)
      list(APPEND cc "-I${d}")
    endif()
  endforeach()
  set(src "${CONSUMERS_DIR}/consumer.cpp")

  # 1. Baseline flags: the kernels of the baseline level, by self-registration.
  #    (One object for 1. and 2.: each compile of consumer.cpp is a large one.)
  run(${cc} -c "${src}" -o consumer.o)
  run(${cc} consumer.o -o consumer_baseline)
  run("${WORK_DIR}/consumer_baseline")

  # 2. Plus one dispatch unit built by hand from the template (what
  #    qmath_add_dispatch does per level).
  include("${QMATH_SOURCE_DIR}/cmake/qmath_dispatch.cmake")
  set(level "${plain_level}")
  if(level)
    _qmath_level_flags(${level} level_flags)
    file(READ "${QMATH_SOURCE_DIR}/cmake/qmath_dispatch.cpp.in" unit)
    string(REPLACE "@QMATH_DISPATCH_LEVEL@" "${level}" unit "${unit}")
    file(WRITE "${WORK_DIR}/qmath_${level}.cpp" "${unit}")
    run(${cc} ${level_flags} -ffp-contract=off -DQMATH_DISPATCH_TU=1 -c "qmath_${level}.cpp" -o "qmath_${level}.o")
    run(${cc} consumer.o "qmath_${level}.o" -o consumer_unit)
    run("${WORK_DIR}/consumer_unit" ${level})
  endif()

  # 3. -march=native: this machine's best level, no dispatch unit needed.
  run(${cc} -march=native "${src}" -o consumer_native)
  run("${WORK_DIR}/consumer_native")

  # 4. The README's usage example (the C++ block after the marker).
  file(READ "${QMATH_SOURCE_DIR}/README.md" readme)
  string(FIND "${readme}" "<!-- packaging_plain compiles and runs the next C++ block -->" at)
  if(at LESS 0)
    message(FATAL_ERROR "README.md lacks the marker of its tested usage example")
  endif()
  string(SUBSTRING "${readme}" ${at} -1 readme)
  string(FIND "${readme}" "```cpp\n" begin)
  string(FIND "${readme}" "\n```\n" end)
  if(begin LESS 0 OR end LESS begin)
    message(FATAL_ERROR "README.md: no C++ block after the marker")
  endif()
  math(EXPR begin "${begin} + 7")
  math(EXPR len "${end} + 1 - ${begin}")
  string(SUBSTRING "${readme}" ${begin} ${len} example)
  file(WRITE "${WORK_DIR}/readme_example.cpp" "${example}")
  run(${cc} readme_example.cpp -o readme_example)
  run("${WORK_DIR}/readme_example")

else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()
message(STATUS "[${MODE}] consumer built and passed")
