#!/usr/bin/env bash
# The size check must fail on an 81-line function and on a 601-line file, and pass an 80-line one.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=${PYTHON:-python3}
check="$(dirname "$0")/check_sizes.py"
mkdir -p "$tmp/userspace/x"
body() { echo "int f$1(int a) {"; for ((i = 0; i < $1 - 2; i++)); do echo "  a += $i;  // {"; done; echo "  return a; }"; }
body 80 > "$tmp/userspace/x/ok.cpp"
"$py" "$check" "$tmp" "$tmp/userspace/x/ok.cpp" || { echo "FAIL: an 80-line function was refused"; exit 1; }
body 81 > "$tmp/userspace/x/long.cpp"
if out=$("$py" "$check" "$tmp" "$tmp/userspace/x/long.cpp"); then echo "FAIL: 81 lines passed"; exit 1; fi
grep -q "long.cpp:1: f81 is 81 lines" <<<"$out" || { echo "FAIL: not reported: $out"; exit 1; }
for ((i = 0; i < 601; i++)); do echo "int v$i;"; done > "$tmp/userspace/x/big.cpp"
if out=$("$py" "$check" "$tmp" "$tmp/userspace/x/big.cpp"); then echo "FAIL: 601 lines passed"; exit 1; fi
grep -q "big.cpp: 601 lines" <<<"$out" || { echo "FAIL: not reported: $out"; exit 1; }
echo "PASS: long function and long file reported"
