#!/usr/bin/env bash
# The node agent under churn (issue 13 item 5, "memory bounded"): `goretain agent --cgroup` for
# each MODE (sampled, the agent's default, and --exact) follows a test cgroup in which a Go
# service restarts over and over: LOOPS restart loops side by side, RESTARTS processes in all,
# each running tests/targets/restarts for a fraction of a second at one of its ten allocating
# lines (SITE, so restarts have different call sites) with MemProfileRate 4096 (so a sampled
# agent gets samples from a process that lives well under a second). The agent writes a report
# every 5 s (report building is part of what it keeps). Its VmRSS is sampled every second;
# printed: the mean of each third of the run, the max, and what the final report says of the
# exited processes (kept with their pid under --max-exited, folded). Goal: flat (the last
# third no higher than the middle one, within a few MB): retired processes free their state,
# and what the report keeps of them is bounded.
#   scripts/bench-agent-churn.sh [RESTARTS] [MODES...]   (root; build/ built; MODES: sampled exact)
# GORETAIN=path/to/goretain compares another build (e.g. one from before retirement); LOOPS and
# RUN_FOR change the churn.
set -euo pipefail
RESTARTS=${1:-600}
shift || true
MODES=("$@")
[[ ${#MODES[@]} -gt 0 ]] || MODES=(sampled exact)
G=${GORETAIN:-build/userspace/goretain}
TARGET=${TARGET:-build/tests/targets/restarts}
LOOPS=${LOOPS:-3}
RUN_FOR=${RUN_FOR:-300ms}
[[ $(id -u) -eq 0 ]] || { echo "bench-agent-churn: run as root" >&2; exit 2; }
[[ -x $G && -x $TARGET ]] || { echo "bench-agent-churn: build $G and $TARGET first" >&2; exit 2; }
MOUNT=/sys/fs/cgroup/unified
[[ -f $MOUNT/cgroup.procs ]] || MOUNT=/sys/fs/cgroup
CG=gr-bench-churn-$$
TMP=$(mktemp -d /tmp/gr-bench-churn.XXXXXX)
agent=
loops=()

cleanup() {
  for p in "${loops[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [[ -n $agent ]] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
  wait 2>/dev/null || true
  [[ -f $MOUNT/$CG/cgroup.kill ]] && echo 1 >"$MOUNT/$CG/cgroup.kill" 2>/dev/null
  sleep 0.2
  rmdir "$MOUNT/$CG" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
mkdir "$MOUNT/$CG"

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# One restart loop: N processes one after another, each exec'd inside the cgroup.
restart_loop() {
  local n=$1 first=$2
  for ((k = 0; k < n; k++)); do
    sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" churn "$3" "$4" 4096' _ \
      "$MOUNT/$CG" "$TARGET" "$(((first + k) % 10))" "$RUN_FOR" || true
  done
}

for mode in "${MODES[@]}"; do
  flags=()
  [[ $mode == exact ]] && flags=(--exact)
  log="$TMP/agent-$mode.log"
  report="$TMP/report-$mode.json"
  "$G" agent --cgroup "/$CG" "${flags[@]}" -f json -o "$report" -i 5 2>"$log" &
  agent=$!
  for ((t = 0; t < 600; t++)); do
    grep -q '^goretain: following' "$log" 2>/dev/null && break
    kill -0 "$agent" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  start=$(date +%s)
  per_loop=$((RESTARTS / LOOPS))
  loops=()
  for ((l = 0; l < LOOPS; l++)); do
    restart_loop "$per_loop" "$l" &
    loops+=($!)
  done
  series=()
  while :; do
    series+=("$(rss_kb "$agent")")
    running=0
    for p in "${loops[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
    [[ $running -eq 1 ]] || break
    sleep 1
  done
  wait "${loops[@]}" 2>/dev/null || true
  loops=()
  elapsed=$(($(date +%s) - start))
  sleep 1
  series+=("$(rss_kb "$agent")")
  kill -TERM "$agent"
  wait "$agent" || true
  agent=
  attached=$(grep -c '^goretain: tracing pid' "$log" || true)
  echo "== $mode: $((per_loop * LOOPS)) restarts in $elapsed s ($LOOPS loops of $RUN_FOR" \
       "processes), $attached attached"
  printf '%s\n' "${series[@]}" | awk '
    { v[NR] = $1; if ($1 > max) max = $1 }
    END {
      n = NR; t = int(n / 3)
      for (i = 1; i <= n; i++) { p = (i <= t) ? 1 : (i <= 2 * t) ? 2 : 3; s[p] += v[i]; c[p]++ }
      printf "   VmRSS over %d samples (1/s): thirds %.1f / %.1f / %.1f MB, max %.1f MB, " \
             "first %.1f MB, last %.1f MB\n", n, s[1] / c[1] / 1024, s[2] / c[2] / 1024,
             s[3] / c[3] / 1024, max / 1024, v[1] / 1024, v[n] / 1024
    }'
  tail -n 1 "$report" | python3 -c '
import json, sys
r = json.load(sys.stdin)
rows = r["callsites"]
if "exited_processes" not in r:  # a goretain from before retirement (GORETAIN=...), to compare
    sys.exit("   final report: %d rows, %d targets (no exited_processes)" % (len(rows), len(r["targets"])))
e = r["exited_processes"]
live = sum(1 for c in rows if not c["exited"])
print("   final report: %d exited, %d kept with their pid, %d folded; %d rows (%d live), "
      "%d targets, call sites folded by the cap: %d" % (e["exited"], e["kept"], e["folded"],
      len(rows), live, len(r["targets"]), r["folded"]["callsites"]))' || true
  grep -E 'warn|error' "$log" | sort | uniq -c | head -5 || true
done
