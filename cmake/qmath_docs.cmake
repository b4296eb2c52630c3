# The API reference: a `docs` target when Doxygen is installed (optional;
# nothing else depends on it). Output: <build>/docs/html/index.html.
include_guard(GLOBAL)

find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "qmath: Doxygen not found, no 'docs' target")
  return()
endif()
set(QMATH_DOCS_OUTPUT_DIR "${PROJECT_BINARY_DIR}/docs")
configure_file("${PROJECT_SOURCE_DIR}/docs/Doxyfile.in" "${QMATH_DOCS_OUTPUT_DIR}/Doxyfile" @ONLY)
add_custom_target(docs
  COMMAND Doxygen::doxygen "${QMATH_DOCS_OUTPUT_DIR}/Doxyfile"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
  COMMENT "qmath API reference -> ${QMATH_DOCS_OUTPUT_DIR}/html/index.html"
  VERBATIM)
