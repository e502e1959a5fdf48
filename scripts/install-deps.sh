#!/usr/bin/env bash
# Installs, from Debian packages, everything goretain's build, tests, benchmarks and demo need.
# Idempotent: when every package is present it only checks, and returns in about a second.
# Usage: scripts/install-deps.sh [EXTRA_PACKAGE...]   (extras: what one benchmark needs besides)
set -euo pipefail

PACKAGES=(
  # build
  cmake make pkg-config g++ clang llvm
  libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libcapstone-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  # --format pprof: the profile.proto encoder (protobuf_generate) and its gzip
  libprotobuf-dev protobuf-compiler
  # goretain top: the live view (ncursesw), and the terminal its e2e test drives it in
  libncurses-dev tmux
  # --listen: the HTTP endpoint (userspace/http) and its Prometheus text; a real Prometheus
  # server scrapes it in the e2e tests
  libcpp-httplib-dev prometheus-cpp-dev prometheus
  # tests
  googletest libgtest-dev libgmock-dev golang-go util-linux
  # the other Go releases' packages are verified with it (scripts/install-go-toolchains.sh)
  debian-archive-keyring
  # the naive-tracer baseline of the overhead benchmark
  bpftrace
  # the include-direction check (tests/layering)
  python3
  # --format html: the page is loaded and screenshot in a real browser, headless (tests/e2e)
  chromium
  # containers (issue 13): runc bundles and a private containerd in e2e tests; the deploy/
  # check reads kubectl's rendered YAML
  runc containerd python3-yaml
  "$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Real third-party Go binaries come from npm (scripts/install-npm-binaries.sh). Any npm will do:
# machines that already have Node.js from elsewhere must not get Debian's npm (it conflicts).
command -v npm >/dev/null 2>&1 || missing+=(npm)
# `kubectl kustomize deploy/` (tests/deploy): any kubectl will do; Debian's kubernetes-client
# conflicts with a kubectl installed from elsewhere, so it is installed only when none is present.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]} (hint: run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
