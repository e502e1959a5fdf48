// The cgroup v2 hierarchy as goretain's process follower needs it: where it is mounted, the ID
// of a cgroup directory (what bpf_get_current_cgroup_id() returns for a task in it), and which
// processes a cgroup holds. Works on unified hosts (/sys/fs/cgroup) and hybrid ones
// (/sys/fs/cgroup/unified, where runc also places containers at the same path).
//
// (A minimal stand-in for the `targets/` room's cgroup parsers, which label rows from any
// format; this needs no parsing at all.)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "symbols/result.h"

namespace goretain {

// The cgroup2 mount point. Errors: kNotFound (no cgroup v2 hierarchy mounted: a v1-only host).
Result<std::string> Cgroup2Mount();

// `path` relative to the cgroup2 mount ("/kubepods/burstable/pod..."; a leading '/' optional)
// → its cgroup ID (the directory's inode number, which is the kernfs node ID the kernel reports).
// Errors: kNotFound (no such cgroup), kBadInput (a path that climbs out with "..").
Result<uint64_t> Cgroup2Id(const std::string& mount, const std::string& path);

// The processes (PIDs as goretain's /proc sees them) in cgroup `path` and every cgroup below
// it, from their cgroup.procs files. Reads the hierarchy, not /proc/PID/cgroup, so it works in
// a private cgroup namespace too, as long as the host's hierarchy is mounted (the DaemonSet's
// hostPath). A cgroup that vanishes meanwhile is skipped.
std::vector<pid_t> Cgroup2Procs(const std::string& mount, const std::string& path);

}  // namespace goretain
