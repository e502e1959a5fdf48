#!/usr/bin/env bash
# Benchmarks the heap liveness reader (userspace/process/heap_reader.cpp): HeapReader::Check() time per
# 100,000 tracked objects, in a Go target (tests/targets/liveness, `bench N` mode) holding N small
# objects (24, 48 and 128 bytes; 4 in 5 kept live), N = 1,000,000 by default. Goal: <= 50 ms per
# 100,000 objects. Prints one line per case: wall time (best of 5), spans read, syscalls, bytes.
#
#   scripts/bench-liveness.sh [BUILD_DIR] [N]     default <repo>/build, 1000000
#
# Builds the live_tests and go_targets CMake targets in BUILD_DIR (configure it first). Needs the
# right to read a child process's memory (process_vm_readv; root in CI).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${repo}/build}"
objects="${2:-1000000}"

cmake --build "${build}" --target live_tests go_targets -j2 >/dev/null
GORETAIN_LIVENESS_OBJECTS="${objects}" "${build}/tests/live/live_tests" \
  --gtest_filter='HeapReaderBench.*' | grep -E '^\[ bench|OK|FAILED'
