# cmake -DNM=nm -DOBJECTS="a.o|b.o" -P check_odr_symbols.cmake
# Fails when a dispatch object defines a global or weak code symbol that does
# not carry its level (tgt_<level>) in its name, or has a static initialiser.
string(REPLACE "|" ";" objs "${OBJECTS}")
set(bad "")
set(checked 0)
foreach(obj IN LISTS objs)
  get_filename_component(n "${obj}" NAME)
  string(REGEX MATCH "_(sse2|sse41|avx2|avxvnni|avx512|avx512vnni|neon|dotprod|i8mm)\\.cpp" m "${n}")
  if(NOT m)
    continue()
  endif()
  set(level "${CMAKE_MATCH_1}")
  execute_process(COMMAND "${NM}" --defined-only "${obj}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm failed on ${obj}")
  endif()
  string(REPLACE "\n" ";" lines "${out}")
  foreach(line IN LISTS lines)
    # "<addr> <type> <name>"; upper-case types are global, V/W/u/i weak/unique.
    if(line MATCHES "^[0-9a-fA-F]* *([A-Za-z]) (.+)$")
      set(type "${CMAKE_MATCH_1}")
      set(sym "${CMAKE_MATCH_2}")
      # Code only (T, W, i): data symbols such as the constant-initialised
      # registry hold no instructions.
      if(sym MATCHES "^_GLOBAL__sub_I")
        string(APPEND bad "  ${n}: has a static initialiser (${sym}); dispatch units must run no code\n")
      endif()
      if(type MATCHES "^[TWi]$")
        math(EXPR checked "${checked} + 1")
        # __clang_call_terminate: clang's helper for a noexcept function whose
        # callee may throw (push; call __cxa_begin_catch; call std::terminate);
        # no ISA-dependent code, the same in every unit.
        if(NOT sym MATCHES "tgt_${level}" AND NOT sym STREQUAL "__clang_call_terminate")
          string(APPEND bad "  ${n}: ${type} ${sym}\n")
        endif()
      endif()
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "dispatch units define symbols that do not carry their level:\n${bad}")
endif()
message(STATUS "ODR symbol check: ${checked} code symbols, all carry their level")
