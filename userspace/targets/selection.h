// Which processes to trace: the selectors of the command line, resolved to PIDs by one scan of
// /proc. Selectors add up (a union): --pid P (repeatable), --container ID (a 12-64 hex-digit
// prefix), --pod NAMESPACE/NAME, --pod-uid UID (dashes or underscores), --cgroup PATH (cgroup v2,
// relative to its mount, found in /proc/self/mountinfo) and --all (every Go process).
// A process a selector (other than --pid) finds that is not Go, a runtime helper (conmon) or a
// pod's pause container is skipped with a debug line. A container, pod or cgroup that matches
// nothing is an error (kNotFound, with a hint), as is a selection with no Go process in it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "symbols/result.h"
#include "userspace/model/report.h"
#include "userspace/targets/host_paths.h"

namespace goretain::targets {

struct TargetSelection {
  std::vector<pid_t> pids;
  std::vector<std::string> containers;
  std::vector<std::string> pods;      // "NAMESPACE/NAME"
  std::vector<std::string> pod_uids;
  std::vector<std::string> cgroups;
  bool all = false;

  bool empty() const {
    return pids.empty() && containers.empty() && pods.empty() && pod_uids.empty() &&
           cgroups.empty() && !all;
  }
  // Only --pid: each PID is traced as given (a non-Go PID is an error, not skipped).
  bool only_pids() const { return !pids.empty() && empty_but_pids(); }

 private:
  bool empty_but_pids() const {
    return containers.empty() && pods.empty() && pod_uids.empty() && cgroups.empty() && !all;
  }
};

// The first malformed selector as a usage message (for the command line), or nullopt.
std::optional<std::string> CheckSelectionSyntax(const TargetSelection& s);

struct SelectedProcess {
  pid_t pid = 0;
  pid_t ns_pid = 0;      // in its own PID namespace (NSpid's last field)
  TargetLabels labels;
  bool named = false;    // given by --pid: it is traced or the session fails
  // Its cgroup v2 path (relative to the mount; "" on a v1-only host) and its pod's
  // (PodCgroupPath; "" outside pods): where a follower watches for processes that start later.
  std::string cgroup;
  std::string pod_cgroup;
  // Where what starts later in the selection appears (trace mode and the agent follow it):
  // the pod's cgroup for --pod/--pod-uid (a new container of the pod is caught), the
  // container's for --container, the selector's own path for --cgroup; "" for a process found
  // by --pid or --all only. Nested paths are left to the follower (it dedupes).
  std::string follow_cgroup;
};

// The processes of the selection: --pid ones first, in the order given, then the others by PID.
// `self`: goretain's own PID, never selected.
// One process as a selector would have found it (namespace PID, cgroup, labels): for processes
// found otherwise (a --pid, a command, an exec the node agent follows).
SelectedProcess DescribeProcess(const HostPaths& host, pid_t pid);

Result<std::vector<SelectedProcess>> ResolveSelection(const TargetSelection& s,
                                                      const HostPaths& host, pid_t self);

}  // namespace goretain::targets
