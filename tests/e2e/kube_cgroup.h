// Kubelet-shaped cgroups for e2e tests, made directly under the cgroup v2 mount (found in
// /proc/self/mountinfo: /sys/fs/cgroup/unified on a hybrid host): a test-unique parent
// (goretain-e2e-<pid>-<n>) holding kubepods.slice/kubepods-burstable.slice/
// kubepods-burstable-pod<uid_with_underscores>.slice/cri-containerd-<64hex>.scope, as the
// kubelet's systemd driver and containerd name them. Processes are moved in through cgroup.procs.
// The destructor removes every directory it made (also in the v1 hierarchies, where a runtime
// such as runc may have made some), after the processes in them are gone.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace e2e {

// The cgroup v2 mount point, "" if there is none.
std::string Cgroup2Mount();

class KubeCgroups {
 public:
  KubeCgroups();
  ~KubeCgroups();
  KubeCgroups(const KubeCgroups&) = delete;
  KubeCgroups& operator=(const KubeCgroups&) = delete;

  const std::string& parent() const { return parent_; }  // "/goretain-e2e-..." (relative)
  // The pod's slice, relative to the mount; pod_uid is dashed.
  std::string PodCgroup(const std::string& pod_uid) const;
  // Makes the container's scope (and the pod's slices) and returns its path relative to the mount.
  std::string MakeContainer(const std::string& pod_uid, const std::string& container_id);
  // Moves `pid` into the cgroup at `relative`; false (with errno's text in `error`) on failure.
  bool Move(pid_t pid, const std::string& relative, std::string* error);

 private:
  std::string mount_;
  std::string parent_;
};

// A random pod UID (dashed) and container ID (64 hex digits).
std::string RandomPodUid();
std::string RandomContainerId();

}  // namespace e2e
