#!/usr/bin/env bash
# Benchmarks attaching with --retained to the largest Go programs the suite has: how long goretain
# takes from its start to "probes attached" (parse + probe plan + attach) and its peak RSS.
# The plan scans every caller of runtime.makemap_small (thousands in a large server).
# Goal: <= 1 s and <= 150 MB on a 50 MB binary (hugo).
#
#   scripts/bench-attach.sh [BUILD_DIR] [BEFORE]     default <repo>/build, no BEFORE
#
# BEFORE: another goretain executable (e.g. built from an older commit) measured side by side,
# interleaved run by run. GORETAIN_BENCH_RUNS (default 3) runs per binary and goretain; the table
# shows the median. GORETAIN_BENCH_TARGETS (e.g. "hugo etcd") picks some of the targets. Each target runs as a real server: etcd and hugo (Debian, go1.19), esbuild
# (npm, go1.19 and go1.25) and buf's language server (npm, go1.27), on loopback, with temporary
# data; goretain attaches with `--pid P --retained --duration 2 -f json` and must write a report.
# Needs root (BPF). Installs what it needs (scripts/install-bench-deps.sh, install-npm-binaries.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${repo}/build}"
before="${2:-}"
npm_dir="${GORETAIN_NPM_DIR:-${repo}/build/npm}"

"${repo}/scripts/install-deps.sh"
"${repo}/scripts/install-bench-deps.sh"
GORETAIN_NPM_DIR="${npm_dir}" "${repo}/scripts/install-npm-binaries.sh" >/dev/null
cmake --build "${build}" --target goretain -j2 >/dev/null

exec python3 - "${build}/userspace/goretain" "${before}" "${npm_dir}" \
  "${GORETAIN_BENCH_RUNS:-3}" "${GORETAIN_BENCH_TARGETS:-}" <<'PY'
import json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time

after, before, npm, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
goretains = [("after", after)] + ([("before", before)] if before else [])

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def etcd(tmp):
    c, p = free_port(), free_port()
    return ["/usr/bin/etcd", "--name", "bench", "--data-dir", f"{tmp}/etcd",
            "--listen-client-urls", f"http://127.0.0.1:{c}", "--advertise-client-urls",
            f"http://127.0.0.1:{c}", "--listen-peer-urls", f"http://127.0.0.1:{p}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{p}",
            "--initial-cluster", f"bench=http://127.0.0.1:{p}"]

def hugo(tmp):
    subprocess.run(["/usr/bin/hugo", "new", "site", f"{tmp}/site"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ["/usr/bin/hugo", "server", "-s", f"{tmp}/site", "--bind", "127.0.0.1", "--port",
            str(free_port()), "--disableLiveReload", "--watch=false"]

def esbuild(rel):
    def start(tmp):
        os.makedirs(f"{tmp}/www", exist_ok=True)
        return [f"{npm}/{rel}", f"--serve=127.0.0.1:{free_port()}", f"--servedir={tmp}/www"]
    return start

def buf(tmp):
    return [f"{npm}/buf-1.75.0/node_modules/@bufbuild/buf-linux-x64/bin/buf", "lsp", "serve",
            "--timeout", "0"]

servers = [
    ("hugo", hugo), ("etcd", etcd), ("buf", buf),
    ("esbuild-0.15", esbuild("esbuild-0.15.18/node_modules/esbuild-linux-64/bin/esbuild")),
    ("esbuild-0.27", esbuild("esbuild-0.27.0/node_modules/@esbuild/linux-x64/bin/esbuild")),
]
if sys.argv[5]:
    servers = [s for s in servers if s[0] in sys.argv[5].split()]

def attach(goretain, pid, tmp):
    """Seconds from start to 'probes attached', probes, peak RSS (MB); the report must parse."""
    out = f"{tmp}/report.json"
    t0 = time.monotonic()
    p = subprocess.Popen([goretain, "--pid", str(pid), "--retained", "--duration", "2",
                          "-f", "json", "-o", out], stderr=subprocess.PIPE, text=True)
    attached, probes, lines = None, None, []
    for line in p.stderr:
        lines.append(line)
        m = re.search(r"(\d+) probes attached", line)
        if m and attached is None:
            attached, probes = time.monotonic() - t0, int(m.group(1))
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0 or attached is None:
        sys.exit(f"bench-attach: {goretain} on pid {pid} failed:\n{''.join(lines)}")
    with open(out) as f:
        report = json.loads(f.readline())
    if "callsites" not in report:
        sys.exit(f"bench-attach: {goretain}: no report")
    return attached, probes, usage.ru_maxrss / 1024

rows = []
for name, start in servers:
    tmp = tempfile.mkdtemp(prefix="goretain-bench-attach-")
    argv = start(tmp)
    server = subprocess.Popen(argv, cwd=tmp, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)  # its runtime is up and serving
        if server.poll() is not None:
            sys.exit(f"bench-attach: {name} exited at once: {' '.join(argv)}")
        results = {label: [] for label, _ in goretains}
        for _ in range(runs):
            for label, g in goretains:
                results[label].append(attach(g, server.pid, tmp))
        size = os.path.getsize(argv[0]) / 2**20
        row = [name, f"{size:.0f}"]
        for label, _ in goretains:
            r = results[label]
            row += [str(r[0][1]), f"{statistics.median(x[0] for x in r):.2f}",
                    f"{statistics.median(x[2] for x in r):.0f}"]
        rows.append(row)
        print("  ".join(row), file=sys.stderr, flush=True)
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)

head = ["binary", "MB"]
for label, _ in goretains:
    head += [f"probes ({label})", f"attach s ({label})", f"RSS MB ({label})"]
widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
print(f"goretain --retained attach, median of {runs}")
for r in [head] + rows:
    print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
PY
