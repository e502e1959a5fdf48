#!/usr/bin/env bash
# Benchmarks goretain_symbols: index time, index memory and 1,000,000 resolves on esbuild 0.27.0,
# and a side-by-side with `go tool addr2line` on a Go 1.19 test binary.
#
#   scripts/bench-symbols.sh [BUILD_DIR]     default <repo>/build
#
# Builds the symbols_bench and go_targets CMake targets in BUILD_DIR (configure it first) and
# installs the npm binaries into ${GORETAIN_NPM_DIR:-BUILD_DIR/npm} if they are missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${repo}/build}"
export GORETAIN_NPM_DIR="${GORETAIN_NPM_DIR:-${build}/npm}"

cmake --build "${build}" --target symbols_bench go_targets -j2 >/dev/null
"${repo}/scripts/install-npm-binaries.sh" >/dev/null

esbuild="${GORETAIN_NPM_DIR}/esbuild-0.27.0/node_modules/@esbuild/linux-x64/bin/esbuild"
go119="${build}/tests/targets/symtest"
"${build}/tests/bench/symbols_bench" --index "${esbuild}" --pcs 1000000 \
  --addr2line "${go119}" --addr2line-pcs 100000
