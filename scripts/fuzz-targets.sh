#!/usr/bin/env bash
# Builds the fuzz targets of the container parsers (tests/fuzz/cgroup_path_fuzz.cpp and
# pod_metadata_fuzz.cpp) with clang++ (libFuzzer + ASan + UBSan), standalone like
# scripts/fuzz.sh, and runs each for a fixed time.
#
#   scripts/fuzz-targets.sh [SECONDS]    default 30 per target
#
# Environment: FUZZ_DIR  work directory (default build/fuzz-targets): binaries, corpora, crashes
# Seeds: the cgroup lines of tests/unit/targets_cgroup_path_test.cpp (one per line) and the
# fixture bundles under tests/unit/fixtures/targets/. A crash leaves crash-* in FUZZ_DIR/artifacts
# and a non-zero exit status; add the input to the unit tests once fixed.
set -euo pipefail

seconds="${1:-30}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${FUZZ_DIR:-${repo}/build/fuzz-targets}"
cxx="${CLANGXX:-clang++}"
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"${repo}")
mkdir -p "${work}/artifacts" "${work}/cgroup_path" "${work}/pod_metadata"

echo "fuzz-targets: building in ${work}"
"${cxx}" "${flags[@]}" "${repo}/userspace/targets/cgroup_path.cpp" \
  "${repo}/userspace/targets/mountinfo.cpp" "${repo}/tests/fuzz/cgroup_path_fuzz.cpp" \
  -o "${work}/cgroup_path_fuzz"
"${cxx}" "${flags[@]}" "${repo}/userspace/targets/cgroup_path.cpp" \
  "${repo}/userspace/targets/pod_metadata.cpp" "${repo}/tests/fuzz/pod_metadata_fuzz.cpp" \
  -o "${work}/pod_metadata_fuzz"

# Seeds: every quoted string of the parser test that looks like a cgroup line or path.
n=0
grep -o '"[0-9]*:[^"]*"\|"/[^"]*"' "${repo}/tests/unit/targets_cgroup_path_test.cpp" |
  tr -d '"' | while read -r line; do
    n=$((n + 1))
    printf '%s\n' "${line}" >"${work}/cgroup_path/seed-${n}"
  done
i=0
while read -r f; do
  i=$((i + 1))
  cp "${f}" "${work}/pod_metadata/seed-${i}.json"
done < <(find "${repo}/tests/unit/fixtures/targets" -name '*.json')
printf 'kube-system_coredns-5d78c9869d-abcde_6b1f3c2a-0e4d-4c1b-9a7e-3f2d1c0b9a88' \
  >"${work}/pod_metadata/logdir"

cd "${work}"
for t in cgroup_path pod_metadata; do
  echo "fuzz-targets: ${t} for ${seconds}s"
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "${work}/${t}_fuzz" \
    -max_total_time="${seconds}" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="${work}/artifacts/" -print_final_stats=1 "${work}/${t}"
done
