#!/usr/bin/env bash
# Overhead benchmark: what tracing costs the traced program, side by side in one run.
#
# Workloads: tests/targets/churn (map- and slice-heavy Go loop, go1.19) and esbuild 0.27.0
# (go1.25, Swiss maps) bundling a generated project. Each runs, interleaved, RUNS times in four
# modes:
#   untraced   the program alone
#   goretain   goretain's default mode (-- COMMAND): allocations and retention (a second probe
#              hit per allocation, for its address)
#   -n         goretain --no-retained (allocations only: one probe hit per allocation)
#   naive      bpftrace with plain entry uprobes on the same runtime functions (the way one
#              would do it by hand: a probe on each function's first instruction)
#   -s         goretain --sample (production mode): probes on the runtime's own heap sampler
#              at Go's default MemProfileRate (512 KiB); churn runs with -heap so that its runtime
#              samples in every mode, untraced too (as a server serving /debug/pprof does)
# Then a real HTTP server (tests/targets/httpserver) under a bounded loopback load, untraced, in
# exact mode and with --sample: throughput and p99 latency from its own client (HTTP_REQUESTS
# requests per run, default 20000).
# Times are the workload's own (churn prints elapsed_ms, esbuild prints "Done in Nms"), so a
# tracer's attach and detach are not counted. Printed: medians, slowdowns, goretain's cost per
# event, goretain's overhead as a fraction of the naive tool's, and goretain's own CPU per event.
#
# Usage: scripts/bench-overhead.sh [RUNS]   (root; Debian's bpftrace 0.17 needs tracefs, which
# this script mounts for the naive runs if it is not mounted, and unmounts again)
# Environment: GORETAIN_BENCH_BUILD_DIR (default build-release); GORETAIN_BENCH_SKIP_BUILD=1 uses
# that build as it is; GORETAIN_BENCH_SKIP_NAIVE=1 leaves bpftrace out (its columns then read as
# untraced); GORETAIN_BENCH_MODES (below) picks goretain's modes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
build=${GORETAIN_BENCH_BUILD_DIR:-$root/build-release}
work=$(mktemp -d /tmp/grbenchXXXXXX)  # bpftrace's parser wants plain paths: no dots or dashes
mounted_tracefs=0
cleanup() {
  rm -rf "$work"
  if ((mounted_tracefs)); then umount /sys/kernel/tracing || true; fi
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || { echo "bench-overhead: run as root" >&2; exit 1; }
skip_naive=${GORETAIN_BENCH_SKIP_NAIVE:-0}
# goretain's modes, in the order each round runs them (sample = --sample, goretain = the default
# exact mode, noret = --no-retained); GORETAIN_BENCH_MODES=sample measures --sample alone.
modes=${GORETAIN_BENCH_MODES:-sample goretain noret}
# The batch workloads to run before the HTTP server (GORETAIN_BENCH_WORKLOADS="" : the server only).
workloads=${GORETAIN_BENCH_WORKLOADS-churn esbuild}
export GOCACHE="$build/go/cache" GOPATH="$build/go/path" GOFLAGS=-buildvcs=false
export GORETAIN_NPM_DIR="${GORETAIN_NPM_DIR:-$build/npm}" npm_config_cache="$build/npm/.cache"
if [[ ${GORETAIN_BENCH_SKIP_BUILD:-0} != 1 ]]; then
  "$root/scripts/install-deps.sh"
  "$root/scripts/install-npm-binaries.sh" >/dev/null
  "$root/scripts/build.sh" "$build" Release >/dev/null
fi

goretain="$build/userspace/goretain"
mkdir -p "$work/bin"
ln -s "$build/tests/targets/churn" "$work/bin/churn"
ln -s "$GORETAIN_NPM_DIR/esbuild-0.27.0/node_modules/@esbuild/linux-x64/bin/esbuild" "$work/bin/esbuild"
churn="$work/bin/churn"
esbuild="$work/bin/esbuild"
"$root/scripts/gen-js-project.sh" "$work/project" 2000

if ((!skip_naive)) && [[ ! -e /sys/kernel/tracing/uprobe_events ]]; then
  mount -t tracefs nodev /sys/kernel/tracing
  mounted_tracefs=1
fi

# bpftrace program: entry uprobes on the runtime functions goretain observes, counted by stack.
# By file offset (bpftrace --unsafe), because release binaries such as esbuild are stripped and
# bpftrace cannot find their functions by name.
naive_probes() {
  local bin=$1 list=() fn off
  for fn in runtime.makemap runtime.makemap_small runtime.growslice runtime.hashGrow \
            'runtime.(*hmap).newoverflow' 'internal/runtime/maps.(*Map).growToSmall' \
            'internal/runtime/maps.(*Map).growToTable' 'internal/runtime/maps.(*table).grow' \
            'internal/runtime/maps.(*table).split'; do
    off=$("$goretain" symbols "$bin" --func "$fn" 2>/dev/null | sed -n 's/.* file_offset \(0x[0-9a-f]*\).*/\1/p')
    [[ -n $off ]] && list+=("uprobe:$bin:$off")
  done
  local IFS=,
  echo "${list[*]} { @[ustack(3)] = count(); } END { clear(@); }"
}

source "$root/scripts/bench-workload-time.sh"  # workload_ms, median

declare -A cmd
cmd[churn]="$churn -rounds 200000 -heap $work/churn.heap"
cmd[esbuild]="$esbuild --bundle $work/project/index.js --outfile=$work/out.js --log-level=info"

for w in $workloads; do
  bin=${cmd[$w]%% *}
  probes=$(naive_probes "$bin")
  : >"$work/$w.untraced" >"$work/$w.naive"
  for m in $modes; do : >"$work/$w.$m" >"$work/$w.$m.events" >"$work/$w.$m.cpu"; done
  for ((r = 1; r <= runs; r++)); do
    ${cmd[$w]} >"$work/out" 2>&1
    workload_ms "$w" "$work/out" >>"$work/$w.untraced"

    for m in $modes; do  # --sample right after the untraced run it is paired with
      flags=()
      [[ $m == noret ]] && flags=(--no-retained)
      [[ $m == sample ]] && flags=(--sample)
      "$goretain" "${flags[@]}" --format json -o "$work/report.json" -- ${cmd[$w]} >"$work/out" 2>&1
      workload_ms "$w" "$work/out" >>"$work/$w.$m"
      sed -n 's/.*"received":\([0-9]*\),"dropped":\([0-9]*\).*/\1 \2/p' "$work/report.json" >>"$work/$w.$m.events"
      sed -n 's/.*"cpu_s":\([0-9.]*\).*/\1/p' "$work/report.json" >>"$work/$w.$m.cpu"
    done

    if ((skip_naive)); then
      tail -1 "$work/$w.untraced" >>"$work/$w.naive"
    else
      bpftrace --unsafe -e "$probes" -c "${cmd[$w]}" >"$work/out" 2>&1
      workload_ms "$w" "$work/out" >>"$work/$w.naive"
    fi
  done
done

printf "\n%-11s %10s %10s %10s %9s %9s %10s %12s %10s %12s\n" workload untraced goretain naive \
  slow_gr slow_nv events "us/event" "gr/naive" "events/cpu-s"
for w in $workloads; do
  u=$(median <"$work/$w.untraced"); n=$(median <"$work/$w.naive")
  for m in $modes; do
    g=$(median <"$work/$w.$m")
    ev=$(awk '{print $1}' "$work/$w.$m.events" | median)
    drops=$(awk '{s+=$2} END {print s+0}' "$work/$w.$m.events")
    cpu=$(median <"$work/$w.$m.cpu")
    label=$w
    [[ $m == noret ]] && label="$w -n"
    [[ $m == sample ]] && label="$w -s"
    awk -v w="$label" -v u="$u" -v g="$g" -v n="$n" -v ev="$ev" -v cpu="$cpu" -v drops="$drops" 'BEGIN {
      printf "%-11s %8.0fms %8.0fms %8.0fms %8.2fx %8.2fx %10d %12.3f %10.3f %12.0f\n", w, u, g, n,
        g / u, n / u, ev, ev ? (g - u) * 1000 / ev : 0, n != u ? (g - u) / (n - u) : 0, cpu ? ev / cpu : 0
      if (drops > 0) printf "  %s: %d events dropped over all goretain runs\n", w, drops
    }'
  done
