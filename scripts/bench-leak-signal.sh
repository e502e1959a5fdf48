#!/usr/bin/env bash
# Leak-signal benchmark (long runs, outside CI): time-to-flag and false flags at several GC rates.
#
#   - tests/targets/gcrate leaking 32 KiB/s under 2,000 requests/s of churn, at one collection
#     every 5 s (GOGC=off), the runtime's own pace, 10, 50 and 100 collections a second: when each
#     run is first flagged;
#   - a slow leak of 1 MiB/min (17.07 KiB/s) at the runtime's own pace and at 50 collections a
#     second: when it is first flagged;
#   - the controls (gcrate with churn and a bounded cache, tests/targets/control*) at the
#     runtime's pace (GOGC=20) and at 100 collections a second: whether any line is ever flagged.
#
# Every run is traced by its own goretain (--retained, a JSON report a second) for MINUTES
# minutes; the runs of a group go at the same time (the machine's load shows in the GC rates,
# which are measured from goretain's gc_cycles, not assumed).
#
# Usage: scripts/bench-leak-signal.sh [MINUTES] [leaks|controls|all]   (root; default 5 all)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GORETAIN_BENCH_BUILD_DIR:-$root/build}
minutes=${1:-5}
group=${2:-all}
seconds=$((minutes * 60))
work=$(mktemp -d /tmp/grleaksigXXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
[[ $(id -u) -eq 0 ]] || { echo "bench-leak-signal: run as root" >&2; exit 1; }
targets=$build/tests/targets
[[ -x $build/userspace/goretain && -x $targets/gcrate ]] ||
  { echo "bench-leak-signal: build first (scripts/build.sh $build)" >&2; exit 1; }

pids=() grs=()
start() {  # start NAME ENV TARGET FLAGS...: the program waits at its gate; goretain attaches
  local name=$1 env=$2 target=$3
  shift 3
  env $env "$targets/$target" -wait "$work/$name.go" "$@" >"$work/$name.out" 2>&1 &
  local pid=$!
  pids+=("$pid")
  "$build/userspace/goretain" --retained --pid "$pid" --format json --interval 1 \
    --duration "$seconds" -o "$work/$name.jsonl" 2>"$work/$name.log" &
  grs+=("$!")
  echo "$name" >>"$work/names"
}

leak=(-leak-kib-per-s 32 -requests-per-s 2000)
slow=(-leak-kib-per-s 17.07 -requests-per-s 2000)
if [[ $group != controls ]]; then
  start leak-gc0.2 GOGC=off gcrate "${leak[@]}" -gc-per-s 0.2
  start leak-gcauto GOGC=100 gcrate "${leak[@]}"
  start leak-gc10 GOGC=100 gcrate "${leak[@]}" -gc-per-s 10
  start leak-gc50 GOGC=100 gcrate "${leak[@]}" -gc-per-s 50
  start leak-gc100 GOGC=100 gcrate "${leak[@]}" -gc-per-s 100
  start slow-gcauto GOGC=100 gcrate "${slow[@]}"
  start slow-gc50 GOGC=100 gcrate "${slow[@]}" -gc-per-s 50
fi
[[ $group == leaks ]] || for gc in auto 100; do
  if [[ $gc == auto ]]; then env=GOGC=20 more=(); else env=GOGC=100 more=(-gc-per-s 100); fi
  start "ctl-gcrate-gc$gc" "$env" gcrate -leak-kib-per-s 0 -cache-entries 4000 "${more[@]}"
  start "ctl-lru-gc$gc" "$env" control1_lru -max-entries 300 "${more[@]}"
  for c in control2_request control3_reuse control4_clear; do
    start "ctl-${c#control?_}-gc$gc" "$env" "$c" "${more[@]}"
  done
done
while read -r name; do
  until grep -q "probes attached" "$work/$name.log" 2>/dev/null; do sleep 0.2; done
done <"$work/names"
while read -r name; do touch "$work/$name.go"; done <"$work/names"
echo "bench-leak-signal: $(wc -l <"$work/names") runs traced for $minutes min at once" >&2
wait "${grs[@]}" || true
kill "${pids[@]}" 2>/dev/null || true

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
for name in open(os.path.join(work, "names")).read().split():
    reports = [json.loads(l) for l in open(os.path.join(work, name + ".jsonl")) if l.strip()]
    last = reports[-1]
    rate = last["gc_cycles"] / last["elapsed_s"]
    flagged = [(r["elapsed_s"], c) for r in reports for c in r["callsites"] if c["leaking"]]
    line = f"{name:>22}: {last['gc_cycles']:6d} GC cycles in {last['elapsed_s']:6.1f} s ({rate:6.2f}/s)"
    if name.startswith(("leak", "slow")):
        at = [t for t, c in flagged if c["function"] == "main.openSession" and c["kind"] == "slice.grow"]
        end = [c for c in last["callsites"] if c["function"] == "main.openSession" and c["kind"] == "slice.grow"]
        why = end[0]["leak"] if end else None
        line += f", leak first flagged after {at[0]:.0f} s" if at else ", leak NEVER flagged"
        line += f", at the end: {why}" if why else ", not flagged at the end"
        others = {(c["function"], c["line"]) for _, c in flagged if c["function"] != "main.openSession"}
        if others:
            line += f", OTHER LINES FLAGGED: {sorted(others)}"
    else:
        line += ", flagged lines: " + (str(sorted({(c['function'], c['line']) for _, c in flagged}))
                                        if flagged else "none")
    print(line)
PY
