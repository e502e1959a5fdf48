#!/usr/bin/env bash
# Unpacks extra Go releases from Debian packages into the build tree, so that the test targets
# can be built with each of them.  Usage: scripts/install-go-toolchains.sh [BUILD_DIR]
#
#   $build/go-toolchains/apt/    a private apt configuration: its own sources.list, package
#                                lists, cache and (empty) dpkg status; the machine's own apt
#                                sources are read for the mirror's address, never changed
#   $build/go-toolchains/debs/   golang-1.NN-go and golang-1.NN-src, from `apt-get download`
#   $build/go-toolchains/root/   both unpacked with `dpkg -x`: root/usr/lib/go-1.NN/bin/go
#   $build/go-toolchains/root/.stamp-1.NN   the `go version` of a toolchain that built and ran
#                                           a hello-world program
#
# Nothing is installed into the system and nothing needs HOME. Idempotent: when every stamp is
# there it only prints the summary line. Quiet on success but for that one line; on failure one
# line on stderr and a non-zero status. Override the versions with GORETAIN_GO_VERSIONS="21 22",
# the mirror with GORETAIN_DEBIAN_MIRROR=URL.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${GORETAIN_BUILD_DIR:-$root/build}}
mkdir -p "$build"
build=$(cd "$build" && pwd)

# Debian's suites for each release: 1.21-1.23 in bookworm-backports, 1.24 in trixie, 1.26 and
# 1.27 in trixie-backports (also in forky and sid). apt takes the newest version it finds.
read -r -a versions <<<"${GORETAIN_GO_VERSIONS:-21 22 23 24 26 27}"
suites=(bookworm-backports trixie trixie-backports)

top=$build/go-toolchains
aptdir=$top/apt
debs=$top/debs
dest=$top/root
log=$top/install.log

fail() {
  echo "install-go-toolchains: $*" >&2
  exit 1
}

summary() {
  local line="go toolchains:" n
  for n in "${versions[@]}"; do
    line+=" $(cut -d' ' -f3 "$dest/.stamp-1.$n")"
  done
  echo "$line"
}

missing=()
for n in "${versions[@]}"; do
  [[ -s $dest/.stamp-1.$n && -x $dest/usr/lib/go-1.$n/bin/go ]] || missing+=("$n")
