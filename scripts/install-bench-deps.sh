#!/usr/bin/env bash
# Installs, from Debian packages, what the benchmarks need beyond scripts/install-deps.sh: large
# real Go servers to attach to (scripts/bench-attach.sh).
# Idempotent: when every package is present it only checks.
set -euo pipefail

PACKAGES=(
  # go1.19 servers: etcd (21 MB, ~730 runtime.makemap_small callers completed) and hugo (53 MB,
  # ~2,100): the largest Debian-packaged Go programs with many callers
  etcd-server hugo
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-bench-deps: missing packages: ${missing[*]} (hint: run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-bench-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
