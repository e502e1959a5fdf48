#!/usr/bin/env bash
# The two-minute tour: installs what is missing, builds goretain (Release), starts a small leaky
# Go service, attaches goretain to the running process for about 15 seconds, prints the report
# (long enough for the leak signal: a rise sustained over >= 6 s of the program's GC cycles).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GORETAIN_DEMO_BUILD_DIR:-$root/build-release}
seconds=${GORETAIN_DEMO_SECONDS:-15}

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: run as root (goretain loads BPF programs)" >&2
  exit 1
fi
export GOCACHE="$build/go/cache" GOPATH="$build/go/path" GOFLAGS=-buildvcs=false

"$root/scripts/install-deps.sh"
echo "demo: building goretain (Release) in $build ..." >&2
"$root/scripts/build.sh" "$build" Release >/dev/null

demo="$build/tests/targets/leakydemo"
"$demo" &
demo_pid=$!
trap 'kill "$demo_pid" 2>/dev/null || true' EXIT
sleep 1

echo "demo: tracing the leaky demo service (pid $demo_pid) for ${seconds}s ..." >&2
# The default mode: allocations, what each line still holds after GC, and the leaking lines
# (listed first, marked LEAK; the signal needs a rise sustained over >= 6 s of GC checks).
# tests/e2e/leakydemo_test.cpp (Leakydemo.DemoTableMarksTheLeakingLines) runs this same command.
"$build/userspace/goretain" --pid "$demo_pid" --duration "$seconds" --top 10
