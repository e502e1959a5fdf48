#!/usr/bin/env bash
# The node agent at scale (issue 13): 50 idle Go processes in 10 kubelet-shaped container cgroups
# (5 each, cgroupfs driver: kubepods/<qos>/pod<UID>/<64 hex>) under one test cgroup, from 3
# "images" (3 copies of one Go program: 3 files, 3 inodes, so 3 executables to the agent). Then
# `goretain agent --cgroup <test cgroup>` for each MODE (sampled, the agent's default, and
# --exact): checks its lines say 3 executables attached (3 "probes attached", 47 "shares the
# probes") and 50 processes followed, and measures its CPU (utime+stime from /proc/PID/stat over
# SECONDS, as % of one core) and its memory (VmRSS at the end, VmHWM) once every probe is live.
# Goal (issue 13): CPU <= 2 % of one core, RSS <= 200 MB, idle targets.
#   scripts/bench-agent-scale.sh [SECONDS] [MODES...]   (root; build/ built; MODES: sampled exact)
# The target is tests/targets/httpserver -serve: idle between requests, and net/http/pprof keeps
# its heap profiling on (a process whose profiling is off is skipped by the sampled agent).
set -euo pipefail
SECONDS_MEASURED=${1:-60}
shift || true
MODES=("$@")
[[ ${#MODES[@]} -gt 0 ]] || MODES=(sampled exact)
G=${GORETAIN:-build/userspace/goretain}
TARGET=${TARGET:-build/tests/targets/httpserver}
CONTAINERS=10
PER_CONTAINER=5
IMAGES=3
[[ $(id -u) -eq 0 ]] || { echo "bench-agent-scale: run as root" >&2; exit 2; }
[[ -x $G && -x $TARGET ]] || { echo "bench-agent-scale: build $G and $TARGET first" >&2; exit 2; }
MOUNT=/sys/fs/cgroup/unified
[[ -f $MOUNT/cgroup.procs ]] || MOUNT=/sys/fs/cgroup
ROOT=gr-bench-scale-$$
TMP=$(mktemp -d /tmp/gr-bench-scale.XXXXXX)
pids=()
agent=
cgroups=()

cleanup() {
  [[ -n $agent ]] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Deepest first: a cgroup is removed once it holds no process and no child.
  for ((i = ${#cgroups[@]} - 1; i >= 0; i--)); do rmdir "${cgroups[i]}" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

mkcg() { mkdir "$1"; cgroups+=("$1"); }

for ((i = 0; i < IMAGES; i++)); do cp "$TARGET" "$TMP/image$i"; done
mkcg "$MOUNT/$ROOT"
mkcg "$MOUNT/$ROOT/kubepods"
qos=(besteffort burstable)
for q in "${qos[@]}"; do mkcg "$MOUNT/$ROOT/kubepods/$q"; done
for ((c = 0; c < CONTAINERS; c++)); do
  uid=$(cat /proc/sys/kernel/random/uuid)
  pod="$MOUNT/$ROOT/kubepods/${qos[c % 2]}/pod$uid"
  cid=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mkcg "$pod"
  mkcg "$pod/$cid"
  image="$TMP/image$((c % IMAGES))"
  for ((k = 0; k < PER_CONTAINER; k++)); do
    # The shell moves itself into the container's cgroup, then execs the target there.
    sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" -serve -portfile "$3"' _ \
      "$pod/$cid" "$image" "$TMP/port.$c.$k" 2>/dev/null &
    pids+=($!)
  done
done
for ((t = 0; t < 200; t++)); do  # every server listening (its runtime is up)
  n=$(ls "$TMP" | grep -c '^port\.[0-9]*\.[0-9]*$' || true)
  [[ $n -eq $((CONTAINERS * PER_CONTAINER)) ]] && break
  sleep 0.1
done
echo "$n Go processes in $CONTAINERS containers from $IMAGES executables, under /$ROOT"

tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

for mode in "${MODES[@]}"; do
  flags=()
  [[ $mode == exact ]] && flags=(--exact)
  log="$TMP/agent-$mode.log"
  start=$(date +%s%N)
  "$G" agent --cgroup "/$ROOT" "${flags[@]}" -v -o "$TMP/report-$mode.txt" 2>"$log" &
  agent=$!
  for ((t = 0; t < 1200; t++)); do  # up to 120 s for every attach
    grep -q '^goretain: following' "$log" && break
    kill -0 "$agent" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  attach_s=$(awk -v s="$start" -v e="$(date +%s%N)" 'BEGIN { printf "%.1f", (e - s) / 1e9 }')
  attached=$(grep -c 'probes attached$' "$log" || true)
  shared=$(grep -c 'shares the [0-9]* probes of pid' "$log" || true)
  following=$(grep -m1 '^goretain: following' "$log")
  attach_cpu=$(cpu_ticks "$agent")
  c0=$(cpu_ticks "$agent")
  t0=$(date +%s%N)
  sleep "$SECONDS_MEASURED"
  c1=$(cpu_ticks "$agent")
  t1=$(date +%s%N)
  rss=$(status_kb "$agent" VmRSS)
  hwm=$(status_kb "$agent" VmHWM)
  kill -TERM "$agent"
  wait "$agent" || true
  agent=
  echo "== $mode: $following"
  echo "   executables attached: $attached, processes sharing their probes: $shared" \
       "(expect $IMAGES and $((CONTAINERS * PER_CONTAINER - IMAGES)))"
  echo "   attach phase: ${attach_s} s wall, $(awk -v c="$attach_cpu" -v t="$tck" \
       'BEGIN { printf "%.2f", c / t }') s CPU"
  awk -v c="$((c1 - c0))" -v t="$tck" -v ns="$((t1 - t0))" -v s="$SECONDS_MEASURED" \
    'BEGIN { printf "   CPU over %d s after attach: %.2f %% of one core\n", s, 100 * c / t / (ns / 1e9) }'
  echo "   memory: VmRSS $((rss / 1024)) MB at the end, VmHWM $((hwm / 1024)) MB"
  grep -E 'warn|error' "$log" | head -5 || true
  if [[ $attached -ne $IMAGES || $shared -ne $((CONTAINERS * PER_CONTAINER - IMAGES)) ]]; then
    echo "bench-agent-scale: expected $IMAGES attaches for $((CONTAINERS * PER_CONTAINER)) processes" >&2
    exit 1
  fi
done
