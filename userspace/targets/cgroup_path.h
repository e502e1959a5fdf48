// Pure parsers of cgroup paths: which container, runtime and Kubernetes pod a process's cgroup
// names. No file access here (the readers are proc_scan and labels); every format is taken from
// real /proc/PID/cgroup lines (tests/unit/targets_cgroup_path_test.cpp lists them):
//  - kubelet, cgroupfs driver: /kubepods[/burstable|/besteffort]/pod<uid-with-dashes>/<64hex>
//  - kubelet, systemd driver:  /kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod
//    <uid_with_underscores>.slice/<prefix>-<64hex>.scope[/container]
//  - runtimes by prefix: cri-containerd- (containerd), crio- (CRI-O), docker- or /docker/<id>
//    (docker), libpod- / libpod-payload- (podman); a bare 64-hex leaf (cgroupfs drivers)
//  - the raw systemd form "<slice>:<prefix>:<id>" some cgroup v1 lines show
//  - nested nodes (kind, minikube: a node container holding kubepods): the innermost wins
//  - paths relative to a cgroup namespace ("/../../cri-containerd-<id>.scope")
//  - runtime helpers are not containers: crio-conmon-<id>, libpod-conmon-<id>, .../conmon
#pragma once

#include <string>
#include <string_view>

namespace goretain::targets {

enum class QosClass { kNone, kGuaranteed, kBurstable, kBestEffort };
const char* QosName(QosClass qos);  // "", "guaranteed", "burstable", "besteffort"

struct CgroupIdentity {
  std::string container_id;  // lower-case hex (64 digits, or >= 12 after a runtime prefix)
  std::string runtime;       // "containerd" | "cri-o" | "docker" | "podman" | "" (unknown)
  std::string pod_uid;       // dashed form, lower case; 32 hex digits for a static pod's hash
  QosClass qos = QosClass::kNone;
  bool runtime_helper = false;  // conmon: a runtime's process, not a container
  bool operator==(const CgroupIdentity&) const = default;
};

// The identity a cgroup path names (all fields empty for a path outside any container or pod).
CgroupIdentity ParseCgroupPath(std::string_view path);

// The pod's own cgroup in `path` (the prefix that ends with the pod's slice or pod<uid>
// directory: a node agent follows new containers of a selected pod there); "" if the path names
// no pod, or names it only in the same segment as the container (the raw "slice:prefix:id" form).
std::string PodCgroupPath(std::string_view path);

// What /proc/PID/cgroup says: the cgroup v2 path (the "0::" line; empty on a v1-only host) and
// the identity, from the v2 line when it names a container or pod, else from the first v1 line
// that does (a v1-only host, or a hybrid host whose runtime used only the v1 hierarchies).
struct ProcCgroup {
  std::string unified_path;
  CgroupIdentity identity;
};
ProcCgroup ParseProcCgroup(std::string_view text);

// A pod UID as the user may give it (dashes or underscores, any case) in the dashed lower-case
// form ParseCgroupPath returns; empty if it is not a UID (36 characters in the 8-4-4-4-12 layout,
// or 32 hex digits).
std::string NormalizePodUid(std::string_view uid);

// True for 12 to 64 hex digits: what --container accepts (a prefix of a container ID).
bool IsContainerIdPrefix(std::string_view id);

}  // namespace goretain::targets