done
echo
echo "runs per mode: $runs (interleaved); times are medians of the workload's own measurement"
echo "us/event = (goretain - untraced) / events; gr/naive = goretain's added time / naive's added time"
echo "goretain rows: the default mode (with retention; its events also include one per tracked part of a multi-object map allocation)"
echo "-n rows: goretain --no-retained (allocations only; its goretain column)"
echo "events/cpu-s = events handled per second of goretain's own CPU (its userspace path)"
echo "-s rows: goretain --sample (the runtime's own heap sampler, 512 KiB; goal: slow_gr <= 1.01x)"
# The sampled mode's cost, run by run: each traced run against the untraced run just before it
# (interleaved), so a drift of the machine's load over the benchmark cancels out.
for w in $workloads; do
  m=$(paste "$work/$w.untraced" "$work/$w.sample" | awk '{print $2 / $1}' | median)
  awk -v w="$w" -v m="$m" -v n="$(wc -l <"$work/$w.sample")" \
    'BEGIN {printf "%s --sample: median paired ratio %.4f over %d runs (%+.2f%%)\n", w, m, n, (m - 1) * 100}'
done

# A real HTTP server (tests/targets/httpserver, net/http with net/http/pprof) under a bounded
# loopback load: its own client, in another process, sends HTTP_REQUESTS requests over 4
# keep-alive connections as fast as the server answers and reports throughput and p99 latency.
# As in production, goretain attaches to the running server (--pid): each round starts one server
# and loads it untraced, with goretain --sample attached and (unless left out of
# GORETAIN_BENCH_MODES) with the exact mode attached, detaching in between, in an order that
# reverses every other round. The same process in
# every mode: no difference of start-up or memory layout between the figures compared.
http_requests=${HTTP_REQUESTS:-20000}
server="$build/tests/targets/httpserver"
http_port=""
# http_load: one load on the running server; the client's line goes to $work/out.
http_load() {
  "$server" -load "http://127.0.0.1:$http_port/orders?n=20" -requests "$http_requests" >"$work/out"
}
# http_traced FLAGS...: goretain FLAGS --pid SERVER attached for one load, then stopped.
http_traced() {
  local gr
  "$goretain" "$@" --format json -o "$work/http.json" --pid "$server_pid" 2>"$work/http.err" &
  gr=$!
  for ((i = 0; i < 1500; i++)); do grep -q "probes attached" "$work/http.err" && break; sleep 0.02; done
  http_load
  kill -TERM "$gr"  # goretain writes its final report and detaches; the server keeps running
  wait "$gr" || true
}
http_modes="untraced sample"
[[ " $modes " == *" goretain "* ]] && http_modes+=" exact"
for m in $http_modes; do : >"$work/http.$m"; done
for ((r = 1; r <= runs; r++)); do
  rm -f "$work/http.port"
  "$server" -serve -portfile "$work/http.port" 2>/dev/null &
  server_pid=$!
  for ((i = 0; i < 500; i++)); do [[ -s $work/http.port ]] && break; sleep 0.02; done
  http_port=$(cat "$work/http.port")
  http_load  # warm-up, not counted
  # The order alternates by round (untraced first, then last), so a drift within a round (the
  # server's heap and caches warming up) does not count against one mode.
  order=$http_modes
  ((r % 2 == 0)) && order=$(echo $http_modes | tr ' ' '\n' | tac | tr '\n' ' ')
  for m in $order; do
    case $m in
      untraced) http_load ;;
      sample) http_traced --sample ;;
      exact) http_traced ;;
    esac
    sed -n 's/.*rps=\([0-9.]*\) p99_us=\([0-9]*\).*/\1 \2/p' "$work/out" >>"$work/http.$m"
  done
  kill -TERM "$server_pid"
  wait "$server_pid" || true
done
printf "\n%-16s %12s %12s\n" "http server" "req/s" "p99 (us)"
for m in $http_modes; do
  printf "%-16s %12.0f %12.0f\n" "$m" "$(awk '{print $1}' "$work/http.$m" | median)" \
    "$(awk '{print $2}' "$work/http.$m" | median)"
done
for m in ${http_modes#untraced }; do
  echo "http $m, per run (untraced req/s, p99 us | traced req/s, p99 us): $(paste -d' ' "$work/http.untraced" "$work/http.$m" | tr '\n' ';')"
  t=$(paste "$work/http.untraced" "$work/http.$m" | awk '{print $1 / $3}' | median)
  p=$(paste "$work/http.untraced" "$work/http.$m" | awk '{print $4 / $2}' | median)
  awk -v m="$m" -v t="$t" -v p="$p" -v n="$(wc -l <"$work/http.$m")" 'BEGIN {
    printf "http %s: median paired throughput ratio untraced/traced %.4f (%+.2f%% slower), p99 latency ratio %.3f (%d runs)\n",
      m, t, (t - 1) * 100, p, n}'
done
