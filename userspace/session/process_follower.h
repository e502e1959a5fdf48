// ProcessFollower: which processes of the selection exist now and which start or end later.
//
// At start one scan finds the processes already in the selected cgroups (their cgroup.procs
// files, recursively), or every process in /proc with --all; from then on the kernel tells of each exec in them (ExecWatcher, a
// sched_process_exec program filtered by cgroup ID in BPF), and a pidfd per followed process
// tells of its exit. The follower only names PIDs: the session decides whether each is a Go
// program and attaches (one set of probes per executable, shared by every process running it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "symbols/result.h"
#include "userspace/kernel/exec_watcher.h"
#include "userspace/process/exit_watcher.h"
#include "userspace/session/follow_options.h"

namespace goretain {

class ProcessFollower {
 public:
  // Resolves every selected cgroup (errors: kNotFound with a hint for one that does not exist)
  // and starts the exec watcher (kPermission, kKernel).
  static Result<std::unique_ptr<ProcessFollower>> Create(const FollowOptions& options);

  // The processes in the selection right now (goretain itself excluded), host PIDs.
  std::vector<pid_t> ScanProc() const;
  // The processes that exec'd in the selection since the last call (waits up to timeout_ms).
  std::vector<pid_t> TakeExecs(int timeout_ms);

  // Watches a followed process for exit; TakeExited() returns it once it has.
  void Watch(pid_t pid);
  std::vector<pid_t> TakeExited();
  size_t watched() const { return exits_.size(); }
  uint64_t execs_seen() const { return execs_seen_; }

 private:
  explicit ProcessFollower(FollowOptions options) : options_(std::move(options)) {}

  FollowOptions options_;
  std::string mount_;                      // the cgroup2 mount
  std::vector<std::string> cgroup_paths_;  // relative to the mount
  std::unique_ptr<ExecWatcher> watcher_;
  std::vector<pid_t> execs_;               // filled by the watcher's handler
  std::map<pid_t, std::unique_ptr<ExitWatcher>> exits_;
  uint64_t execs_seen_ = 0;
};

}  // namespace goretain
