// The cgroup v2 hierarchy as goretain's process follower needs it: where it is mounted, the ID
// of a cgroup directory (what bpf_get_current_cgroup_id() returns for a task in it), and which
// cgroup a process is in. Works on unified hosts (/sys/fs/cgroup) and hybrid ones
// (/sys/fs/cgroup/unified, where runc also places containers at the same path).
//
// (A minimal stand-in for the `targets/` room's cgroup parsers, which label rows from any
// format; this only needs the `0::` line.)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "symbols/result.h"

namespace goretain {

// The cgroup2 mount point. Errors: kNotFound (no cgroup v2 hierarchy mounted: a v1-only host).
Result<std::string> Cgroup2Mount();

// `path` relative to the cgroup2 mount ("/kubepods/burstable/pod..."; a leading '/' optional)
// → its cgroup ID (the directory's inode number, which is the kernfs node ID the kernel reports).
// Errors: kNotFound (no such cgroup), kBadInput (a path that climbs out with "..").
Result<uint64_t> Cgroup2Id(const std::string& mount, const std::string& path);

// The process's cgroup v2 path ("/a/b", the `0::` line of /proc/PID/cgroup), or nullopt if it
// is gone or has no v2 line. Relative to goretain's own cgroup namespace (the host's when it
// runs with the host cgroupns, as the DaemonSet's privileged container does).
std::optional<std::string> Cgroup2PathOf(pid_t pid);

// True when cgroup `path` is `selected` or below it ("/a/b" is within "/a", "/ab" is not).
bool CgroupWithin(const std::string& path, const std::string& selected);

}  // namespace goretain
