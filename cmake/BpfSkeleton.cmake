# Drives Makefile.bpf from CMake and exposes the generated skeletons as one INTERFACE target.
#
# The make step always runs (it is cheap when nothing changed) because only make knows the header
# dependencies it recorded with -MMD; CMake would otherwise miss edits to bpf/*.h.
find_program(CLANG_EXECUTABLE NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL_EXECUTABLE NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(GORETAIN_BPF_OUT ${CMAKE_BINARY_DIR}/bpf)
add_custom_target(goretain_bpf_build ALL
  COMMAND make --no-print-directory -f ${CMAKE_SOURCE_DIR}/Makefile.bpf
          SRC=${CMAKE_SOURCE_DIR}/bpf OUT=${GORETAIN_BPF_OUT}
          CLANG=${CLANG_EXECUTABLE} BPFTOOL=${BPFTOOL_EXECUTABLE}
  BYPRODUCTS ${GORETAIN_BPF_OUT}/goretain.skel.h ${GORETAIN_BPF_OUT}/exec_watch.skel.h
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  COMMENT "Building BPF programs and skeletons"
  VERBATIM)

add_library(goretain_bpf_skel INTERFACE)
add_dependencies(goretain_bpf_skel goretain_bpf_build)
target_include_directories(goretain_bpf_skel INTERFACE ${GORETAIN_BPF_OUT} ${CMAKE_SOURCE_DIR}/bpf)
target_link_libraries(goretain_bpf_skel INTERFACE PkgConfig::LIBBPF PkgConfig::LIBELF z)
