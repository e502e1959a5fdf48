// OCI bundles for `runc`, written by hand the way a kubelet + containerd node would produce them,
// so tests can run real containers offline (no image, no registry, no CNI, no systemd):
//   - config.json with a kubelet-like linux.cgroupsPath (cgroupfs driver:
//     /kubepods[/burstable|/besteffort]/pod<uid>/<container id>) and containerd CRI annotations
//     (io.kubernetes.cri.sandbox-name, -namespace, -uid, container-name, container-type);
//   - no rlimits (this machine kind lacks CAP_SYS_RESOURCE: runc's setrlimit would fail);
//   - optionally the host PID namespace and chosen capabilities (the DaemonSet's settings).
// A RuncRoot keeps runc's state in a private directory, so tests never see other containers,
// and deletes every container it started. Requires root and runc.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace goretain::test_support {

struct BindMount {
  std::string source;       // host path
  std::string destination;  // path in the container
  bool read_only = true;
};

struct BundleConfig {
  std::vector<std::string> args;  // the container's process
  std::vector<std::string> env = {"PATH=/usr/bin:/bin"};
  std::string cgroups_path;       // linux.cgroupsPath ("" = runc's default /<id>)
  std::map<std::string, std::string> annotations;
  bool host_pid = false;          // share the host's PID namespace (hostPID: true)
  // Bounding/effective/permitted capabilities ("CAP_BPF", ...); empty = runc spec's default set.
  std::vector<std::string> capabilities;
  std::vector<BindMount> binds;
  bool readonly_rootfs = true;
};

// A 64-hex container ID and a dashed pod UID, random (unique per test run).
std::string RandomContainerId();
std::string RandomPodUid();
// The kubelet's cgroupfs-driver path: /kubepods[/<qos>]/pod<uid>/<id> (qos "" = guaranteed).
std::string KubeletCgroupsPath(const std::string& qos, const std::string& pod_uid,
                               const std::string& container_id);
// The annotations containerd's CRI plugin puts in a container's config.json.
std::map<std::string, std::string> ContainerdAnnotations(const std::string& ns,
                                                         const std::string& pod,
                                                         const std::string& pod_uid,
                                                         const std::string& container,
                                                         const std::string& sandbox_id);

// The OCI runtime config for `c` (rootfs at <bundle>/rootfs).
std::string ConfigJson(const BundleConfig& c);
// Writes <bundle>/config.json; the caller fills <bundle>/rootfs.
void WriteBundle(const std::filesystem::path& bundle, const BundleConfig& c);

// runc with its state under a private root directory.
class RuncRoot {
 public:
  // runc's state under `state_dir`; the helper's own files (runc's output, pid files) under
  // `scratch_dir` ("" = state_dir; give one when state_dir is runc's shared default, /run/runc).
  explicit RuncRoot(std::filesystem::path state_dir, std::filesystem::path scratch_dir = {});
  // Force-deletes every container started through it (runc delete --force).
  ~RuncRoot();
  RuncRoot(const RuncRoot&) = delete;
  RuncRoot& operator=(const RuncRoot&) = delete;

  // argv of `runc run` in the foreground: the container's stdio is the caller's (spawn it).
  std::vector<std::string> RunArgv(const std::string& id, const std::filesystem::path& bundle);
  // `runc run --detach`; returns the container's init PID (host namespace). Throws on failure.
  pid_t RunDetached(const std::string& id, const std::filesystem::path& bundle);
  // `runc exec --detach` of `args` in a running container (a `kubectl exec`); returns the new
  // process's host PID; its stdout and stderr go to `output`. Throws on failure.
  pid_t ExecDetached(const std::string& id, const std::vector<std::string>& args,
                     const std::filesystem::path& output);
  // `runc kill ID SIGNAL`; true on success.
  bool Kill(const std::string& id, const std::string& signal = "TERM");
  // The container's state as `runc state` prints it ("" if unknown).
  std::string State(const std::string& id);

 private:
  int Runc(const std::vector<std::string>& args, std::string* out = nullptr);
  std::filesystem::path root_;
  std::filesystem::path scratch_;
  std::vector<std::string> ids_;
  int execs_ = 0;
};

}  // namespace goretain::test_support

namespace goretain::test_support {

// Removes cgroup `path` (relative, e.g. /kubepods/besteffort/pod<uid>) and its empty children
// from every mounted hierarchy (v1 controllers and v2): runc deletes a container's own cgroup,
// not the pod-level parents the test's cgroupsPath made. Shared parents (/kubepods/...) stay.
void RemoveCgroupEverywhere(const std::string& path);

}  // namespace goretain::test_support
