#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit + end-to-end with real BPF).
# Must run as root: the end-to-end tests load BPF programs and attach uprobes.
# Exit status: non-zero if anything fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GORETAIN_BUILD_DIR:-$root/build}

if [[ $(id -u) -ne 0 ]]; then
  echo "test.sh: run as root (the end-to-end tests load BPF programs)" >&2
  exit 1
fi

# CI's environment is minimal: give Go and npm their own state, never $HOME.
export GOCACHE="$build/go/cache" GOPATH="$build/go/path" GOFLAGS=-buildvcs=false
export npm_config_cache="$build/npm/.cache"
export GORETAIN_NPM_DIR="$build/npm"

"$root/scripts/install-deps.sh"
if [[ -x "$root/scripts/install-npm-binaries.sh" ]]; then
  "$root/scripts/install-npm-binaries.sh"
fi
# Go 1.21-1.27 from Debian's packages, unpacked into the build tree: CMake builds the per-release
# targets with them (tests/targets/CMakeLists.txt). About 1.6 GB, 2 min the first time, then a no-op.
"$root/scripts/install-go-toolchains.sh" "$build"
"$root/scripts/build.sh" "$build" RelWithDebInfo

cd "$build"
# Two at a time: unit and live tests are independent processes (tests/README.md); e2e tests are
# RUN_SERIAL, so ctest runs each of them alone whatever -j says.
ctest -j2 --output-on-failure --timeout 300 "$@"
