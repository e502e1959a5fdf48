#!/usr/bin/env bash
# Sampling-cost benchmark (issue 12, Cost): what the Go runtime's own heap sampling costs a program,
# beside what goretain --sample adds on top of it. This is the price of --enable-sampling on a
# program that runs with MemProfileRate 0: the write turns on the runtime's sampler (512 KiB),
# and goretain --sample then rides it.
#
# Three modes of the same binary, interleaved RUNS times (the order rotates each round, so a drift
# of the machine's load or a position effect cancels out):
#   off      the runtime's sampling off (MemProfileRate 0, the state of a program that never
#            references runtime.MemProfile): churn -memrate 0 (runtime.MemProfileRate = 0 first
#            thing in main: GODEBUG=memprofilerate does not reach go1.19), esbuild with
#            GODEBUG=memprofilerate=0 (the runtime's own knob, honoured by go1.25)
#   rate     the runtime sampling at 512 KiB (Go's default, what --enable-sampling writes; both
#            workloads reference the heap profile, so this is how they run by default)
#   sample   rate, with goretain --sample attached (launched by goretain: -- COMMAND)
# Workloads: tests/targets/churn (map- and slice-heavy loop, go1.19) and esbuild 0.27.0 (go1.25)
# bundling a generated project. Times are the workload's own (attach and detach not counted).
# Printed: medians per mode and the median of the per-round paired ratios rate/off, sample/rate
# and sample/off; the --sample runs' sampled events (must be > 0: the sampler ran).
#
# Usage: scripts/bench-sampling-cost.sh [RUNS]   (root; default 7 rounds)
# Environment: GORETAIN_BENCH_BUILD_DIR (default build-release; set, the build is used as it is),
# GORETAIN_BENCH_WORKLOADS (default "churn esbuild").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-7}
build=${GORETAIN_BENCH_BUILD_DIR:-$root/build-release}
workloads=${GORETAIN_BENCH_WORKLOADS-churn esbuild}
work=$(mktemp -d /tmp/grsampXXXXXX)
trap 'rm -rf "$work"' EXIT
[[ $(id -u) -eq 0 ]] || { echo "bench-sampling-cost: run as root" >&2; exit 1; }
export GOCACHE="$build/go/cache" GOPATH="$build/go/path" GOFLAGS=-buildvcs=false
export GORETAIN_NPM_DIR="${GORETAIN_NPM_DIR:-$build/npm}" npm_config_cache="$build/npm/.cache"
if [[ -z ${GORETAIN_BENCH_BUILD_DIR:-} ]]; then
  "$root/scripts/install-deps.sh"
  "$root/scripts/install-npm-binaries.sh" >/dev/null
  "$root/scripts/build.sh" "$build" Release >/dev/null
fi
goretain="$build/userspace/goretain"
esbuild="$GORETAIN_NPM_DIR/esbuild-0.27.0/node_modules/@esbuild/linux-x64/bin/esbuild"
[[ " $workloads " == *" esbuild "* ]] && "$root/scripts/gen-js-project.sh" "$work/project" 2000

declare -A cmd off
off[churn]="-memrate 0"
off[esbuild]=""
cmd[churn]="$build/tests/targets/churn -rounds 200000"
cmd[esbuild]="$esbuild --bundle $work/project/index.js --outfile=$work/out.js --log-level=info"

source "$root/scripts/bench-workload-time.sh"  # workload_ms, median

# run_mode WORKLOAD MODE: one run; appends its time to $work/WORKLOAD.MODE.
run_mode() {
  local w=$1 m=$2
  case $m in
    off) env GODEBUG=memprofilerate=0 ${cmd[$w]} ${off[$w]} >"$work/out" 2>&1 ;;
    rate) ${cmd[$w]} >"$work/out" 2>&1 ;;
    sample)
      "$goretain" --sample --format json -o "$work/report.json" -- ${cmd[$w]} >"$work/out" 2>&1
      sed -n 's/.*"received":\([0-9]*\).*/\1/p' "$work/report.json" >>"$work/$w.events" ;;
  esac
  workload_ms "$w" "$work/out" >>"$work/$w.$m"
}

modes=(off rate sample)
for w in $workloads; do
  : >"$work/$w.events"
  for m in "${modes[@]}"; do : >"$work/$w.$m"; done
  ${cmd[$w]} >/dev/null 2>&1  # warm-up (page cache), not counted
  for ((r = 0; r < runs; r++)); do
    for ((k = 0; k < 3; k++)); do run_mode "$w" "${modes[(r + k) % 3]}"; done
  done
done

echo "rounds: $runs (interleaved, order rotating); times: medians of the workload's own measurement"
printf "%-8s %10s %10s %10s %10s %11s %10s %9s\n" workload off rate sample rate/off sample/rate \
  sample/off events
for w in $workloads; do
  ratio() { paste "$work/$w.$1" "$work/$w.$2" | awk '{print $1 / $2}' | median; }
  awk -v w="$w" -v o="$(median <"$work/$w.off")" -v r="$(median <"$work/$w.rate")" \
    -v s="$(median <"$work/$w.sample")" -v ro="$(ratio rate off)" -v sr="$(ratio sample rate)" \
    -v so="$(ratio sample off)" -v ev="$(median <"$work/$w.events")" 'BEGIN {
    printf "%-8s %8.0fms %8.0fms %8.0fms %10.4f %11.4f %10.4f %9d\n", w, o, r, s, ro, sr, so, ev }'
done
for w in $workloads; do
  echo "$w per round (off rate sample, ms): $(paste -d' ' "$work/$w.off" "$work/$w.rate" "$work/$w.sample" | tr '\n' ';')"
done
echo "ratios: medians of the per-round paired ratios (each round runs all three modes)"
echo "rate/off = the runtime's own sampling (what --enable-sampling turns on); sample/rate ="
echo "what goretain --sample adds to it; sample/off = both, against a program that never samples"