done
if ((${#missing[@]} == 0)); then
  summary
  exit 0
fi

if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  fail "apt-get and dpkg are needed (a Debian system)"
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -r $keyring ]] || fail "$keyring is missing (hint: apt-get install debian-archive-keyring)"

# The Debian mirror this machine already uses: the first source for its own release's suite
# (one-line *.list or deb822 *.sources), else the CDN.
find_mirror() {
  local codename="" f
  # shellcheck disable=SC1091
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") || true
  [[ -n $codename ]] || codename=bookworm
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    awk -v s="$codename" '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == s) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    awk -v s="$codename" '
      function flush() { if (!done && uri != "" && deb && on && suites ~ ("(^| )" s "( |$)")) {
                           print uri; done = 1; exit }
                         uri = ""; suites = ""; deb = 0; on = 1 }
      BEGIN { on = 1 }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { suites = ""; for (i = 2; i <= NF; i++) suites = suites " " $i }
      tolower($1) == "enabled:" { on = (tolower($2) != "no") }
      END { flush() }' "$f"
  done
  echo "http://deb.debian.org/debian"
}
mirror=${GORETAIN_DEBIAN_MIRROR:-$(find_mirror)}
mirror=${mirror%%$'\n'*}
mirror=${mirror%/}

mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/sources.list.d" \
  "$aptdir/preferences.d" "$debs" "$dest"
: >"$aptdir/status"
: >"$log"
{
  for s in "${suites[@]}"; do
    echo "deb [signed-by=$keyring] $mirror $s main"
  done
} >"$aptdir/sources.list"

arch=$(dpkg --print-architecture)
# Every directory apt reads its sources, pins and state from is ours. The machine's apt.conf.d
# stays in effect (proxies) but for its hooks, which must not run for this private update.
cat >"$aptdir/apt.conf" <<EOF
Dir::Etc::SourceList "$aptdir/sources.list";
Dir::Etc::SourceParts "$aptdir/sources.list.d";
Dir::Etc::Preferences "$aptdir/preferences";
Dir::Etc::PreferencesParts "$aptdir/preferences.d";
Dir::State "$aptdir";
Dir::State::Lists "$aptdir/lists";
Dir::State::Status "$aptdir/status";
Dir::Cache "$aptdir/cache";
APT::Architecture "$arch";
#clear APT::Architectures;
APT::Architectures { "$arch"; };
Acquire::Languages "none";
Acquire::Retries "3";
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
EOF
if [[ $(id -u) -eq 0 ]]; then
  # apt downloads as _apt when run as root; these directories are root's.
  echo 'APT::Sandbox::User "root";' >>"$aptdir/apt.conf"
fi
apt_opts=(-q -c "$aptdir/apt.conf")

# Network hiccups: apt retries each file; the whole step is tried three times.
retry() {
  local i
  for i in 1 2 3; do
    "$@" >>"$log" 2>&1 && return 0
    ((i == 3)) || sleep $((i * 5))
  done
  return 1
}

retry apt-get "${apt_opts[@]}" --error-on=any update ||
  fail "apt-get update of $mirror (${suites[*]}) failed (see $log)"

pkgs=()
for n in "${missing[@]}"; do
  pkgs+=("golang-1.$n-go" "golang-1.$n-src")
done
for p in "${pkgs[@]}"; do
  [[ -n $(apt-cache "${apt_opts[@]}" policy "$p" 2>>"$log" | awk '/Candidate:/ && $2 != "(none)"') ]] ||
    fail "no Debian package $p in ${suites[*]} at $mirror"
done
rm -f "$debs"/*.deb
(cd "$debs" && retry apt-get "${apt_opts[@]}" download "${pkgs[@]}") ||
  fail "apt-get download ${pkgs[*]} failed (see $log)"

# Each toolchain must build and run a program before it is stamped.
smoke=$top/smoke
mkdir -p "$smoke/hello"
cat >"$smoke/hello/main.go" <<'EOF'
package main

import "fmt"

func main() { fmt.Println("hello from", "go") }
EOF
printf 'module hello\n\ngo 1.19\n' >"$smoke/hello/go.mod"

for n in "${missing[@]}"; do
  for p in go src; do
    found=("$debs"/golang-1."$n"-"$p"_*.deb)
    deb=${found[0]}
    [[ -f $deb ]] || fail "apt-get download left no golang-1.$n-$p package in $debs"
    dpkg -x "$deb" "$dest" 2>>"$log" || fail "dpkg -x $deb failed (see $log)"
  done
  goroot=$dest/usr/lib/go-1.$n
  [[ -x $goroot/bin/go && -d $goroot/src/runtime ]] ||
    fail "golang-1.$n unpacked without $goroot/bin/go or $goroot/src/runtime"
  out=$smoke/hello-1.$n
  (cd "$smoke/hello" && env -u GOROOT -u GOENV -u GOFLAGS \
    GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOPROXY=off GO111MODULE=on CGO_ENABLED=0 \
    GOCACHE="$build/go/cache" GOPATH="$build/go/path" GOENV=off \
    "$goroot/bin/go" build -o "$out" . >>"$log" 2>&1) ||
    fail "go 1.$n could not build a hello-world program (see $log)"
  [[ $("$out" 2>>"$log") == "hello from go" ]] || fail "go 1.$n built a hello-world program that did not run"
  ver=$(env -u GOROOT GOTOOLCHAIN=local GOENV=off GOCACHE="$build/go/cache" GOPATH="$build/go/path" \
    "$goroot/bin/go" version 2>>"$log") ||
    fail "$goroot/bin/go version failed (see $log)"
  echo "$ver" >"$dest/.stamp-1.$n"
done
rm -rf "$smoke" "$debs"
summary
