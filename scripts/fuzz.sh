#!/usr/bin/env bash
# Builds tests/fuzz/symbols_fuzz.cpp with clang++ (libFuzzer + ASan + UBSan), standalone (not via
# CMake), and runs it for a fixed time.
#
#   scripts/fuzz.sh [SECONDS]        default 60
#
# Environment: GORETAIN_TARGETS_DIR  built Go test targets used as seeds (default build/tests/targets)
#              FUZZ_DIR              work directory (default build/fuzz): binary, corpus, crashes
#              FUZZ_KEEP_CORPUS=1    keep the corpus of earlier runs (inputs are ~1 MB each, so by
#                                    default every run starts again from the seeds)
# The corpus is seeded with truncated copies of the Go test binaries (the headers, the middle,
# and whole stripped binaries). A crash leaves crash-* in FUZZ_DIR and a non-zero exit status;
# add the input under tests/unit/testdata/symbols_fuzz/ as a regression test once fixed.
set -euo pipefail

seconds="${1:-60}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
targets="${GORETAIN_TARGETS_DIR:-${repo}/build/tests/targets}"
work="${FUZZ_DIR:-${repo}/build/fuzz}"
cxx="${CLANGXX:-clang++}"
if [[ "${FUZZ_KEEP_CORPUS:-0}" != 1 ]]; then
  rm -rf "${work}/corpus"
fi
mkdir -p "${work}/corpus" "${work}/artifacts"

echo "fuzz: building ${work}/symbols_fuzz"
"${cxx}" -std=c++20 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"${repo}" "${repo}"/symbols/*.cpp "${repo}/tests/fuzz/symbols_fuzz.cpp" \
  -lelf -o "${work}/symbols_fuzz"

# Seeds: whole stripped binaries, plus prefixes of every target (idempotent: fixed names).
seeded=0
for bin in "${targets}"/*; do
  [[ -f "${bin}" && -x "${bin}" ]] || continue
  name="$(basename "${bin}")"
  size="$(stat -c %s "${bin}")"
  if [[ "${name}" == *-stripped ]]; then
    cp "${bin}" "${work}/corpus/${name}.whole"
  fi
  head -c 4096 "${bin}" >"${work}/corpus/${name}.head"
  head -c $((size / 2)) "${bin}" >"${work}/corpus/${name}.half"
  seeded=$((seeded + 1))
done
if [[ "${seeded}" -eq 0 ]]; then
  echo "fuzz: no Go test binaries in ${targets}; build the go_targets CMake target first" >&2
  exit 1
fi
max_len="$(find "${work}/corpus" -type f -printf '%s\n' | sort -n | tail -1)"

echo "fuzz: running for ${seconds}s (corpus ${work}/corpus, max_len ${max_len})"
cd "${work}"
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "${work}/symbols_fuzz" \
  -max_total_time="${seconds}" -max_len="${max_len}" -timeout=20 -rss_limit_mb=4096 \
  -artifact_prefix="${work}/artifacts/" -print_final_stats=1 "${work}/corpus"
