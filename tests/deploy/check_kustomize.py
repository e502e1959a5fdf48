#!/usr/bin/env python3
"""Renders deploy/ with `kubectl kustomize` (offline: no cluster) and checks the DaemonSet's
fields that the agent needs to work on a node: hostPID, the capabilities, the hostPath volumes
and their mounts, resources, the scrape annotations, NODE_NAME from the downward API.

Usage: check_kustomize.py SOURCE_DIR   (exit 0: all checks passed; 1: a check failed)"""
import shutil
import subprocess
import sys

import yaml


def render(deploy_dir):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        sys.exit("kubectl is missing (hint: scripts/install-deps.sh installs kubernetes-client)")
    out = subprocess.run([kubectl, "kustomize", deploy_dir], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def main():
    docs = render(sys.argv[1] + "/deploy")
    kinds = sorted(d["kind"] for d in docs)
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    check(kinds == ["DaemonSet", "Namespace"], f"rendered kinds: {kinds}")
    ds = next(d for d in docs if d["kind"] == "DaemonSet")
    check(ds["metadata"].get("namespace") == "goretain", "DaemonSet namespace is goretain")
    pod = ds["spec"]["template"]
    spec = pod["spec"]
    check(spec.get("hostPID") is True, "hostPID: true")
    check({"operator": "Exists"} in spec.get("tolerations", []), "tolerates every taint")
    ann = pod["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true", "prometheus.io/scrape annotation")
    check(ann.get("prometheus.io/port") == "9464", "prometheus.io/port annotation")
    (ctr,) = spec["containers"]
    check(ctr["image"] == "goretain:dev", f"image from the kustomization: {ctr['image']}")
    check(ctr["args"][0] == "agent", f"runs goretain agent: {ctr['args']}")
    listen = ctr["args"][ctr["args"].index("--listen") + 1] if "--listen" in ctr["args"] else ""
    check(listen.endswith(":9464"), f"serves its endpoints on the metrics port: {ctr['args']}")
    env = {e["name"]: e for e in ctr.get("env", [])}
    check(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
          == "spec.nodeName", "NODE_NAME from the downward API")
    res = ctr.get("resources", {})
    for kind in ("requests", "limits"):
        check(set(res.get(kind, {})) == {"cpu", "memory"}, f"resources.{kind} cpu and memory")
    sc = ctr["securityContext"]
    caps = set(sc["capabilities"]["add"])
    for cap in ("BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"):
        check(cap in caps, f"capability {cap}")
    check(sc["capabilities"].get("drop") == ["ALL"], "every other capability dropped")
    check(sc.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
    mounts = {m["mountPath"]: m for m in ctr["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    for path in ("/sys/fs/cgroup", "/sys/kernel/btf", "/run", "/var/log/pods"):
        m = mounts.get(path)
        check(m is not None and m.get("readOnly") is True, f"{path} mounted read-only")
        if m:
            host = volumes[m["name"]].get("hostPath", {}).get("path")
            check(host == path, f"{path} comes from the host's {path} (got {host})")
    if failures:
        print("deploy/ check failed:\n  " + "\n  ".join(failures))
        return 1
    print(f"deploy/ renders {len(docs)} objects; DaemonSet checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
