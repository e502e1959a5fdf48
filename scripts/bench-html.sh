#!/usr/bin/env bash
# Benchmarks the HTML report: RenderHtml for 1,000 and 10,000 call sites with 16-frame stacks
# (what `-f html` records), median and worst of 21 runs.
#
#   scripts/bench-html.sh [BUILD_DIR]     default <repo>/build
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${repo}/build}"
cmake --build "${build}" --target html_bench -j2 >/dev/null
for sites in 1000 10000; do
  "${build}/tests/bench/html_bench" "${sites}" 16 21
done
