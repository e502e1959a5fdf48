#!/usr/bin/env bash
# What goretain --sample costs one running process, measured inside that process (issue 12, Cost).
#
# On this machine kind the speed of a whole run drifts by 10-30 % from one run to the next (the
# host's load), more than the 1 % to be shown; separate runs, even interleaved, cannot resolve it.
# Here one churn process (tests/targets/churn -seconds: the map/slice loop, go1.19, MemProfileRate
# 512 KiB) runs throughout and prints the rounds it did in every 100 ms tick. goretain --sample
# attaches to it (--pid, as to a production server) for WINDOW seconds, detaches, and the process
# runs untraced for WINDOW seconds, CYCLES times. Each traced window is compared with the mean of
# the untraced windows just before and just after it (a linear drift cancels); ticks that overlap
# an attach or a detach are left out.
#
# Printed: per cycle the three rates, the median and mean of the cost ratios (untraced rate /
# traced rate), goretain's sampled events per second while attached, and what that is at the
# per-event cost those ratios imply.
#
# Usage: scripts/bench-sample-windows.sh [CYCLES]   (root; default 15)
# Environment: GORETAIN_BENCH_BUILD_DIR (default build-release; set: used as it is), WINDOW (s, 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cycles=${1:-15}
window=${WINDOW:-3}
build=${GORETAIN_BENCH_BUILD_DIR:-$root/build-release}
[[ $(id -u) -eq 0 ]] || { echo "bench-sample-windows: run as root" >&2; exit 1; }
if [[ -z ${GORETAIN_BENCH_BUILD_DIR:-} ]]; then
  "$root/scripts/install-deps.sh"
  "$root/scripts/build.sh" "$build" Release >/dev/null
fi
work=$(mktemp -d /tmp/grwinXXXXXX)
churn_pid=""
cleanup() {
  [[ -n $churn_pid ]] && kill "$churn_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
goretain="$build/userspace/goretain"

now_ns() { date +%s%N; }
seconds=$((cycles * (2 * window + 4) + window + 10))
"$build/tests/targets/churn" -seconds "$seconds" -tick-ms 100 >"$work/ticks" &
churn_pid=$!
sleep 2  # warm-up: the heap reaches its steady size
: >"$work/windows"
for ((c = 0; c < cycles; c++)); do
  t0=$(now_ns); sleep "$window"; t1=$(now_ns)
  echo "untraced $t0 $t1" >>"$work/windows"
  "$goretain" --sample --format json -o "$work/report.$c.json" --pid "$churn_pid" 2>"$work/err" &
  gr=$!
  for ((i = 0; i < 1500; i++)); do grep -q "probes attached" "$work/err" && break; sleep 0.02; done
  grep -q "probes attached" "$work/err" || { cat "$work/err" >&2; exit 1; }
  t0=$(now_ns); sleep "$window"; t1=$(now_ns)
  echo "traced $t0 $t1" >>"$work/windows"
  kill -TERM "$gr"
  wait "$gr" || true
done
t0=$(now_ns); sleep "$window"; t1=$(now_ns)
echo "untraced $t0 $t1" >>"$work/windows"
kill "$churn_pid" 2>/dev/null || true
wait "$churn_pid" 2>/dev/null || true
churn_pid=""

events=0
for f in "$work"/report.*.json; do
  events=$((events + $(sed -n 's/.*"received":\([0-9]*\).*/\1/p' "$f")))
done
python3 - "$work/ticks" "$work/windows" "$events" "$window" "$cycles" <<'EOF'
import statistics, sys
ticks_file, windows_file, events, window, cycles = sys.argv[1:]
ticks = []
for line in open(ticks_file):
    if line.startswith("tick "):
        f = dict(kv.split("=") for kv in line.split()[1:])
        ticks.append((int(f["t_ns"]), int(f["rounds"])))
def rate(t0, t1):
    # A tick reports the 100 ms before it: only ticks wholly inside the window count.
    inside = [r for (t, r) in ticks if t0 + 100_000_000 <= t <= t1]
    return sum(inside) / (len(inside) * 0.1) if inside else float("nan")
windows = [(kind, rate(int(a), int(b))) for kind, a, b in (l.split() for l in open(windows_file))]
ratios = []
print("cycle  untraced-before   traced   untraced-after  (rounds/s)  ratio")
for i in range(1, len(windows) - 1, 2):
    before, traced, after = windows[i - 1][1], windows[i][1], windows[i + 1][1]
    ratio = (before + after) / 2 / traced
    ratios.append(ratio)
    print(f"{i // 2 + 1:5d} {before:16.0f} {traced:9.0f} {after:16.0f} {ratio:17.4f}")
med, mean = statistics.median(ratios), statistics.mean(ratios)
sem = statistics.stdev(ratios) / len(ratios) ** 0.5 if len(ratios) > 1 else float("nan")
ev_per_s = int(events) / (int(cycles) * float(window))
print(f"--sample on a running churn: median cost ratio {med:.4f} ({(med - 1) * 100:+.2f} %), "
      f"mean {mean:.4f} ± {sem:.4f} (standard error), {len(ratios)} cycles of {window} s")
print(f"events while attached: {ev_per_s:.0f}/s; at the mean ratio that is "
      f"{(mean - 1) / ev_per_s * 1e6 if ev_per_s else 0:.2f} us per event")
EOF
