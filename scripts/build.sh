#!/usr/bin/env bash
# Configures and builds goretain and its tests.  Usage: scripts/build.sh [BUILD_DIR] [BUILD_TYPE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${GORETAIN_BUILD_DIR:-$root/build}}
type=${2:-RelWithDebInfo}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="$type" >/dev/null
cmake --build "$build" -j"$(nproc)"
