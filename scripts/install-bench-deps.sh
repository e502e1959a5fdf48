#!/usr/bin/env bash
# Installs, from Debian packages, what the benchmarks need beyond scripts/install-deps.sh: large
# real Go servers to attach to (scripts/bench-attach.sh). The checking and installing is
# install-deps.sh's; this script only names the extra packages.
set -euo pipefail

# go1.19 servers: etcd (21 MB, ~730 runtime.makemap_small callers completed) and hugo (53 MB,
# ~2,100): the largest Debian-packaged Go programs with many callers
exec "$(dirname "$0")/install-deps.sh" etcd-server hugo
