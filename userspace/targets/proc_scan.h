// Readers of /proc for target selection: which processes exist, their cgroup, their PID inside
// their own PID namespace, their parent. Errors are "nothing read" (a process can exit at any
// moment between two reads): callers skip what they cannot read.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "userspace/targets/cgroup_path.h"
#include "userspace/targets/host_paths.h"

namespace goretain::targets {

// A whole (small) file, or nullopt if it cannot be read.
std::optional<std::string> ReadSmallFile(const std::string& path);

// Every process (thread group) listed in PROC, ascending.
std::vector<pid_t> ListProcesses(const HostPaths& host);

std::optional<ProcCgroup> ReadProcCgroup(const HostPaths& host, pid_t pid);

// From /proc/PID/status: the last field of NSpid (the PID in the process's innermost PID
// namespace; the same as `pid` outside containers) and PPid. 0 if unknown.
struct ProcStatus {
  pid_t ns_pid = 0;
  pid_t ppid = 0;
};
ProcStatus ReadProcStatus(const HostPaths& host, pid_t pid);

}  // namespace goretain::targets
