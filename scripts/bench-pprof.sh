#!/usr/bin/env bash
# Benchmarks --format pprof: render + gzip + write one profile of 10,000 call sites (8-PC
# stacks), median and worst of 21 runs. The issue's bound is 100 ms.
#
#   scripts/bench-pprof.sh [BUILD_DIR] [CALL_SITES]     default <repo>/build, 10000
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${repo}/build}"
cmake --build "${build}" --target pprof_bench -j2 >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
"${build}/tests/bench/pprof_bench" "${2:-10000}" 21 "${out}/bench.pb.gz"
