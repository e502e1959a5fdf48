// FollowOptions: which processes a session follows as they come and go (--cgroup, --all,
// goretain agent), beside or instead of one --pid / -- COMMAND.
#pragma once

#include <string>
#include <vector>

namespace goretain {

struct FollowOptions {
  // cgroup v2 paths relative to the cgroup2 mount; processes in them or below are followed.
  std::vector<std::string> cgroups;
  bool all = false;  // every Go process on the host
  // Keep running when no target is left (goretain agent, and --cgroup/--all: targets may come).
  bool enabled() const { return all || !cgroups.empty(); }
};

}  // namespace goretain
