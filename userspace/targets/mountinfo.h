// Pure parser of /proc/self/mountinfo: where the cgroup v2 hierarchy is mounted. On a unified host
// that is /sys/fs/cgroup, on a hybrid one (v1 controllers beside cgroup2) /sys/fs/cgroup/unified;
// never assumed, always read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace goretain::targets {

struct CgroupMount {
  std::string mount_point;  // e.g. "/sys/fs/cgroup/unified" (octal escapes decoded)
  std::string root;         // the cgroup shown at the mount point: "/" unless in a cgroup namespace
};

// The first cgroup2 mount of a mountinfo text; nullopt if there is none (a v1-only host).
std::optional<CgroupMount> FindCgroup2Mount(std::string_view mountinfo);

}  // namespace goretain::targets
