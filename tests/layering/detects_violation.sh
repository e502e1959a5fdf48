#!/usr/bin/env bash
# The layering check must fail on a wrong-way include: copy the sources, add one include that runs
# upward (goruntime/ -> cli/) and one unowned system call (analysis/ -> process_vm_readv), and
# expect both reported and exit 1; also a write to target memory from process/ outside its one
# owning file (profile_rate_writer.cpp). A check that cannot fail would pass here too.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/userspace" "$src/symbols" "$src/bpf" "$tmp/"
echo '#include "userspace/cli/options.h"' >> "$tmp/userspace/goruntime/probe_plan.h"
echo 'static long f() { return process_vm_readv(0, 0, 0, 0, 0, 0); }' >> "$tmp/userspace/analysis/aggregator.cpp"
echo '#include "userspace/goruntime/probe_plan.h"' >> "$tmp/symbols/elf_file.h"
echo '#include <ncurses.h>' >> "$tmp/userspace/output/table.cpp"
echo '#include "userspace/session/trace_session.h"' >> "$tmp/userspace/tui/top_model.h"
echo 'static long g() { return process_vm_writev(0, 0, 0, 0, 0, 0); }' >> "$tmp/userspace/process/remote_memory.cpp"
set +e
out=$("${PYTHON:-python3}" "$(dirname "$0")/check_layering.py" "$tmp")
rc=$?
set -e
echo "$out"
[[ $rc -eq 1 ]] || { echo "FAIL: exit $rc, want 1"; exit 1; }
grep -q "goruntime/probe_plan.h: goruntime/ includes userspace/cli/options.h" <<<"$out" || { echo "FAIL: upward include not reported"; exit 1; }
grep -q "analysis/aggregator.cpp: process_vm_readv" <<<"$out" || { echo "FAIL: system call not reported"; exit 1; }
grep -q "symbols/elf_file.h: symbols/ includes userspace/goruntime/probe_plan.h" <<<"$out" || { echo "FAIL: symbols include not reported"; exit 1; }
grep -q "output/table.cpp: ncurses belongs to tui/" <<<"$out" || { echo "FAIL: ncurses outside tui/ not reported"; exit 1; }
grep -q "tui/top_model.h: tui/ includes userspace/session/trace_session.h" <<<"$out" || { echo "FAIL: tui/ -> session/ not reported"; exit 1; }
grep -q "process/remote_memory.cpp: writing to a target's memory belongs to" <<<"$out" || { echo "FAIL: memory write outside its owner not reported"; exit 1; }
echo "PASS: violations reported"
