#!/usr/bin/env bash
# What the exec watcher (goretain agent --cgroup / --all) costs the host's execs: N execs of
# /bin/true, untraced and with `goretain agent --cgroup` watching an empty test cgroup (so every
# exec takes the BPF program's filter path and sends nothing), interleaved, ROUNDS rounds;
# prints each round's time per exec and the median ratio.
#   scripts/bench-exec-watch.sh [ROUNDS] [N]      (root; build/userspace/goretain built)
set -euo pipefail
ROUNDS=${1:-5}
N=${2:-2000}
G=${GORETAIN:-build/userspace/goretain}
[[ $(id -u) -eq 0 ]] || { echo "bench-exec-watch: run as root" >&2; exit 2; }
MOUNT=/sys/fs/cgroup/unified
[[ -f $MOUNT/cgroup.procs ]] || MOUNT=/sys/fs/cgroup
CG=gr-bench-exec-$$
mkdir "$MOUNT/$CG"
agent=
cleanup() { [[ -n $agent ]] && kill "$agent" 2>/dev/null; wait 2>/dev/null; rmdir "$MOUNT/$CG"; }
trap cleanup EXIT

execs() {  # microseconds per exec
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < N; i++)); do /bin/true; done
  end=$(date +%s%N)
  echo $(( (end - start) / N / 1000 ))
}

ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
  base=$(execs)
  "$G" agent --cgroup "/$CG" >/dev/null 2>&1 &
  agent=$!
  sleep 1  # the watcher is attached well within this
  watched=$(execs)
  kill -TERM "$agent"; wait "$agent" || true; agent=
  ratios+=("$(awk -v a="$watched" -v b="$base" 'BEGIN { printf "%.3f", a / b }')")
  echo "round $r: untraced ${base} us/exec, watched ${watched} us/exec, ratio ${ratios[-1]}"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "median ratio (watched / untraced): %s\n", v[int((NR + 1) / 2)] }'
