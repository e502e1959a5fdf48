#!/usr/bin/env bash
# Retention benchmark: goretain's memory and liveness-check time with many tracked objects, and
# whether its checks keep up with a program that collects garbage 100 times a second.
#
#   1. tests/targets/retainbench keeps 1,000,000 tracked objects alive and collects twice a second
#      while churning short-lived slices: goretain's max RSS, check time per 100,000 objects.
#   2. The same with 20,000 objects and 100 collections per second: checks run vs GC cycles
#      (fewer checks than cycles = cycles judged together, "batched").
#
# Usage: scripts/bench-retention.sh   (root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GORETAIN_BENCH_BUILD_DIR:-$root/build-release}
work=$(mktemp -d /tmp/grretainXXXXXX)
trap 'rm -rf "$work"' EXIT
[[ $(id -u) -eq 0 ]] || { echo "bench-retention: run as root" >&2; exit 1; }
export GOCACHE="$build/go/cache" GOPATH="$build/go/path" GOFLAGS=-buildvcs=false
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$build" Release >/dev/null

run() {  # run NAME OBJECTS GC_RATE SECONDS
  local name=$1 objects=$2 rate=$3 seconds=$4
  rm -f "$work/go"
  "$build/tests/targets/retainbench" -wait "$work/go" -objects "$objects" -gc-rate "$rate" \
    -duration "${seconds}s" >"$work/$name.out" 2>&1 &
  local pid=$!
  "$build/userspace/goretain" -v --retained --pid "$pid" --format json -o "$work/$name.json" \
    2>"$work/$name.log" &
  local gr=$!
  while ! grep -q "probes attached" "$work/$name.log"; do sleep 0.1; done
  touch "$work/go"
  wait "$pid" "$gr"
  # The largest check while the program was alive (the last ones see it exit).
  local max_check per_100k
  max_check=$(sed -n 's/.*liveness check.*: \([0-9]*\) objects.* \([0-9.]*\) ms$/\1 \2/p' "$work/$name.log" |
    awk '$1 > 0 {print}' | sort -k2 -g | tail -1)
  per_100k=$(echo "$max_check" | awk '{printf "%.1f", $2 / ($1 / 100000)}')
  python3 - "$work/$name.json" "$name" "$max_check" "$per_100k" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
objs, ms = sys.argv[3].split()
kept = [c for c in d["callsites"] if c["function"] == "main.keep"]
print(f"{sys.argv[2]:>10}: GC cycles {d['gc_cycles']}, liveness checks {d['liveness']['checks']}"
      f" ({'every cycle' if d['liveness']['checks'] >= d['gc_cycles'] else 'batched'}),"
      f" largest check {int(objs):,} objects in {float(ms):.1f} ms = {sys.argv[4]} ms per 100,000,"
      f" goretain max RSS {d['tracer']['max_rss_kb'] / 1024:.0f} MiB, CPU {d['tracer']['cpu_s']:.2f} s,"
      f" events {d['events']['received']:,} (dropped {d['events']['dropped']}),"
      f" retained at main.keep: {kept[0]['retained_objects'] if kept else None}")
PY
}

run million 1000000 2 8
run gc100 20000 100 5
