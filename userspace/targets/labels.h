// A process's labels (container_id, pod, namespace, container, runtime, pod_uid), from files
// only, in this order (the first source to name a field wins):
//  1. its cgroup path (ParseCgroupPath): container ID, runtime, pod UID;
//  2. its OCI bundle's config.json annotations, the bundle found through
//     - containerd's task directory <run>/containerd/io.containerd.runtime.v2.task/<ns>/<id>/,
//     - CRI-O's and podman's <run>/containers/storage/overlay-containers/<id>/userdata/,
//     - runc's state (<run>/runc/<id>/state.json, containerd's <run>/containerd/runc/<ns>/...):
//       the container whose ID, cgroup path or init PID is the process's,
//     - the runtime shim's working directory (a containerd shim runs in its bundle; a private
//       containerd's state directory is found this way): an ancestor's cwd named after the
//       container ID;
//  3. /var/log/pods/<ns>_<pod>_<uid>/ for the pod UID (the container's name when the pod has
//     one container directory).
// No API server. Fields stay empty when no source names them.
#pragma once

#include <sys/types.h>

#include <string>

#include "userspace/model/report.h"
#include "userspace/targets/cgroup_path.h"
#include "userspace/targets/host_paths.h"

namespace goretain::targets {

struct ProcessLabels {
  TargetLabels labels;
  bool sandbox = false;  // a pod's pause (infra) container, by its annotations
  std::string source;    // where the pod's name came from, for debug lines ("" if nowhere)
};

// `pid` (0: none) is used for runc's init PID and the shim's cwd; `cgroup_path` is the process's
// cgroup v2 path (or the v1 one its identity came from).
ProcessLabels ReadLabels(const HostPaths& host, pid_t pid, const CgroupIdentity& id,
                         const std::string& cgroup_path);

}  // namespace goretain::targets
